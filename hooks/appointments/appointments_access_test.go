package appointments_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"portico/internal/testenv"
)

// TestClientsSeeOnlyTheirOwnAppointmentsAndNoNotes tries every route a
// client could use on appointments, as the owner, as another client and
// signed out: none may show the clinician's notes or change anything, and
// only the owner's portal list and calendar show the appointment.
func TestClientsSeeOnlyTheirOwnAppointmentsAndNoNotes(t *testing.T) {
	env := testenv.Start(t)
	ada, _ := env.NewClient("Ada Client", "ada@example.com", true)
	ben, _ := env.NewClient("Ben Other", "ben@example.com", true)
	clinician := env.NewClinician()
	appointment := env.Book(ada, clinician, env.Clock.Now().Add(48*time.Hour), "telehealth")
	id := appointment.Id

	callers := testenv.Callers{"signed out": ""}
	for name, client := range map[string]*core.Record{"ada (owner)": ada, "ben (another client)": ben} {
		callers[name] = env.SessionOf(client)
	}
	filter := func(expr string) string { return "?filter=" + url.QueryEscape(expr) }
	records := "/api/collections/appointments/records"
	booking := map[string]any{"client": ada.Id, "clinician": clinician.Id, "starts": "2030-01-01 10:00:00Z", "duration_minutes": 50, "kind": "in person"}
	never := append([]string{"join_hash", "join_salt", appointment.GetString("join_hash")}, testenv.NoteWords...)

	// A read reaches the appointment when the answer shows its id; a write
	// reaches it when it succeeds at all.
	row := func(method, path string, body any, allowed ...string) testenv.Access {
		marker := ""
		if method == http.MethodGet {
			marker = id
		}
		return testenv.Access{Name: method + " " + path, Method: method, Path: path, Body: body, Marker: marker, Allowed: allowed, Never: never}
	}
	// A client reads its own record, but nothing of its appointments through it.
	throughClient := func(path string) testenv.Access {
		r := row(http.MethodGet, path, nil)
		r.Never = append([]string{"appointments_via_client"}, never...)
		return r
	}
	env.CheckAccess(t, callers, []testenv.Access{
		row(http.MethodGet, records, nil),
		row(http.MethodGet, records+filter("notes ~ 'F41'"), nil),
		row(http.MethodGet, records+filter("client = '"+ada.Id+"'"), nil),
		row(http.MethodGet, records+"/"+id, nil),
		row(http.MethodGet, records+"/"+id+"?expand=client,clinician", nil),
		row(http.MethodPost, records, booking),
		row(http.MethodPatch, records+"/"+id, map[string]any{"notes": "changed", "starts": "2030-01-01 10:00:00Z"}),
		row(http.MethodDelete, records+"/"+id, nil),
		throughClient("/api/collections/clients/records/" + ada.Id + "?expand=appointments_via_client"),
		throughClient("/api/collections/clients/records" + filter("appointments_via_client.notes ~ 'F41'")),
		throughClient("/api/collections/clients/records" + filter("appointments_via_client.id != ''")),
		row(http.MethodGet, "/api/collections/clinicians/records", nil),
		row(http.MethodGet, "/api/portal/appointments"+filter("notes ~ 'F41'"), nil, "ada (owner)"),
		row(http.MethodGet, "/api/portal/appointments/"+id+"/calendar", nil, "ada (owner)"),
	})

	fresh, err := env.App.FindRecordById("appointments", id)
	if err != nil {
		t.Fatalf("the appointment is gone after the clients' tries: %v", err)
	}
	if fresh.GetString("notes") != testenv.PrivateNote || !fresh.GetDateTime("starts").Equal(appointment.GetDateTime("starts")) {
		t.Errorf("a client changed the appointment")
	}
	if n := env.Count("appointments", ""); n != 1 {
		t.Errorf("clients created appointments: %d stored", n)
	}
}

