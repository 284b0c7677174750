package hooks

import (
	"github.com/pocketbase/pocketbase/core"
)

// registerInvites mails an invite link whenever a clinician creates a
// client with portal access on, in the dashboard, the API or the CLI.
func (p *Portal) registerInvites() {
	p.App.OnRecordAfterCreateSuccess("clients").BindFunc(func(e *core.RecordEvent) error {
		if e.Record.GetBool("portal_access") {
			if err := p.mailLink(e.Record, purposeInvite, "", "dashboard"); err != nil {
				// The client is saved either way; the clinician can invite again.
				e.App.Logger().Error("invite: queueing mail", "client", e.Record.Id, "error", err)
			}
		}
		return e.Next()
	})

	// Clients never have a password, but the auth collection requires one:
	// give each new client an unusable random one.
	p.App.OnRecordCreate("clients").BindFunc(func(e *core.RecordEvent) error {
		if e.Record.GetString("password") == "" {
			e.Record.SetRandomPassword()
		}
		return e.Next()
	})
}
