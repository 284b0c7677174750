package workspace_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"portico/internal/testenv"
)

// monday is 9:00 on Monday 3 March 2031 in New York, the practice's zone.
var monday = time.Date(2031, 3, 3, 14, 0, 0, 0, time.UTC)

// practice is a small group practice: Dr. Lee sees Ada, Dr. Ray sees
// nobody yet, Ben is nobody's client, and each role has a person.
type practice struct {
	env         *testenv.Env
	lee, ray    *core.Record
	ada, ben    *core.Record
	appointment *core.Record // Ada with Dr. Lee, Tuesday 10:00, with a private note
	callers     testenv.Callers
	tokens      map[string]string
}

func newPractice(t *testing.T) *practice {
	env := testenv.Start(t)
	env.Clock.Set(monday)
	env.SetPractice("timezone", "America/New_York")
	p := &practice{env: env}
	p.lee = env.NewRecord("clinicians", map[string]any{"name": "Dr. Lee", "video_room": "https://video.example/{room}"})
	p.ray = env.NewRecord("clinicians", map[string]any{"name": "Dr. Ray"})
	p.ada, _ = env.NewClient("Ada Client", "ada@example.com", true)
	p.ada.Set("clinicians", []string{p.lee.Id})
	p.ada.Set("phone", "+1 555 0100")
	if err := env.App.Save(p.ada); err != nil {
		t.Fatal(err)
	}
	p.ben, _ = env.NewClient("Ben Other", "ben@example.com", true)
	p.appointment = env.Book(p.ada, p.lee, monday.Add(25*time.Hour), "in person") // Tuesday 10:00
	env.Mail.Next("ada@example.com", testenv.Wait)                                // its confirmation
	if env.Reminded(p.appointment) > 0 {                                          // and, a day ahead, its reminder
		env.Mail.Next("ada@example.com", testenv.Wait)
	}

	_, owner := env.StaffSession("owner", nil)
	_, clinician := env.StaffSession("clinician", p.lee)
	_, other := env.StaffSession("clinician", p.ray)
	_, desk := env.StaffSession("front_desk", nil)
	p.tokens = map[string]string{"owner": owner, "clinician": clinician, "other clinician": other, "front desk": desk}
	p.callers = testenv.Callers{
		"owner": owner, "clinician": clinician, "other clinician": other, "front desk": desk,
		"client": env.SessionOf(p.ada), "other client": env.SessionOf(p.ben), "nobody": "",
	}
	return p
}

// as sends a request as one of the practice's staff.
func (p *practice) as(t *testing.T, who, method, path string, body any) testenv.Response {
	t.Helper()
	return p.env.As(t).Do(method, path, body, "Authorization", p.tokens[who])
}

// internal are the appointment fields the workspace never shows.
var internal = []string{"join_salt", "join_hash", "next_reminder", "sequence", "reminders_queued", "notes", testenv.PrivateNote}

