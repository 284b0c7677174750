package actions_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"portico/internal/testenv"
)

const (
	wait      = 10 * time.Second
	frontDesk = "frontdesk@harbor.test"
	note      = "Mornings suit me better since my new medication makes afternoons hard"
)

// practiceWithClient starts Portico for a practice with a 24-hour
// cancellation policy and a notification address, and one client, Ada.
func practiceWithClient(t *testing.T) (*testenv.Env, *core.Record, *core.Record) {
	t.Helper()
	env := testenv.Start(t)
	env.SetPractice("cancellation_policy_hours", 24)
	env.SetPractice("notification_email", frontDesk)
	env.SetPractice("phone", "+1 212 555 0100")
	ada, _ := env.NewClient("Ada Client", "ada@example.com", true)
	return env, ada, env.NewClinician()
}

// book books an appointment as staff would and takes the booking
// confirmation that reaches the client, which carries the same action
// links as every reminder.
func book(t *testing.T, env *testenv.Env, client, clinician *core.Record, starts time.Time, kind string) (*core.Record, map[string]string, string) {
	t.Helper()
	appointment := env.Book(client, clinician, starts, kind)
	booked := env.Mail.Next(client.Email(), wait)
	links, token := booked.ActionLinks()
	if !strings.HasPrefix(booked.Subject, "Booked:") || len(links) != 3 {
		t.Fatalf("after booking the client got %q with action links %v; want the booking confirmation with Confirm, Cancel and Ask for another time:\n%s",
			booked.Subject, links, booked.Text)
	}
	return appointment, links, token
}

// remind sweeps and returns the reminder that reaches Ada, with its action
// links by action and the token they carry.
func remind(t *testing.T, env *testenv.Env) (testenv.Mail, map[string]string, string) {
	t.Helper()
	env.Sweep()
	reminder := env.Mail.Next("ada@example.com", wait)
	links, token := reminder.ActionLinks()
	if !strings.HasPrefix(reminder.Subject, "Reminder:") || token == "" {
		t.Fatalf("after the sweep Ada got %q with no action links; want the reminder with them:\n%s", reminder.Subject, reminder.Text)
	}
	return reminder, links, token
}

// open requests a link as Microsoft's Safe Links scanner would.
func open(t *testing.T, method, link string) *http.Response {
	t.Helper()
	return testenv.Open(t, method, link, "Mozilla/5.0 (compatible; Microsoft Safe Links)")
}

// standing is what an action could have changed, to compare before and after.
func standing(env *testenv.Env, appointment *core.Record) string {
	fresh := env.Reload("appointments", appointment)
	return fmt.Sprintf("status=%s confirmed=%s cancelled_by=%s late=%v requests=%d mail=%d",
		fresh.GetString("status"), fresh.GetString("confirmed"), fresh.GetString("cancelled_by"),
		fresh.GetBool("late_cancellation"), env.Count("appointment_requests", ""), env.Count("mail_outbox", ""))
}

func viewOf(r testenv.Response) map[string]any {
	view, _ := r.JSON["appointment"].(map[string]any)
	return view
}

