package reminders_test

import (
	"bytes"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	ical "github.com/emersion/go-ical"
	"github.com/pocketbase/pocketbase"
	"github.com/pocketbase/pocketbase/core"

	"portico/hooks"
	"portico/internal/testenv"
)

func TestEachReminderFiresOnceWithCalendarAndJoinLink(t *testing.T) {
	env := testenv.Start(t)
	client, _ := env.NewClient("Ada Client", "ada@example.com", true)
	starts := env.Clock.Now().Add(72 * time.Hour).Truncate(time.Minute)
	appointment := env.Book(client, env.NewClinician(), starts, "telehealth")
	if booked := env.Mail.Next("ada@example.com", testenv.Wait); !strings.HasPrefix(booked.Subject, "Booked: your appointment on ") {
		t.Fatalf("the first mail after booking is %q; want the confirmation", booked.Subject)
	}

	if n := env.Reminded(appointment); n != 0 {
		t.Fatalf("three days ahead %d reminders were queued; want none yet", n)
	}

	var uids []string
	for i, lead := range []time.Duration{48 * time.Hour, 2 * time.Hour} {
		env.Clock.Set(starts.Add(-lead))
		for range 3 {
			if n := env.Reminded(appointment); n != i+1 {
				t.Fatalf("at %s before and after, %d reminders were queued; want %d", lead, n, i+1)
			}
			env.Clock.Advance(time.Minute)
		}

		msg := env.Mail.Next("ada@example.com", testenv.Wait)
		if !strings.HasPrefix(msg.Subject, "Reminder: your appointment on ") {
			t.Errorf("reminder subject is %q", msg.Subject)
		}
		for _, want := range []string{"Dr. Maya Lin", "(New York time)", env.URL + "/portal/", env.URL + "/join/"} {
			if !strings.Contains(msg.Text, want) {
				t.Errorf("the %s reminder does not say %q:\n%s", lead, want, msg.Text)
			}
		}
		if strings.Contains(msg.Text, "/s/") {
			t.Errorf("the reminder carries a sign-in link; it should link the portal only")
		}
		testenv.MustNotLeak(t, "the reminder mail", msg.Text+msg.HTML+string(msg.Attachments["appointment.ics"]))

		calendar, event := testenv.CalendarOf(t, msg)
		if method := testenv.Prop(t, calendar.Component, "METHOD"); method != "REQUEST" {
			t.Errorf("reminder .ics METHOD is %s; want REQUEST", method)
		}
		start, _ := event.DateTimeStart(time.UTC)
		end, _ := event.DateTimeEnd(time.UTC)
		if !start.Equal(starts) || !end.Equal(starts.Add(50*time.Minute)) {
			t.Errorf(".ics runs %s to %s; want %s for 50 minutes", start, end, starts)
		}
		uids = append(uids, testenv.Prop(t, event.Component, ical.PropUID))
	}
	if uids[0] != uids[1] || !strings.HasPrefix(uids[0], appointment.Id+"@") {
		t.Errorf("the .ics UIDs %q are not one stable id for the appointment", uids)
	}

	env.Clock.Set(starts.Add(time.Minute))
	if n := env.Reminded(appointment); n != 2 {
		t.Fatalf("after the start %d reminders were queued in all; want 2", n)
	}
	env.NoMailTo("ada@example.com")
}

func TestLateBookingSendsOnlyTheNearestReminder(t *testing.T) {
	env := testenv.Start(t)
	client, _ := env.NewClient("Ada Client", "ada@example.com", true)
	clinician := env.NewClinician()

	// Booked an hour ahead: both lead times are past, one reminder goes.
	soon := env.Book(client, clinician, env.Clock.Now().Add(time.Hour), "in person")
	if n := env.Reminded(soon); n != 1 {
		t.Fatalf("a booking an hour ahead got %d reminders; want 1", n)
	}
	if got := env.Count("mail_outbox", "dedupe_key = 'reminder:"+soon.Id+":120:"+strconv.FormatInt(soon.GetDateTime("starts").Time().Unix(), 10)+"'"); got != 1 {
		t.Errorf("the reminder sent was not the 2-hour one")
	}
	env.Mail.Next("ada@example.com", testenv.Wait)

	// Booked three hours ahead: the 48-hour reminder now, the 2-hour one on time.
	starts := env.Clock.Now().Add(3 * time.Hour)
	later := env.Book(client, clinician, starts, "in person")
	if n := env.Reminded(later); n != 1 {
		t.Fatalf("a booking three hours ahead got %d reminders at once; want 1", n)
	}
	env.Clock.Set(starts.Add(-2 * time.Hour))
	if n := env.Reminded(later); n != 2 {
		t.Fatalf("the 2-hour reminder of a late booking did not come (%d in all)", n)
	}
}

