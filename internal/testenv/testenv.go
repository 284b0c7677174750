// Package testenv starts Portico the way a practice runs it: a real
// SQLite data dir, the real HTTP server on a loopback port and a real SMTP
// server that hands every message to the test. Only the clock is the
// test's, so a test can travel to a link's expiry or a reminder's lead time.
package testenv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/pocketbase/pocketbase"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"

	"portico/hooks"
	_ "portico/pb_migrations"
)

// TB is what the kit needs of a test. *testing.T, *testing.B and
// *testing.F satisfy it, and so does the benchmark command's runner, which
// runs the kit outside `go test`.
type TB interface {
	Helper()
	Cleanup(func())
	TempDir() string
	Logf(format string, args ...any)
	Errorf(format string, args ...any)
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// PracticeName is the practice every test environment is set up as.
const PracticeName = "Harbor Counseling"

// Env is one running Portico with its own data dir and mail server.
type Env struct {
	T      TB
	Dir    string
	URL    string
	Clock  *Clock
	Mail   *MailServer
	Config hooks.Config

	App    *pocketbase.PocketBase
	Portal *hooks.Portal

	addr   string
	server *http.Server
	served chan error

	routes    []Route // what the OnServe hooks added; see Routes
	routesErr error
}

// Start runs Portico on a fresh data dir. configure, if given, adjusts the
// configuration before the app starts.
func Start(t TB, configure ...func(*hooks.Config)) *Env {
	t.Helper()
	return StartOn(t, t.TempDir(), configure...)
}

// StartOn runs Portico on the data dir dir, such as one just restored.
func StartOn(t TB, dir string, configure ...func(*hooks.Config)) *Env {
	t.Helper()
	env := &Env{
		T:     t,
		Dir:   dir,
		Clock: NewClock(time.Now().UTC().Truncate(time.Second)),
		Mail:  StartMailServer(t),
	}
	env.Config = hooks.DefaultConfig()
	env.Config.Now = env.Clock.Now
	env.Config.SMTPURL = env.Mail.URL()
	env.Config.MailRetryBase = time.Second
	env.Config.Video.TURNListen = "127.0.0.1:0"
	env.Config.Video.RelayMinPort, env.Config.Video.RelayMaxPort = 0, 0
	for _, c := range configure {
		c(&env.Config)
	}

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	env.addr = listener.Addr().String()
	env.URL = "http://" + env.addr

	env.boot(listener)
	t.Cleanup(env.Stop)
	return env
}

func (env *Env) boot(listener net.Listener) {
	t := env.T
	t.Helper()

	app := pocketbase.NewWithConfig(hooks.PocketBaseConfig(pocketbase.Config{DefaultDataDir: env.Dir, HideStartBanner: true}, env.Config))
	portal := hooks.Register(app, env.Config)
	if err := app.Bootstrap(); err != nil {
		t.Fatal(err)
	}
	if err := app.RunAllMigrations(); err != nil {
		t.Fatal(err)
	}

	settings := app.Settings()
	settings.Meta.AppName = PracticeName
	settings.Meta.AppURL = env.URL
	settings.Meta.SenderAddress = "hello@harbor.test"
	settings.Logs.MaxDays = 7
	if err := app.Save(settings); err != nil {
		t.Fatal(err)
	}

	env.recordRoutes(app)
	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		e.Listener = listener
		e.InstallerFunc = nil
		env.server = e.Server
		return e.Next()
	})

	env.App, env.Portal = app, portal
	env.served = make(chan error, 1)
	go func() { env.served <- apis.Serve(app, apis.ServeConfig{HttpAddr: env.addr}) }()

	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(env.URL + "/api/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case err := <-env.served:
			t.Fatalf("portico stopped while starting: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("portico did not answer /api/health within 15s: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop shuts Portico down as SIGTERM would; a stopped Env stays stopped.
func (env *Env) Stop() {
	if env.App == nil {
		return
	}
	err := env.App.OnTerminate().Trigger(&core.TerminateEvent{App: env.App})
	if err != nil {
		env.T.Errorf("terminate: %v", err)
	}
	select {
	case err := <-env.served:
		if err != nil {
			env.T.Errorf("serve: %v", err)
		}
	case <-time.After(15 * time.Second):
		env.T.Errorf("portico did not stop within 15s")
	}
	_ = env.App.ClearBootstrap()
	env.App, env.Portal = nil, nil
}

// Restart stops Portico and starts it again on the same data dir and port.
func (env *Env) Restart() {
	env.T.Helper()
	env.Stop()
	listener, err := net.Listen("tcp", env.addr)
	if err != nil {
		env.T.Fatal(err)
	}
	env.boot(listener)
}

// As returns a view of env that reports to t, for a fuzz target or a
// subtest that must not fail through the parent.
func (env *Env) As(t TB) *Env {
	view := *env
	view.T = t
	return &view
}

// Response is an HTTP answer with its JSON body decoded.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	JSON   map[string]any
}

// String is the response as a failing test prints it.
func (r Response) String() string {
	return fmt.Sprintf("%d %s", r.Status, strings.TrimSpace(string(r.Body)))
}

// Do sends a request to Portico. body may be a string, []byte, or a value
// encoded as JSON; headers are name/value pairs.
func (env *Env) Do(method, path string, body any, headers ...string) Response {
	env.T.Helper()
	var reader io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		reader = strings.NewReader(b)
	case []byte:
		reader = bytes.NewReader(b)
	default:
		encoded, err := json.Marshal(b)
		if err != nil {
			env.T.Fatal(err)
		}
		reader = bytes.NewReader(encoded)
	}
	req, err := http.NewRequest(method, env.URL+path, reader)
	if err != nil {
		env.T.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		env.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := Response{Status: resp.StatusCode, Header: resp.Header, Body: raw}
	_ = json.Unmarshal(raw, &out.JSON)
	return out
}

// Post sends a JSON body with POST.
func (env *Env) Post(path string, body any, headers ...string) Response {
	env.T.Helper()
	return env.Do(http.MethodPost, path, body, headers...)
}

// NewClient adds a client as a clinician would in the dashboard. With
// portal access on, Portico mails an invite: it is returned, already
// received, so the test's mailbox starts clean.
func (env *Env) NewClient(name, email string, portalAccess bool) (*core.Record, *Mail) {
	env.T.Helper()
	collection, err := env.App.FindCollectionByNameOrId("clients")
	if err != nil {
		env.T.Fatal(err)
	}
	client := core.NewRecord(collection)
	client.Set("name", name)
	client.SetEmail(email)
	client.Set("portal_access", portalAccess)
	client.Set("timezone", "America/New_York")
	if err := env.App.Save(client); err != nil {
		env.T.Fatalf("creating client %s: %v", email, err)
	}
	if !portalAccess {
		return client, nil
	}
	invite := env.Mail.Next(email, 10*time.Second)
	return client, &invite
}

// Count returns how many rows of collection match the filter.
func (env *Env) Count(collection, filter string) int {
	env.T.Helper()
	if filter == "" {
		filter = "id != ''"
	}
	records, err := env.App.FindRecordsByFilter(collection, filter, "", 0, 0)
	if err != nil {
		env.T.Fatalf("counting %s: %v", collection, err)
	}
	return len(records)
}

// Clock is a settable clock for Portico's Config.Now.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock standing at start.
func NewClock(start time.Time) *Clock {
	return &Clock{now: start}
}

// Now reads the clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// ClinicianToken creates a clinician (a PocketBase superuser) and returns
// an auth token for the API, as the dashboard would hold.
func (env *Env) ClinicianToken() string {
	env.T.Helper()
	collection, err := env.App.FindCollectionByNameOrId(core.CollectionNameSuperusers)
	if err != nil {
		env.T.Fatal(err)
	}
	clinician := core.NewRecord(collection)
	clinician.SetEmail(fmt.Sprintf("clinician%d@harbor.test", time.Now().UnixNano()))
	clinician.SetRandomPassword()
	if err := env.App.Save(clinician); err != nil {
		env.T.Fatal(err)
	}
	token, err := clinician.NewAuthToken()
	if err != nil {
		env.T.Fatal(err)
	}
	return token
}

// OpenDir opens dir as a second process would, with PocketBase's bare app
// (no Portico hooks), and closes it when t ends if the test has not.
func OpenDir(t TB, dir string) core.App {
	t.Helper()
	app := core.NewBaseApp(core.BaseAppConfig{DataDir: dir})
	if err := app.Bootstrap(); err != nil {
		t.Fatalf("opening the data dir %s: %v", dir, err)
	}
	t.Cleanup(func() { Close(app) })
	return app
}

// Close shuts app down as its process would on exit; closing twice is
// harmless. Clearing the bootstrap alone is not enough: the terminate hooks
// stop PocketBase's notify-dir watcher, whose debounced settings reload, set
// off by another app on the same data dir, would otherwise run on a closed
// database and crash the test binary.
func Close(app core.App) {
	_ = app.OnTerminate().Trigger(&core.TerminateEvent{App: app}, func(e *core.TerminateEvent) error {
		_ = e.App.ClearBootstrap()
		return e.Next()
	})
}