func TestScannerOpeningActionLinksChangesNothing(t *testing.T) {
	env, ada, clinician := practiceWithClient(t)
	appointment, booked, bookedToken := book(t, env, ada, clinician, env.Clock.Now().Add(47*time.Hour), "in person")
	reminder, links, token := remind(t, env)
	if token != bookedToken || booked["cancel"] != links["cancel"] {
		t.Errorf("the booking confirmation's links %v differ from the reminder's %v; want the same links in every mail", booked, links)
	}
	for action, label := range map[string]string{"confirm": "Confirm:", "cancel": "Cancel:", "reschedule": "Ask for another time:"} {
		if links[action] == "" || !strings.Contains(reminder.Text, label) {
			t.Errorf("the reminder has no %q link:\n%s", label, reminder.Text)
		}
		if !strings.Contains(reminder.HTML, strings.TrimSuffix(label, ":")+"</a>") {
			t.Errorf("the reminder's HTML part has no %q button", label)
		}
	}
	testenv.MustNotLeak(t, "the reminder", reminder.Text+reminder.HTML)

	before := standing(env, appointment)
	for action, link := range links {
		// Safe Links fetches with HEAD and GET, some previews more than once.
		for _, method := range []string{http.MethodHead, http.MethodGet, http.MethodGet} {
			resp := open(t, method, link)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s of the %s link: %d; want the appointment page", method, action, resp.StatusCode)
			}
			if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Referrer-Policy") != "no-referrer" {
				t.Errorf("%s of the %s link may be cached or leak in a Referer: %v", method, action, resp.Header)
			}
		}
	}
	status := env.Post("/api/portal/actions/status", map[string]string{"token": token})
	if status.Status != http.StatusOK || viewOf(status)["state"] != "scheduled" {
		t.Fatalf("the page's status call: %s; want 200, scheduled", status)
	}
	testenv.MustNotLeak(t, "the action status", string(status.Body))
	if after := standing(env, appointment); after != before {
		t.Fatalf("opening the links changed the appointment:\nbefore %s\nafter  %s", before, after)
	}
	for _, entry := range env.Logged("the requests", "%/a/%", 9) {
		if strings.Contains(entry, token) {
			t.Fatalf("the request log holds an action token: %s", entry)
		}
	}
}

func TestEachActionOnceThroughItsButton(t *testing.T) {
	env, ada, clinician := practiceWithClient(t)
	later := env.Clock.Now().Add(5 * 24 * time.Hour).Truncate(time.Hour)
	times := []string{later.Format(time.RFC3339), later.Add(time.Hour).Format(time.RFC3339), later.Add(26 * time.Hour).Format(time.RFC3339)}

	cases := []struct {
		action string
		body   map[string]any
		state  string
		check  func(t *testing.T, appointment *core.Record)
	}{
		{"confirm", nil, "confirmed", func(t *testing.T, appointment *core.Record) {
			if env.Reload("appointments", appointment).GetDateTime("confirmed").IsZero() {
				t.Errorf("the appointment is not marked confirmed")
			}
		}},
		{"cancel", nil, "cancelled_by_you", func(t *testing.T, appointment *core.Record) {
			fresh := env.Reload("appointments", appointment)
			if fresh.GetString("status") != "cancelled" || fresh.GetString("cancelled_by") != "client" || fresh.GetBool("late_cancellation") {
				t.Errorf("after cancelling two days ahead: status %q, cancelled_by %q, late %v; want cancelled by the client, not late",
					fresh.GetString("status"), fresh.GetString("cancelled_by"), fresh.GetBool("late_cancellation"))
			}
			notice := env.Mail.Next("ada@example.com", wait)
			if !strings.HasPrefix(notice.Subject, "Cancelled:") || !strings.Contains(string(notice.Attachments["appointment.ics"]), "METHOD:CANCEL") {
				t.Errorf("the client got %q; want the usual cancellation notice with its calendar file", notice.Subject)
			}
			staff := env.Mail.Next(frontDesk, wait)
			if staff.Subject != "A client cancelled an appointment" {
				t.Errorf("the practice got %q; want a cancellation notice", staff.Subject)
			}
			mustSayNothingOfTheClient(t, staff)
		}},
		{"reschedule", map[string]any{"times": times, "note": note}, "time_change_requested", func(t *testing.T, appointment *core.Record) {
			requests, err := env.App.FindRecordsByFilter("appointment_requests", "appointment = '"+appointment.Id+"'", "", 0, 0)
			if err != nil || len(requests) != 1 {
				t.Fatalf("%d requests stored (%v); want one", len(requests), err)
			}
			var stored []time.Time
			_ = requests[0].UnmarshalJSONField("preferred_times", &stored)
			if len(stored) != 3 || !stored[0].Equal(later) || requests[0].GetString("note") != note || requests[0].GetString("status") != "open" {
				t.Errorf("the stored request has times %v, note %q, status %q; want the three times, the note, open",
					stored, requests[0].GetString("note"), requests[0].GetString("status"))
			}
			staff := env.Mail.Next(frontDesk, wait)
			if staff.Subject != "A client asked to move an appointment" || !strings.Contains(staff.Text, "see the workspace") {
				t.Errorf("the practice got %q:\n%s\nwant the content-free request notice", staff.Subject, staff.Text)
			}
			mustSayNothingOfTheClient(t, staff)
		}},
	}
	for i, c := range cases {
		t.Run(c.action, func(t *testing.T) {
			appointment, _, _ := book(t, env, ada, clinician, env.Clock.Now().Add(time.Duration(47-i)*time.Hour), "in person")
			_, _, token := remind(t, env)
			body := map[string]any{"token": token}
			for k, v := range c.body {
				body[k] = v
			}
			first := env.Post("/api/portal/actions/"+c.action, body)
			if first.Status != http.StatusOK || first.JSON["already"] != false || viewOf(first)["state"] != c.state {
				t.Fatalf("pressing %s: %s; want 200 and state %s", c.action, first, c.state)
			}
			c.check(t, appointment)
			after := standing(env, appointment)

			second := env.Post("/api/portal/actions/"+c.action, body)
			if second.Status != http.StatusOK || second.JSON["already"] != true || viewOf(second)["state"] != c.state {
				t.Fatalf("pressing %s again: %s; want 200 saying it was already done", c.action, second)
			}
			if again := standing(env, appointment); again != after {
				t.Fatalf("pressing %s again changed the appointment:\nbefore %s\nafter  %s", c.action, after, again)
			}
		})
	}
	for _, msg := range env.Mail.All() {
		if strings.Contains(msg.Text+msg.HTML, "medication") {
			t.Errorf("the mail %q to %s carries the client's note", msg.Subject, msg.To)
		}
	}
}

