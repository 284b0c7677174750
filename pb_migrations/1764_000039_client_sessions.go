package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// A client's session is the login token that started it: the redeemed
// row already holds when (used), from where and with what, and the auth
// token names it. Every request with the token reads the row, so that
// signing out ends this device's session on the server and turning
// portal access off ends all of them. session_ended says when, and
// session_ended_why why ("signed-out", "access-off"). A sign-in writes
// nothing more than before: no session row of its own.
func init() {
	m.Register(func(app core.App) error {
		tokens, err := app.FindCollectionByNameOrId("login_tokens")
		if err != nil {
			return err
		}
		tokens.Fields.Add(
			&core.DateField{Name: "session_ended",
				Help: "When the session this token started ended on the server: signed out, or portal access turned off."},
			&core.TextField{Name: "session_ended_why", Max: 20},
		)
		return app.Save(tokens)
	}, func(app core.App) error {
		tokens, err := app.FindCollectionByNameOrId("login_tokens")
		if err != nil {
			return err
		}
		tokens.Fields.RemoveByName("session_ended")
		tokens.Fields.RemoveByName("session_ended_why")
		return app.Save(tokens)
	})
}
