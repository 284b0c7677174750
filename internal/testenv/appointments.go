package testenv

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pocketbase/pocketbase/core"
)

// Book adds an appointment as a clinician would in the dashboard, with a
// private note no client may ever see.
func (env *Env) Book(client, clinician *core.Record, starts time.Time, kind string) *core.Record {
	env.T.Helper()
	collection, err := env.App.FindCollectionByNameOrId("appointments")
	if err != nil {
		env.T.Fatal(err)
	}
	appointment := core.NewRecord(collection)
	appointment.Set("client", client.Id)
	appointment.Set("clinician", clinician.Id)
	appointment.Set("starts", starts)
	appointment.Set("duration_minutes", 50)
	appointment.Set("kind", kind)
	appointment.Set("notes", PrivateNote)
	if err := env.App.Save(appointment); err != nil {
		env.T.Fatalf("booking an appointment: %v", err)
	}
	return appointment
}

// Change edits a record in the dashboard, as a clinician would, and
// returns it as saved.
func (env *Env) Change(collection string, record *core.Record, field string, value any) *core.Record {
	env.T.Helper()
	fresh, err := env.App.FindRecordById(collection, record.Id)
	if err != nil {
		env.T.Fatal(err)
	}
	fresh.Set(field, value)
	if err := env.App.Save(fresh); err != nil {
		env.T.Fatalf("changing %s of %s: %v", field, collection, err)
	}
	return fresh
}

// Reload reads a record again, as it now is in the database.
func (env *Env) Reload(collection string, record *core.Record) *core.Record {
	env.T.Helper()
	fresh, err := env.App.FindRecordById(collection, record.Id)
	if err != nil {
		env.T.Fatalf("reading %s %s again: %v", collection, record.Id, err)
	}
	return fresh
}

// SetPractice sets one field of the practice record, as a clinician would
// in the dashboard.
func (env *Env) SetPractice(field string, value any) {
	env.T.Helper()
	practice, err := env.App.FindFirstRecordByFilter("practice", "id != ''")
	if err != nil {
		env.T.Fatal(err)
	}
	env.Change("practice", practice, field, value)
}

// Sweep runs one reminder sweep, as the minute's cron job or
// `portico reminders run` does.
func (env *Env) Sweep() {
	env.T.Helper()
	if _, err := env.Portal.Reminders.Sweep(); err != nil {
		env.T.Fatalf("reminder sweep: %v", err)
	}
}

// Open requests link as agent (a phone, a link preview, a mail scanner)
// would, without following redirects.
func Open(t testing.TB, method, link, agent string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, link, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("User-Agent", agent)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// SessionOf is a portal session token of client, as signing in gives.
func (env *Env) SessionOf(client *core.Record) string {
	env.T.Helper()
	token, err := client.NewAuthToken()
	if err != nil {
		env.T.Fatal(err)
	}
	return token
}

// SignInBrowser leaves tab signed in as client, the way the sign-in page
// does: the session in the portal's local storage.
func (env *Env) SignInBrowser(tab context.Context, client *core.Record) {
	env.T.Helper()
	session, err := json.Marshal(map[string]any{
		"token":  env.SessionOf(client),
		"record": map[string]any{"id": client.Id, "name": client.GetString("name")},
	})
	if err != nil {
		env.T.Fatal(err)
	}
	quoted, _ := json.Marshal(string(session))
	if err := chromedp.Do(tab, chromedp.Navigate(env.URL+"/")); err != nil {
		env.T.Fatal(err)
	}
	if _, err := chromedp.Run(tab, chromedp.Evaluate[bool]("localStorage.setItem('portico.session', "+string(quoted)+"), true")); err != nil {
		env.T.Fatal(err)
	}
}

var actionLinkPattern = regexp.MustCompile(`https?://[^\s"<>]+/a/([A-Za-z0-9_-]{43})\?do=([a-z]+)`)

// ActionLinks are the appointment action links in the message, by action
// (confirm, cancel, reschedule), and the token they carry.
func (m Mail) ActionLinks() (links map[string]string, token string) {
	links = map[string]string{}
	for _, match := range actionLinkPattern.FindAllStringSubmatch(m.Text, -1) {
		links[match[2]] = match[0]
		token = match[1]
	}
	return links, token
}

// MustNotLeak fails when text holds anything from the clinician's notes.
func MustNotLeak(t testing.TB, where, text string) {
	t.Helper()
	if strings.Contains(text, "F41.1") || strings.Contains(text, "medication") {
		t.Errorf("%s shows the clinician's private notes:\n%s", where, text)
	}
}