// TestEachRoleReachesOnlyItsPartOfTheWorkspace is the access matrix of
// every workspace route as each role, a client, another client and nobody.
func TestEachRoleReachesOnlyItsPartOfTheWorkspace(t *testing.T) {
	p := newPractice(t)
	env := p.env
	hour := 0
	nextHour := func() (string, string) { // a free hour on Thursday for each caller
		hour++
		return "2031-03-06", fmt.Sprintf("%02d:00", 7+hour)
	}
	book := func() any {
		date, at := nextHour()
		return map[string]any{"client": p.ada.Id, "clinician": p.lee.Id, "date": date, "time": at, "durationMinutes": 50, "kind": "in person"}
	}
	move := func() any {
		date, at := nextHour()
		return map[string]any{"date": date, "time": at, "durationMinutes": 50}
	}
	closing := env.Book(p.ada, p.lee, monday.Add(-2*time.Hour), "in person") // earlier today
	reopen := func() { env.Change(closing, "status", "scheduled") }
	staffWhoSeeAda := []string{"owner", "clinician", "front desk"}
	deskAndOwner := []string{"owner", "front desk"}
	client := "/api/staff/clients/" + p.ada.Id

	env.CheckAccess(t, p.callers, []testenv.Access{
		{Name: "the week's schedule", Method: "GET", Path: "/api/staff/schedule?date=2031-03-03&days=7", Marker: p.appointment.Id, Allowed: staffWhoSeeAda, Never: internal},
		{Name: "Dr. Lee's day", Method: "GET", Path: "/api/staff/schedule?date=2031-03-04&clinician=" + p.lee.Id, Marker: p.appointment.Id, Allowed: staffWhoSeeAda, Never: internal},
		{Name: "book", Method: "POST", Path: "/api/staff/appointments", Body: book, Marker: "Booked: Thursday 6 March", Allowed: staffWhoSeeAda, Never: internal},
		{Name: "move", Method: "POST", Path: "/api/staff/appointments/" + p.appointment.Id + "/move", Body: move, Marker: "Moved: now Thursday 6 March", Allowed: staffWhoSeeAda, Never: internal},
		{Name: "mark completed", Method: "POST", Path: "/api/staff/appointments/" + closing.Id + "/status", Body: map[string]string{"status": "completed"}, Marker: "Completed: Ada Client", Allowed: staffWhoSeeAda, Before: reopen, Never: internal},
		{Name: "the client list", Method: "GET", Path: "/api/staff/clients", Marker: p.ada.Id, Allowed: staffWhoSeeAda},
		{Name: "find Ben by phone or name", Method: "GET", Path: "/api/staff/clients?q=Ben", Marker: p.ben.Id, Allowed: deskAndOwner},
		{Name: "Ada's page", Method: "GET", Path: client, Marker: "ada@example.com", Allowed: staffWhoSeeAda, Never: internal},
		{Name: "Ada's mail log", Method: "GET", Path: client, Marker: "invites you to your client portal", Allowed: deskAndOwner, Never: []string{"text_body", "html_body", "Sign in"}},
		{Name: "Ben's page", Method: "GET", Path: "/api/staff/clients/" + p.ben.Id, Marker: "ben@example.com", Allowed: deskAndOwner},
		{Name: "invite", Method: "POST", Path: client + "/invite", Body: map[string]any{}, Marker: "Invite sent to ada@example.com", Allowed: deskAndOwner},
		{Name: "portal access", Method: "POST", Path: client + "/portal", Body: map[string]any{"access": true}, Marker: "Portal access", Allowed: deskAndOwner},
	})
	for _, wrong := range []string{"/api/staff/clients/nosuchclient0", "/api/staff/appointments/nosuchappoint/move"} {
		method := map[bool]string{true: "GET", false: "POST"}[strings.HasPrefix(wrong, "/api/staff/clients")]
		if r := p.as(t, "owner", method, wrong, map[string]any{"date": "2031-03-07", "time": "10:00", "durationMinutes": 50}); r.Status != http.StatusNotFound {
			t.Errorf("%s %s as the owner answered %s; want 404", method, wrong, r)
		}
	}
}

