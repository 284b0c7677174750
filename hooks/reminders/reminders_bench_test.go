package reminders_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"portico/hooks/reminders"
	"portico/hooks/schema"
	"portico/internal/testenv"
)

// seedAppointments stores n scheduled appointments in one transaction,
// the i-th starting at starts(i), spread over a few clients, every other
// one by telehealth. It writes rows directly: booking 100,000 through
// the dashboard's hooks would make the setup, not the sweep, the benchmark.
func seedAppointments(tb testing.TB, env *testenv.Env, n int, starts func(i int) time.Time) {
	tb.Helper()
	var clients []*core.Record
	for i := range 20 {
		client, _ := env.NewClient(fmt.Sprintf("Client %d", i), fmt.Sprintf("client%d@example.com", i), false)
		clients = append(clients, client)
	}
	clinician := env.NewClinician()
	settings, err := env.Portal.Practice.Get()
	if err != nil {
		tb.Fatal(err)
	}
	leads := settings.ReminderLeads
	longest := leads[0]
	for _, lead := range leads {
		longest = max(longest, lead)
	}

	err = env.App.RunInTransaction(func(tx core.App) error {
		now := schema.DateTime(env.Clock.Now()).String()
		for i := range n {
			start := starts(i)
			kind, salt := "in person", ""
			if i%2 == 1 {
				kind, salt = "telehealth", fmt.Sprintf("salt%011d", i)
			}
			_, err := tx.DB().Insert("appointments", dbx.Params{
				"id":               fmt.Sprintf("seed%011d", i),
				"client":           clients[i%len(clients)].Id,
				"clinician":        clinician.Id,
				"starts":           schema.DateTime(start).String(),
				"duration_minutes": 50,
				"kind":             kind,
				"location":         "",
				"status":           "scheduled",
				"timezone":         "America/New_York",
				"notes":            testenv.PrivateNote,
				"sequence":         0,
				"next_reminder":    schema.DateTime(start.Add(-longest)).String(),
				"reminders_queued": "{}",
				"join_salt":        salt,
				"join_hash":        "",
				"created":          now,
				"updated":          now,
			}).Execute()
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("seeding %d appointments: %v", n, err)
	}
}

// sweepPlan is SQLite's plan for the sweep's query.
func sweepPlan(tb testing.TB, env *testenv.Env) string {
	tb.Helper()
	query := reminders.DueQuery(env.App, env.Clock.Now()).Build()
	var plan []struct {
		Detail string `db:"detail"`
	}
	err := env.App.DB().NewQuery("EXPLAIN QUERY PLAN " + query.SQL()).Bind(query.Params()).All(&plan)
	if err != nil {
		tb.Fatal(err)
	}
	var lines []string
	for _, step := range plan {
		lines = append(lines, step.Detail)
	}
	return strings.Join(lines, "; ")
}

func TestReminderSweepUsesItsIndex(t *testing.T) {
	env := testenv.Start(t)
	seedAppointments(t, env, 2000, func(i int) time.Time { return env.Clock.Now().Add(time.Duration(i) * time.Hour) })
	if _, err := env.App.DB().NewQuery("ANALYZE").Execute(); err != nil {
		t.Fatal(err)
	}
	plan := sweepPlan(t, env)
	if !strings.Contains(plan, "USING INDEX idx_appointments_next_reminder") || strings.Contains(plan, "TEMP B-TREE") {
		t.Fatalf("the sweep's query does not use idx_appointments_next_reminder: %s", plan)
	}
}

// BenchmarkReminderSweep100k is one sweep over 100,000 appointments booked
// over the coming year, as after a restart: every appointment within the
// 48-hour lead (about 550) has its reminder queued in that sweep.
func BenchmarkReminderSweep100k(b *testing.B) {
	env := testenv.Start(b)
	env.App.Cron().Stop()    // the benchmark sweeps; the minute's job must not take its work
	env.Portal.Outbox.Stop() // measure queueing alone; delivery has its own benchmark
	const count = 100_000
	year := 365 * 24 * time.Hour
	seedAppointments(b, env, count, func(i int) time.Time {
		return env.Clock.Now().Add(time.Minute + time.Duration(i)*(year/count))
	})
	b.Logf("plan: %s", sweepPlan(b, env))

	queued, quiet := 0, time.Duration(0)
	for b.Loop() {
		n, err := env.Portal.Reminders.Sweep()
		if err != nil {
			b.Fatal(err)
		}
		queued = n
		b.StopTimer()

		// The next minute's sweep, with nothing new due, is what a server does all day.
		started := time.Now()
		if _, err := env.Portal.Reminders.Sweep(); err != nil {
			b.Fatal(err)
		}
		quiet = time.Since(started)

		_, err = env.App.DB().NewQuery("UPDATE appointments SET next_reminder = strftime('%Y-%m-%d %H:%M:%fZ', starts, '-48 hours'), reminders_queued = '{}'").Execute()
		if err == nil {
			_, err = env.App.DB().NewQuery("DELETE FROM mail_outbox").Execute()
		}
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(queued), "queued/op")
	b.ReportMetric(float64(quiet.Microseconds())/1000, "ms-next-sweep")
}

// BenchmarkTenThousandRemindersDelivered queues 10,000 reminders that are
// due at once and delivers them, with their .ics files, to the test's SMTP
// server.
func BenchmarkTenThousandRemindersDelivered(b *testing.B) {
	const count = 10_000
	for b.Loop() {
		b.StopTimer()
		env := testenv.Start(b)
		env.App.Cron().Stop() // the benchmark sweeps; the minute's job must not take its work
		seedAppointments(b, env, count, func(i int) time.Time {
			return env.Clock.Now().Add(90*time.Minute + time.Duration(i)*time.Second)
		})
		b.StartTimer()

		started := time.Now()
		if _, err := env.Portal.Reminders.Sweep(); err != nil {
			b.Fatal(err)
		}
		if queued := env.Count("mail_outbox", "kind = 'appointment_reminder'"); queued != count {
			b.Fatalf("%d of %d reminders queued", queued, count)
		}
		b.ReportMetric(time.Since(started).Seconds(), "s-to-queue")
		deadline := time.Now().Add(5 * time.Minute)
		for len(env.Mail.All()) < count {
			if time.Now().After(deadline) {
				b.Fatalf("only %d of %d reminders arrived within 5 minutes", len(env.Mail.All()), count)
			}
			time.Sleep(20 * time.Millisecond)
		}

		b.StopTimer()
		env.Stop()
		b.StartTimer()
	}
}
