package messages_test

import (
	"net/http"
	"strings"
	"testing"

	"portico/hooks/audit"
	"portico/hooks/messages"
	"portico/internal/testenv"
)

const (
	secretTitle = "Referral to oncology"
	secretFile  = "oncology-referral.pdf"
)

// addDocument uploads (a client) or shares (staff) one document and
// returns the answer.
func (p *practice) addDocument(token string, fields map[string]string, files ...testenv.Upload) testenv.Response {
	payload, contentType := testenv.Multipart(fields, "file", files...)
	return p.env.Post("/api/documents", payload, "Authorization", token, "Content-Type", contentType)
}

// mustAdd is addDocument that must succeed; it returns the document's id
// and its stored file name.
func (p *practice) mustAdd(t *testing.T, token string, fields map[string]string, file testenv.Upload) (id, name string) {
	t.Helper()
	r := p.addDocument(token, fields, file)
	id, _ = r.JSON["id"].(string)
	name, _ = r.JSON["file"].(string)
	if r.Status != http.StatusCreated || id == "" || name == "" {
		t.Fatalf("adding the document %v: %s; want 201 with its id and file", fields, r)
	}
	return id, name
}

// fileAs opens a document's file with a fresh file token of the holder
// of token ("" for none).
func (p *practice) fileAs(t *testing.T, token, id, file string) testenv.Response {
	t.Helper()
	address := "/api/files/documents/" + id + "/" + file
	if token == "" {
		return p.env.Do("GET", address, nil)
	}
	tr := p.env.Post("/api/files/token", nil, "Authorization", token)
	fileToken, _ := tr.JSON["token"].(string)
	if fileToken == "" {
		t.Fatalf("a file token: %s", tr)
	}
	return p.env.Do("GET", address+"?token="+fileToken, nil)
}