// TestOverlapsAreRefusedNamingTheOtherAppointment: the same clinician or
// the same client cannot be in two places at once, whether the booking
// comes from the workspace, the records API or the dashboard (Go code);
// back to back is fine, and a cancelled appointment frees its time.
func TestOverlapsAreRefusedNamingTheOtherAppointment(t *testing.T) {
	p := newPractice(t)
	env := p.env
	book := func(client, clinician *core.Record, at string, minutes int) testenv.Response {
		return p.as(t, "front desk", "POST", "/api/staff/appointments", map[string]any{
			"client": client.Id, "clinician": clinician.Id, "date": "2031-03-04", "time": at, "durationMinutes": minutes, "kind": "in person"})
	}
	cases := []struct {
		name, want string
		client     *core.Record
		clinician  *core.Record
		at         string
	}{
		{"Dr. Lee, half an hour in", "Dr. Lee already has an appointment then: Ada Client, Tuesday 4 March, 10:00-10:50.", p.ben, p.lee, "10:30"},
		{"Dr. Lee, starting before", "Dr. Lee already has an appointment then: Ada Client, Tuesday 4 March, 10:00-10:50.", p.ben, p.lee, "09:30"},
		{"Ada with Dr. Ray", "Ada Client already has an appointment then: with Dr. Lee, Tuesday 4 March, 10:00-10:50.", p.ada, p.ray, "10:15"},
	}
	for _, c := range cases {
		if r := book(c.client, c.clinician, c.at, 50); r.Status != http.StatusBadRequest || !strings.Contains(r.JSON["message"].(string), c.want) {
			t.Errorf("%s: booking answered %s; want 400 saying %q", c.name, r, c.want)
		}
	}
	if r := book(p.ben, p.lee, "10:50", 50); r.Status != http.StatusCreated {
		t.Errorf("back to back after Ada's 10:00 answered %s; want it booked", r)
	}
	env.Mail.Next("ben@example.com", testenv.Wait)

	// The records API and Go code go through the same record hook.
	r := p.as(t, "owner", "POST", "/api/collections/appointments/records", map[string]any{
		"client": p.ben.Id, "clinician": p.ray.Id, "local_start": "2031-03-04 11:00", "duration_minutes": 50, "kind": "in person"})
	if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "Ben Other already has an appointment then: with Dr. Lee, Tuesday 4 March, 10:50-11:40.") {
		t.Errorf("an overlapping booking through the records API answered %s; want 400 naming Ben's 10:50", r)
	}
	collection, _ := env.App.FindCollectionByNameOrId("appointments")
	direct := core.NewRecord(collection)
	for field, value := range map[string]any{"client": p.ada.Id, "clinician": p.lee.Id, "local_start": "2031-03-04 10:40", "duration_minutes": 30, "kind": "in person"} {
		direct.Set(field, value)
	}
	if err := env.App.Save(direct); err == nil || !strings.Contains(err.Error(), "already has an appointment then") {
		t.Errorf("an overlapping save from Go code returned %v; want the overlap refused", err)
	}

	// Moving into someone else's hour is refused the same way; cancelling frees it.
	r = p.as(t, "front desk", "POST", "/api/staff/appointments/"+p.appointment.Id+"/move", map[string]any{"date": "2031-03-04", "time": "11:00", "durationMinutes": 50})
	if r.Status != http.StatusBadRequest || !strings.Contains(r.JSON["message"].(string), "Dr. Lee already has an appointment then: Ben Other, Tuesday 4 March, 10:50-11:40.") {
		t.Errorf("moving Ada onto Ben's time answered %s; want 400 naming Ben's appointment", r)
	}
	r = p.as(t, "front desk", "POST", "/api/staff/appointments/"+p.appointment.Id+"/status", map[string]any{"status": "cancelled"})
	if r.Status != http.StatusOK || r.JSON["message"] != "Cancelled: Ada Client, Tuesday 4 March, 10:00-10:50 with Dr. Lee. We emailed the cancellation to ada@example.com." {
		t.Errorf("cancelling answered %s", r)
	}
	if cancelled := env.Mail.Next("ada@example.com", testenv.Wait); !strings.HasPrefix(cancelled.Subject, "Cancelled: ") {
		t.Errorf("after cancelling Ada got %q; want the cancellation", cancelled.Subject)
	}
	if r := book(p.ada, p.ray, "10:00", 50); r.Status != http.StatusCreated {
		t.Errorf("booking the cancelled hour answered %s; want it free", r)
	}
}

// TestBookingMailsTheConfirmationAndSaysWhatHappened: the front desk
// books from local date and time pickers; the answer says when and with
// whom in plain words, and the client gets the confirmation with a
// calendar file and nothing from the notes.
func TestBookingMailsTheConfirmationAndSaysWhatHappened(t *testing.T) {
	p := newPractice(t)
	r := p.as(t, "front desk", "POST", "/api/staff/appointments", map[string]any{
		"client": p.ben.Id, "clinician": p.lee.Id, "date": "2031-03-11", "time": "10:00", "durationMinutes": 50, "kind": "telehealth"})
	want := "Booked: Tuesday 11 March, 10:00-10:50 with Dr. Lee. Confirmation sent to ben@example.com."
	if r.Status != http.StatusCreated || r.JSON["message"] != want {
		t.Fatalf("booking answered %s; want 201 %q", r, want)
	}
	mail := p.env.Mail.Next("ben@example.com", testenv.Wait)
	if !strings.HasPrefix(mail.Subject, "Booked: your appointment on Tue 11 Mar at 10:00 AM EDT") {
		t.Errorf("the confirmation's subject is %q", mail.Subject)
	}
	_, event := testenv.CalendarOf(t, mail)
	if start, _ := event.DateTimeStart(time.UTC); !start.Equal(time.Date(2031, 3, 11, 14, 0, 0, 0, time.UTC)) {
		t.Errorf("the confirmation's .ics starts at %s; want 10:00 New York time", start)
	}
	if !strings.Contains(mail.Text, "/join/") {
		t.Errorf("a telehealth confirmation has no join link:\n%s", mail.Text)
	}
	testenv.MustNotLeak(t, "the confirmation", mail.Text+mail.HTML)

	for _, bad := range []map[string]any{
		{"client": p.ben.Id, "clinician": p.lee.Id, "date": "11/03/2031", "time": "10:00", "durationMinutes": 50, "kind": "in person"},
		{"client": p.ben.Id, "clinician": p.lee.Id, "date": "2031-03-11", "time": "10:00", "durationMinutes": 2, "kind": "in person"},
		{"client": "nosuchclient00", "clinician": p.lee.Id, "date": "2031-03-12", "time": "10:00", "durationMinutes": 50, "kind": "in person"},
	} {
		if r := p.as(t, "front desk", "POST", "/api/staff/appointments", bad); r.Status != http.StatusBadRequest || r.JSON["message"] == "" {
			t.Errorf("booking %v answered %s; want 400 with a message", bad, r)
		}
	}
	if r := p.as(t, "front desk", "POST", "/api/staff/appointments", "{not json"); r.Status != http.StatusBadRequest {
		t.Errorf("a malformed body answered %s; want 400", r)
	}
	p.env.NoMailTo("ben@example.com")
}

