package messages

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/filesystem"
	"github.com/pocketbase/pocketbase/tools/hook"

	"portico/hooks/schema"
	"portico/hooks/web"
)

// maxRequest is a message's largest honest body: its files and its text.
const maxRequest = MaxFiles*MaxFileSize + 1<<20

const errTooLarge = "The files are too large together: send at most 5 files of up to 10 MB each."

// bodyLimit is bodyLimitOf(a message's largest honest body).
var bodyLimit = bodyLimitOf(maxRequest, errTooLarge)

// bodyLimitOf takes the place of PocketBase's body limit on a route that
// takes files, with room for max bytes of files and text, and answers
// 413 with tooLargeLine beyond it.
func bodyLimitOf(max int64, tooLargeLine string) *hook.Handler[*core.RequestEvent] {
	return &hook.Handler[*core.RequestEvent]{
		Id:       apis.DefaultBodyLimitMiddlewareId,
		Priority: apis.DefaultBodyLimitMiddlewarePriority,
		Func: func(e *core.RequestEvent) error {
			if e.Request.ContentLength > max {
				return e.Error(http.StatusRequestEntityTooLarge, tooLargeLine, nil)
			}
			e.Request.Body = http.MaxBytesReader(e.Response, e.Request.Body, max)
			return e.Next()
		},
	}
}

// writeForm is a message as the portal and the workspace send it: JSON,
// or multipart when files come with it (field "attachments").
type writeForm struct {
	Body string `json:"body" form:"body"`
}

// startForm is a new thread's first message, what it is about, who it
// is for and (from staff) which client.
type startForm struct {
	writeForm
	Kind    string `json:"kind" form:"kind"`
	Subject string `json:"subject" form:"subject"`
	Client  string `json:"client" form:"client"`
}

func (f *writeForm) Validate() error {
	f.Body = strings.TrimSpace(f.Body)
	return validation.ValidateStruct(f,
		validation.Field(&f.Body, validation.RuneLength(0, MaxBody).Error("Please keep a message under 5,000 characters.")),
	)
}

func (f *startForm) Validate() error {
	f.Subject = strings.TrimSpace(f.Subject)
	return validation.Errors{
		"body":    f.writeForm.Validate(),
		"kind":    validation.Validate(f.Kind, validation.Required.Error("Please choose who the message is for."), validation.In(schema.ThreadClinical, schema.ThreadAdmin).Error("Please choose who the message is for.")),
		"subject": validation.Validate(f.Subject, validation.RuneLength(0, MaxSubject).Error("Please keep the subject under 120 characters.")),
	}.Filter()
}

// bindMessage reads a message body and its files, checks them, and
// answers the first problem in one line. Nothing is stored on failure.
func bindMessage(e *core.RequestEvent, form web.Form, body *writeForm) ([]*filesystem.File, error) {
	if err := e.BindBody(form); err != nil {
		if tooLarge(err) {
			return nil, e.Error(http.StatusRequestEntityTooLarge, errTooLarge, nil)
		}
		return nil, e.BadRequestError("The request body is not valid JSON or form data of the expected shape.", err)
	}
	if err := form.Validate(); err != nil {
		return nil, e.BadRequestError(firstOf(err, "kind", "subject", "body"), err)
	}
	files, err := e.FindUploadedFiles("attachments")
	switch {
	case tooLarge(err):
		return nil, e.Error(http.StatusRequestEntityTooLarge, errTooLarge, nil)
	case err != nil && !errors.Is(err, http.ErrMissingFile) && !errors.Is(err, http.ErrNotMultipart):
		return nil, e.BadRequestError("The attached files could not be read. Please try again.", err)
	}
	if err := checkFiles(files); err != nil {
		return nil, e.BadRequestError(err.Error(), nil)
	}
	if body.Body == "" && len(files) == 0 {
		return nil, e.BadRequestError("Please write a message or attach a file.", nil)
	}
	return files, nil
}

func tooLarge(err error) bool {
	var maxBytes *http.MaxBytesError
	return errors.As(err, &maxBytes)
}

// sendAllowed applies the sending limit of one person.
func (m *Messages) sendAllowed(e *core.RequestEvent) error {
	if ok, wait := m.limits.Allow("message:"+e.Auth.Id, SendsPerWindow, SendWindow); !ok {
		return web.TooManyRequests(e, wait)
	}
	return nil
}

// handleThreads lists the threads the person may read, with unread counts
// and the practice's notice.
func (m *Messages) handleThreads(e *core.RequestEvent) error {
	side := sideOf(e.Auth)
	if side == "" {
		return e.ForbiddenError("Messages are for clients and practice staff.", nil)
	}
	notice, err := m.notice()
	if err != nil {
		return e.InternalServerError("", err)
	}
	threads, err := m.store.Threads(scopeOf(e.Auth), side, listSize)
	if err != nil {
		return e.InternalServerError("", err)
	}
	unread := 0
	for _, thread := range threads {
		unread += thread.Unread
	}
	return e.JSON(http.StatusOK, map[string]any{"notice": notice, "unread": unread, "threads": threads, "kinds": kindsFor(e.Auth)})
}

