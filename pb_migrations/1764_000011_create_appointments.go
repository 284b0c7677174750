package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Appointments are booked by clinicians in the dashboard. The collection
// has no API rules: clients read their own appointments through
// /api/portal/appointments, which returns only the fields a client may
// see, so private notes have no path to a client through the records API,
// its expand or its filters. Notes, the join link's salt and hash are
// hidden fields as well, in case a rule is ever added.
func init() {
	m.Register(func(app core.App) error {
		clients, err := app.FindCollectionByNameOrId("clients")
		if err != nil {
			return err
		}
		clinicians, err := app.FindCollectionByNameOrId("clinicians")
		if err != nil {
			return err
		}

		// The dashboard shows a client by name in relation pickers.
		if name, ok := clients.Fields.GetByName("name").(*core.TextField); ok {
			name.Presentable = true
		}
		if err := app.Save(clients); err != nil {
			return err
		}

		appointments := core.NewBaseCollection("appointments")
		appointments.Fields.Add(
			&core.RelationField{Name: "client", CollectionId: clients.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.RelationField{Name: "clinician", CollectionId: clinicians.Id, MaxSelect: 1, Required: true},
			// The dashboard enters dates in UTC; clinicians think in the
			// practice's local time, so they type that and Portico fills starts.
			&core.TextField{Name: "local_start", Max: 16, Pattern: `^\d{4}-\d{2}-\d{2} \d{1,2}:\d{2}$`,
				Help: "Date and time in the practice's time zone (practice › timezone), such as 2026-03-09 10:00. Portico fills starts from it."},
			// Not Required here, or the dashboard's form would demand it even
			// with local_start filled; the save hook requires one of the two.
			&core.DateField{Name: "starts", Presentable: true,
				Help: "The same moment in UTC, as the dashboard shows dates; set either this or local_start. Mail shows it in the client's time zone."},
			&core.NumberField{Name: "duration_minutes", Required: true, OnlyInt: true, Min: types.Pointer(5.0), Max: types.Pointer(600.0)},
			&core.SelectField{Name: "kind", Values: []string{"in person", "telehealth"}, MaxSelect: 1, Required: true},
			&core.TextField{Name: "location", Max: 500,
				Help: "For in-person visits; empty means the practice's address."},
			&core.SelectField{Name: "status", Values: []string{"scheduled", "cancelled", "completed"}, MaxSelect: 1,
				Help: "Empty means scheduled. Cancelling mails the client a cancellation."},
			&core.TextField{Name: "timezone", Max: 64,
				Help: "The client's IANA time zone for mail, such as America/New_York; empty takes the client's."},
			&core.EditorField{Name: "notes", Hidden: true, MaxSize: 50_000,
				Help: "Private to staff: never shown to the client or put in mail."},
			&core.NumberField{Name: "sequence", OnlyInt: true,
				Help: "Rises with each change the client is told of (the calendar file's SEQUENCE)."},
			&core.DateField{Name: "next_reminder",
				Help: "When the next reminder is due; empty when none is left."},
			&core.JSONField{Name: "reminders_queued", MaxSize: 2000,
				Help: "When each reminder was queued, by its lead time in minutes."},
			&core.TextField{Name: "join_salt", Hidden: true, Max: 64},
			&core.TextField{Name: "join_hash", Hidden: true, Max: 64},
			&core.AutodateField{Name: "created", OnCreate: true},
			&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
		)
		// The reminder sweep reads only rows with a reminder due.
		appointments.AddIndex("idx_appointments_next_reminder", false, "status, next_reminder", "")
		appointments.AddIndex("idx_appointments_client_starts", false, "client, starts", "")
		appointments.AddIndex("idx_appointments_join_hash", true, "join_hash", "join_hash != ''")

		return app.Save(appointments)
	}, func(app core.App) error {
		appointments, err := app.FindCollectionByNameOrId("appointments")
		if err != nil {
			return err
		}
		return app.Delete(appointments)
	})
}