// mustSayNothingOfTheClient fails when a mail to the practice names the
// client, the clinician or the time: it only points to the workspace.
func mustSayNothingOfTheClient(t *testing.T, msg testenv.Mail) {
	t.Helper()
	for _, secret := range []string{"Ada", "ada@example.com", "Maya", "medication", "Mornings"} {
		if strings.Contains(msg.Subject+msg.Text+msg.HTML, secret) {
			t.Errorf("the practice's notice %q mentions %q:\n%s", msg.Subject, secret, msg.Text)
		}
	}
}

func TestActionLinksRefusedWithAPlainAnswer(t *testing.T) {
	env, ada, clinician := practiceWithClient(t)
	starts := env.Clock.Now().Add(47 * time.Hour)
	first, _, _ := book(t, env, ada, clinician, starts, "telehealth")
	reminder, links, token := remind(t, env)
	second, _, _ := book(t, env, ada, clinician, starts.Add(-time.Hour), "in person")
	_, _, secondToken := remind(t, env)
	joinToken := strings.TrimPrefix(reminder.Text[strings.Index(reminder.Text, "/join/"):], "/join/")[:43]
	madeUp := strings.Repeat("A", 43)

	refused := []struct {
		name   string
		body   map[string]any
		status int
	}{
		{"a made-up token", map[string]any{"token": madeUp}, http.StatusNotFound},
		{"the token of another appointment", map[string]any{"token": token, "appointment": second.Id}, http.StatusNotFound},
		{"a join link's token", map[string]any{"token": joinToken}, http.StatusNotFound},
		{"no token and nobody signed in", map[string]any{"appointment": first.Id}, http.StatusUnauthorized},
		{"no token at all", map[string]any{}, http.StatusBadRequest},
		{"a token too short to be one", map[string]any{"token": "abc"}, http.StatusBadRequest},
	}
	before := standing(env, first)
	for _, c := range refused {
		for _, action := range []string{"status", "confirm", "cancel", "reschedule"} {
			body := map[string]any{"note": "any morning"}
			for k, v := range c.body {
				body[k] = v
			}
			if r := env.Post("/api/portal/actions/"+action, body); r.Status != c.status || r.JSON["message"] == "" {
				t.Errorf("%s with %s: %s; want %d with a plain message", action, c.name, r, c.status)
			}
		}
	}
	if r := env.Post("/api/portal/actions/confirm", "{not json"); r.Status != http.StatusBadRequest {
		t.Errorf("malformed JSON: %s; want 400", r)
	}
	if resp := open(t, http.MethodGet, env.URL+"/a/"+madeUp+"?do=cancel"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a made-up action link answered %d; want the page with 404", resp.StatusCode)
	}
	if after := standing(env, first); after != before {
		t.Fatalf("refused requests changed the appointment:\nbefore %s\nafter  %s", before, after)
	}

	// An action the practice turned off is neither offered nor done.
	env.SetPractice("client_actions_off", []string{"cancel"})
	if r := env.Post("/api/portal/actions/cancel", map[string]any{"token": token}); r.Status != http.StatusForbidden || r.JSON["reason"] != "off" {
		t.Errorf("cancelling with cancel turned off: %s; want 403 off", r)
	}
	if r := env.Post("/api/portal/actions/status", map[string]any{"token": token}); fmt.Sprint(viewOf(r)["actions"]) != "[confirm reschedule]" {
		t.Errorf("with cancel turned off the page offers %v; want [confirm reschedule]", viewOf(r)["actions"])
	}
	env.SetPractice("client_actions_off", []string{})

	// A cancelled appointment's link says so and changes nothing.
	env.Change(second, "status", "cancelled")
	env.Mail.Next("ada@example.com", wait) // the cancellation notice
	if r := env.Post("/api/portal/actions/confirm", map[string]any{"token": secondToken}); r.Status != http.StatusConflict || r.JSON["reason"] != "cancelled" {
		t.Errorf("confirming an appointment the practice cancelled: %s; want 409 cancelled", r)
	}

	// From the start on, the link acts no more.
	before = standing(env, first)
	env.Clock.Set(starts)
	for _, action := range []string{"confirm", "cancel", "reschedule"} {
		r := env.Post("/api/portal/actions/"+action, map[string]any{"token": token, "note": "any morning"})
		if r.Status != http.StatusGone || r.JSON["reason"] != "started" {
			t.Errorf("%s at the start: %s; want 410 started", action, r)
		}
	}
	if r := env.Post("/api/portal/actions/status", map[string]any{"token": token}); viewOf(r)["state"] != "started" || fmt.Sprint(viewOf(r)["actions"]) != "[]" {
		t.Errorf("the page at the start: %s; want state started and no actions", r)
	}
	if resp := open(t, http.MethodGet, links["confirm"]); resp.StatusCode != http.StatusOK {
		t.Errorf("the link after the start answered %d; want the page that explains", resp.StatusCode)
	}
	if after := standing(env, first); after != before {
		t.Fatalf("requests after the start changed the appointment:\nbefore %s\nafter  %s", before, after)
	}
}

