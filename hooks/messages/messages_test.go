package messages_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"portico/hooks/audit"
	"portico/hooks/messages"
	"portico/internal/testenv"
)

const (
	wait          = testenv.Wait
	secretBody    = "The new medication makes me dizzy"
	secretSubject = "Side effects"
	adminBody     = "Can we move Thursday to 4pm?"
)

// practice is a small group practice: Dr. Lee sees Ada, Dr. Ray sees
// nobody, Ben is another client, and each role has a person.
type practice struct {
	env                                   *testenv.Env
	lee, ray                              *core.Record
	ada, ben                              *core.Record
	owner, clinician, otherClinician, fd  testenv.Staff
	callers                               testenv.Callers
	adaToken, benToken, leeToken, fdToken string
}

func newPractice(t *testing.T) *practice {
	env := testenv.Start(t)
	p := &practice{env: env}
	p.lee = env.NewRecord("clinicians", map[string]any{"name": "Dr. Lee"})
	p.ray = env.NewRecord("clinicians", map[string]any{"name": "Dr. Ray"})
	p.ada, _ = env.NewClient("Ada Client", "ada@example.com", true)
	p.ada.Set("clinicians", []string{p.lee.Id})
	if err := env.App.Save(p.ada); err != nil {
		t.Fatal(err)
	}
	p.ben, _ = env.NewClient("Ben Other", "ben@example.com", true)

	var ownerToken, otherToken string
	p.owner, ownerToken = env.StaffSession("owner", nil)
	p.clinician, p.leeToken = env.StaffSession("clinician", p.lee)
	p.otherClinician, otherToken = env.StaffSession("clinician", p.ray)
	p.fd, p.fdToken = env.StaffSession("front_desk", nil)
	p.adaToken, p.benToken = env.SessionOf(p.ada), env.SessionOf(p.ben)
	p.callers = testenv.Callers{
		"owner": ownerToken, "clinician": p.leeToken, "other clinician": otherToken, "front desk": p.fdToken,
		"client": p.adaToken, "other client": p.benToken, "nobody": "",
	}
	return p
}

// mustNotSay fails when a mail holds any of the secrets.
func mustNotSay(t *testing.T, where string, mail testenv.Mail, secrets ...string) {
	t.Helper()
	for _, secret := range secrets {
		if strings.Contains(mail.Subject+mail.Text+mail.HTML, secret) {
			t.Errorf("%s says %q:\n%s", where, secret, mail.Text)
		}
	}
}

// start opens a thread as the holder of token and returns its id.
func (p *practice) start(t *testing.T, token string, body map[string]any) string {
	t.Helper()
	r := p.env.Post("/api/messages/threads", body, "Authorization", token)
	id, _ := r.JSON["id"].(string)
	if r.Status != http.StatusCreated || id == "" {
		t.Fatalf("starting a thread %v: %s; want 201 with its id", body, r)
	}
	return id
}

// write sends a message (with files, as multipart) and returns the answer.
func (p *practice) write(token, thread, body string, files ...testenv.Upload) testenv.Response {
	payload, contentType := testenv.Multipart(map[string]string{"body": body}, "attachments", files...)
	return p.env.Post("/api/messages/threads/"+thread+"/messages", payload, "Authorization", token, "Content-Type", contentType)
}

