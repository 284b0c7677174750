// Package reminders queues each appointment's reminders exactly once:
// a sweep each minute inside serve and `portico reminders run` find the
// appointments with a reminder due, and the outbox's unique dedupe key,
// written in the same transaction that moves the appointment's
// next_reminder on, decides. It is the only place a reminder's dedupe key
// is spelled.
package reminders

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"

	"portico/hooks/appointments"
	"portico/hooks/outbox"
	"portico/hooks/practice"
	"portico/hooks/schema"
)

// sweepBatch appointments are reminded per transaction.
const sweepBatch = 500

// Reminders is the reminders capability.
type Reminders struct {
	app          core.App
	now          func() time.Time
	practice     *practice.Settings
	outbox       *outbox.Outbox
	appointments *appointments.Appointments
}

// New returns the reminders of app's appointments.
func New(app core.App, now func() time.Time, settings *practice.Settings, queue *outbox.Outbox, booked *appointments.Appointments) *Reminders {
	return &Reminders{app: app, now: now, practice: settings, outbox: queue, appointments: booked}
}

// dedupeKey is the outbox key of one reminder: one per appointment, lead
// time and start, so a moved appointment is reminded again.
func dedupeKey(appointmentId string, lead time.Duration, starts time.Time) string {
	return fmt.Sprintf("%s%d:%d", keyPrefix(appointmentId), int(lead.Minutes()), starts.Unix())
}

func keyPrefix(appointmentId string) string {
	return "reminder:" + appointmentId + ":"
}

// Register plans reminders as appointments are booked and changed, and
// sweeps each minute inside serve (cron runs only there).
func (r *Reminders) Register() {
	// Bound after the appointments capability's hooks, so these run inside
	// the transaction in which a change is saved and its notice queued.
	r.app.OnRecordCreate(schema.Appointments).BindFunc(func(e *core.RecordEvent) error {
		if err := r.plan(e.Record, appointments.ChangeMoved); err != nil {
			return err
		}
		return e.Next()
	})
	r.app.OnRecordUpdate(schema.Appointments).BindFunc(func(e *core.RecordEvent) error {
		change := appointments.Change(e.Record)
		if change != appointments.ChangeNone {
			// Queued reminders still carry the old details.
			err := r.outbox.Withdraw(e.App, keyPrefix(e.Record.Id), "Not sent: the appointment changed before it went out.")
			if err != nil {
				return err
			}
		}
		if err := r.plan(e.Record, change); err != nil {
			return err
		}
		return e.Next()
	})

	r.app.Cron().MustAdd("portico_reminders", "* * * * *", func() {
		if _, err := r.Sweep(); err != nil {
			r.app.Logger().Error("reminders: sweep", "error", err)
		}
	})
}

// plan sets when the appointment's next reminder is due: none unless it
// is scheduled, and from the longest lead again after a move.
func (r *Reminders) plan(record *core.Record, change string) error {
	if record.GetString("status") != schema.StatusScheduled {
		record.Set("next_reminder", "")
		return nil
	}
	if change != appointments.ChangeMoved {
		return nil
	}
	settings, err := r.practice.Get()
	if err != nil {
		return err
	}
	record.Set("reminders_queued", map[string]string{})
	record.Set("next_reminder", "")
	if leads := settings.ReminderLeads; len(leads) > 0 {
		// A start already closer than the longest lead is due at the
		// next sweep, which then sends only the nearest reminder.
		record.Set("next_reminder", record.GetDateTime("starts").Time().Add(-slices.Max(leads)))
	}
	return nil
}

// Command is `portico reminders run`, one sweep now.
func (r *Reminders) Command() *cobra.Command {
	reminders := &cobra.Command{
		Use:   "reminders",
		Short: "Appointment reminders",
	}
	reminders.AddCommand(&cobra.Command{
		Use:   "run",
		Short: "Queue every reminder that is due now (the server also does this each minute)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			// A data dir serve never opened has no tables yet.
			if err := r.app.RunAllMigrations(); err != nil {
				return fmt.Errorf("preparing the data dir: %w", err)
			}
			queued, err := r.Sweep()
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d reminder(s) queued; the running server delivers them.\n", queued)
			return nil
		},
	})
	return reminders
}

