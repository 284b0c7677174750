package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// The workspace's form builder edits forms in place, so each form counts
// its versions: a save that changes the title, the introduction or the
// questions makes the next one (hooks/intake). A packet keeps its own
// copy of the questions and says which version it was copied from, so
// the Packets page can tell staff that a packet shows an earlier form.
func init() {
	m.Register(func(app core.App) error {
		forms, err := app.FindCollectionByNameOrId("intake_forms")
		if err != nil {
			return err
		}
		forms.Fields.Add(&core.NumberField{Name: "version", OnlyInt: true, Min: types.Pointer(1.0),
			Help: "Counts by itself: each change to the title, introduction or questions is a new version."})
		if err := app.Save(forms); err != nil {
			return err
		}
		if _, err := app.DB().NewQuery("UPDATE intake_forms SET version = 1").Execute(); err != nil {
			return err
		}

		assignments, err := app.FindCollectionByNameOrId("intake_assignments")
		if err != nil {
			return err
		}
		assignments.Fields.Add(&core.NumberField{Name: "form_version", OnlyInt: true,
			Help: "The version of the form this packet's questions were copied from."})
		if err := app.Save(assignments); err != nil {
			return err
		}
		_, err = app.DB().NewQuery("UPDATE intake_assignments SET form_version = 1 WHERE form != ''").Execute()
		return err
	}, func(app core.App) error {
		for collection, field := range map[string]string{"intake_forms": "version", "intake_assignments": "form_version"} {
			c, err := app.FindCollectionByNameOrId(collection)
			if err != nil {
				return err
			}
			c.Fields.RemoveByName(field)
			if err := app.Save(c); err != nil {
				return err
			}
		}
		return nil
	})
}
