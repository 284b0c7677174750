package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// A client is assigned to one or more clinicians: a clinician's staff
// account reaches only the clients assigned to them.
func init() {
	m.Register(func(app core.App) error {
		clients, err := app.FindCollectionByNameOrId("clients")
		if err != nil {
			return err
		}
		clinicians, err := app.FindCollectionByNameOrId("clinicians")
		if err != nil {
			return err
		}
		clients.Fields.Add(&core.RelationField{Name: "clinicians", CollectionId: clinicians.Id, MaxSelect: 20,
			Help: "The clinicians who see this client in the staff workspace."})
		return app.Save(clients)
	}, func(app core.App) error {
		clients, err := app.FindCollectionByNameOrId("clients")
		if err != nil {
			return err
		}
		clients.Fields.RemoveByName("clinicians")
		return app.Save(clients)
	})
}