// TestLateCancellationAcrossDaylightSaving: New York's clocks go forward
// at 2 AM on Sunday 8 March 2026. For a visit that Sunday at 10:00, a
// 24-hour policy starts on Saturday at 10:00 on the practice's clock
// (15:00 UTC), 23 hours before the start, not at 09:00; for the visit
// after it, at 11:00, on Saturday at 11:00 (16:00 UTC).
func TestLateCancellationAcrossDaylightSaving(t *testing.T) {
	env, ada, clinician := practiceWithClient(t)
	env.SetPractice("timezone", "America/New_York")
	env.Clock.Set(time.Date(2026, 3, 6, 16, 0, 0, 0, time.UTC)) // inside the 48-hour reminder
	starts := time.Date(2026, 3, 8, 14, 0, 0, 0, time.UTC)      // 10:00 EDT
	earlyFrom := time.Date(2026, 3, 7, 15, 0, 0, 0, time.UTC)   // 10:00 EST
	// The second visit follows the first: a clinician's visits never overlap.
	lateFrom := earlyFrom.Add(time.Hour)
	early, _, _ := book(t, env, ada, clinician, starts, "in person")
	_, _, earlyToken := remind(t, env)
	late, _, _ := book(t, env, ada, clinician, starts.Add(time.Hour), "telehealth")
	_, _, lateToken := remind(t, env)

	for token, from := range map[string]time.Time{earlyToken: earlyFrom, lateToken: lateFrom} {
		status := env.Post("/api/portal/actions/status", map[string]string{"token": token})
		if viewOf(status)["lateFrom"] != from.Format(time.RFC3339) || viewOf(status)["policyHours"] != 24.0 {
			t.Fatalf("the page says late cancellation starts %v (policy %v h); want %s, 24 h", viewOf(status)["lateFrom"], viewOf(status)["policyHours"], from)
		}
	}

	// Half an hour before the window, on the practice's clock: not late,
	// though 23.5 hours before the start.
	env.Clock.Set(earlyFrom.Add(-30 * time.Minute))
	if r := env.Post("/api/portal/actions/status", map[string]string{"token": earlyToken}); viewOf(r)["late"] != false {
		t.Fatalf("at 09:30 on Saturday the page says the cancellation would be late: %s", r)
	}
	if r := env.Post("/api/portal/actions/cancel", map[string]any{"token": earlyToken}); r.Status != http.StatusOK || viewOf(r)["lateCancellation"] != false {
		t.Fatalf("cancelling at 09:30 on Saturday: %s; want 200, not late", r)
	}
	if fresh := env.Reload("appointments", early); fresh.GetString("status") != "cancelled" || fresh.GetBool("late_cancellation") {
		t.Fatalf("the early cancellation is stored as status %q, late %v; want cancelled, not late", fresh.GetString("status"), fresh.GetBool("late_cancellation"))
	}
	if notice := env.Mail.Next("ada@example.com", wait); !strings.HasPrefix(notice.Subject, "Cancelled:") {
		t.Fatalf("the client got %q; want the usual cancellation notice", notice.Subject)
	}
	if staff := env.Mail.Next(frontDesk, wait); staff.Subject != "A client cancelled an appointment" {
		t.Fatalf("the practice got %q for a cancellation outside the window", staff.Subject)
	}

	// Half an hour before its own window the 11:00 visit is not late yet;
	// from 11:00 on Saturday the page explains first, and a press without
	// having seen that is refused with the explanation.
	env.Clock.Set(lateFrom.Add(-30 * time.Minute))
	if r := env.Post("/api/portal/actions/status", map[string]string{"token": lateToken}); viewOf(r)["late"] != false {
		t.Fatalf("at 10:30 on Saturday the page says cancelling the 11:00 visit would be late: %s", r)
	}
	env.Clock.Set(lateFrom)
	status := env.Post("/api/portal/actions/status", map[string]string{"token": lateToken})
	if viewOf(status)["late"] != true {
		t.Fatalf("at 11:00 on Saturday the page does not say cancelling the 11:00 visit would be late: %s", status)
	}
	before := standing(env, late)
	r := env.Post("/api/portal/actions/cancel", map[string]any{"token": lateToken})
	if r.Status != http.StatusConflict || r.JSON["reason"] != "late" || !strings.Contains(fmt.Sprint(r.JSON["message"]), "24 hours notice") {
		t.Fatalf("cancelling late without seeing the policy: %s; want 409 late, explaining the 24 hours", r)
	}
	if after := standing(env, late); after != before {
		t.Fatalf("the refused late cancel changed the appointment:\nbefore %s\nafter  %s", before, after)
	}
	r = env.Post("/api/portal/actions/cancel", map[string]any{"token": lateToken, "acceptLate": true})
	if r.Status != http.StatusOK || viewOf(r)["lateCancellation"] != true || !strings.Contains(fmt.Sprint(r.JSON["message"]), "late cancellation") {
		t.Fatalf("cancelling late having read the policy: %s; want 200, marked late", r)
	}
	if fresh := env.Reload("appointments", late); fresh.GetString("status") != "cancelled" || !fresh.GetBool("late_cancellation") || fresh.GetString("cancelled_by") != "client" {
		t.Fatalf("the late cancellation is stored as status %q, late %v, by %q", fresh.GetString("status"), fresh.GetBool("late_cancellation"), fresh.GetString("cancelled_by"))
	}
	if notice := env.Mail.Next("ada@example.com", wait); !strings.HasPrefix(notice.Subject, "Cancelled:") {
		t.Fatalf("the client got %q; want the usual cancellation notice", notice.Subject)
	}
	staff := env.Mail.Next(frontDesk, wait)
	if staff.Subject != "A client cancelled late" {
		t.Fatalf("the practice got %q; want the late cancellation notice", staff.Subject)
	}
	mustSayNothingOfTheClient(t, staff)
}

