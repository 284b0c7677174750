package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// The schedule marks a session the client missed as a no-show, apart from
// one that happened (completed) or was called off (cancelled). The week
// view reads appointments by start, per clinician or for the whole
// practice, and the booking check looks for a clinician's overlapping
// appointments: both get an index.
func init() {
	m.Register(func(app core.App) error {
		appointments, err := app.FindCollectionByNameOrId("appointments")
		if err != nil {
			return err
		}
		if status, ok := appointments.Fields.GetByName("status").(*core.SelectField); ok {
			status.Values = []string{"scheduled", "cancelled", "completed", "no_show"}
			status.Help = "Empty means scheduled. Cancelling mails the client a cancellation; no_show is a session the client missed."
		}
		appointments.AddIndex("idx_appointments_clinician_starts", false, "clinician, starts", "")
		appointments.AddIndex("idx_appointments_starts", false, "starts", "")
		return app.Save(appointments)
	}, func(app core.App) error {
		appointments, err := app.FindCollectionByNameOrId("appointments")
		if err != nil {
			return err
		}
		if status, ok := appointments.Fields.GetByName("status").(*core.SelectField); ok {
			status.Values = []string{"scheduled", "cancelled", "completed"}
		}
		appointments.RemoveIndex("idx_appointments_clinician_starts")
		appointments.RemoveIndex("idx_appointments_starts")
		return app.Save(appointments)
	})
}