// handleStart opens a thread with its first message: a client's with the
// practice, or a staff member's with a client they may write to.
func (m *Messages) handleStart(e *core.RequestEvent) error {
	side := sideOf(e.Auth)
	if side == "" {
		return e.ForbiddenError("Messages are for clients and practice staff.", nil)
	}
	form := &startForm{}
	files, err := bindMessage(e, form, &form.writeForm)
	if err != nil {
		return err
	}
	client := e.Auth
	if side == schema.SidePractice {
		client, err = e.App.FindRecordById(schema.Clients, form.Client)
		if err != nil || !mayRead(e.Auth, client, form.Kind) || !slices.Contains(kindsFor(e.Auth), form.Kind) {
			return e.NotFoundError("We could not find that client, or you cannot write to them about this.", nil)
		}
	}
	if err := m.sendAllowed(e); err != nil {
		return err
	}
	thread, message, err := m.store.In(e.App).Start(client, form.Kind, form.Subject, m.draft(e, side, form.Body, files))
	if err != nil {
		return e.BadRequestError("The message could not be sent. Please try again.", err)
	}
	return e.JSON(http.StatusCreated, map[string]any{"id": thread.Id, "message": messageJSON(message)})
}

// findThread is the thread the path's {id} names, for its parties only.
func findThread(e *core.RequestEvent) (thread, client *core.Record, err error) {
	return findForParty(e, schema.MessageThreads, "We could not find that conversation.")
}

// findForParty is the record of collection (a thread or a document) the
// path's {id} names, and its client, for the record's parties only:
// anyone else gets the same 404, saying notFound, as for a made-up id.
func findForParty(e *core.RequestEvent, collection, notFound string) (record, client *core.Record, err error) {
	record, err = e.App.FindRecordById(collection, e.Request.PathValue("id"))
	if err == nil {
		client, err = e.App.FindRecordById(schema.Clients, record.GetString("client"))
	}
	if err != nil || !mayRead(e.Auth, client, record.GetString("kind")) {
		return nil, nil, e.NotFoundError(notFound, nil)
	}
	return record, client, nil
}

// handleThread gives a thread and a page of its messages: the newest, or
// those before ?before= or after ?after= (a message number).
func (m *Messages) handleThread(e *core.RequestEvent) error {
	thread, client, err := findThread(e)
	if err != nil {
		return err
	}
	query := e.Request.URL.Query()
	before, beforeErr := number(query.Get("before"))
	after, afterErr := number(query.Get("after"))
	if beforeErr != nil || afterErr != nil {
		return e.BadRequestError("before and after are message numbers, such as 12.", nil)
	}
	page, more, err := m.store.Page(thread.Id, before, after, pageSize)
	if err != nil {
		return e.InternalServerError("", err)
	}
	notice, err := m.notice()
	if err != nil {
		return e.InternalServerError("", err)
	}
	out := make([]map[string]any, len(page))
	for i, message := range page {
		out[i] = messageJSON(message)
	}
	side := sideOf(e.Auth)
	return e.JSON(http.StatusOK, map[string]any{
		"thread": map[string]any{
			"id": thread.Id, "kind": thread.GetString("kind"), "subject": thread.GetString("subject"),
			"client": client.Id, "clientName": client.GetString("name"),
			"messages": thread.GetInt("messages"), "read": thread.GetInt(side + "_read"),
		},
		"messages": out, "more": more, "notice": notice,
	})
}

func number(raw string) (int, error) {
	if raw == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 0 {
		return 0, errors.New("not a message number")
	}
	return n, nil
}

// handleWrite adds a message to a thread.
func (m *Messages) handleWrite(e *core.RequestEvent) error {
	thread, _, err := findThread(e)
	if err != nil {
		return err
	}
	form := &writeForm{}
	files, err := bindMessage(e, form, form)
	if err != nil {
		return err
	}
	if err := m.sendAllowed(e); err != nil {
		return err
	}
	message, err := m.store.In(e.App).Write(thread.Id, m.draft(e, sideOf(e.Auth), form.Body, files))
	if err != nil {
		return e.BadRequestError("The message could not be sent. Please try again.", err)
	}
	return e.JSON(http.StatusCreated, messageJSON(message))
}

// readForm names the last message the person has seen.
type readForm struct {
	Upto int `json:"upto"`
}

func (f *readForm) Validate() error {
	return validation.ValidateStruct(f, validation.Field(&f.Upto, validation.Min(0)))
}

// handleRead marks the thread read for the person's side up to a message.
func (m *Messages) handleRead(e *core.RequestEvent) error {
	thread, _, err := findThread(e)
	if err != nil {
		return err
	}
	form := &readForm{}
	if err := web.BindForm(e, form); err != nil {
		return err
	}
	if err := m.store.MarkRead(thread.Id, sideOf(e.Auth), form.Upto); err != nil {
		return e.InternalServerError("", err)
	}
	return e.NoContent(http.StatusNoContent)
}

// draft is a message by the person behind e.
func (m *Messages) draft(e *core.RequestEvent, side, body string, files []*filesystem.File) Draft {
	draft := Draft{Side: side, Body: body, Files: files, At: m.now()}
	if side == schema.SidePractice {
		draft.Author = e.Auth
	}
	return draft
}

// messageJSON is a message as both sides' pages show it. Files are named,
// never linked: the page asks for a short-lived file token to open one.
func messageJSON(message *core.Record) map[string]any {
	files := message.GetStringSlice("attachments")
	attachments := make([]map[string]string, len(files))
	for i, name := range files {
		attachments[i] = map[string]string{"file": name, "kind": fileKind(name)}
	}
	return map[string]any{
		"id": message.Id, "seq": message.GetInt("seq"), "side": message.GetString("side"),
		"author": message.GetString("author_name"), "body": message.GetString("body"),
		"sent": message.GetDateTime("sent").Time(), "attachments": attachments,
	}
}
