package workspace_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	. "github.com/chromedp/chromedp" // the browser steps read as a script

	"portico/internal/testenv"
)

// nextMail is the next mail to Ada whose subject starts with prefix,
// past the reminders the server's minute sweep may send meanwhile.
func nextMail(t *testing.T, env *testenv.Env, prefix string) testenv.Mail {
	t.Helper()
	for {
		mail := env.Mail.Next("ada@example.com", testenv.Wait)
		if strings.HasPrefix(mail.Subject, prefix) {
			return mail
		}
		if !strings.HasPrefix(mail.Subject, "Reminder:") {
			t.Fatalf("Ada got %q; want %q", mail.Subject, prefix)
		}
	}
}

// TestBrowserFrontDeskAnswersRequests: Ada asks to move Tuesday's visit
// to Thursday and cancels this afternoon's, late. The front desk sees
// both on the Requests page, moves Tuesday's visit to the time she
// picked with one button, then declines her next request with a line;
// the schedule shows her new confirmation and the late cancellation.
// Every page passes axe-core.
func TestBrowserFrontDeskAnswersRequests(t *testing.T) {
	p := newPractice(t)
	env := p.env
	env.SetPractice("cancellation_policy_hours", 24)
	session := env.SessionOf(p.ada)
	p.askForAnotherTime(t, p.appointment, []time.Time{thursday}, "Mornings suit me")
	afternoon := env.Book(p.ada, p.lee, monday.Add(6*time.Hour), "in person") // today 15:00
	nextMail(t, env, "Booked:")
	if r := env.Post("/api/portal/actions/cancel", map[string]any{"appointment": afternoon.Id, "acceptLate": true}, "Authorization", session); r.Status != http.StatusOK {
		t.Fatalf("Ada cancelling this afternoon's visit: %s", r)
	}
	nextMail(t, env, "Cancelled:")

	tab := openAs(t, env, p.tokens["front desk"], "/staff/requests.html", "#open li.request")
	waitFor(t, tab, "#open", "Thursday 6 March, 10:00")
	waitFor(t, tab, "#open", "Mornings suit me")
	waitFor(t, tab, "#cancelled", "Late cancellation")
	if current := textOf(t, tab, `nav.workspace a[aria-current="page"]`); current != "Requests" {
		t.Errorf("the navigation marks %q as the current page; want Requests", current)
	}
	testenv.Accessible(t, tab, "the requests page")
	testenv.Screenshot(t, tab, "staff-requests")

	if err := Do(tab, Click(CSS("#open li.request ul.choices button"))); err != nil {
		t.Fatalf("pressing Move to this time: %v", err)
	}
	waitFor(t, tab, "#outcome", "Moved: now Thursday 6 March, 10:00-10:50 with Dr. Lee.")
	waitFor(t, tab, "#answered", "Moved to a new time")
	waitFor(t, tab, "#open", "No one is waiting for an answer.")
	nextMail(t, env, "New time:")

	// Asked again, with a note only, and declined with a line.
	p.askForAnotherTime(t, p.appointment, nil, "Could we do evenings instead?")
	err := Do(tab, Navigate(env.URL+"/staff/requests.html"), WaitVisible(CSS("#open li.request form.decline")),
		SendKeys(CSS("#open li.request form.decline input"), "We have no evenings, sorry."),
		Click(CSS("#open li.request form.decline button")))
	if err != nil {
		t.Fatalf("declining in the browser: %v", err)
	}
	waitFor(t, tab, "#outcome", "Declined. We emailed your answer to ada@example.com")
	waitFor(t, tab, "#answered", "Your answer: We have no evenings, sorry.")
	if mail := nextMail(t, env, "About your request"); !strings.Contains(mail.Text, "We have no evenings, sorry.") || strings.Contains(mail.Text, "evenings instead") {
		t.Errorf("Ada's mail reads:\n%s\nwant the practice's line and nothing she wrote", mail.Text)
	}

	// Ada confirms the new time; the schedule shows it, and the late cancellation.
	if r := env.Post("/api/portal/actions/confirm", map[string]any{"appointment": p.appointment.Id}, "Authorization", session); r.Status != http.StatusOK {
		t.Fatalf("Ada confirming: %s", r)
	}
	if err := Do(tab, Navigate(env.URL+"/staff/schedule.html?date=2031-03-03&days=7"), WaitVisible(CSS("#days section"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, tab, `#days li[data-id="`+p.appointment.Id+`"]`, "Confirmed by the client")
	waitFor(t, tab, `#days li[data-id="`+afternoon.Id+`"]`, "Late cancellation by the client")
	testenv.Accessible(t, tab, "the schedule with the clients' answers")
}
