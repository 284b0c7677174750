package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// PocketBase's auth alert mails "Login from a new location ... change your
// account password" after a sign-in from a new address or browser.
// Clients have no password, open their sign-in email on whatever phone
// or browser is at hand, and would get that alarming second email after
// most sign-ins. It also cost each sign-in an extra write and a queued
// message, about two thirds of its work in the benchmark.
func init() {
	m.Register(func(app core.App) error {
		return setClientAuthAlert(app, false)
	}, func(app core.App) error {
		return setClientAuthAlert(app, true)
	})
}

func setClientAuthAlert(app core.App, enabled bool) error {
	clients, err := app.FindCollectionByNameOrId("clients")
	if err != nil {
		return err
	}
	clients.AuthAlert.Enabled = enabled
	return app.Save(clients)
}