func TestAskForAnotherTimeReachesStaffAndTheAnswerReachesTheClient(t *testing.T) {
	env, ada, clinician := practiceWithClient(t)
	appointment, _, _ := book(t, env, ada, clinician, env.Clock.Now().Add(47*time.Hour), "in person")
	_, _, token := remind(t, env)
	soon := env.Clock.Now().Add(4 * 24 * time.Hour).Truncate(time.Hour)
	at := func(offset time.Duration) string { return soon.Add(offset).Format(time.RFC3339) }

	bad := []struct {
		name string
		body map[string]any
	}{
		{"four times", map[string]any{"times": []string{at(0), at(time.Hour), at(2 * time.Hour), at(3 * time.Hour)}}},
		{"a time gone by", map[string]any{"times": []string{env.Clock.Now().Add(-time.Hour).Format(time.RFC3339)}}},
		{"a time that is not one", map[string]any{"times": []string{"next Tuesday"}}},
		{"times of the wrong type", map[string]any{"times": "tomorrow"}},
		{"neither a time nor a note", map[string]any{"times": []string{}, "note": "  "}},
		{"a note of a page", map[string]any{"note": strings.Repeat("a", 501)}},
	}
	for _, c := range bad {
		c.body["token"] = token
		if r := env.Post("/api/portal/actions/reschedule", c.body); r.Status != http.StatusBadRequest || r.JSON["message"] == "" {
			t.Errorf("asking with %s: %s; want 400 with a plain message", c.name, r)
		}
	}
	if n := env.Count("appointment_requests", ""); n != 0 {
		t.Fatalf("refused requests stored %d records", n)
	}

	r := env.Post("/api/portal/actions/reschedule", map[string]any{"token": token, "times": []string{at(0), at(time.Hour), at(50 * time.Hour)}, "note": note})
	if r.Status != http.StatusOK || viewOf(r)["state"] != "time_change_requested" {
		t.Fatalf("asking for three times: %s; want 200, time change requested", r)
	}
	if strings.Contains(string(r.Body), "medication") {
		t.Errorf("the answer to a link shows the note back to whoever holds the link: %s", r)
	}
	staff := env.Mail.Next(frontDesk, wait)
	mustSayNothingOfTheClient(t, staff)
	request, err := env.App.FindFirstRecordByFilter("appointment_requests", "appointment = {:id}", map[string]any{"id": appointment.Id})
	if err != nil {
		t.Fatal(err)
	}

	// Staff read the request through the records API and decline it with a line.
	staffToken := env.ClinicianToken()
	path := "/api/collections/appointment_requests/records/" + request.Id
	if got := env.Do(http.MethodGet, path, nil, "Authorization", staffToken); got.Status != http.StatusOK || got.JSON["note"] != note {
		t.Fatalf("staff reading the request: %s; want 200 with the client's note", got)
	}
	if got := env.Do(http.MethodPatch, path, map[string]any{"status": "declined"}, "Authorization", staffToken); got.Status != http.StatusBadRequest {
		t.Fatalf("declining with no line for the client: %s; want 400", got)
	}
	answer := "We have no mornings free that week; could you do Thursday at 4 PM?"
	if got := env.Do(http.MethodPatch, path, map[string]any{"status": "declined", "answer": answer}, "Authorization", staffToken); got.Status != http.StatusOK {
		t.Fatalf("declining with a line: %s", got)
	}
	declined := env.Mail.Next("ada@example.com", wait)
	if declined.Subject != "About your request for another time" || !strings.Contains(declined.Text, answer) {
		t.Fatalf("the client got %q:\n%s\nwant the practice's answer", declined.Subject, declined.Text)
	}
	for _, msg := range env.Mail.All() {
		if strings.Contains(msg.Text+msg.HTML+msg.Subject, "medication") {
			t.Errorf("the mail %q to %s carries the client's note", msg.Subject, msg.To)
		}
		testenv.MustNotLeak(t, "the mail "+msg.Subject, strings.ReplaceAll(msg.Text, "medication", ""))
	}

	// The portal shows the answer, and the note to its writer only.
	list := env.Do(http.MethodGet, "/api/portal/actions", nil, "Authorization", env.SessionOf(ada))
	if list.Status != http.StatusOK || !strings.Contains(string(list.Body), answer) || !strings.Contains(string(list.Body), "declined") {
		t.Fatalf("the portal list after the answer: %s; want the request declined with the answer", list)
	}

	// Asked again, and answered by moving the appointment: the request
	// is settled and the new time needs a new confirmation.
	if r := env.Post("/api/portal/actions/confirm", map[string]any{"token": token}); r.Status != http.StatusOK {
		t.Fatalf("confirming: %s", r)
	}
	if r := env.Post("/api/portal/actions/reschedule", map[string]any{"token": token, "times": []string{at(0)}}); r.Status != http.StatusOK {
		t.Fatalf("asking again after a decline: %s", r)
	}
	env.Mail.Next(frontDesk, wait)
	env.Change(appointment, "starts", soon)
	if moved := env.Mail.Next("ada@example.com", wait); !strings.HasPrefix(moved.Subject, "New time:") {
		t.Fatalf("the client got %q; want the usual notice of the new time", moved.Subject)
	}
	if n := env.Count("appointment_requests", "appointment = '"+appointment.Id+"' && status = 'rescheduled'"); n != 1 {
		t.Errorf("%d requests marked rescheduled after the move; want 1", n)
	}
	status := env.Post("/api/portal/actions/status", map[string]string{"token": token})
	if viewOf(status)["state"] != "scheduled" {
		t.Errorf("after the move the appointment stands %v; want scheduled, to be confirmed again", viewOf(status)["state"])
	}
}