func TestConcurrentSweepsTwoProcessesAndRestartQueueNoDuplicate(t *testing.T) {
	env := testenv.Start(t)
	client, _ := env.NewClient("Ada Client", "ada@example.com", true)
	clinician := env.NewClinician()
	const count = 40
	for i := range count {
		env.Book(client, clinician, env.Clock.Now().Add(time.Hour+time.Duration(i)*time.Hour), "telehealth") // one an hour: no overlaps
	}

	// A second process on the same data dir, as `portico reminders run` beside `serve`.
	other := pocketbase.NewWithConfig(pocketbase.Config{DefaultDataDir: env.Dir, HideStartBanner: true})
	otherPortal := hooks.Register(other, env.Config)
	if err := other.Bootstrap(); err != nil {
		t.Fatal(err)
	}
	defer testenv.Close(other)

	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for i := range 6 {
		sweeper := env.Portal
		if i%2 == 1 {
			sweeper = otherPortal
		}
		wg.Go(func() {
			if _, err := sweeper.Reminders.Sweep(); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("a concurrent sweep failed: %v", err)
	}
	if got := env.Count("mail_outbox", "kind = 'appointment_reminder'"); got != count {
		t.Fatalf("six concurrent sweeps over two processes queued %d reminders for %d appointments", got, count)
	}

	// A crash between queueing and marking: the marks are lost, the queue is not.
	if _, err := env.App.DB().NewQuery("UPDATE appointments SET next_reminder = strftime('%Y-%m-%d %H:%M:%fZ', starts, '-48 hours')").Execute(); err != nil {
		t.Fatal(err)
	}
	env.Restart()
	env.Sweep()
	if got := env.Count("mail_outbox", "kind = 'appointment_reminder'"); got != count {
		t.Fatalf("after a crash and restart %d reminders are queued for %d appointments", got, count)
	}
	for range 2 * count { // each appointment's confirmation and one reminder
		env.Mail.Next("ada@example.com", testenv.Wait)
	}
	env.NoMailTo("ada@example.com")
}

func TestRescheduleAndCancel(t *testing.T) {
	env := testenv.Start(t)
	client, _ := env.NewClient("Ada Client", "ada@example.com", true)
	starts := env.Clock.Now().Add(24 * time.Hour).Truncate(time.Minute)
	appointment := env.Book(client, env.NewClinician(), starts, "in person")
	// One mail at a time, so their order is the test's and not the
	// outbox's: the booking's confirmation, then the day-ahead reminder.
	if booked := env.Mail.Next("ada@example.com", testenv.Wait); !strings.HasPrefix(booked.Subject, "Booked: ") {
		t.Fatalf("the first mail after booking is %q; want the confirmation", booked.Subject)
	}
	env.Sweep()
	first := env.Mail.Next("ada@example.com", testenv.Wait)
	if !strings.HasPrefix(first.Subject, "Reminder: ") {
		t.Fatalf("the mail after the sweep is %q; want the reminder", first.Subject)
	}
	_, firstEvent := testenv.CalendarOf(t, first)

	// Moved a week on: a notice now with the new time, fresh reminders later.
	moved := starts.Add(7 * 24 * time.Hour)
	env.Change(appointment, "starts", moved)
	notice := env.Mail.Next("ada@example.com", testenv.Wait)
	if !strings.HasPrefix(notice.Subject, "New time: ") {
		t.Errorf("reschedule notice subject is %q", notice.Subject)
	}
	testenv.MustNotLeak(t, "the reschedule notice", notice.Text+notice.HTML+string(notice.Attachments["appointment.ics"]))
	calendar, event := testenv.CalendarOf(t, notice)
	start, _ := event.DateTimeStart(time.UTC)
	if !start.Equal(moved) || testenv.Prop(t, calendar.Component, "METHOD") != "REQUEST" {
		t.Errorf("reschedule .ics starts %s (%s); want %s REQUEST", start, testenv.Prop(t, calendar.Component, "METHOD"), moved)
	}
	if testenv.Prop(t, event.Component, ical.PropUID) != testenv.Prop(t, firstEvent.Component, ical.PropUID) {
		t.Errorf("rescheduling changed the .ics UID: calendars would show two appointments")
	}
	if testenv.Prop(t, event.Component, "SEQUENCE") <= testenv.Prop(t, firstEvent.Component, "SEQUENCE") {
		t.Errorf(".ics SEQUENCE did not rise on reschedule")
	}
	if n := env.Reminded(appointment); n != 1 {
		t.Fatalf("right after the reschedule %d reminders were queued in all; want the first one only", n)
	}
	env.Clock.Set(moved.Add(-48 * time.Hour))
	if n := env.Reminded(appointment); n != 2 {
		t.Fatalf("the new time's 48-hour reminder did not come (%d in all)", n)
	}
	env.Mail.Next("ada@example.com", testenv.Wait)

	// The 2-hour reminder is queued while mail is down, then the appointment is cancelled.
	env.Mail.Down()
	env.Clock.Set(moved.Add(-2 * time.Hour))
	if n := env.Reminded(appointment); n != 3 {
		t.Fatalf("the 2-hour reminder was not queued (%d in all)", n)
	}
	env.Change(appointment, "status", "cancelled")
	env.Mail.Up()
	// An attempt the worker began while mail was down sets a retry from
	// the clock it then reads: twice past the delay is past it for sure.
	for range 2 {
		env.Clock.Advance(time.Minute)
		if err := env.Portal.Outbox.Deliver(); err != nil {
			t.Fatal(err)
		}
	}
	cancelled := env.Mail.Next("ada@example.com", testenv.Wait)
	if !strings.HasPrefix(cancelled.Subject, "Cancelled: ") {
		t.Fatalf("after cancelling, the client got %q; want the cancellation and no reminder", cancelled.Subject)
	}
	calendar, event = testenv.CalendarOf(t, cancelled)
	if testenv.Prop(t, calendar.Component, "METHOD") != "CANCEL" || testenv.Prop(t, event.Component, ical.PropStatus) != "CANCELLED" {
		t.Errorf("cancellation .ics is not METHOD:CANCEL with STATUS:CANCELLED")
	}
	testenv.MustNotLeak(t, "the cancellation", cancelled.Text+cancelled.HTML+string(cancelled.Attachments["appointment.ics"]))
	if strings.Contains(cancelled.Text, "/join/") {
		t.Errorf("the cancellation carries a join link")
	}
	env.Clock.Advance(time.Minute)
	if n := env.Reminded(appointment); n != 3 {
		t.Fatalf("a cancelled appointment got more reminders (%d in all)", n)
	}
	env.NoMailTo("ada@example.com")
}

func TestReminderShowsLocalTimeAcrossDaylightSaving(t *testing.T) {
	newYork, _ := time.LoadLocation("America/New_York")
	cases := []struct {
		name  string
		local time.Time
		want  string
	}{
		{"before spring forward", time.Date(2026, 3, 7, 10, 0, 0, 0, newYork), "Saturday, 7 March 2026 at 10:00 AM EST (New York time)"},
		{"after spring forward", time.Date(2026, 3, 9, 10, 0, 0, 0, newYork), "Monday, 9 March 2026 at 10:00 AM EDT (New York time)"},
		{"before fall back", time.Date(2026, 10, 31, 10, 0, 0, 0, newYork), "Saturday, 31 October 2026 at 10:00 AM EDT (New York time)"},
		{"after fall back", time.Date(2026, 11, 2, 10, 0, 0, 0, newYork), "Monday, 2 November 2026 at 10:00 AM EST (New York time)"},
	}
	env := testenv.Start(t)
	client, _ := env.NewClient("Ada Client", "ada@example.com", true)
	clinician := env.NewClinician()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// The 48-hour reminder is sent across the clock change.
			env.Clock.Set(c.local.Add(-47 * time.Hour))
			appointment := env.Book(client, clinician, c.local, "in person")
			if booked := env.Mail.Next("ada@example.com", testenv.Wait); !strings.Contains(booked.Text, "When: "+c.want) {
				t.Errorf("the confirmation does not say %q:\n%s", c.want, booked.Text)
			}
			if n := env.Reminded(appointment); n != 1 {
				t.Fatalf("sweep queued %d reminders; want 1", n)
			}
			msg := env.Mail.Next("ada@example.com", testenv.Wait)
			if !strings.Contains(msg.Text, "When: "+c.want) {
				t.Errorf("the reminder does not say %q:\n%s", c.want, msg.Text)
			}
			_, event := testenv.CalendarOf(t, msg)
			if start, _ := event.DateTimeStart(time.UTC); !start.Equal(c.local) {
				t.Errorf(".ics starts at %s; want %s", start, c.local.UTC())
			}
		})
	}
}

