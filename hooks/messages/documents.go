package messages

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/filesystem"
	"github.com/pocketbase/pocketbase/tools/router"

	"portico/hooks/letters"
	"portico/hooks/outbox"
	"portico/hooks/schema"
	"portico/hooks/signin"
	"portico/hooks/web"
)

// Documents are the other half of the exchange: staff share a PDF for
// the client to read, acknowledge or sign with their typed full name, and
// the client uploads documents into their record (an insurance card, a
// referral). A document has the parties of a thread of its kind, and its
// file is protected like an attachment.

const (
	maxTitle      = 120
	maxSignedName = 200
	documentsList = 200
	// maxDocumentRequest is a document's largest honest body.
	maxDocumentRequest = MaxFileSize + 1<<20
)

const errDocumentTooLarge = "The file is larger than 10 MB. Please send a smaller file or a photo of it."

var errSigned = router.NewApiError(http.StatusConflict, "This document was signed and cannot be changed or deleted.", nil)

// registerDocuments binds the /api/documents routes.
func (m *Messages) registerDocuments(se *core.ServeEvent) {
	group := se.Router.Group("/api/documents")
	group.Bind(apis.RequireAuth(schema.Clients, schema.Staff))
	group.BindFunc(web.NoStore)
	group.GET("", m.handleDocuments)
	group.POST("", m.handleAddDocument).Bind(bodyLimitOf(maxDocumentRequest, errDocumentTooLarge))
	group.POST("/{id}/acknowledge", m.handleAnswer(schema.AsksAcknowledge))
	group.POST("/{id}/sign", m.handleAnswer(schema.AsksSign))
}

// registerDocumentHooks freezes signed documents and marks a document
// opened when the other side downloads it. A signed document refuses
// every change, through any route, the dashboard included: the stored
// row decides, not the record in hand.
func (m *Messages) registerDocumentHooks() {
	frozen := func(e *core.RecordEvent) error {
		stored, err := e.App.FindRecordById(schema.Documents, e.Record.Id)
		if err == nil && !stored.GetDateTime("signed").IsZero() {
			return errSigned
		}
		return e.Next()
	}
	m.app.OnRecordUpdate(schema.Documents).BindFunc(frozen)
	m.app.OnRecordDelete(schema.Documents).BindFunc(frozen)
	m.app.OnFileDownloadRequest(schema.Documents).BindFunc(m.markOpened)
}

// markOpened notes the first download by the side that did not add the
// document. The file route reads its person from the file token.
func (m *Messages) markOpened(e *core.FileDownloadRequestEvent) error {
	auth, _ := e.App.FindAuthRecordByToken(e.Request.URL.Query().Get("token"), core.TokenTypeFile)
	if side := sideOf(auth); side != "" && side != e.Record.GetString("side") && e.Record.GetDateTime("opened").IsZero() {
		if err := (&Store{App: e.App}).MarkOpened(e.Record.Id, m.now()); err != nil {
			return e.InternalServerError("", err)
		}
	}
	return e.Next()
}

// documentForm is a document as the portal uploads it or the workspace
// shares it, as multipart with its file in the field "file".
type documentForm struct {
	Title  string `form:"title"`
	Kind   string `form:"kind"`
	Asks   string `form:"asks"`
	Client string `form:"client"`
}

func (f *documentForm) Validate() error {
	f.Title = strings.TrimSpace(f.Title)
	return validation.Errors{
		"kind":  validation.Validate(f.Kind, validation.Required.Error("Please choose who the document is for."), validation.In(schema.ThreadClinical, schema.ThreadAdmin).Error("Please choose who the document is for.")),
		"title": validation.Validate(f.Title, validation.Required.Error("Please say what the document is, such as Insurance card."), validation.RuneLength(0, maxTitle).Error("Please keep the name of the document under 120 characters.")),
		"asks":  validation.Validate(f.Asks, validation.In(schema.AsksRead, schema.AsksAcknowledge, schema.AsksSign).Error("Please choose whether the client reads, acknowledges or signs it.")),
	}.Filter()
}