// TestClientPageShowsPortalStateAndMailDelivery: never invited, invited,
// signed in; mail sent, pending with the reason, failed with the reason;
// turning portal access off signs the client out at once.
func TestClientPageShowsPortalStateAndMailDelivery(t *testing.T) {
	p := newPractice(t)
	env := p.env
	cy, _ := env.NewClient("Cy New", "cy@example.com", false)
	page := func(client *core.Record) testenv.Response {
		r := p.as(t, "front desk", "GET", "/api/staff/clients/"+client.Id, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("the client page answered %s", r)
		}
		return r
	}
	state := func(client *core.Record) string {
		return page(client).JSON["portal"].(map[string]any)["state"].(string)
	}
	if got := state(cy); got != "off" {
		t.Errorf("a client without portal access shows %q; want off", got)
	}
	r := p.as(t, "front desk", "POST", "/api/staff/clients/"+cy.Id+"/portal", map[string]any{"access": true})
	if r.Status != http.StatusOK || r.JSON["message"] != "Portal access on for Cy New. Invite sent to cy@example.com." {
		t.Errorf("turning portal access on answered %s", r)
	}
	invite := env.Mail.Next("cy@example.com", testenv.Wait)
	if got := state(cy); got != "invited" {
		t.Errorf("after the invite the client shows %q; want invited", got)
	}
	link, token := invite.SignInLink()
	if link == "" {
		t.Fatalf("the invite has no sign-in link:\n%s", invite.Text)
	}
	if r := env.Post("/api/portal/redeem", map[string]string{"token": token}); r.Status != http.StatusOK {
		t.Fatalf("redeeming the invite answered %s", r)
	}
	if got := state(cy); got != "signed-in" {
		t.Errorf("after signing in the client shows %q; want signed-in", got)
	}

	// A mail the server refuses stays pending with the reason, then fails.
	env.Mail.Refuse(550)
	if r := p.as(t, "front desk", "POST", "/api/staff/clients/"+cy.Id+"/invite", map[string]any{}); r.Status != http.StatusAccepted || r.JSON["message"] != "Invite sent to cy@example.com." {
		t.Errorf("resending the invite answered %s", r)
	}
	if err := env.Portal.Outbox.Deliver(); err != nil {
		t.Fatal(err)
	}
	mail := page(cy).JSON["mail"].([]any)
	latest := mail[0].(map[string]any)
	if latest["state"] == "sent" || latest["reason"] == nil || latest["reason"] == "" {
		t.Errorf("a refused mail shows %v; want pending or failed with the reason", latest)
	}
	if first := mail[len(mail)-1].(map[string]any); first["state"] != "sent" {
		t.Errorf("the delivered invite shows %v; want sent", first)
	}
	env.Mail.Refuse(0)

	// Off: the client's session stops working now.
	session := env.SessionOf(cy)
	r = p.as(t, "owner", "POST", "/api/staff/clients/"+cy.Id+"/portal", map[string]any{"access": false})
	if r.Status != http.StatusOK || !strings.HasPrefix(r.JSON["message"].(string), "Portal access off: Cy New can no longer sign in") {
		t.Errorf("turning portal access off answered %s", r)
	}
	if r := env.Do("GET", "/api/portal/appointments", nil, "Authorization", session); r.Status < 400 {
		t.Errorf("a session from before access was turned off still answers %s", r)
	}
}