func TestRemindersRunCommandQueuesDueReminders(t *testing.T) {
	env := testenv.Start(t)
	if !hasJob(env, "portico_reminders", "* * * * *") {
		t.Errorf("the running server has no reminder sweep each minute")
	}
	client, _ := env.NewClient("Ada Client", "ada@example.com", true)
	appointment := env.Book(client, env.NewClinician(), env.Clock.Now().Add(90*time.Minute), "telehealth")

	var out bytes.Buffer
	env.App.RootCmd.SetOut(&out)
	env.App.RootCmd.SetArgs([]string{"reminders", "run"})
	if err := env.App.RootCmd.Execute(); err != nil {
		t.Fatalf("portico reminders run: %v", err)
	}
	if !strings.Contains(out.String(), "reminder(s) queued; the running server delivers them") {
		t.Errorf("portico reminders run printed %q", out.String())
	}
	if n := env.Count("mail_outbox", "dedupe_key ~ 'reminder:"+appointment.Id+":%'"); n != 1 {
		t.Errorf("after portico reminders run %d reminders are queued; want 1", n)
	}
	env.Mail.Next("ada@example.com", testenv.Wait)
}

func TestBookingRefusesWhatWouldBreakMail(t *testing.T) {
	env := testenv.Start(t)
	client, _ := env.NewClient("Ada Client", "ada@example.com", true)
	clinician := env.NewClinician()
	collection, _ := env.App.FindCollectionByNameOrId("appointments")

	cases := []struct {
		name, field string
		edit        func(*core.Record)
	}{
		{"no start", "local_start", func(r *core.Record) { r.Set("starts", "") }},
		{"a start that is no date", "local_start", func(r *core.Record) { r.Set("local_start", "next Tuesday") }},
		{"unknown time zone", "timezone", func(r *core.Record) { r.Set("timezone", "Mars/Olympus") }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			record := core.NewRecord(collection)
			record.Set("client", client.Id)
			record.Set("clinician", clinician.Id)
			record.Set("starts", env.Clock.Now().Add(time.Hour))
			record.Set("duration_minutes", 50)
			record.Set("kind", "telehealth")
			c.edit(record)
			err := env.App.Save(record)
			if err == nil || !strings.Contains(err.Error(), c.field) {
				t.Fatalf("saving with %s: got %v; want an error on %s", c.name, err, c.field)
			}
		})
	}
	if got := env.Count("appointments", ""); got != 0 {
		t.Errorf("%d refused appointments were stored", got)
	}
}

func hasJob(env *testenv.Env, id, expression string) bool {
	for _, job := range env.App.Cron().Jobs() {
		if job.Id() == id && job.Expression() == expression {
			return true
		}
	}
	return false
}