// TestEachPartyReachesOnlyItsThreads: a clinical thread is read by the
// client, the owner and the client's clinician; an administrative one by
// the front desk too; another client, another clinician and nobody learn
// nothing, through Portico's routes and PocketBase's records API alike.
func TestEachPartyReachesOnlyItsThreads(t *testing.T) {
	p := newPractice(t)
	clinical := p.start(t, p.adaToken, map[string]any{"kind": "clinical", "subject": secretSubject, "body": secretBody})
	admin := p.start(t, p.adaToken, map[string]any{"kind": "admin", "subject": "Scheduling", "body": adminBody})
	photo := p.write(p.adaToken, clinical, "", testenv.Upload{Name: "rash.png", Content: testenv.SamplePNG})
	if photo.Status != http.StatusCreated {
		t.Fatalf("attaching a photo: %s", photo)
	}
	message := photo.JSON["id"].(string)

	parties := []string{"client", "owner", "clinician"}
	adminParties := append([]string{"front desk"}, parties...)
	p.env.CheckAccess(t, p.callers, []testenv.Access{
		{Name: "a clinical thread", Method: "GET", Path: "/api/messages/threads/" + clinical, Marker: secretBody, Allowed: parties},
		{Name: "an administrative thread", Method: "GET", Path: "/api/messages/threads/" + admin, Marker: adminBody, Allowed: adminParties},
		{Name: "the list of threads", Method: "GET", Path: "/api/messages/threads", Marker: secretSubject, Allowed: parties},
		{Name: "the list with an admin thread", Method: "GET", Path: "/api/messages/threads", Marker: admin, Allowed: adminParties},
		{Name: "writing in a clinical thread", Method: "POST", Path: "/api/messages/threads/" + clinical + "/messages", Body: map[string]any{"body": "ok"}, Allowed: parties},
		{Name: "writing in an admin thread", Method: "POST", Path: "/api/messages/threads/" + admin + "/messages", Body: map[string]any{"body": "ok"}, Allowed: adminParties},
		{Name: "marking read", Method: "POST", Path: "/api/messages/threads/" + clinical + "/read", Body: map[string]any{"upto": 1}, Allowed: parties},
		{Name: "staff start a clinical thread with Ada", Method: "POST", Path: "/api/messages/threads",
			Body: map[string]any{"kind": "clinical", "client": p.ada.Id, "body": "How are you?"}, Marker: `"id"`, Allowed: []string{"owner", "clinician", "client", "other client"}},
		{Name: "records API: no list of messages", Method: "GET", Path: "/api/collections/messages/records", Marker: message, Never: []string{secretBody}},
		{Name: "records API: one message", Method: "GET", Path: "/api/collections/messages/records/" + message, Marker: message, Allowed: parties},
		{Name: "records API: threads, never their subject", Method: "GET", Path: "/api/collections/message_threads/records", Marker: clinical, Allowed: parties, Never: []string{secretSubject}},
		{Name: "records API: no writes", Method: "POST", Path: "/api/collections/messages/records",
			Body: map[string]any{"thread": clinical, "client": p.ada.Id, "kind": "clinical", "side": "practice", "seq": 99, "sent": "2026-01-01 00:00:00Z", "body": "forged"}},
	})

	// The client "starting" a thread with Ada's id starts one of their own.
	ben := p.start(t, p.benToken, map[string]any{"kind": "clinical", "client": p.ada.Id, "body": "Hello"})
	if thread, _ := p.env.App.FindRecordById("message_threads", ben); thread.GetString("client") != p.ben.Id {
		t.Errorf("Ben naming Ada's id started a thread for %s; want his own", thread.GetString("client"))
	}
	// The front desk never starts a clinical thread.
	if r := p.env.Post("/api/messages/threads", map[string]any{"kind": "clinical", "client": p.ada.Id, "body": "Hi"}, "Authorization", p.fdToken); r.Status != http.StatusNotFound {
		t.Errorf("the front desk starting a clinical thread: %s; want 404", r)
	}
}

// TestAttachmentsNeedAFileToken: an attachment opens only with a
// short-lived file token of one of the thread's parties; the address
// alone, or another person's token, gets nothing.
func TestAttachmentsNeedAFileToken(t *testing.T) {
	p := newPractice(t)
	thread := p.start(t, p.adaToken, map[string]any{"kind": "clinical", "body": "My insurance card"})
	r := p.write(p.adaToken, thread, "", testenv.Upload{Name: "card.jpg", Content: testenv.SampleJPEG})
	if r.Status != http.StatusCreated {
		t.Fatalf("attaching the card: %s", r)
	}
	id := r.JSON["id"].(string)
	file := r.JSON["attachments"].([]any)[0].(map[string]any)["file"].(string)
	address := "/api/files/messages/" + id + "/" + file

	if r := p.env.Do("GET", address, nil); r.Status == http.StatusOK {
		t.Errorf("the attachment's address without a token answered 200; want it refused")
	}
	if r := p.env.Do("GET", address+"?token=made-up", nil); r.Status == http.StatusOK {
		t.Errorf("the attachment with a made-up token answered 200; want it refused")
	}
	for name, token := range p.callers {
		if token == "" {
			continue
		}
		tr := p.env.Post("/api/files/token", nil, "Authorization", token)
		fileToken, _ := tr.JSON["token"].(string)
		if fileToken == "" {
			t.Fatalf("file token for %s: %s", name, tr)
		}
		got := p.env.Do("GET", address+"?token="+fileToken, nil)
		allowed := name == "client" || name == "owner" || name == "clinician"
		if allowed != (got.Status == http.StatusOK) {
			t.Errorf("the attachment as %s answered %d; want allowed=%v", name, got.Status, allowed)
		}
		if allowed && string(got.Body) != string(testenv.SampleJPEG) {
			t.Errorf("the attachment as %s is not the photo sent", name)
		}
	}
	// Staff downloads are in the audit trail; the client's own are not.
	downloads := p.env.AuditEntriesFor(audit.ActionDownload, p.ada.Id)
	if len(downloads) != 2 {
		t.Errorf("the audit trail has %d downloads of Ada's card; want 2 (the owner and Dr. Lee)", len(downloads))
	}
}

