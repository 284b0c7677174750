package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// An intake assignment is one form given to one client. It keeps a copy
// of the form's title, introduction and questions as they were when it was
// assigned, so a clinician editing the form later changes nothing a client
// has already started. A client reads only its own assignments; only staff
// create, change or delete them (the client's answers go through
// /api/portal/intake, which moves the status along).
func init() {
	m.Register(func(app core.App) error {
		clients, err := app.FindCollectionByNameOrId("clients")
		if err != nil {
			return err
		}
		forms, err := app.FindCollectionByNameOrId("intake_forms")
		if err != nil {
			return err
		}

		assignments := core.NewBaseCollection("intake_assignments")
		assignments.Fields.Add(
			&core.RelationField{Name: "client", CollectionId: clients.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			// Not required, so that deleting a form keeps the packets
			// already given out: each has its own copy.
			&core.RelationField{Name: "form", CollectionId: forms.Id, MaxSelect: 1},
			&core.SelectField{Name: "status", Values: []string{"assigned", "in_progress", "submitted"}, MaxSelect: 1},
			&core.DateField{Name: "due"},
			&core.TextField{Name: "title", Max: 200},
			&core.TextField{Name: "intro", Max: 5000},
			&core.JSONField{Name: "questions", MaxSize: 1 << 20},
			&core.DateField{Name: "submitted"},
			&core.AutodateField{Name: "created", OnCreate: true},
			&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
		)
		assignments.AddIndex("idx_intake_assignments_client", false, "client, status", "")

		own := "client = @request.auth.id"
		assignments.ListRule = types.Pointer(own)
		assignments.ViewRule = types.Pointer(own)
		assignments.CreateRule = nil
		assignments.UpdateRule = nil
		assignments.DeleteRule = nil

		return app.Save(assignments)
	}, func(app core.App) error {
		assignments, err := app.FindCollectionByNameOrId("intake_assignments")
		if err != nil {
			return err
		}
		return app.Delete(assignments)
	})
}
