package testenv

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
	"github.com/pocketbase/pocketbase/core"
)

// PrivateNote is what a clinician writes that a client must never see.
const PrivateNote = "Private: working diagnosis F41.1, discuss medication"

// NewClinician adds a clinician with a video room template, as staff would in the dashboard.
func (env *Env) NewClinician() *core.Record {
	env.T.Helper()
	collection, err := env.App.FindCollectionByNameOrId("clinicians")
	if err != nil {
		env.T.Fatal(err)
	}
	clinician := core.NewRecord(collection)
	clinician.Set("name", "Dr. Maya Lin")
	clinician.Set("credentials", "PsyD")
	clinician.Set("email", "maya@harbor.test")
	clinician.Set("video_room", "https://video.example/{room}")
	if err := env.App.Save(clinician); err != nil {
		env.T.Fatalf("adding a clinician: %v", err)
	}
	return clinician
}

// Book adds an appointment as a clinician would in the dashboard, with a private note.
func (env *Env) Book(client, clinician *core.Record, starts time.Time, kind string) *core.Record {
	env.T.Helper()
	collection, err := env.App.FindCollectionByNameOrId("appointments")
	if err != nil {
		env.T.Fatal(err)
	}
	appointment := core.NewRecord(collection)
	appointment.Set("client", client.Id)
	appointment.Set("clinician", clinician.Id)
	appointment.Set("starts", starts)
	appointment.Set("duration_minutes", 50)
	appointment.Set("kind", kind)
	appointment.Set("notes", PrivateNote)
	if err := env.App.Save(appointment); err != nil {
		env.T.Fatalf("booking an appointment: %v", err)
	}
	return appointment
}

// Change edits an appointment in the dashboard.
func (env *Env) Change(appointment *core.Record, field string, value any) {
	env.T.Helper()
	fresh, err := env.App.FindRecordById("appointments", appointment.Id)
	if err != nil {
		env.T.Fatal(err)
	}
	fresh.Set(field, value)
	if err := env.App.Save(fresh); err != nil {
		env.T.Fatalf("changing %s: %v", field, err)
	}
}

// Sweep runs one reminder sweep, as the minute's cron job or
// `portico reminders run` does.
func (env *Env) Sweep() {
	env.T.Helper()
	if _, err := env.Portal.Reminders.Sweep(); err != nil {
		env.T.Fatalf("reminder sweep: %v", err)
	}
}

// Reminded sweeps, then counts the reminders ever queued for appointment.
// Tests count what is in the outbox, not what one sweep says it queued,
// since the server's own cron job may have swept a moment before.
func (env *Env) Reminded(appointment *core.Record) int {
	env.T.Helper()
	env.Sweep()
	return env.Count("mail_outbox", "dedupe_key ~ 'reminder:"+appointment.Id+":%'")
}

// NoteWords are the parts of PrivateNote that show it leaked, also where it
// is cut or escaped.
var NoteWords = []string{"F41.1", "medication"}

// MustNotLeak fails when text holds anything from the clinician's notes.
func MustNotLeak(t testing.TB, where, text string) {
	t.Helper()
	for _, word := range NoteWords {
		if strings.Contains(text, word) {
			t.Errorf("%s shows the clinician's private notes:\n%s", where, text)
			return
		}
	}
}

// CalendarOf parses a mail's .ics with an iCalendar library other than the one that wrote it.
func CalendarOf(t testing.TB, msg Mail) (*ical.Calendar, ical.Event) {
	t.Helper()
	raw, ok := msg.Attachments["appointment.ics"]
	if !ok {
		t.Fatalf("mail %q has no appointment.ics attached", msg.Subject)
	}
	return ParseCalendar(t, raw)
}

// ParseCalendar parses an .ics that must hold exactly one event.
func ParseCalendar(t testing.TB, raw []byte) (*ical.Calendar, ical.Event) {
	t.Helper()
	calendar, err := ical.NewDecoder(bytes.NewReader(raw)).Decode()
	if err != nil {
		t.Fatalf("the .ics does not parse: %v\n%s", err, raw)
	}
	events := calendar.Events()
	if len(events) != 1 {
		t.Fatalf("the .ics holds %d events; want 1", len(events))
	}
	return calendar, events[0]
}

// Prop is a calendar property that must be there.
func Prop(t testing.TB, component *ical.Component, name string) string {
	t.Helper()
	p := component.Props.Get(name)
	if p == nil {
		t.Fatalf("the .ics has no %s", name)
	}
	return p.Value
}

// NewRecord saves a record of collection with fields, as the dashboard
// would, through every record hook.
func (env *Env) NewRecord(collection string, fields map[string]any) *core.Record {
	env.T.Helper()
	c, err := env.App.FindCollectionByNameOrId(collection)
	if err != nil {
		env.T.Fatal(err)
	}
	record := core.NewRecord(c)
	for name, value := range fields {
		record.Set(name, value)
	}
	if err := env.App.Save(record); err != nil {
		env.T.Fatalf("saving %s: %v", collection, err)
	}
	return record
}
