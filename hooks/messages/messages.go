// Package messages is secure messaging between a client and the practice:
// threads the client writes in from the portal and staff answer from the
// workspace, with protected attachments, unread marks, realtime updates
// and notices by email that carry no content. A thread is clinical (the
// client's clinicians and the owner read it) or administrative (the front
// desk too). Documents have the same parties: staff share a PDF to read,
// acknowledge or sign, clients upload into their own record, and a signed
// document is frozen. The collections and their API rules are in
// pb_migrations (1764_00007x); the audit trail records every read, send,
// signature and download through its own tables (hooks/audit), never
// through calls from here.
package messages

import (
	"slices"
	"sync"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"

	"portico/hooks/letters"
	"portico/hooks/practice"
	"portico/hooks/ratelimit"
	"portico/hooks/schema"
	"portico/hooks/signin"
	"portico/hooks/staff"
	"portico/hooks/web"
)

// Limits of what one message carries and how often one person sends.
const (
	MaxBody        = 5000
	MaxSubject     = 120
	MaxFiles       = 5
	MaxFileSize    = 10 << 20
	SendsPerWindow = 30
	SendWindow     = 15 * time.Minute
	pageSize       = 50
	listSize       = 200
)

// Notice timing: a notice waits NoticeDelay, so a message read in that
// time sends none, and a thread sends a side at most one per NoticeEvery.
const (
	NoticeDelay = 5 * time.Minute
	NoticeEvery = 15 * time.Minute
)

// DefaultNotice is shown above the message box until the practice writes
// its own in the practice record's messages_notice.
const DefaultNotice = "Messages are read during office hours and are not for emergencies. If you are in danger or in crisis, call 911 or your local emergency number."

// Messages is the messaging capability with what it needs: the clock, the
// practice's settings, the letters and the sign-in links of notices, a
// rate limiter and how long a notice's link works.
type Messages struct {
	app      core.App
	now      func() time.Time
	settings *practice.Settings
	letters  *letters.Letters
	signIn   *signin.SignIn
	limits   *ratelimit.Limiter
	linkTTL  time.Duration
	store    *Store

	noticing sync.Mutex
}

// New returns the messaging capability for app.
func New(app core.App, now func() time.Time, settings *practice.Settings, mail *letters.Letters, signIn *signin.SignIn, limits *ratelimit.Limiter, linkTTL time.Duration) *Messages {
	return &Messages{app: app, now: now, settings: settings, letters: mail, signIn: signIn, limits: limits, linkTTL: linkTTL, store: &Store{App: app}}
}

// Register binds the /api/messages and /api/documents routes, the
// document hooks and the notice job.
func (m *Messages) Register() {
	m.app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		group := se.Router.Group("/api/messages")
		group.Bind(apis.RequireAuth(schema.Clients, schema.Staff))
		group.BindFunc(web.NoStore)
		group.GET("/threads", m.handleThreads)
		group.POST("/threads", m.handleStart).Bind(bodyLimit)
		group.GET("/threads/{id}", m.handleThread)
		group.POST("/threads/{id}/messages", m.handleWrite).Bind(bodyLimit)
		group.POST("/threads/{id}/read", m.handleRead)
		m.registerDocuments(se)
		return se.Next()
	})
	m.registerDocumentHooks()
	m.app.Cron().MustAdd("portico_message_notices", "* * * * *", func() {
		if _, err := m.SendNotices(); err != nil {
			m.app.Logger().Error("messages: sending notices failed", "error", err)
		}
	})
}

// sideOf is the side of threads auth writes for: the client's own, the
// practice's for staff, "" for anyone else (a superuser's dashboard
// session reads the records there instead).
func sideOf(auth *core.Record) string {
	switch {
	case auth == nil:
		return ""
	case auth.Collection().Name == schema.Clients:
		return schema.SideClient
	case auth.Collection().Name == schema.Staff:
		return schema.SidePractice
	}
	return ""
}

// mayRead reports whether auth is a party to a thread of kind with client:
// the client; the owner and the client's clinicians (staff.CanReadClient,
// who may read the client's health records); the front desk for
// administrative threads only.
func mayRead(auth, client *core.Record, kind string) bool {
	switch sideOf(auth) {
	case schema.SideClient:
		return auth.Id == client.Id
	case schema.SidePractice:
		if kind == schema.ThreadAdmin && auth.GetString("role") == staff.RoleFrontDesk {
			return true
		}
		return staff.CanReadClient(auth, client)
	}
	return false
}

// scopeOf is the threads auth may list, as the SQL Store.Threads runs.
func scopeOf(auth *core.Record) Scope {
	if sideOf(auth) == schema.SideClient {
		return Scope{Where: "t.client = {:me}", Params: dbx.Params{"me": auth.Id}}
	}
	switch auth.GetString("role") {
	case staff.RoleOwner:
		return Scope{Where: "1 = 1"}
	case staff.RoleFrontDesk:
		return Scope{Where: "t.kind = {:admin}", Params: dbx.Params{"admin": schema.ThreadAdmin}}
	case staff.RoleClinician:
		if mine := auth.GetString("clinician"); mine != "" {
			return Scope{Where: "EXISTS (SELECT 1 FROM json_each(CASE WHEN json_valid(c.clinicians) THEN c.clinicians ELSE '[]' END) WHERE value = {:mine})",
				Params: dbx.Params{"mine": mine}}
		}
	}
	return Scope{Where: "0 = 1"}
}

// kindsFor are the kinds of thread auth may start.
func kindsFor(auth *core.Record) []string {
	if sideOf(auth) == schema.SidePractice && auth.GetString("role") == staff.RoleFrontDesk {
		return []string{schema.ThreadAdmin}
	}
	return []string{schema.ThreadClinical, schema.ThreadAdmin}
}

// notice is the practice's "not for emergencies" text.
func (m *Messages) notice() (string, error) {
	p, err := m.settings.Get()
	if err != nil {
		return "", err
	}
	if p.MessagesNotice != "" {
		return p.MessagesNotice, nil
	}
	return DefaultNotice, nil
}

// recipients are the staff a practice-side notice goes to for a thread
// of kind with client: the client's clinicians for a clinical thread, the
// front desk for an administrative one, and the owners when there is
// nobody else; without anyone who turned the notices off.
func recipients(app core.App, client *core.Record, kind string) ([]*core.Record, error) {
	team, err := app.FindRecordsByFilter(schema.Staff, "locked = ''", "created", 0, 0)
	if err != nil {
		return nil, err
	}
	var chosen, owners []*core.Record
	for _, member := range team {
		switch role := member.GetString("role"); {
		case role == staff.RoleOwner:
			owners = append(owners, member)
		case kind == schema.ThreadAdmin && role == staff.RoleFrontDesk:
			chosen = append(chosen, member)
		case kind == schema.ThreadClinical && role == staff.RoleClinician && staff.CanReadClient(member, client):
			chosen = append(chosen, member)
		}
	}
	if len(chosen) == 0 {
		chosen = owners
	}
	return slices.DeleteFunc(chosen, func(member *core.Record) bool { return member.GetString("message_notices") == "none" }), nil
}
