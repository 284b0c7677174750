package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Clients confirm, cancel or ask to move an appointment from the
// reminder's links and from the portal. The practice sets its
// cancellation policy and may turn each action off; each appointment
// gets the salt and hash of its action links' token (the token itself is
// derived, never stored) and the client's answers; a request for another
// time is a record of its own that staff answer.
//
// appointment_requests has no API rules: until the staff workspace gives
// roles, staff are the dashboard's superusers, who read and answer
// requests there and through the records API. Clients reach their own
// requests only through /api/portal/actions.
func init() {
	m.Register(func(app core.App) error {
		practice, err := app.FindCollectionByNameOrId("practice")
		if err != nil {
			return err
		}
		practice.Fields.Add(
			&core.NumberField{Name: "cancellation_policy_hours", OnlyInt: true, Min: types.Pointer(0.0), Max: types.Pointer(720.0),
				Help: "A client who cancels later than this many hours before the start (counted on the practice's clock) is told so first, and the cancellation is marked late. 0 or empty: no policy."},
			&core.SelectField{Name: "client_actions_off", Values: []string{"confirm", "cancel", "reschedule"}, MaxSelect: 3,
				Help: "Actions clients may not take from reminders and the portal; empty offers all three."},
		)
		if err := app.Save(practice); err != nil {
			return err
		}

		appointments, err := app.FindCollectionByNameOrId("appointments")
		if err != nil {
			return err
		}
		appointments.Fields.Add(
			&core.DateField{Name: "confirmed",
				Help: "When the client said they will come; cleared when the time changes."},
			&core.SelectField{Name: "cancelled_by", Values: []string{"client"}, MaxSelect: 1,
				Help: "Set when the client cancelled from a reminder or the portal."},
			&core.BoolField{Name: "late_cancellation",
				Help: "The client cancelled inside the practice's cancellation policy window."},
			&core.TextField{Name: "action_salt", Hidden: true, Max: 64},
			&core.TextField{Name: "action_hash", Hidden: true, Max: 64},
		)
		appointments.AddIndex("idx_appointments_action_hash", true, "action_hash", "action_hash != ''")
		if err := app.Save(appointments); err != nil {
			return err
		}
		// Appointments booked before this change get a salt here; the
		// server stores their hashes when it starts.
		if _, err := app.DB().NewQuery("UPDATE appointments SET action_salt = lower(hex(randomblob(16))) WHERE action_salt = ''").Execute(); err != nil {
			return err
		}

		clients, err := app.FindCollectionByNameOrId("clients")
		if err != nil {
			return err
		}
		requests := core.NewBaseCollection("appointment_requests")
		requests.Fields.Add(
			&core.RelationField{Name: "appointment", CollectionId: appointments.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.RelationField{Name: "client", CollectionId: clients.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.JSONField{Name: "preferred_times", MaxSize: 1000,
				Help: "Up to three times the client would prefer (UTC)."},
			&core.TextField{Name: "note", Max: 500,
				Help: "What the client wrote. Never mailed."},
			&core.SelectField{Name: "status", Values: []string{"open", "rescheduled", "declined", "withdrawn"}, MaxSelect: 1, Required: true,
				Help: "Move the appointment to answer (it becomes rescheduled), or set declined with an answer."},
			&core.TextField{Name: "answer", Max: 300,
				Help: "When declining: one line the client receives by email and in the portal. No health details."},
			&core.DateField{Name: "answered"},
			&core.AutodateField{Name: "created", OnCreate: true},
			&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
		)
		// One open request per appointment: a second press answers what already happened.
		requests.AddIndex("idx_appointment_requests_open", true, "appointment", "status = 'open'")
		requests.AddIndex("idx_appointment_requests_client", false, "client, created", "")
		return app.Save(requests)
	}, func(app core.App) error {
		requests, err := app.FindCollectionByNameOrId("appointment_requests")
		if err != nil {
			return err
		}
		if err := app.Delete(requests); err != nil {
			return err
		}
		appointments, err := app.FindCollectionByNameOrId("appointments")
		if err != nil {
			return err
		}
		appointments.RemoveIndex("idx_appointments_action_hash")
		for _, name := range []string{"confirmed", "cancelled_by", "late_cancellation", "action_salt", "action_hash"} {
			appointments.Fields.RemoveByName(name)
		}
		if err := app.Save(appointments); err != nil {
			return err
		}
		practice, err := app.FindCollectionByNameOrId("practice")
		if err != nil {
			return err
		}
		practice.Fields.RemoveByName("cancellation_policy_hours")
		practice.Fields.RemoveByName("client_actions_off")
		return app.Save(practice)
	})
}
