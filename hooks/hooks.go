// Package hooks is Portico's application. This file is its table of
// contents: it builds the small kernel every capability shares and
// registers each capability in order. Every route family, command, cron
// job and global middleware is bound by one of the calls below.
//
// The kernel (no capability knows another from it):
//   - web: form binding, no-store, 429, token-path redaction, security headers
//   - schema: collection and status names, typed records
//   - practice: the practice's settings, cached; time and wording helpers
//   - letters: mail content and the bridge for PocketBase's own mail
//   - outbox, ratelimit: the durable mail queue, in-memory rate limits and networks
package hooks

import (
	"os"
	"time"

	"github.com/pocketbase/pocketbase"
	"github.com/pocketbase/pocketbase/core"

	"portico/hooks/actions"
	"portico/hooks/appointments"
	"portico/hooks/audit"
	"portico/hooks/backup"
	"portico/hooks/clients"
	"portico/hooks/intake"
	"portico/hooks/join"
	"portico/hooks/letters"
	"portico/hooks/messages"
	"portico/hooks/outbox"
	"portico/hooks/pages"
	"portico/hooks/practice"
	"portico/hooks/ratelimit"
	"portico/hooks/reminders"
	"portico/hooks/retention"
	"portico/hooks/serve"
	"portico/hooks/signin"
	"portico/hooks/staff"
	"portico/hooks/video"
	"portico/hooks/web"
	"portico/hooks/workspace"
)

// Portal is the running application, as tests and the benchmark reach it.
type Portal struct {
	Outbox    *outbox.Outbox
	Requests  *signin.Requests // the recorded sign-in requests' worker
	Practice  *practice.Settings
	Reminders *reminders.Reminders
	Audit     *audit.Trail
	Messages  *messages.Messages
	Retention *retention.Retention
	Video     *video.Service
	Backup    *backup.Service
}

// Register hangs every Portico capability on app and returns the portal.
func Register(app *pocketbase.PocketBase, config Config) *Portal {
	if config.Now == nil {
		config.Now = DefaultConfig().Now
	}

	// The kernel.
	queue := outbox.New(app, outbox.Config{Now: config.Now, SMTPURL: config.SMTPURL, RetryBase: config.MailRetryBase})
	settings := practice.New(app)
	mail := &letters.Letters{App: app, Outbox: queue}

	// A write the disk has no room for answers 503 saying so, and the
	// console says so too: the log lives on the same disk.
	space := web.NewDiskSpace(os.Stderr)
	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		e.Router.BindFunc(space.Refuse)
		return e.Next()
	})

	// Mail: the outbox worker runs inside serve; PocketBase's own mail
	// (password resets and the like) goes through the outbox too.
	queue.RunWithServe()
	mail.BridgePocketBaseMail()

	// Sign-in: POST /api/portal/{login-link,link-status,redeem,resend,login-code,sign-out},
	// GET /api/portal/practice; client sessions checked on every request; the worker
	// that looks up and mails each recorded sign-in request.
	signIn := signin.New(app, signin.Config{
		Now:             config.Now,
		SignInTTL:       config.SignInTTL,
		LinksPerAddress: config.LinksPerAddress,
		LinksPerIP:      config.LinksPerIP,
		RateWindow:      config.RateWindow,
		SessionLifetime: config.SessionLifetime,
		FailedCodeFloor: config.FailedCodeFloor,
	}, mail, ratelimit.New(config.Now))
	signIn.Register()

	// Clients: invites on create, no passwords, PocketBase's verification
	// and email-change flows closed; `portico invite`.
	people := clients.New(app, signIn, mail, config.InviteTTL)
	people.Register()
	app.RootCmd.AddCommand(people.Command())

	// Intake: form checks, assignment copies and mail; /api/portal/intake/...
	intake.New(app, config.Now, settings, mail, signIn, config.InviteTTL).Register()

	// Join links: GET /join/{token}, POST /api/portal/join-status.
	links := join.New(app, config.Now, settings, mail)
	links.Register()

	// Video: calls of clinicians without an external room: POST /api/video/...,
	// the TURN relay (UDP and TCP) inside serve; a call ends with its appointment.
	videoConfig := config.Video
	videoConfig.Now = config.Now
	calls := video.Register(app, videoConfig, links.Calls())
	links.EndCallsWhenClosed(calls)

	// Appointments: booking checks, change notices; /api/portal/appointments/...
	booked := appointments.New(app, config.Now, settings, mail, links)
	booked.Register()

	// Reminders, bound after appointments so they plan inside its change
	// transaction: the portico_reminders cron job and `portico reminders run`.
	remind := reminders.New(app, config.Now, settings, queue, booked)
	remind.Register()
	app.RootCmd.AddCommand(remind.Command())

	// Appointment actions: Confirm, Cancel, Ask for another time in reminders and the portal; GET /a/{token}, /api/portal/actions/...
	actions.New(app, actions.Config{Now: config.Now, RateWindow: config.RateWindow}, settings, mail, booked).Register()

	// Staff: password + emailed code sign-in, sessions, lockout, invites,
	// frozen submitted packets; /api/staff/...; `portico staff`.
	team := staff.New(app, config.Now, settings, mail, ratelimit.New(config.Now), config.InviteTTL)
	team.Register()
	app.RootCmd.AddCommand(team.Command())

	// Audit trail: record hooks and one route middleware recording who saw
	// and changed which client's data, append-only and hash-chained;
	// GET /api/portal/audit, /api/audit/{entries,export,verify}, the
	// nightly prune and `portico audit verify|export|prune`.
	trail := audit.New(app, audit.Config{Now: config.Now, Practice: settings, Commands: app.RootCmd, Retention: time.Duration(config.AuditRetentionDays) * 24 * time.Hour})
	trail.Register()
	trail.RecordCalls(calls) // who joined and left each call, and when
	app.RootCmd.AddCommand(trail.Command())
	// Workspace: the Schedule and Clients pages' routes, /api/staff/{schedule,appointments,clients}.
	workspace.New(app, config.Now, settings, people).Register()

	// Messages and documents: threads between a client and the practice
	// with protected attachments, unread marks and content-free notices;
	// documents to read, acknowledge or sign, and clients' uploads;
	// /api/messages/..., /api/documents/... and the portico_message_notices
	// cron job. After the audit trail, whose route table records its reads,
	// sends, signatures and downloads.
	talk := messages.New(app, config.Now, settings, mail, signIn, ratelimit.New(config.Now), config.InviteTTL)
	talk.Register()

	// Retention: deletes used and expired tokens and delivered mail after
	// config.Retention, in small batches; the portico_retention cron job
	// and `portico retention run`. Its own package, since it prunes the
	// tables of several capabilities by one policy and on one schedule.
	prune := retention.New(app, config.Now, config.Retention, config.SessionLifetime)
	prune.Register()
	app.RootCmd.AddCommand(prune.Command())

	// Pages: the portal from pb_public, /s/{token}, security headers on every response.
	pages.Register(app)

	// Backups: continuous, encrypted replication to PORTICO_REPLICA_URL and
	// the weekly restore drill inside serve; `portico backup`, `portico restore`.
	backups := backup.Register(app, config.Backup, queue)

	// Serve: Portico's serve command with --domain (automatic HTTPS), HSTS,
	// data-dir errors, certificates kept out of backups.
	serve.Register(app)

	return &Portal{Outbox: queue, Requests: signIn.Requests(), Practice: settings, Reminders: remind, Audit: trail, Messages: talk, Retention: prune, Video: calls, Backup: backups}
}
