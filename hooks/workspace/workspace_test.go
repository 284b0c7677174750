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

func newPractice(t testing.TB) *practice {
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

// TestPortalDatesOutliveTheLoginTokens: "invited on" and "last signed
// in" stay on the client's page after the retention job has pruned the
// login tokens they came from, and a stale copy of the client saved
// later (a dashboard form left open) does not put the old dates back.
func TestPortalDatesOutliveTheLoginTokens(t *testing.T) {
	p := newPractice(t)
	env := p.env
	cy, invite := env.NewClient("Cy New", "cy@example.com", true)
	stale, err := env.App.FindRecordById("clients", cy.Id)
	if err != nil {
		t.Fatal(err)
	}
	_, token := invite.SignInLink()
	if r := env.Post("/api/portal/redeem", map[string]string{"token": token}); r.Status != http.StatusOK {
		t.Fatalf("redeeming the invite answered %s", r)
	}
	stale.Set("phone", "+1 555 0199")
	if err := env.App.Save(stale); err != nil {
		t.Fatal(err)
	}

	env.Clock.Advance(40 * 24 * time.Hour)
	if _, err := env.Portal.Retention.Run(); err != nil {
		t.Fatal(err)
	}
	if n := env.Count("login_tokens", "client = '"+cy.Id+"'"); n != 0 {
		t.Fatalf("after 40 days %d of Cy's login tokens are kept; want them pruned", n)
	}
	_, desk := env.StaffSession("front_desk", nil) // the earlier sessions ended while idle
	r := env.As(t).Do("GET", "/api/staff/clients/"+cy.Id, nil, "Authorization", desk)
	portal, _ := r.JSON["portal"].(map[string]any)
	if r.Status != http.StatusOK || portal["state"] != "signed-in" || portal["invited"] == nil {
		t.Fatalf("40 days on, with the tokens pruned, Cy's page answers %s; want signed in, with the invite's date", r)
	}
	if signedIn, _ := time.Parse(time.RFC3339, portal["lastSignedIn"].(string)); !signedIn.Equal(monday) {
		t.Errorf("Cy's page says last signed in %v; want %v, when the invite was used", portal["lastSignedIn"], monday)
	}
}

// TestEachRoleReachesOnlyItsPartOfFormsAndPackets is the access matrix of
// the Packets page, the read view and the form builder's check, as each
// role, a client, another client and nobody: the front desk sees that
// Ada's packet exists and where it stands, never an answer; a clinician
// sees only their clients' packets.
func TestEachRoleReachesOnlyItsPartOfFormsAndPackets(t *testing.T) {
	p := newPractice(t)
	env := p.env
	adas, bens := p.packets(t)
	answers := []string{"Panic attacks at work"}
	staffWhoSeeAda := []string{"owner", "clinician", "front desk"}
	questions := map[string]any{"questions": []map[string]any{{"id": "mood", "kind": "single_choice", "label": "How are you?"}}}

	env.CheckAccess(t, p.callers, []testenv.Access{
		{Name: "the packets inbox", Method: "GET", Path: "/api/staff/packets", Marker: adas.Id, Allowed: staffWhoSeeAda, Never: answers},
		{Name: "sent back packets", Method: "GET", Path: "/api/staff/packets?status=submitted", Marker: adas.Id, Allowed: staffWhoSeeAda, Never: answers},
		{Name: "Ben's packet in the inbox", Method: "GET", Path: "/api/staff/packets?client=" + p.ben.Id, Marker: bens.Id, Allowed: []string{"owner", "front desk"}, Never: answers},
		{Name: "Ada's answers", Method: "GET", Path: "/api/staff/packets/" + adas.Id, Marker: answers[0], Allowed: []string{"owner", "clinician"}},
		{Name: "the form builder's check", Method: "POST", Path: "/api/staff/forms/check", Body: questions, Marker: "a choice question needs", Allowed: []string{"owner", "clinician", "other clinician"}},
	})
	inbox := p.as(t, "front desk", "GET", "/api/staff/packets", nil)
	for _, line := range inbox.JSON["packets"].([]any) {
		if packet := line.(map[string]any); packet["readable"] != false {
			t.Errorf("the front desk's inbox offers to open %v; want no packet readable", packet["id"])
		}
	}
	if r := p.as(t, "owner", "GET", "/api/staff/packets?status=lost", nil); r.Status != http.StatusBadRequest {
		t.Errorf("the inbox with an unknown status answered %s; want 400", r)
	}
	if r := p.as(t, "owner", "POST", "/api/staff/forms/check", "not a form"); r.Status != http.StatusBadRequest {
		t.Errorf("checking a body that is not a form answered %s; want 400", r)
	}
	r := p.as(t, "clinician", "POST", "/api/staff/forms/check", map[string]any{"questions": []map[string]any{
		{"id": "a", "kind": "short_text", "label": "Name"}, {"id": "b", "kind": "consent", "label": "Consent"}, {"id": "c", "kind": "heading", "label": ""}}})
	problems, _ := r.JSON["problems"].([]any)
	if len(problems) != 2 || problems[0].(map[string]any)["index"] != float64(1) || problems[1].(map[string]any)["index"] != float64(2) {
		t.Errorf("checking a form with two bad questions answered %s; want both, each with its place", r)
	}
}

// TestEditingAFormMakesAVersionAndLeavesSentPacketsAlone: a change to
// what a client reads is the next version, a save that changes nothing
// is not, whatever version the request claims; a packet sent before
// keeps its questions and the version it was sent with.
func TestEditingAFormMakesAVersionAndLeavesSentPacketsAlone(t *testing.T) {
	p := newPractice(t)
	env := p.env
	form := env.NewForm("First visit", `[{"id":"reason","kind":"long_text","label":"What brings you here?"}]`)
	sent, _ := env.Assign(p.ada, form)
	path := "/api/collections/intake_forms/records/" + form.Id
	for _, c := range []struct {
		name string
		body map[string]any
		want float64
	}{
		{"renaming the question", map[string]any{"questions": []map[string]any{{"id": "reason", "kind": "long_text", "label": "What would you like help with?"}}}, 2},
		{"the same questions again, spaced differently", map[string]any{"questions": []map[string]any{{"label": "What would you like help with?", "kind": "long_text", "id": "reason"}}}, 2},
		{"claiming version 9", map[string]any{"version": 9}, 2},
		{"a new title", map[string]any{"title": "Welcome"}, 3},
	} {
		if r := p.as(t, "clinician", "PATCH", path, c.body); r.Status != http.StatusOK || r.JSON["version"] != c.want {
			t.Errorf("%s: %s; want version %v", c.name, r, c.want)
		}
	}
	packet := p.as(t, "clinician", "GET", "/api/staff/packets/"+sent.Id, nil)
	if !strings.Contains(string(packet.Body), "What brings you here?") || packet.JSON["formVersion"] != float64(1) || packet.JSON["title"] != "First visit" {
		t.Errorf("the packet sent before the changes reads %s; want its own questions, title and version 1", packet)
	}
	inbox := p.as(t, "clinician", "GET", "/api/staff/packets", nil)
	if line := inbox.JSON["packets"].([]any)[0].(map[string]any); line["formVersion"] != float64(1) || line["formNow"] != float64(3) {
		t.Errorf("the inbox shows the sent packet as %v; want version 1, with the form at 3 now", line)
	}
}

// TestSubmittedPacketIsUnreadUntilStaffOpenIt: the inbox marks a packet
// sent back that no one has opened since; listing it is not opening it,
// and one colleague opening it marks it read for the practice.
func TestSubmittedPacketIsUnreadUntilStaffOpenIt(t *testing.T) {
	p := newPractice(t)
	adas, bens := p.packets(t)
	unread := func(who string) map[string]bool {
		t.Helper()
		r := p.as(t, who, "GET", "/api/staff/packets", nil)
		marks := map[string]bool{}
		for _, line := range r.JSON["packets"].([]any) {
			packet := line.(map[string]any)
			marks[packet["id"].(string)] = packet["unread"] == true
		}
		return marks
	}
	if marks := unread("owner"); !marks[adas.Id] || marks[bens.Id] {
		t.Fatalf("before anyone opened it, the owner's inbox marks unread: Ada's %v, Ben's (not sent back) %v; want true, false", marks[adas.Id], marks[bens.Id])
	}
	if marks := unread("front desk"); !marks[adas.Id] {
		t.Fatalf("listing the inbox marked Ada's packet read")
	}
	if r := p.as(t, "clinician", "GET", "/api/staff/packets/"+adas.Id, nil); r.Status != http.StatusOK {
		t.Fatalf("Ada's clinician opening her packet: %s", r)
	}
	if marks := unread("owner"); marks[adas.Id] {
		t.Fatalf("after her clinician opened it, the owner's inbox still marks Ada's packet unread")
	}
}

// packets gives Ada and Ben a packet each, and Ada sends hers back with
// "Panic attacks at work".
func (p *practice) packets(t *testing.T) (adas, bens *core.Record) {
	t.Helper()
	env := p.env
	form := env.NewForm("First visit", `[{"id":"reason","kind":"long_text","label":"What brings you here?"}]`)
	adas, _ = env.Assign(p.ada, form)
	bens, _ = env.Assign(p.ben, form)
	if r := env.Post("/api/portal/intake/"+adas.Id+"/submit", map[string]any{"answers": map[string]any{"reason": "Panic attacks at work"}}, "Authorization", env.SessionOf(p.ada)); r.Status != http.StatusOK {
		t.Fatalf("Ada sending her packet answered %s", r)
	}
	return adas, bens
}