// TestRefusedFilesStoreNothing: a wrong type (judged by content, not by
// the name), too many files and an oversized file each get one plain
// line naming the problem, and no message or file is stored.
func TestRefusedFilesStoreNothing(t *testing.T) {
	p := newPractice(t)
	thread := p.start(t, p.adaToken, map[string]any{"kind": "admin", "body": "Documents"})
	six := make([]testenv.Upload, messages.MaxFiles+1)
	for i := range six {
		six[i] = testenv.Upload{Name: fmt.Sprintf("page%d.png", i), Content: testenv.SamplePNG}
	}
	cases := []struct {
		name   string
		files  []testenv.Upload
		status int
		says   string
	}{
		{"a web page named as a photo", []testenv.Upload{{Name: "card.jpg", Content: []byte("<html><script>alert(1)</script></html>")}}, 400, `"card.jpg" is not a PDF, a photo`},
		{"a program named as a PDF", []testenv.Upload{{Name: "referral.pdf", Content: append([]byte("MZ\x90\x00"), make([]byte, 200)...)}}, 400, `"referral.pdf" is not a PDF`},
		{"too many files", six, 400, "Attach at most 5 files"},
		{"a file over 10 MB", []testenv.Upload{{Name: "scan.pdf", Content: append(append([]byte{}, testenv.SamplePDF...), make([]byte, messages.MaxFileSize)...)}}, 400, `"scan.pdf" is larger than 10 MB`},
		{"more than a message can carry", bigFiles(6), 413, "too large together"},
	}
	before := p.env.Count("messages", "")
	for _, c := range cases {
		r := p.write(p.adaToken, thread, "see attached", c.files...)
		message, _ := r.JSON["message"].(string)
		if r.Status != c.status || !strings.Contains(message, c.says) || strings.Contains(message, "\n") {
			t.Errorf("%s: %s; want %d saying %q in one line", c.name, r, c.status, c.says)
		}
	}
	if after := p.env.Count("messages", ""); after != before {
		t.Errorf("refused uploads stored %d messages", after-before)
	}
	if stored := storedFiles(t, p.env); stored != 0 {
		t.Errorf("refused uploads left %d files in storage", stored)
	}

	// What is allowed goes through, the type judged by the content: a PNG
	// named .pdf is a photo, not refused.
	ok := p.write(p.adaToken, thread, "all of them",
		testenv.Upload{Name: "card.pdf", Content: testenv.SamplePNG}, testenv.Upload{Name: "letter.pdf", Content: testenv.SamplePDF},
		testenv.Upload{Name: "IMG_0001.HEIC", Content: testenv.SampleHEIC}, testenv.Upload{Name: "policy.txt", Content: testenv.SampleText},
		testenv.Upload{Name: "photo.jpeg", Content: testenv.SampleJPEG})
	if ok.Status != http.StatusCreated {
		t.Fatalf("five allowed files: %s", ok)
	}
	if stored := storedFiles(t, p.env); stored != 5 {
		t.Errorf("five accepted files left %d in storage; want 5", stored)
	}
}

func bigFiles(n int) []testenv.Upload {
	files := make([]testenv.Upload, n)
	for i := range files {
		files[i] = testenv.Upload{Name: fmt.Sprintf("big%d.pdf", i), Content: append(append([]byte{}, testenv.SamplePDF...), make([]byte, messages.MaxFileSize-1000)...)}
	}
	return files
}