// dueQuery selects a batch of appointments with a reminder due; the index
// idx_appointments_next_reminder answers it without reading the others.
func dueQuery(app core.App, now time.Time) *dbx.SelectQuery {
	return app.RecordQuery(schema.Appointments).
		AndWhere(dbx.NewExp("status = 'scheduled' AND next_reminder > '' AND next_reminder <= {:now}",
			dbx.Params{"now": schema.DateTime(now)})).
		OrderBy("next_reminder").
		Limit(sweepBatch)
}

// Sweep queues every reminder that is due now and reports how many it
// queued. Each (appointment, lead time, start) is queued once, whatever
// runs at the same time: the outbox's unique dedupe key decides, in the
// same transaction that moves the appointment's next_reminder on.
func (r *Reminders) Sweep() (int, error) {
	now := r.now()
	settings, err := r.practice.Get()
	if err != nil {
		return 0, err
	}
	leads := slices.Clone(settings.ReminderLeads)
	slices.SortFunc(leads, func(a, b time.Duration) int { return int(b - a) }) // longest first

	total := 0
	for {
		found, queued := 0, 0
		err := schema.RetryWhenLocked(func() error {
			return r.app.RunInTransaction(func(tx core.App) error {
				found, queued = 0, 0
				var records []*core.Record
				if err := dueQuery(tx, now).All(&records); err != nil {
					return err
				}
				found = len(records)
				due, err := schema.LoadAppointments(tx, records)
				if err != nil {
					return err
				}
				for _, a := range due {
					sent, err := r.remind(tx, a, leads, now)
					if err != nil {
						return err
					}
					if sent {
						queued++
					}
				}
				return nil
			})
		})
		if err != nil {
			return total, err
		}
		total += queued
		if found < sweepBatch {
			return total, nil
		}
	}
}

// remind queues the reminder of a that is due now, if any, and moves its
// next_reminder to the next lead time. Lead times before next_reminder
// were dealt with already. Of several due at once (a late booking, or a
// server that was down) only the nearest is sent: two reminders a minute
// apart help nobody.
func (r *Reminders) remind(tx core.App, a *schema.Appointment, leads []time.Duration, now time.Time) (bool, error) {
	starts := a.Starts()
	handled := a.GetDateTime("next_reminder").Time()

	var due time.Duration
	var next time.Time
	for _, lead := range leads { // longest first, so their times run forward
		at := starts.Add(-lead)
		switch {
		case at.Before(handled):
		case !at.After(now):
			due = lead
		case next.IsZero():
			next = at
		}
	}
	if !starts.After(now) {
		due, next = 0, time.Time{}
	}

	queuedAt := map[string]string{}
	_ = a.UnmarshalJSONField("reminders_queued", &queuedAt)
	sent := false
	if due > 0 {
		var err error
		sent, err = r.appointments.Notify(tx, a, appointments.Notice{
			Kind:      appointments.NoticeReminder,
			DedupeKey: dedupeKey(a.Id, due, starts),
		})
		if err != nil {
			return false, err
		}
		queuedAt[strconv.Itoa(int(due.Minutes()))] = schema.DateTime(now).String()
	}

	queued, err := json.Marshal(queuedAt)
	if err != nil {
		return false, err
	}
	nextReminder := ""
	if !next.IsZero() {
		nextReminder = schema.DateTime(next).String()
	}
	// A plain UPDATE: the mark must not run the dashboard's save hooks,
	// whose checks (a clinician's room, say) are no reason to resend.
	_, err = tx.DB().NewQuery(
		"UPDATE appointments SET next_reminder = {:next}, reminders_queued = {:queued}, updated = {:now} WHERE id = {:id}",
	).Bind(dbx.Params{
		"next":   nextReminder,
		"queued": string(queued),
		"now":    schema.DateTime(now),
		"id":     a.Id,
	}).Execute()
	return sent, err
}