// TestEachPartyReachesOnlyItsDocuments: a clinical document is reached by
// the client, the owner and the client's clinician; an administrative one
// by the front desk too; another client, another clinician and nobody
// reach neither, through Portico's routes, the records API and the file
// route. Only the client acknowledges or signs; staff share only with the
// clients (and of the kinds) they may write to.
func TestEachPartyReachesOnlyItsDocuments(t *testing.T) {
	p := newPractice(t)
	clinical, clinicalFile := p.mustAdd(t, p.adaToken, map[string]string{"kind": "clinical", "title": secretTitle},
		testenv.Upload{Name: secretFile, Content: testenv.SamplePDF})
	admin, _ := p.mustAdd(t, p.adaToken, map[string]string{"kind": "admin", "title": "Insurance card"},
		testenv.Upload{Name: "card.jpg", Content: testenv.SampleJPEG})
	release, _ := p.mustAdd(t, p.leeToken, map[string]string{"kind": "clinical", "title": "Release of information", "asks": "sign", "client": p.ada.Id},
		testenv.Upload{Name: "release.pdf", Content: testenv.SamplePDF})
	policy, _ := p.mustAdd(t, p.fdToken, map[string]string{"kind": "admin", "title": "Cancellation policy", "asks": "acknowledge", "client": p.ada.Id},
		testenv.Upload{Name: "policy.pdf", Content: testenv.SamplePDF})

	parties := []string{"client", "owner", "clinician"}
	adminParties := append([]string{"front desk"}, parties...)
	share := func(kind string) ([]byte, string) {
		return testenv.Multipart(map[string]string{"kind": kind, "title": "Handout", "asks": "read", "client": p.ada.Id},
			"file", testenv.Upload{Name: "handout.pdf", Content: testenv.SamplePDF})
	}
	clinicalShare, clinicalType := share("clinical")
	adminShare, adminType := share("admin")
	p.env.CheckAccess(t, p.callers, []testenv.Access{
		{Name: "the list with a clinical document", Method: "GET", Path: "/api/documents", Marker: secretTitle, Allowed: parties},
		{Name: "the list with an admin document", Method: "GET", Path: "/api/documents", Marker: admin, Allowed: adminParties},
		{Name: "one client's documents, asked for by staff", Method: "GET", Path: "/api/documents?client=" + p.ada.Id, Marker: clinical, Allowed: parties},
		{Name: "records API: no list of documents", Method: "GET", Path: "/api/collections/documents/records", Marker: clinical, Never: []string{secretTitle}},
		{Name: "records API: one clinical document", Method: "GET", Path: "/api/collections/documents/records/" + clinical, Marker: clinical, Allowed: parties},
		{Name: "records API: one admin document", Method: "GET", Path: "/api/collections/documents/records/" + admin, Marker: admin, Allowed: adminParties},
		{Name: "records API: no changes", Method: "PATCH", Path: "/api/collections/documents/records/" + release, Body: map[string]any{"title": "forged"}},
		{Name: "acknowledging the policy", Method: "POST", Path: "/api/documents/" + policy + "/acknowledge", Marker: policy, Allowed: []string{"client"},
			Status: map[string]int{"other client": 404, "other clinician": 404, "nobody": 401, "front desk": 403}},
		{Name: "signing the release", Method: "POST", Path: "/api/documents/" + release + "/sign", Body: map[string]any{"name": "Ada Client"}, Marker: `"signedName":"Ada Client"`,
			Allowed: []string{"client"}, Status: map[string]int{"other client": 404, "front desk": 404, "nobody": 401}},
		{Name: "staff share a clinical document with Ada", Method: "POST", Path: "/api/documents", Body: clinicalShare, ContentType: clinicalType,
			Marker: `"side":"practice"`, Allowed: []string{"owner", "clinician"}, Status: map[string]int{"front desk": 404, "other clinician": 404}},
		{Name: "staff share an admin document with Ada", Method: "POST", Path: "/api/documents", Body: adminShare, ContentType: adminType,
			Marker: `"side":"practice"`, Allowed: []string{"owner", "clinician", "front desk"}, Status: map[string]int{"other clinician": 404}},
	})

	// The file itself, with each person's file token, and with none.
	for name, token := range p.callers {
		got := p.fileAs(t, token, clinical, clinicalFile)
		allowed := name == "client" || name == "owner" || name == "clinician"
		if allowed != (got.Status == http.StatusOK) {
			t.Errorf("the clinical document's file as %s answered %d; want allowed=%v", name, got.Status, allowed)
		}
		if allowed && string(got.Body) != string(testenv.SamplePDF) {
			t.Errorf("the clinical document's file as %s is not the file uploaded", name)
		}
	}
	if r := p.env.Do("GET", "/api/files/documents/"+clinical+"/"+clinicalFile+"?token=made-up", nil); r.Status == http.StatusOK {
		t.Errorf("the file with a made-up token answered 200; want it refused")
	}
	// A client uploading "for" Ada uploads into their own record.
	ben, _ := p.mustAdd(t, p.benToken, map[string]string{"kind": "admin", "title": "Card", "client": p.ada.Id, "asks": "sign"},
		testenv.Upload{Name: "card.png", Content: testenv.SamplePNG})
	if doc, _ := p.env.App.FindRecordById("documents", ben); doc.GetString("client") != p.ben.Id || doc.GetString("asks") != "" {
		t.Errorf("Ben naming Ada's id stored a document for %s asking %q; want his own, asking nothing", doc.GetString("client"), doc.GetString("asks"))
	}

	// Staff reads, shares and downloads are on the audit trail.
	if got := p.env.AuditEntriesFor(audit.ActionDownload, p.ada.Id); len(got) != 2 {
		t.Errorf("the audit trail has %d downloads of Ada's documents; want 2 (the owner and Dr. Lee)", len(got))
	}
	if got := p.env.AuditEntriesFor(audit.ActionDocumentSigned, p.ada.Id); len(got) != 1 {
		t.Errorf("the audit trail has %d signatures by Ada; want 1", len(got))
	}
	if got := p.env.AuditEntriesFor(audit.ActionDocumentAdded, p.ada.Id); len(got) < 4 {
		t.Errorf("the audit trail has %d documents added for Ada; want each upload and share", len(got))
	}
	if got := p.env.AuditEntriesFor(audit.ActionList, p.ada.Id); len(got) == 0 {
		t.Errorf("staff listing Ada's documents is not in the audit trail")
	}
}