// storedFiles counts the attachment files on disk.
func storedFiles(t *testing.T, env *testenv.Env) int {
	t.Helper()
	return storedFilesOf(t, env, "messages")
}

// storedFilesOf counts the files of a collection's records on disk.
func storedFilesOf(t *testing.T, env *testenv.Env, name string) int {
	t.Helper()
	collection, err := env.App.FindCollectionByNameOrId(name)
	if err != nil {
		t.Fatal(err)
	}
	count := 0
	_ = filepath.WalkDir(filepath.Join(env.Dir, "storage", collection.Id), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.Contains(path, "thumbs_") && !strings.HasSuffix(path, ".attrs") {
			count++
		}
		return nil
	})
	return count
}

// TestBadInputGetsOneLine: malformed bodies, unknown threads and empty
// messages each get one plain line, and nothing is written.
func TestBadInputGetsOneLine(t *testing.T) {
	p := newPractice(t)
	thread := p.start(t, p.adaToken, map[string]any{"kind": "clinical", "body": "Hello"})
	cases := []struct {
		name, path string
		body       any
		status     int
		says       string
	}{
		{"malformed JSON", "/api/messages/threads/" + thread + "/messages", `{"body":`, 400, "not valid JSON"},
		{"a number for the text", "/api/messages/threads/" + thread + "/messages", `{"body": 12}`, 400, "not valid JSON"},
		{"an empty message", "/api/messages/threads/" + thread + "/messages", map[string]any{"body": "  "}, 400, "Please write a message or attach a file."},
		{"a very long message", "/api/messages/threads/" + thread + "/messages", map[string]any{"body": strings.Repeat("a", messages.MaxBody+1)}, 400, "under 5,000 characters"},
		{"an unknown thread", "/api/messages/threads/nosuchthread123/messages", map[string]any{"body": "hi"}, 404, "could not find that conversation"},
		{"no recipient", "/api/messages/threads", map[string]any{"body": "hi"}, 400, "choose who the message is for"},
		{"an unknown recipient", "/api/messages/threads", map[string]any{"body": "hi", "kind": "everyone"}, 400, "choose who the message is for"},
	}
	before := p.env.Count("messages", "")
	for _, c := range cases {
		r := p.env.Post(c.path, c.body, "Authorization", p.adaToken)
		message, _ := r.JSON["message"].(string)
		if r.Status != c.status || !strings.Contains(message, c.says) {
			t.Errorf("%s: %s; want %d saying %q", c.name, r, c.status, c.says)
		}
	}
	if after := p.env.Count("messages", ""); after != before {
		t.Errorf("bad input stored %d messages", after-before)
	}
	if r := p.env.Do("GET", "/api/messages/threads/"+thread+"?before=soon", nil, "Authorization", p.adaToken); r.Status != http.StatusBadRequest {
		t.Errorf("a page before 'soon': %s; want 400", r)
	}
}

// TestSendingIsRateLimited: a person sending faster than
// SendsPerWindow in SendWindow is told to wait, with Retry-After.
func TestSendingIsRateLimited(t *testing.T) {
	p := newPractice(t)
	thread := p.start(t, p.adaToken, map[string]any{"kind": "admin", "body": "1"})
	for i := 2; i <= messages.SendsPerWindow; i++ {
		if r := p.env.Post("/api/messages/threads/"+thread+"/messages", map[string]any{"body": fmt.Sprint(i)}, "Authorization", p.adaToken); r.Status != http.StatusCreated {
			t.Fatalf("message %d: %s", i, r)
		}
	}
	r := p.env.Post("/api/messages/threads/"+thread+"/messages", map[string]any{"body": "one too many"}, "Authorization", p.adaToken)
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Fatalf("message %d within %s: %s; want 429 with Retry-After", messages.SendsPerWindow+1, messages.SendWindow, r)
	}
	// The practice answering is not held up by the client's limit.
	if r := p.env.Post("/api/messages/threads/"+thread+"/messages", map[string]any{"body": "We are here"}, "Authorization", p.fdToken); r.Status != http.StatusCreated {
		t.Errorf("the front desk answering: %s", r)
	}
	p.env.Clock.Advance(messages.SendWindow)
	if r := p.env.Post("/api/messages/threads/"+thread+"/messages", map[string]any{"body": "later"}, "Authorization", p.adaToken); r.Status != http.StatusCreated {
		t.Errorf("after the window: %s; want 201", r)
	}
}

