package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// An intake response holds a client's answers to one assignment, keyed by
// question id: a draft while the client fills it in, then submitted. A
// client reads only its own; every client write goes through
// /api/portal/intake, which validates each answer and refuses any change
// after submission, so the collection's write rules are staff only.
func init() {
	m.Register(func(app core.App) error {
		clients, err := app.FindCollectionByNameOrId("clients")
		if err != nil {
			return err
		}
		assignments, err := app.FindCollectionByNameOrId("intake_assignments")
		if err != nil {
			return err
		}

		responses := core.NewBaseCollection("intake_responses")
		responses.Fields.Add(
			&core.RelationField{Name: "assignment", CollectionId: assignments.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.RelationField{Name: "client", CollectionId: clients.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.JSONField{Name: "answers", MaxSize: 1 << 20},
			&core.SelectField{Name: "state", Values: []string{"draft", "submitted"}, MaxSelect: 1, Required: true},
			&core.DateField{Name: "saved"},
			&core.DateField{Name: "submitted"},
			&core.AutodateField{Name: "created", OnCreate: true},
			&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
		)
		responses.AddIndex("idx_intake_responses_assignment", true, "assignment", "")

		own := "client = @request.auth.id"
		responses.ListRule = types.Pointer(own)
		responses.ViewRule = types.Pointer(own)
		responses.CreateRule = nil
		responses.UpdateRule = nil
		responses.DeleteRule = nil

		return app.Save(responses)
	}, func(app core.App) error {
		responses, err := app.FindCollectionByNameOrId("intake_responses")
		if err != nil {
			return err
		}
		return app.Delete(responses)
	})
}
