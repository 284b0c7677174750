package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// How long a staff session lasts is the practice's choice: idle minutes
// (15 unless changed) and a limit from sign-in (12 hours unless changed).
func init() {
	m.Register(func(app core.App) error {
		practice, err := app.FindCollectionByNameOrId("practice")
		if err != nil {
			return err
		}
		practice.Fields.Add(
			&core.NumberField{Name: "staff_idle_minutes", OnlyInt: true, Min: types.Pointer(1.0), Max: types.Pointer(240.0),
				Help: "A staff session ends after this many minutes without activity. Empty means 15."},
			&core.NumberField{Name: "staff_session_hours", OnlyInt: true, Min: types.Pointer(1.0), Max: types.Pointer(24.0),
				Help: "A staff session ends this many hours after sign-in, active or not. Empty means 12."},
		)
		if err := app.Save(practice); err != nil {
			return err
		}
		records, err := app.FindAllRecords(practice)
		if err != nil {
			return err
		}
		for _, record := range records {
			record.Set("staff_idle_minutes", 15)
			record.Set("staff_session_hours", 12)
			if err := app.Save(record); err != nil {
				return err
			}
		}
		return nil
	}, func(app core.App) error {
		practice, err := app.FindCollectionByNameOrId("practice")
		if err != nil {
			return err
		}
		practice.Fields.RemoveByName("staff_idle_minutes")
		practice.Fields.RemoveByName("staff_session_hours")
		return app.Save(practice)
	})
}