// TestUnreadCountsFollowEachSide: the client's unread count is the
// practice's messages they have not read, and the practice's the
// client's; reading clears one side's only.
func TestUnreadCountsFollowEachSide(t *testing.T) {
	p := newPractice(t)
	thread := p.start(t, p.adaToken, map[string]any{"kind": "clinical", "body": "first"})
	p.write(p.adaToken, thread, "second")
	unread := func(token string) float64 {
		r := p.env.Do("GET", "/api/messages/threads", nil, "Authorization", token)
		n, _ := r.JSON["unread"].(float64)
		return n
	}
	if n := unread(p.leeToken); n != 2 {
		t.Errorf("Dr. Lee's unread count after two messages: %v; want 2", n)
	}
	if n := unread(p.adaToken); n != 0 {
		t.Errorf("Ada's unread count after writing herself: %v; want 0", n)
	}
	p.write(p.leeToken, thread, "answer")
	if n := unread(p.adaToken); n != 1 {
		t.Errorf("Ada's unread count after Dr. Lee answers: %v; want 1", n)
	}
	if n := unread(p.leeToken); n != 0 {
		t.Errorf("Dr. Lee's unread count after answering: %v; want 0", n)
	}
	if r := p.env.Post("/api/messages/threads/"+thread+"/read", map[string]any{"upto": 3}, "Authorization", p.adaToken); r.Status != http.StatusNoContent {
		t.Fatalf("Ada marking read: %s", r)
	}
	if n := unread(p.adaToken); n != 0 {
		t.Errorf("Ada's unread count after reading: %v; want 0", n)
	}
	// Staff reads are in the audit trail, with the client they concern.
	p.env.Do("GET", "/api/messages/threads/"+thread, nil, "Authorization", p.leeToken)
	if views := p.env.AuditEntriesFor(audit.ActionView, p.ada.Id); len(views) == 0 || views[len(views)-1].ActorId != p.clinician.Id {
		t.Errorf("Dr. Lee opening Ada's thread is not in the audit trail: %+v", views)
	}
	if sent := p.env.AuditEntriesFor(audit.ActionMessageSent, p.ada.Id); len(sent) != 3 {
		t.Errorf("the audit trail has %d messages sent in Ada's thread; want 3 (two by Ada, one by Dr. Lee)", len(sent))
	}
}

// TestNoticesSayOnlyThatAMessageWaits: a notice goes out once a message
// has waited unread NoticeDelay, holds no text, subject or file name,
// comes at most once per thread per NoticeEvery, and none comes for a
// message read in time.
func TestNoticesSayOnlyThatAMessageWaits(t *testing.T) {
	p := newPractice(t)
	env := p.env
	sweep := func() {
		t.Helper()
		if _, err := env.Portal.Messages.SendNotices(); err != nil {
			t.Fatal(err)
		}
	}
	thread := p.start(t, p.adaToken, map[string]any{"kind": "clinical", "subject": secretSubject, "body": secretBody})
	p.write(p.adaToken, thread, "", testenv.Upload{Name: "diagnosis-letter.pdf", Content: testenv.SamplePDF})

	sweep()
	env.NoMailTo(p.clinician.Email, p.owner.Email)
	env.Clock.Advance(messages.NoticeDelay)
	sweep()
	notice := env.Mail.Next(p.clinician.Email, wait)
	mustNotSay(t, "the staff notice", notice, secretBody, secretSubject, "diagnosis-letter", "Ada")
	if !strings.Contains(notice.Text, "new message") || !strings.Contains(notice.Text, "/staff/messages.html") {
		t.Errorf("the staff notice does not say a message waits with a link to Messages:\n%s", notice.Text)
	}
	// Only Dr. Lee answers Ada's clinical thread: the front desk, another
	// clinician and the owner (with a clinician in place) get nothing.
	env.NoMailTo(p.owner.Email, p.fd.Email, p.otherClinician.Email)

	// The practice answers; Ada reads it within the delay: no notice.
	p.write(p.leeToken, thread, "Please stop taking it and call us")
	env.Clock.Advance(2 * time.Minute)
	env.Post("/api/messages/threads/"+thread+"/read", map[string]any{"upto": 3}, "Authorization", p.adaToken)
	env.Clock.Advance(messages.NoticeDelay)
	sweep()
	env.NoMailTo("ada@example.com")

	// Unread: one notice, with a link that signs her in, and no content.
	p.write(p.leeToken, thread, "Did you call?")
	env.Clock.Advance(messages.NoticeDelay)
	sweep()
	mail := env.Mail.Next("ada@example.com", wait)
	mustNotSay(t, "the client notice", mail, "Did you call", secretSubject, "Dr. Lee")
	if mail.Subject != "You have a new message from "+testenv.PracticeName {
		t.Errorf("the client notice's subject is %q", mail.Subject)
	}
	_, token := mail.SignInLink()
	if r := env.Post("/api/portal/redeem", map[string]string{"token": token}); r.Status != http.StatusOK {
		t.Errorf("the notice's sign-in link: %s; want 200", r)
	}

	// A second message soon after waits for the 15 minutes to pass.
	p.write(p.leeToken, thread, "Call us today please")
	env.Clock.Advance(messages.NoticeDelay + time.Minute)
	sweep()
	env.NoMailTo("ada@example.com")
	env.Clock.Advance(messages.NoticeEvery)
	sweep()
	env.Mail.Next("ada@example.com", wait)
	sweep()
	env.NoMailTo("ada@example.com")

	// A staff member who turned the notices off gets none.
	p.clinician.Set("message_notices", "none")
	if err := env.App.Save(p.clinician.Record); err != nil {
		t.Fatal(err)
	}
	p.write(p.adaToken, thread, "ok")
	env.Clock.Advance(messages.NoticeEvery)
	sweep()
	env.NoMailTo(p.clinician.Email)
}

