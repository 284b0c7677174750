package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// A clinician's fixed video room link is the same URL for every client:
// without a waiting room where the clinician admits each client, a
// client who comes early walks into the previous client's session. Such
// a room is refused for telehealth unless waiting_room says it has one.
func init() {
	m.Register(func(app core.App) error {
		clinicians, err := app.FindCollectionByNameOrId("clinicians")
		if err != nil {
			return err
		}
		clinicians.Fields.Add(&core.BoolField{Name: "waiting_room",
			Help: "For a fixed room link (no {room} in it): the room has a waiting room where you admit each client yourself. Without it, telehealth with a fixed link is refused."})
		return app.Save(clinicians)
	}, func(app core.App) error {
		clinicians, err := app.FindCollectionByNameOrId("clinicians")
		if err != nil {
			return err
		}
		clinicians.Fields.RemoveByName("waiting_room")
		return app.Save(clinicians)
	})
}