// bindDocument reads a document's fields and its one file and checks
// them: a client may upload what a message may carry, the practice shares
// PDFs. Nothing is stored on failure.
func bindDocument(e *core.RequestEvent, side string) (*documentForm, *filesystem.File, error) {
	form := &documentForm{}
	if err := e.BindBody(form); err != nil {
		if tooLarge(err) {
			return nil, nil, e.Error(http.StatusRequestEntityTooLarge, errDocumentTooLarge, nil)
		}
		return nil, nil, e.BadRequestError("The request body is not form data of the expected shape.", err)
	}
	if err := form.Validate(); err != nil {
		return nil, nil, e.BadRequestError(firstOf(err, "kind", "title", "asks"), err)
	}
	if side == schema.SidePractice && form.Asks == "" {
		return nil, nil, e.BadRequestError("Please choose whether the client reads, acknowledges or signs it.", nil)
	}
	files, err := e.FindUploadedFiles("file")
	switch {
	case tooLarge(err):
		return nil, nil, e.Error(http.StatusRequestEntityTooLarge, errDocumentTooLarge, nil)
	case errors.Is(err, http.ErrMissingFile) || errors.Is(err, http.ErrNotMultipart) || err == nil && len(files) == 0:
		return nil, nil, e.BadRequestError("Please choose the file to send.", nil)
	case err != nil:
		return nil, nil, e.BadRequestError("The file could not be read. Please try again.", err)
	case len(files) > 1:
		return nil, nil, e.BadRequestError("Please send one file at a time.", nil)
	}
	check := checkFile(files[0], allowedTypes, "is not a PDF, a photo (JPEG, PNG or HEIC) or a plain text file.")
	if side == schema.SidePractice {
		check = checkFile(files[0], []string{"application/pdf"}, "is not a PDF. Please share documents as PDF files.")
	}
	if check != nil {
		return nil, nil, e.BadRequestError(check.Error(), nil)
	}
	return form, files[0], nil
}

// handleDocuments lists the documents the person may read, newest first;
// staff may ask for one client's (?client=).
func (m *Messages) handleDocuments(e *core.RequestEvent) error {
	side := sideOf(e.Auth)
	if side == "" {
		return e.ForbiddenError("Documents are for clients and practice staff.", nil)
	}
	client := ""
	if side == schema.SidePractice {
		client = e.Request.URL.Query().Get("client")
	}
	rows, err := m.store.Documents(scopeOf(e.Auth), client, documentsList)
	if err != nil {
		return e.InternalServerError("", err)
	}
	waiting := 0
	for _, row := range rows {
		if row.Waiting(side) {
			waiting++
		}
	}
	return e.JSON(http.StatusOK, map[string]any{"documents": rows, "waiting": waiting, "kinds": kindsFor(e.Auth)})
}

// handleAddDocument stores a client's upload into their own record, or a
// document staff share with a client they may write to, and mails the
// other side a notice that names nothing of it.
func (m *Messages) handleAddDocument(e *core.RequestEvent) error {
	side := sideOf(e.Auth)
	if side == "" {
		return e.ForbiddenError("Documents are for clients and practice staff.", nil)
	}
	form, file, err := bindDocument(e, side)
	if err != nil {
		return err
	}
	doc := NewDocument{Client: e.Auth, Kind: form.Kind, Side: side, Title: form.Title, File: file, At: m.now()}
	if side == schema.SidePractice {
		doc.Client, err = e.App.FindRecordById(schema.Clients, form.Client)
		if err != nil || !mayRead(e.Auth, doc.Client, form.Kind) || !slices.Contains(kindsFor(e.Auth), form.Kind) {
			return e.NotFoundError("We could not find that client, or you cannot share this kind of document with them.", nil)
		}
		doc.Asks, doc.By = form.Asks, e.Auth
	}
	if ok, wait := m.limits.Allow("document:"+e.Auth.Id, SendsPerWindow, SendWindow); !ok {
		return web.TooManyRequests(e, wait)
	}
	var record *core.Record
	err = e.App.RunInTransaction(func(tx core.App) error {
		record, err = (&Store{App: tx}).AddDocument(doc)
		if err != nil {
			return err
		}
		return m.noticeDocument(tx, doc, record)
	})
	if err != nil {
		return e.BadRequestError("The document could not be saved. Please try again.", err)
	}
	return e.JSON(http.StatusCreated, documentJSON(record, doc.Client))
}

// findDocument is the document the path's {id} names, for its parties only.
func findDocument(e *core.RequestEvent) (doc, client *core.Record, err error) {
	return findForParty(e, schema.Documents, "We could not find that document.")
}

// signForm is a signature: the client's full name as typed.
type signForm struct {
	Name string `json:"name"`
}

