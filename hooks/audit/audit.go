// Package audit is Portico's audit trail: an append-only, hash-chained
// log of who saw and changed which client's data, from where, for the
// HIPAA audit-controls safeguard. Everything it records is bound here, in
// one place: record hooks on the records API (staff reads, every change,
// sign-ins), one middleware for Portico's own routes (the table in
// routes.go), and its own routes for the client's "Who has seen my
// record" page and the owner's trail. Handlers elsewhere never call it.
package audit

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"

	"portico/hooks/practice"
	"portico/hooks/schema"
	"portico/hooks/web"
)

// DefaultRetention is six years, HIPAA's retention for documentation.
const DefaultRetention = 6 * 365 * 24 * time.Hour

// StaffCollection is the staff auth collection, whose role field says
// what a member may do.
const StaffCollection = "staff"

// RoleOwner is the staff role that reads the practice-wide trail.
const RoleOwner = "owner"

// clientOf says, per collection holding client data, which field names the
// client a record concerns ("" when the record is the client).
var clientOf = map[string]string{
	schema.Clients:           "",
	schema.Appointments:      "client",
	schema.IntakeAssignments: "client",
	schema.IntakeResponses:   "client",
	schema.MessageThreads:    "client",
	schema.Messages:          "client",
	schema.Documents:         "client",
	// A request for another time holds what the client wrote.
	schema.AppointmentRequests: "client",
}

// accessCollections hold no client data, but who changes them matters:
// staff roles and access, the practice's settings, forms, superusers.
var accessCollections = []string{StaffCollection, schema.Practice, schema.Clinicians, schema.IntakeForms, core.CollectionNameSuperusers}

// Config is what the trail needs from the operator's configuration.
type Config struct {
	Now func() time.Time
	// Practice gives the time zone the owner's date filters mean.
	Practice *practice.Settings
	// Commands is the root command whose subcommands' runs are recorded.
	Commands *cobra.Command
	// Retention is how long entries are kept before a prune removes them.
	Retention time.Duration
}

// Trail is the audit capability.
type Trail struct {
	app    core.App
	config Config
	batch  *batcher
	// inFlight counts the requests being answered, whose entries a
	// group commit may wait for.
	inFlight atomic.Int64

	wrapCommands, wrapJobs sync.Once
	command                runningCommand
}

// New returns the audit trail of app.
func New(app core.App, config Config) *Trail {
	if config.Retention <= 0 {
		config.Retention = DefaultRetention
	}
	t := &Trail{app: app, config: config}
	t.batch = &batcher{app: app, now: config.Now, inFlight: &t.inFlight}
	return t
}

// Register binds the record hooks, the route middleware, the trail's own
// routes, the append-only guards and the nightly prune.
func (t *Trail) Register() {
	if !recording {
		return
	}
	recordingHere.Store(true)
	t.guardAppendOnly()
	t.recordReads()
	t.recordDownloads()
	t.recordChanges()
	t.recordSignIns()
	t.recordSystem()
	t.app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		e.Router.BindFunc(t.recordRoutes)
		t.routes(e)
		return e.Next()
	})
	t.app.Cron().Add(pruneJob, "30 3 * * *", func() {
		if _, err := t.Prune(); err != nil {
			t.app.Logger().Error("audit: prune failed", "error", err)
		}
	})
}

// zone is the practice's time zone, in which the owner and the export
// commands give dates.
func (t *Trail) zone() (*time.Location, error) {
	if t.config.Practice == nil {
		return time.UTC, nil
	}
	settings, err := t.config.Practice.Get()
	return settings.TimeZone, err
}

// pruneJob is the nightly prune's cron job.
const pruneJob = "portico_audit_prune"

// Prune removes entries older than the retention and leaves a checkpoint.
func (t *Trail) Prune() (int64, error) {
	now := t.config.Now()
	return Prune(t.app, now.Add(-t.config.Retention), now)
}

// actor is who did something, as an entry names them.
type actor struct {
	kind, id, name, role string
}

// actorOf is the person behind an auth record; nil is the system.
func actorOf(auth *core.Record) actor {
	if auth == nil {
		return actor{kind: ActorSystem}
	}
	a := actor{kind: actorKind(auth.Collection()), id: auth.Id, name: auth.GetString("name"), role: auth.GetString("role")}
	if a.name == "" {
		a.name = auth.Email()
	}
	switch {
	case a.kind != ActorStaff:
		a.role = a.kind
	case a.role == "":
		// Any other auth collection a practice adds acts for the
		// practice too, in the role its name says.
		a.role = auth.Collection().Name
	}
	return a
}

// request is an entry about e, by its signed-in person.
func request(e *core.RequestEvent, action string) Entry {
	return requestBy(e, actorOf(e.Auth), action)
}

// requestBy is an entry about e by who.
func requestBy(e *core.RequestEvent, who actor, action string) Entry {
	return Entry{
		ActorType: who.kind, ActorId: who.id, ActorName: who.name, Role: who.role, Action: action,
		IP: e.RealIP(), UserAgent: web.Truncate(e.Request.UserAgent(), 500),
	}
}

// about fills in the record an entry concerns and the client it belongs to.
func (entry Entry) about(record *core.Record) Entry {
	entry.RecordCollection, entry.RecordId = record.Collection().Name, record.Id
	if field, ok := clientOf[record.Collection().Name]; ok {
		entry.Client = record.Id
		if field != "" {
			entry.Client = record.GetString(field)
		}
	}
	return entry
}

// showing is the entry of a list that showed the clients with ids: it
// concerns the client when there is only one.
func (entry Entry) showing(clients []string) Entry {
	if len(clients) == 1 {
		entry.Client = clients[0]
	}
	entry.Shown = jsonList(clients)
	return entry
}

// append writes entry now: inside app's transaction if it is in one, so
// it commits with the change it records, or else with the entries of
// other requests arriving at the same time.
func (t *Trail) append(app core.App, entry Entry) error {
	if app.IsTransactional() {
		return appendEntry(app, entry, t.config.Now())
	}
	return t.batch.append(entry)
}
