package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Intake forms are the packets a clinician writes in the dashboard: a
// title, an introduction and an ordered list of questions (JSON, checked
// by hooks/intake.go on every save). Clients never read a form itself,
// only the copy taken when it is assigned to them, so the collection has
// no API rules: staff only.
func init() {
	m.Register(func(app core.App) error {
		forms := core.NewBaseCollection("intake_forms")
		forms.Fields.Add(
			&core.TextField{Name: "title", Required: true, Max: 200},
			&core.TextField{Name: "intro", Max: 5000},
			&core.JSONField{Name: "questions", Required: true, MaxSize: 1 << 20},
			&core.AutodateField{Name: "created", OnCreate: true},
			&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
		)
		return app.Save(forms)
	}, func(app core.App) error {
		forms, err := app.FindCollectionByNameOrId("intake_forms")
		if err != nil {
			return err
		}
		return app.Delete(forms)
	})
}
