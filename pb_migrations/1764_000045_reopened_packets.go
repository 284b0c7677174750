package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// A submitted packet is never changed again. A correction is a new
// assignment that reopens the old one: the original submission stays as
// it was, beside the corrected one.
func init() {
	m.Register(func(app core.App) error {
		assignments, err := app.FindCollectionByNameOrId("intake_assignments")
		if err != nil {
			return err
		}
		assignments.Fields.Add(&core.RelationField{Name: "reopens", CollectionId: assignments.Id, MaxSelect: 1,
			Help: "The submitted packet this one corrects; that one stays unchanged."})
		return app.Save(assignments)
	}, func(app core.App) error {
		assignments, err := app.FindCollectionByNameOrId("intake_assignments")
		if err != nil {
			return err
		}
		assignments.Fields.RemoveByName("reopens")
		return app.Save(assignments)
	})
}