func TestPortalListsUpcomingAppointmentsWithCalendar(t *testing.T) {
	env := testenv.Start(t)
	ada, _ := env.NewClient("Ada Client", "ada@example.com", true)
	clinician := env.NewClinician()
	now := env.Clock.Now()
	env.Book(ada, clinician, now.Add(-2*time.Hour), "in person") // over
	cancelled := env.Book(ada, clinician, now.Add(5*time.Hour), "in person")
	env.Change(cancelled, "status", "cancelled")
	env.Mail.Next("ada@example.com", testenv.Wait)
	later := env.Book(ada, clinician, now.Add(72*time.Hour), "in person")
	soon := env.Book(ada, clinician, now.Add(10*time.Minute), "telehealth")

	token := env.SessionOf(ada)
	r := env.Do(http.MethodGet, "/api/portal/appointments", nil, "Authorization", token)
	var list []map[string]any
	if err := json.Unmarshal(r.Body, &list); err != nil || r.Status != http.StatusOK {
		t.Fatalf("portal list: %s", r)
	}
	if len(list) != 2 || list[0]["id"] != soon.Id || list[1]["id"] != later.Id {
		t.Fatalf("the portal lists %s; want the telehealth one soon, then the one in three days", r)
	}
	if list[0]["joinOpen"] != true || !strings.Contains(list[0]["joinURL"].(string), "/join/") {
		t.Errorf("ten minutes before a telehealth session the Join button is not live: %v", list[0])
	}
	if list[1]["joinURL"] != nil || list[1]["clinician"] != "Dr. Maya Lin, PsyD" {
		t.Errorf("an in-person appointment is listed as %v", list[1])
	}

	ics := env.Do(http.MethodGet, "/api/portal/appointments/"+later.Id+"/calendar", nil, "Authorization", token)
	if ics.Status != http.StatusOK || !strings.HasPrefix(ics.Header.Get("Content-Type"), "text/calendar") {
		t.Fatalf("Add to calendar: %d %s", ics.Status, ics.Header.Get("Content-Type"))
	}
	calendar, event := testenv.ParseCalendar(t, ics.Body)
	start, _ := event.DateTimeStart(time.UTC)
	if !start.Equal(later.GetDateTime("starts").Time()) || testenv.Prop(t, calendar.Component, "METHOD") != "PUBLISH" {
		t.Errorf("the downloaded .ics starts %s; want %s", start, later.GetDateTime("starts").Time())
	}
	if r := env.Do(http.MethodGet, "/api/portal/appointments/nosuchappointment/calendar", nil, "Authorization", token); r.Status != http.StatusNotFound {
		t.Errorf("calendar of an unknown appointment: %s; want 404", r)
	}
}

// TestClinicianBooksThroughTheDashboardAPI: staff (superusers) book and
// read appointments, notes included, through the API the dashboard uses;
// a bad time zone comes back as a plain error on that field.
func TestClinicianBooksThroughTheDashboardAPI(t *testing.T) {
	env := testenv.Start(t)
	ada, _ := env.NewClient("Ada Client", "ada@example.com", true)
	clinician := env.NewClinician()
	token := env.ClinicianToken()
	booking := map[string]any{
		"client": ada.Id, "clinician": clinician.Id, "starts": env.Clock.Now().Add(72 * time.Hour).Format(time.RFC3339),
		"duration_minutes": 50, "kind": "telehealth", "notes": testenv.PrivateNote, "timezone": "Mars/Olympus",
	}

	r := env.Post("/api/collections/appointments/records", booking, "Authorization", token)
	field, _ := r.JSON["data"].(map[string]any)["timezone"].(map[string]any)
	if r.Status != http.StatusBadRequest || !strings.Contains(field["message"].(string), "America/New_York") {
		t.Fatalf("booking with an unknown time zone: %s; want 400 explaining the timezone field", r)
	}
	if n := env.Count("appointments", ""); n != 0 {
		t.Fatalf("a refused booking was stored")
	}

	delete(booking, "timezone")
	r = env.Post("/api/collections/appointments/records", booking, "Authorization", token)
	if r.Status != http.StatusOK || r.JSON["status"] != "scheduled" || r.JSON["timezone"] != "America/New_York" || r.JSON["notes"] != testenv.PrivateNote {
		t.Fatalf("staff booking: %s; want it scheduled in the client's zone with the notes shown to staff", r)
	}

	// The dashboard enters dates in UTC; staff type the practice's local time instead.
	practice, err := env.App.FindFirstRecordByFilter("practice", "id != ''")
	if err != nil {
		t.Fatal(err)
	}
	practicePath := "/api/collections/practice/records/" + practice.Id
	if r := env.Do(http.MethodPatch, practicePath, map[string]string{"timezone": "New York"}, "Authorization", token); r.Status != http.StatusBadRequest {
		t.Fatalf("setting the practice's time zone to %q: %s; want 400", "New York", r)
	}
	if r := env.Do(http.MethodPatch, practicePath, map[string]string{"timezone": "America/New_York"}, "Authorization", token); r.Status != http.StatusOK {
		t.Fatalf("setting the practice's time zone: %s", r)
	}
	delete(booking, "starts")
	booking["local_start"] = "2026-03-09 10:00" // the day after clocks went forward: EDT, UTC-4
	r = env.Post("/api/collections/appointments/records", booking, "Authorization", token)
	if r.Status != http.StatusOK || r.JSON["starts"] != "2026-03-09 14:00:00.000Z" {
		t.Fatalf("booking at 10:00 New York time: %s; want starts 14:00 UTC", r)
	}
	path := "/api/collections/appointments/records/" + r.JSON["id"].(string)
	r = env.Do(http.MethodPatch, path, map[string]string{"starts": "2026-03-09 15:30:00.000Z"}, "Authorization", token)
	if r.Status != http.StatusOK || r.JSON["local_start"] != "2026-03-09 11:30" {
		t.Fatalf("moving the start in UTC: %s; want local_start 2026-03-09 11:30", r)
	}
	r = env.Do(http.MethodPatch, path, map[string]string{"local_start": "tomorrow 10am"}, "Authorization", token)
	field, _ = r.JSON["data"].(map[string]any)["local_start"].(map[string]any)
	if r.Status != http.StatusBadRequest || !strings.Contains(field["message"].(string), "2026-03-09 10:00") {
		t.Fatalf("a start typed as %q: %s; want 400 showing the expected form", "tomorrow 10am", r)
	}
}