// TestRefusedDocumentsStoreNothing: a wrong type (judged by the content),
// a shared document that is not a PDF, an oversized file, no file, two
// files, no name and no recipient each get one plain line, and no
// document or file is stored.
func TestRefusedDocumentsStoreNothing(t *testing.T) {
	p := newPractice(t)
	card := map[string]string{"kind": "admin", "title": "Insurance card"}
	cases := []struct {
		name   string
		token  string
		fields map[string]string
		files  []testenv.Upload
		status int
		says   string
	}{
		{"a web page named as a photo", p.adaToken, card, []testenv.Upload{{Name: "card.jpg", Content: []byte("<html><script>alert(1)</script></html>")}}, 400, `"card.jpg" is not a PDF, a photo`},
		{"a photo shared by staff", p.leeToken, map[string]string{"kind": "clinical", "title": "Handout", "asks": "read", "client": p.ada.Id},
			[]testenv.Upload{{Name: "handout.pdf", Content: testenv.SamplePNG}}, 400, `"handout.pdf" is not a PDF. Please share documents as PDF files.`},
		{"a file over 10 MB", p.adaToken, card, []testenv.Upload{{Name: "scan.pdf", Content: append(append([]byte{}, testenv.SamplePDF...), make([]byte, messages.MaxFileSize)...)}}, 400, `"scan.pdf" is larger than 10 MB`},
		{"more than one file can be", p.adaToken, card, bigFiles(2), 413, "larger than 10 MB"},
		{"no file", p.adaToken, card, nil, 400, "Please choose the file to send."},
		{"two files", p.adaToken, card, []testenv.Upload{{Name: "a.png", Content: testenv.SamplePNG}, {Name: "b.png", Content: testenv.SamplePNG}}, 400, "one file at a time"},
		{"no name", p.adaToken, map[string]string{"kind": "admin"}, []testenv.Upload{{Name: "a.png", Content: testenv.SamplePNG}}, 400, "Please say what the document is"},
		{"no recipient", p.adaToken, map[string]string{"title": "Card"}, []testenv.Upload{{Name: "a.png", Content: testenv.SamplePNG}}, 400, "Please choose who the document is for."},
		{"staff not saying what it asks", p.leeToken, map[string]string{"kind": "clinical", "title": "Handout", "client": p.ada.Id},
			[]testenv.Upload{{Name: "h.pdf", Content: testenv.SamplePDF}}, 400, "reads, acknowledges or signs"},
		{"an unknown client", p.leeToken, map[string]string{"kind": "clinical", "title": "Handout", "asks": "read", "client": "nosuchclient123"},
			[]testenv.Upload{{Name: "h.pdf", Content: testenv.SamplePDF}}, 404, "could not find that client"},
	}
	for _, c := range cases {
		r := p.addDocument(c.token, c.fields, c.files...)
		message, _ := r.JSON["message"].(string)
		if r.Status != c.status || !strings.Contains(message, c.says) || strings.Contains(message, "\n") {
			t.Errorf("%s: %s; want %d saying %q in one line", c.name, r, c.status, c.says)
		}
	}
	if r := p.env.Post("/api/documents", `{"title": "Card"}`, "Authorization", p.adaToken); r.Status != http.StatusBadRequest {
		t.Errorf("a JSON body with no file: %s; want 400", r)
	}
	if n := p.env.Count("documents", ""); n != 0 {
		t.Errorf("refused documents stored %d rows", n)
	}
	if n := storedFilesOf(t, p.env, "documents"); n != 0 {
		t.Errorf("refused documents left %d files in storage", n)
	}
	// The type is the content's: a PNG named .pdf is a photo, accepted.
	p.mustAdd(t, p.adaToken, card, testenv.Upload{Name: "card.pdf", Content: testenv.SamplePNG})
	p.mustAdd(t, p.adaToken, card, testenv.Upload{Name: "IMG_0001.HEIC", Content: testenv.SampleHEIC})
	if n := storedFilesOf(t, p.env, "documents"); n != 2 {
		t.Errorf("two accepted documents left %d files in storage; want 2", n)
	}
}

