package actions_test

import (
	"fmt"
	"net/http"
	"strings"
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

// remind sweeps and returns the reminder that reaches Ada, with its action
// links by action and the token they carry.
func remind(t *testing.T, env *testenv.Env) (testenv.Mail, map[string]string, string) {
	t.Helper()
	env.Sweep()
	reminder := env.Mail.Next("ada@example.com", wait)
	links, token := reminder.ActionLinks()
	if token == "" {
		t.Fatalf("the reminder %q carries no action links:\n%s", reminder.Subject, reminder.Text)
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
	appointment := env.Book(ada, clinician, env.Clock.Now().Add(47*time.Hour), "in person")
	reminder, links, token := remind(t, env)
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
			appointment := env.Book(ada, clinician, env.Clock.Now().Add(time.Duration(47-i)*time.Hour), "in person")
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
	first := env.Book(ada, clinician, starts, "telehealth")
	reminder, links, token := remind(t, env)
	second := env.Book(ada, clinician, starts.Add(-time.Hour), "in person")
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
	env.Change("appointments", second, "status", "cancelled")
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
