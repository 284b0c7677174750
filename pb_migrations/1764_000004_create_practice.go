package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// The practice record holds what a clinician changes about the practice
// beside its name (Settings > Application name): contact details shown to
// clients, where staff notices go, and reminder timing. There is one row;
// the dashboard edits it.
func init() {
	m.Register(func(app core.App) error {
		practice := core.NewBaseCollection("practice")
		practice.Fields.Add(
			&core.TextField{Name: "address", Max: 500},
			&core.TextField{Name: "phone", Max: 40},
			&core.EmailField{Name: "contact_email"},
			// Where staff notices go is the practice's business, not the clients'.
			&core.EmailField{Name: "notification_email", Hidden: true},
			&core.JSONField{Name: "reminder_lead_hours", MaxSize: 1000},
			&core.NumberField{Name: "join_opens_minutes", OnlyInt: true, Min: types.Pointer(0.0), Max: types.Pointer(240.0)},
			&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
		)
		// Clients may read the contact details; only staff change them.
		practice.ListRule = types.Pointer("@request.auth.collectionName = 'clients'")
		practice.ViewRule = types.Pointer("@request.auth.collectionName = 'clients'")
		if err := app.Save(practice); err != nil {
			return err
		}

		record := core.NewRecord(practice)
		record.Set("reminder_lead_hours", []int{48, 2})
		record.Set("join_opens_minutes", 15)
		if err := app.Save(record); err != nil {
			return err
		}

		// A new install names itself until the clinician names the practice.
		settings := app.Settings()
		if settings.Meta.AppName == "Acme" {
			settings.Meta.AppName = "Your practice"
			return app.Save(settings)
		}
		return nil
	}, func(app core.App) error {
		practice, err := app.FindCollectionByNameOrId("practice")
		if err != nil {
			return err
		}
		return app.Delete(practice)
	})
}
