// Package hooks is Portico's application: one file per capability, all
// hung on the PocketBase app by Register.
package hooks

import (
	"github.com/pocketbase/pocketbase"
	"github.com/pocketbase/pocketbase/core"

	"portico/hooks/outbox"
)

// Portal is the running application that every capability shares.
type Portal struct {
	App    core.App
	Config Config
	Outbox *outbox.Outbox

	limits *rateLimiter
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
		limits: newRateLimiter(config.Now),
	}

	p.registerMail()
	p.registerSignIn()
	p.registerInvites()
	p.registerIntake()
	p.registerAppointments(app)
	p.registerPages()
	p.registerCommands(app)
	p.registerTLS(app)

	return p
}