// TestSignedDocumentCannotChange: the client opens a shared release (the
// practice sees when), signs it with the typed name, and from then on no
// one changes or deletes it: not a second signature, not a superuser,
// not Go code saving the record.
func TestSignedDocumentCannotChange(t *testing.T) {
	p := newPractice(t)
	release, file := p.mustAdd(t, p.leeToken, map[string]string{"kind": "clinical", "title": "Release of information", "asks": "sign", "client": p.ada.Id},
		testenv.Upload{Name: "release.pdf", Content: testenv.SamplePDF})
	list := func(token string) map[string]any {
		t.Helper()
		r := p.env.Do("GET", "/api/documents", nil, "Authorization", token)
		docs, _ := r.JSON["documents"].([]any)
		if r.Status != http.StatusOK || len(docs) != 1 {
			t.Fatalf("listing documents: %s; want the release", r)
		}
		return docs[0].(map[string]any)
	}
	if waiting := p.env.Do("GET", "/api/documents", nil, "Authorization", p.adaToken).JSON["waiting"]; waiting != 1.0 {
		t.Errorf("Ada's documents waiting before she signs: %v; want 1", waiting)
	}
	p.fileAs(t, p.leeToken, release, file)
	if opened := list(p.leeToken)["opened"]; opened != "" {
		t.Errorf("Dr. Lee opening what he shared marked it opened at %v; want it unopened until Ada does", opened)
	}
	p.fileAs(t, p.adaToken, release, file)
	if opened := list(p.leeToken)["opened"]; opened == "" {
		t.Errorf("Ada opening the release did not mark it opened for the practice")
	}

	if r := p.env.Post("/api/documents/"+release+"/acknowledge", nil, "Authorization", p.adaToken); r.Status != http.StatusBadRequest {
		t.Errorf("acknowledging a document to sign: %s; want 400", r)
	}
	if r := p.env.Post("/api/documents/"+release+"/sign", map[string]any{"name": "  "}, "Authorization", p.adaToken); r.Status != http.StatusBadRequest ||
		!strings.Contains(r.JSON["message"].(string), "type your full name") {
		t.Errorf("signing with no name: %s; want 400 asking for the name", r)
	}
	signed := p.env.Post("/api/documents/"+release+"/sign", map[string]any{"name": " Ada Client "}, "Authorization", p.adaToken)
	if signed.Status != http.StatusOK || signed.JSON["signedName"] != "Ada Client" || signed.JSON["signed"] == "" {
		t.Fatalf("Ada signing: %s; want 200 with her name and the time", signed)
	}
	at := p.env.Clock.Now().UTC().Format("2006-01-02 15:04:05")
	if !strings.HasPrefix(signed.JSON["signed"].(string), at) {
		t.Errorf("signed at %v; want Portico's clock, %s", signed.JSON["signed"], at)
	}
	if r := p.env.Post("/api/documents/"+release+"/sign", map[string]any{"name": "Someone Else"}, "Authorization", p.adaToken); r.Status != http.StatusConflict {
		t.Errorf("signing a second time: %s; want 409", r)
	}
	if got := list(p.leeToken); got["signedName"] != "Ada Client" || got["signed"] != signed.JSON["signed"] {
		t.Errorf("after a second try the practice sees %v; want Ada's first signature", got)
	}
	if waiting := p.env.Do("GET", "/api/documents", nil, "Authorization", p.adaToken).JSON["waiting"]; waiting != 0.0 {
		t.Errorf("Ada's documents waiting after she signed: %v; want 0", waiting)
	}

	_, super := p.env.NewSuperuser("root@example.com", "a long dashboard password")
	if r := p.env.Do("PATCH", "/api/collections/documents/records/"+release, map[string]any{"signed_name": "Forged"}, "Authorization", super); r.Status != http.StatusConflict {
		t.Errorf("a superuser changing the signed release: %s; want 409", r)
	}
	if r := p.env.Do("DELETE", "/api/collections/documents/records/"+release, nil, "Authorization", super); r.Status != http.StatusConflict {
		t.Errorf("a superuser deleting the signed release: %s; want 409", r)
	}
	doc, err := p.env.App.FindRecordById("documents", release)
	if err != nil {
		t.Fatal(err)
	}
	doc.Set("title", "Changed")
	if err := p.env.App.Save(doc); err == nil {
		t.Errorf("Go code saved a change to the signed release; want it refused")
	}
	// Deleting Ada would delete it with her: refused as well.
	if err := p.env.App.Delete(p.ada); err == nil {
		t.Errorf("deleting Ada deleted her signed release with her; want it refused")
	}
}

// TestDocumentNoticesNameNothing: a document shared with a client mails
// them a sign-in link and nothing of the document; a client's upload
// mails the staff who answer its kind, naming neither the client, the
// document nor its file.
func TestDocumentNoticesNameNothing(t *testing.T) {
	p := newPractice(t)
	env := p.env
	p.mustAdd(t, p.leeToken, map[string]string{"kind": "clinical", "title": secretTitle, "asks": "read", "client": p.ada.Id},
		testenv.Upload{Name: secretFile, Content: testenv.SamplePDF})
	mail := env.Mail.Next("ada@example.com", wait)
	mustNotSay(t, "the client's document notice", mail, secretTitle, secretFile, "oncology", "Dr. Lee")
	if mail.Subject != "You have a new document from "+testenv.PracticeName {
		t.Errorf("the client's document notice's subject is %q", mail.Subject)
	}
	_, token := mail.SignInLink()
	if r := env.Post("/api/portal/redeem", map[string]string{"token": token}); r.Status != http.StatusOK {
		t.Errorf("the notice's sign-in link: %s; want 200", r)
	}

	p.mustAdd(t, p.adaToken, map[string]string{"kind": "clinical", "title": secretTitle}, testenv.Upload{Name: secretFile, Content: testenv.SamplePDF})
	notice := env.Mail.Next(p.clinician.Email, wait)
	mustNotSay(t, "the staff document notice", notice, secretTitle, secretFile, "oncology", "Ada")
	if !strings.Contains(notice.Text, "/staff/documents.html") {
		t.Errorf("the staff notice does not link to the Documents page:\n%s", notice.Text)
	}
	env.NoMailTo(p.fd.Email, p.otherClinician.Email, p.owner.Email)

	// An administrative upload goes to the front desk.
	p.mustAdd(t, p.adaToken, map[string]string{"kind": "admin", "title": "Insurance card"}, testenv.Upload{Name: "card.jpg", Content: testenv.SampleJPEG})
	mustNotSay(t, "the front desk's notice", env.Mail.Next(p.fd.Email, wait), "Insurance", "card.jpg", "Ada")
}