// TestRealtimeDeliversOnlyOwnThreads: each party's realtime connection
// hears of its own threads only, and an event carries no message text or
// subject; the page fetches those through the audited routes.
func TestRealtimeDeliversOnlyOwnThreads(t *testing.T) {
	p := newPractice(t)
	adaThread := p.start(t, p.adaToken, map[string]any{"kind": "clinical", "subject": secretSubject, "body": "hello"})
	benThread := p.start(t, p.benToken, map[string]any{"kind": "clinical", "body": "hello from Ben"})
	ada := p.env.Listen(p.adaToken, "message_threads", "messages")
	// The portal follows each thread by its topic: naming Ben's gets Ada
	// nothing of it either.
	adaTopics := p.env.Listen(p.adaToken, "message_threads/"+benThread, "message_threads/"+adaThread)
	fd := p.env.Listen(p.fdToken, "message_threads", "messages")
	lee := p.env.Listen(p.leeToken, "message_threads", "messages")

	p.write(p.callers["owner"], benThread, "Ben's private answer")
	p.write(p.callers["owner"], adaThread, secretBody)

	event, ok := ada.Next()
	if !ok || !strings.Contains(event.Data, adaThread) {
		t.Fatalf("Ada's realtime event: %+v (%v); want her thread %s", event, ok, adaThread)
	}
	for _, secret := range []string{benThread, secretBody, secretSubject, "Ben's private answer"} {
		if strings.Contains(event.Data, secret) {
			t.Errorf("Ada's realtime event carries %q: %s", secret, event.Data)
		}
	}
	if event, ok := adaTopics.Next(); !ok || !strings.Contains(event.Data, adaThread) || strings.Contains(event.Data, benThread) {
		t.Errorf("Ada following both threads' topics first hears %+v; want her own thread only", event)
	}
	if event, ok := lee.Next(); !ok || !strings.Contains(event.Data, adaThread) {
		t.Errorf("Dr. Lee's realtime event: %+v; want Ada's thread", event)
	}
	// Ada hears nothing more (Ben's message came first and never reached
	// her); the front desk hears of no clinical thread. A message in an
	// admin thread afterwards is the next thing each hears.
	admin := p.start(t, p.adaToken, map[string]any{"kind": "admin", "body": adminBody})
	for name, live := range map[string]*testenv.Realtime{"Ada": ada, "the front desk": fd} {
		event, ok := live.Next()
		if !ok || !strings.Contains(event.Data, admin) {
			t.Errorf("%s's next realtime event: %+v; want the admin thread %s and nothing before it", name, event, admin)
		}
	}
}
