package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// A staff session is one sign-in on one device. The auth token carries the
// session's id; every request checks the row, so signing out, 15 idle
// minutes or the practice's session limit end that token on the server,
// without touching the person's other devices. No API rules: only
// Portico's routes and superusers read it.
func init() {
	m.Register(func(app core.App) error {
		staff, err := app.FindCollectionByNameOrId("staff")
		if err != nil {
			return err
		}
		sessions := core.NewBaseCollection("staff_sessions")
		sessions.Fields.Add(
			&core.RelationField{Name: "staff", CollectionId: staff.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.DateField{Name: "started", Required: true},
			&core.DateField{Name: "last_seen", Required: true},
			&core.DateField{Name: "ended"},
			&core.TextField{Name: "ended_why", Max: 40},
			&core.TextField{Name: "ip", Max: 64},
			&core.TextField{Name: "user_agent", Max: 500},
			&core.AutodateField{Name: "created", OnCreate: true},
			&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
		)
		sessions.AddIndex("idx_staff_sessions_staff", false, "staff, ended", "")
		return app.Save(sessions)
	}, func(app core.App) error {
		sessions, err := app.FindCollectionByNameOrId("staff_sessions")
		if err != nil {
			return err
		}
		return app.Delete(sessions)
	})
}