// TestActionsAsOwnerAnotherClientAndNobody tries each route by
// appointment id as its client, as another client and signed out: only
// the owner sees or changes anything, and nobody reaches the requests
// through the records API.
func TestActionsAsOwnerAnotherClientAndNobody(t *testing.T) {
	env, ada, clinician := practiceWithClient(t)
	ben, _ := env.NewClient("Ben Other", "ben@example.com", true)
	appointment, _, _ := book(t, env, ada, clinician, env.Clock.Now().Add(72*time.Hour), "in person")
	sessions := map[string]string{"ben (another client)": env.SessionOf(ben), "nobody": "", "staff": env.ClinicianToken()}
	id := appointment.Id
	later := env.Clock.Now().Add(5 * 24 * time.Hour).Format(time.RFC3339)
	routes := []struct {
		method, path string
		body         map[string]any
	}{
		{http.MethodGet, "/api/portal/actions", nil},
		{http.MethodPost, "/api/portal/actions/status", map[string]any{"appointment": id}},
		{http.MethodPost, "/api/portal/actions/confirm", map[string]any{"appointment": id}},
		{http.MethodPost, "/api/portal/actions/reschedule", map[string]any{"appointment": id, "times": []string{later}, "note": note}},
		{http.MethodPost, "/api/portal/actions/cancel", map[string]any{"appointment": id}},
	}

	before := standing(env, appointment)
	for who, session := range sessions {
		for _, route := range routes {
			var body any
			if route.body != nil {
				body = route.body
			}
			r := env.Do(route.method, route.path, body, "Authorization", session)
			want := map[string]int{"nobody": http.StatusUnauthorized, "staff": http.StatusForbidden}[who]
			switch {
			case who == "ben (another client)" && route.method == http.MethodGet:
				want = http.StatusOK // his own list, without Ada's appointment
			case who == "ben (another client)":
				want = http.StatusNotFound
			}
			if r.Status != want || strings.Contains(string(r.Body), id) {
				t.Errorf("%s %s %s: %s; want %d, and nothing of Ada's appointment", who, route.method, route.path, r, want)
			}
			if strings.Contains(string(r.Body), "medication") {
				t.Errorf("%s %s %s shows a note: %s", who, route.method, route.path, r)
			}
		}
	}
	if after := standing(env, appointment); after != before {
		t.Fatalf("another client or nobody changed Ada's appointment:\nbefore %s\nafter  %s", before, after)
	}

	owner := env.SessionOf(ada)
	for _, route := range routes {
		var body any
		if route.body != nil {
			body = route.body
		}
		if r := env.Do(route.method, route.path, body, "Authorization", owner); r.Status != http.StatusOK || !strings.Contains(string(r.Body), id) {
			t.Errorf("ada (owner) %s %s: %s; want 200 with the appointment", route.method, route.path, r)
		}
	}
	if fresh := env.Reload("appointments", appointment); fresh.GetString("status") != "cancelled" || fresh.GetString("cancelled_by") != "client" {
		t.Errorf("the owner's cancel from the portal left status %q", fresh.GetString("status"))
	}

	for who, session := range map[string]string{"ada (owner)": owner, "ben (another client)": sessions["ben (another client)"], "nobody": ""} {
		for _, path := range []string{"/api/collections/appointment_requests/records", "/api/collections/appointment_requests/records?filter=note~'medication'"} {
			r := env.Do(http.MethodGet, path, nil, "Authorization", session)
			// An empty list is PocketBase's answer to a rule that matches nothing.
			if strings.Contains(string(r.Body), "medication") || strings.Contains(string(r.Body), id) {
				t.Errorf("%s reads %s: %s; want it closed to clients", who, path, r)
			}
		}
	}
}

