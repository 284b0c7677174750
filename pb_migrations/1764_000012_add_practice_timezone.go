package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// The practice's time zone is the one clinicians book appointments in:
// the dashboard enters dates in UTC, which nobody should have to convert.
func init() {
	m.Register(func(app core.App) error {
		practice, err := app.FindCollectionByNameOrId("practice")
		if err != nil {
			return err
		}
		practice.Fields.Add(&core.TextField{Name: "timezone", Max: 64,
			Help: "The practice's IANA time zone, such as America/New_York: appointments' local_start is read in it. Empty means UTC."})
		return app.Save(practice)
	}, func(app core.App) error {
		practice, err := app.FindCollectionByNameOrId("practice")
		if err != nil {
			return err
		}
		practice.Fields.RemoveByName("timezone")
		return app.Save(practice)
	})
}
