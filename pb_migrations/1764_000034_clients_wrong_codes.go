package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// A client's wrong sign-in codes in a row, across tokens and windows: at
// 100 codes stop working for the client until a link sign-in (NIST SP
// 800-63B 5.2.2). Hidden, so PocketBase drops it from any request body
// but a superuser's: a client that could write 0 could guess on for ever.
func init() {
	m.Register(func(app core.App) error {
		clients, err := app.FindCollectionByNameOrId("clients")
		if err != nil {
			return err
		}
		clients.Fields.Add(&core.NumberField{Name: "wrong_codes", OnlyInt: true, Hidden: true,
			Help: "Wrong sign-in codes in a row; at 100 codes stop working until the client signs in with a link."})
		return app.Save(clients)
	}, func(app core.App) error {
		clients, err := app.FindCollectionByNameOrId("clients")
		if err != nil {
			return err
		}
		clients.Fields.RemoveByName("wrong_codes")
		return app.Save(clients)
	})
}
