package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Clinicians are the people clients meet. Staff sign in to the dashboard
// as superusers; this collection is what appointments and mail say about
// them. Clients learn a clinician's name only, through Portico's own
// routes, so the collection has no API rules.
func init() {
	m.Register(func(app core.App) error {
		clinicians := core.NewBaseCollection("clinicians")
		clinicians.Fields.Add(
			&core.TextField{Name: "name", Required: true, Max: 200, Presentable: true},
			&core.TextField{Name: "credentials", Max: 100},
			&core.EmailField{Name: "email"},
			&core.TextField{
				Name:    "video_room",
				Max:     500,
				Pattern: `^https://\S+$`,
				Help:    "Needed for telehealth. A fixed room link, or a template such as https://video.example/{room}: Portico puts a private room name for each appointment in place of {room}.",
			},
			&core.AutodateField{Name: "created", OnCreate: true},
			&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
		)
		return app.Save(clinicians)
	}, func(app core.App) error {
		clinicians, err := app.FindCollectionByNameOrId("clinicians")
		if err != nil {
			return err
		}
		return app.Delete(clinicians)
	})
}
