package hooks

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase"
	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"

	"portico/hooks/outbox"
)

// dueRemindersQuery selects a batch of appointments with a reminder due;
// the index idx_appointments_next_reminder answers it without reading the
// others.
func dueRemindersQuery(app core.App, now time.Time) *dbx.SelectQuery {
	return app.RecordQuery("appointments").
		AndWhere(dbx.NewExp("status = 'scheduled' AND next_reminder > '' AND next_reminder <= {:now}",
			dbx.Params{"now": outbox.DBTime(now)})).
		OrderBy("next_reminder").
		Limit(sweepBatch)
}

// sweepBatch appointments are reminded per transaction.
const sweepBatch = 500

// registerReminders queues due reminders each minute inside serve (cron
// runs only there) and adds `portico reminders run` for one sweep now.
func (p *Portal) registerReminders(app *pocketbase.PocketBase) {
	p.App.Cron().MustAdd("portico_reminders", "* * * * *", func() {
		if _, err := p.SweepReminders(); err != nil {
			p.App.Logger().Error("reminders: sweep", "error", err)
		}
	})

	reminders := &cobra.Command{
		Use:   "reminders",
		Short: "Appointment reminders",
	}
	reminders.AddCommand(&cobra.Command{
		Use:   "run",
		Short: "Queue every reminder that is due now (the server also does this each minute)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			queued, err := p.SweepReminders()
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d reminder(s) queued; the running server delivers them.\n", queued)
			return nil
		},
	})
	app.RootCmd.AddCommand(reminders)
}

// SweepReminders queues every reminder that is due now and reports how
// many it queued. Each (appointment, lead time, start) is queued once,
// whatever runs at the same time: the outbox's unique dedupe key decides,
// in the same transaction that moves the appointment's next_reminder on.
func (p *Portal) SweepReminders() (int, error) {
	now := p.Config.Now()
	practice := p.Practice()
	leads := slices.Clone(practice.ReminderLeads)
	slices.SortFunc(leads, func(a, b time.Duration) int { return int(b - a) }) // longest first

	total := 0
	for {
		found, queued := 0, 0
		err := retryWhenLocked(func() error {
			return p.App.RunInTransaction(func(tx core.App) error {
				found, queued = 0, 0
				var records []*core.Record
				if err := dueRemindersQuery(tx, now).All(&records); err != nil {
					return err
				}
				found = len(records)
				due, err := loadAppointments(tx, records)
				if err != nil {
					return err
				}
				for _, a := range due {
					sent, err := p.remind(tx, practice, a, leads, now)
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
func (p *Portal) remind(tx core.App, practice Practice, a appointment, leads []time.Duration, now time.Time) (bool, error) {
	starts := a.starts()
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
		minutes := int(due.Minutes())
		var err error
		sent, err = p.mailAppointment(tx, practice, a, appointmentNotice{
			kind:   "appointment_reminder",
			dedupe: fmt.Sprintf("reminder:%s:%d:%d", a.Id, minutes, starts.Unix()),
		})
		if err != nil {
			return false, err
		}
		queuedAt[strconv.Itoa(minutes)] = outbox.DBTime(now)
	}

	queued, err := json.Marshal(queuedAt)
	if err != nil {
		return false, err
	}
	nextReminder := ""
	if !next.IsZero() {
		nextReminder = outbox.DBTime(next)
	}
	// A plain UPDATE: the mark must not run the dashboard's save hooks,
	// whose checks (a clinician's room, say) are no reason to resend.
	_, err = tx.DB().NewQuery(
		"UPDATE appointments SET next_reminder = {:next}, reminders_queued = {:queued}, updated = {:now} WHERE id = {:id}",
	).Bind(dbx.Params{
		"next":   nextReminder,
		"queued": string(queued),
		"now":    outbox.DBTime(now),
		"id":     a.Id,
	}).Execute()
	return sent, err
}

// loadAppointments reads the clients and clinicians of records in two queries.
func loadAppointments(app core.App, records []*core.Record) ([]appointment, error) {
	people := map[string]map[string]*core.Record{}
	for collection, field := range map[string]string{"clients": "client", "clinicians": "clinician"} {
		ids := make([]string, 0, len(records))
		for _, record := range records {
			ids = append(ids, record.GetString(field))
		}
		found, err := app.FindRecordsByIds(collection, ids)
		if err != nil {
			return nil, err
		}
		people[collection] = map[string]*core.Record{}
		for _, person := range found {
			people[collection][person.Id] = person
		}
	}

	appointments := make([]appointment, 0, len(records))
	for _, record := range records {
		client, clinician := people["clients"][record.GetString("client")], people["clinicians"][record.GetString("clinician")]
		if client == nil || clinician == nil {
			return nil, fmt.Errorf("appointment %s: its client or clinician is missing", record.Id)
		}
		appointments = append(appointments, appointment{Record: record, client: client, clinician: clinician})
	}
	return appointments, nil
}

// retryWhenLocked runs a transaction again when SQLite turned it away
// because another process wrote first: sweeps in `serve` and in
// `portico reminders run` may overlap, and the loser simply retries.
func retryWhenLocked(run func() error) error {
	for attempt := 1; ; attempt++ {
		err := run()
		if err == nil || attempt == 5 || !strings.Contains(err.Error(), "database is locked") {
			return err
		}
		time.Sleep(time.Duration(attempt) * 50 * time.Millisecond)
	}
}