func (f *signForm) Validate() error {
	f.Name = strings.TrimSpace(f.Name)
	return validation.ValidateStruct(f, validation.Field(&f.Name,
		validation.Required.Error("Please type your full name to sign."),
		validation.RuneLength(0, maxSignedName).Error("Please keep your name under 200 characters.")))
}

// handleAnswer records the client's acknowledgement or signature of a
// document shared with them; only the client answers.
func (m *Messages) handleAnswer(asks string) func(*core.RequestEvent) error {
	return func(e *core.RequestEvent) error {
		doc, client, err := findDocument(e)
		if err != nil {
			return err
		}
		if sideOf(e.Auth) != schema.SideClient {
			return e.ForbiddenError("Only the client answers a document shared with them.", nil)
		}
		form := &signForm{}
		if asks == schema.AsksSign {
			if err := e.BindBody(form); err != nil {
				return e.BadRequestError("The request body is not valid JSON of the expected shape.", err)
			}
			if err := form.Validate(); err != nil {
				return e.BadRequestError(firstOf(err, "name"), err)
			}
		}
		switch err := m.store.In(e.App).Answer(doc, asks, form.Name, m.now()); {
		case errors.Is(err, errAsksOther):
			return e.BadRequestError(fmt.Sprintf("This document does not ask you to %s it.", asks), nil)
		case errors.Is(err, errDone):
			return e.Error(http.StatusConflict, "You have already answered this document.", nil)
		case err != nil:
			return e.InternalServerError("", err)
		}
		return e.JSON(http.StatusOK, documentJSON(doc, client))
	}
}

// documentJSON is one document as both sides' pages show it: the same
// shape as a list's rows. The file is named, never linked.
func documentJSON(doc, client *core.Record) DocumentRow {
	when := func(field string) string {
		if t := doc.GetDateTime(field); !t.IsZero() {
			return t.String()
		}
		return ""
	}
	return DocumentRow{
		Id: doc.Id, Client: client.Id, ClientName: client.GetString("name"), Kind: doc.GetString("kind"),
		Side: doc.GetString("side"), Asks: doc.GetString("asks"), Title: doc.GetString("title"), File: doc.GetString("file"),
		AddedBy: doc.GetString("added_by_name"), Added: when("added"), Opened: when("opened"),
		Acknowledged: when("acknowledged"), Signed: when("signed"), SignedName: doc.GetString("signed_name"),
	}
}

// noticeDocument mails the side that did not add the document: the client
// a link that signs them in, or the staff who answer its kind. Like a
// message's notice it says only that something waits: a document's name
// ("Release to Dr. X, oncology") can be a health detail.
func (m *Messages) noticeDocument(tx core.App, doc NewDocument, record *core.Record) error {
	name := m.letters.PracticeName()
	subject := "You have a new document from " + name
	if doc.Side == schema.SidePractice {
		return m.signIn.MailLinkIn(tx, doc.Client, signin.LinkLetter{
			Purpose: schema.PurposeDocument,
			TTL:     m.linkTTL,
			Subject: subject,
			Letter: letters.Letter{
				ButtonLabel: "Sign in to see it",
				Paragraphs:  []string{name + " has shared a document with you. Sign in to see it."},
				Footer:      "For your privacy, documents are never sent by email: they stay in your client portal.",
			},
		}, signin.Requester{Agent: "documents"})
	}
	staff, err := recipients(tx, doc.Client, doc.Kind)
	if err != nil {
		return err
	}
	for _, member := range staff {
		letter := letters.Letter{
			Greeting:    "Hello " + member.GetString("name") + ",",
			Paragraphs:  []string{"A client added a document in the " + name + " staff workspace. Sign in to see it."},
			ButtonLabel: "Open Documents",
			ButtonURL:   m.letters.PortalURL("/staff/documents.html"),
			Footer:      "You can turn these emails off on the Messages page.",
		}
		msg := outbox.Message{To: member.Email(), ToName: member.GetString("name"), DedupeKey: "document-notice:" + record.Id + ":" + member.Id}
		if _, err := m.letters.ToAddress(tx, schema.PurposeDocument, "A client added a document", letter, msg); err != nil {
			return err
		}
	}
	return nil
}

// firstOf is the message of the first of names that failed validation.
func firstOf(err error, names ...string) string {
	var fields validation.Errors
	if errors.As(err, &fields) {
		for _, name := range names {
			if problem, ok := fields[name]; ok {
				return problem.Error()
			}
		}
	}
	return "Please check the form and try again."
}
