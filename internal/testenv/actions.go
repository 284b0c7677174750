package testenv

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// Reload reads a record again, as it now is in the database.
func (env *Env) Reload(collection string, record *core.Record) *core.Record {
	env.T.Helper()
	fresh, err := env.App.FindRecordById(collection, record.Id)
	if err != nil {
		env.T.Fatalf("reading %s %s again: %v", collection, record.Id, err)
	}
	return fresh
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

// Logged waits until PocketBase's log (the dashboard's Logs, which it
// writes in batches: requests and the app's own entries) holds at least
// atLeast entries whose data is LIKE pattern, and returns their data;
// what names the entries for the failure.
func (env *Env) Logged(what, pattern string, atLeast int) []string {
	env.T.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var logged []string
		err := env.App.AuxDB().NewQuery("SELECT data FROM _logs WHERE data LIKE {:pattern}").
			Bind(dbx.Params{"pattern": pattern}).Column(&logged)
		if err != nil {
			env.T.Fatal(err)
		}
		if len(logged) >= atLeast {
			return logged
		}
		if time.Now().After(deadline) {
			env.T.Fatalf("%s never reached the log (%d of %d entries like %s)", what, len(logged), atLeast, pattern)
		}
		time.Sleep(200 * time.Millisecond)
	}
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