// TestConcurrentPressesActOnce: a client tapping twice, or two devices at
// once, cancel once and ask once: one notice, one request.
func TestConcurrentPressesActOnce(t *testing.T) {
	env, ada, clinician := practiceWithClient(t)
	cancelled, _, _ := book(t, env, ada, clinician, env.Clock.Now().Add(47*time.Hour), "in person")
	_, _, cancelToken := remind(t, env)
	moved, _, _ := book(t, env, ada, clinician, env.Clock.Now().Add(46*time.Hour), "in person")
	_, _, moveToken := remind(t, env)
	later := env.Clock.Now().Add(6 * 24 * time.Hour).Format(time.RFC3339)

	const presses = 8
	results := make(chan testenv.Response, 2*presses)
	var pressed sync.WaitGroup
	for range presses {
		pressed.Add(2)
		go func() {
			defer pressed.Done()
			results <- env.As(t).Post("/api/portal/actions/cancel", map[string]any{"token": cancelToken})
		}()
		go func() {
			defer pressed.Done()
			results <- env.As(t).Post("/api/portal/actions/reschedule", map[string]any{"token": moveToken, "times": []string{later}})
		}()
	}
	pressed.Wait()
	close(results)
	firsts := 0
	for r := range results {
		if r.Status != http.StatusOK {
			t.Errorf("a concurrent press: %s; want 200", r)
		}
		if r.JSON["already"] == false {
			firsts++
		}
	}
	if firsts != 2 {
		t.Errorf("%d presses say they acted; want one cancel and one request", firsts)
	}
	if n := env.Count("mail_outbox", "kind = 'appointment_cancelled' && dedupe_key ~ '"+cancelled.Id+"'"); n != 1 {
		t.Errorf("%d cancellation notices queued; want 1", n)
	}
	if n := env.Count("mail_outbox", "kind = 'appointment_cancelled_by_client' || kind = 'appointment_time_requested'"); n != 2 {
		t.Errorf("%d notices to the practice queued; want 2", n)
	}
	if n := env.Count("appointment_requests", "appointment = '"+moved.Id+"'"); n != 1 {
		t.Errorf("%d requests stored; want 1", n)
	}
}

func TestActionRoutesRefuseFloodsAndOversizedBodies(t *testing.T) {
	env, ada, clinician := practiceWithClient(t)
	book(t, env, ada, clinician, env.Clock.Now().Add(47*time.Hour), "in person")
	_, _, token := remind(t, env)

	big := map[string]any{"token": token, "note": strings.Repeat("a", 5000)}
	if r := env.Post("/api/portal/actions/reschedule", big); r.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("a 5 KB body: %s; want 413", r)
	}
	if n := env.Count("appointment_requests", ""); n != 0 {
		t.Errorf("the oversized body stored %d requests", n)
	}
	// The oversized body was turned away before it counted.
	for i := 1; i <= 200; i++ {
		r := env.Post("/api/portal/actions/status", map[string]any{"token": token})
		if r.Status == http.StatusTooManyRequests {
			if i != 121 || r.Header.Get("Retry-After") == "" {
				t.Fatalf("request %d from one address was limited (%s, Retry-After %q); want the 121st, with Retry-After", i, r, r.Header.Get("Retry-After"))
			}
			return
		}
	}
	t.Fatalf("200 requests from one address were all answered; want 429 after 120")
}
