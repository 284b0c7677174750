// Package hooks is Portico's application: one file per capability, all
// hung on the PocketBase app by Register.
package hooks

import (
	"runtime"

	"github.com/pocketbase/pocketbase"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/routine"

	"portico/hooks/outbox"
	"portico/hooks/video"
)

// Portal is the running application that every capability shares.
type Portal struct {
	App    core.App
	Config Config
	Outbox *outbox.Outbox
	Video  *video.Service

	limits     *rateLimiter
	background chan struct{} // one slot per job afterResponse may run at once
}

// Register hangs every Portico capability on app and returns the portal.
func Register(app *pocketbase.PocketBase, config Config) *Portal {
	if config.Now == nil {
		config.Now = DefaultConfig().Now
	}
	p := &Portal{
		App:    app,
		Config: config,
		Outbox: outbox.New(app, outbox.Config{
			Now:       config.Now,
			SMTPURL:   config.SMTPURL,
			RetryBase: config.MailRetryBase,
		}),
		limits:     newRateLimiter(config.Now),
		background: make(chan struct{}, runtime.GOMAXPROCS(0)),
	}

	p.registerMail()
	p.registerSignIn()
	p.registerInvites()
	p.registerIntake()
	p.registerAppointments(app)
	p.Video = p.registerVideo()
	p.registerPages()
	p.registerCommands(app)
	p.registerTLS(app)

	return p
}

// afterResponse runs job once the request has its answer, a few jobs at a
// time: a burst of sign-in requests then queues its lookups and mail
// instead of running a thousand at once, which slowed the answers
// themselves (p99 at 32 concurrent clients 50 -> 15 ms in the benchmark)
// and opened a database connection per job.
func (p *Portal) afterResponse(job func()) {
	routine.FireAndForget(func() {
		p.background <- struct{}{}
		defer func() { <-p.background }()
		job()
	})
}
