package workspace_test

import (
	"context"
	"strings"
	"testing"

	. "github.com/chromedp/chromedp" // the browser steps read as a script

	"portico/internal/testenv"
)

// openAs opens page signed in with the staff token and waits for ready.
func openAs(t testing.TB, env *testenv.Env, token, page, ready string) context.Context {
	t.Helper()
	return env.OpenStaffPage(t, token, page, ready)
}

func textOf(t *testing.T, tab context.Context, selector string) string {
	t.Helper()
	text, err := Run(tab, Text(CSS(selector)))
	if err != nil {
		t.Fatalf("reading %s: %v", selector, err)
	}
	return strings.TrimSpace(text)
}

// waitFor waits until the element's text contains want, and fails with
// what the person saw instead.
func waitFor(t *testing.T, tab context.Context, selector, want string) {
	t.Helper()
	testenv.WaitForText(t, tab, selector, want)
}

// TestBrowserFrontDeskBooksTelehealthAndInvites: the front desk finds Ada
// by name, books a telehealth session with Dr. Lee from the date and time
// pickers, sees an overlapping booking refused with the other appointment
// named, sees the session's join state on the schedule, invites Ada from
// her page, and cannot open Ada's packet. Every page passes axe-core.
func TestBrowserFrontDeskBooksTelehealthAndInvites(t *testing.T) {
	p := newPractice(t)
	env := p.env
	form := env.NewForm("New client", `[{"id":"reason","kind":"long_text","label":"What brings you here?"}]`)
	packet, _ := env.Assign(p.ada, form)

	tab := openAs(t, env, p.tokens["front desk"], "/staff/schedule.html?date=2031-03-04", "#days section")
	waitFor(t, tab, "#days", "Ada Client")
	testenv.Accessible(t, tab, "the schedule")

	book := func(at string) {
		t.Helper()
		steps := []struct {
			what    string
			actions []Action[Void]
		}{
			{"searching for Ada", []Action[Void]{Evaluate[Void](`document.getElementById("client-search").value = ""`), SendKeys(ID("client-search"), "ada")}},
			{"choosing Ada", []Action[Void]{WaitVisible(CSS("#client-results button")), Click(CSS("#client-results button"))}},
			{"choosing Dr. Lee", []Action[Void]{SetValue(ID("book-clinician"), p.lee.Id)}},
			{"choosing the date", []Action[Void]{SetValue(ID("book-date"), "2031-03-05")}},
			{"choosing the time", []Action[Void]{SetValue(ID("book-time"), at)}},
			{"choosing 50 minutes and telehealth", []Action[Void]{Click(ID("duration-50")), Click(ID("kind-telehealth"))}},
			{"pressing Book", []Action[Void]{Click(CSS("#book-form button[type=submit]"))}},
		}
		for _, step := range steps {
			if err := Do(tab, step.actions...); err != nil {
				t.Fatalf("%s in the booking form: %v", step.what, err)
			}
		}
	}
	book("11:00")
	waitFor(t, tab, "#outcome", "Booked: Wednesday 5 March, 11:00-11:50 with Dr. Lee. Confirmation sent to ada@example.com.")
	if mail := env.Mail.Next("ada@example.com", testenv.Wait); !strings.HasPrefix(mail.Subject, "Booked: ") || mail.Attachments["appointment.ics"] == nil {
		t.Errorf("after booking Ada got %q; want the confirmation with its calendar file", mail.Subject)
	}
	waitFor(t, tab, "#days", "Video: the join link opens at 10:45.")

	book("11:30")
	waitFor(t, tab, "#book-error", "Dr. Lee already has an appointment then: Ada Client, Wednesday 5 March, 11:00-11:50.")
	if n := env.Count("appointments", "status = 'scheduled'"); n != 2 {
		t.Errorf("after the refused overlap %d appointments are scheduled; want 2", n)
	}

	// The week, today first, for the screenshot of the schedule.
	if err := Do(tab, SetValue(ID("view-days"), "7"), Evaluate[Void](`document.getElementById("view-days").dispatchEvent(new Event("change"))`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, tab, "#days", "Sunday 9 March")
	testenv.Screenshot(t, tab, "staff-schedule")

	// Ada's page: invite, and the packet is there by title only.
	if err := Do(tab, Click(CSS(`#days a[href*="`+p.ada.Id+`"]`)), WaitVisible(CSS("#portal-actions button"))); err != nil {
		t.Fatalf("opening Ada's page from the schedule: %v", err)
	}
	waitFor(t, tab, "#portal-state", "Invited on")
	waitFor(t, tab, "#packets", "New client")
	testenv.Accessible(t, tab, "the client page")
	if err := Do(tab, Click(CSS("#portal-actions button"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, tab, "#outcome", "Invite sent to ada@example.com.")
	if invite := env.Mail.Next("ada@example.com", testenv.Wait); !strings.Contains(invite.Subject, "invites you to your client portal") {
		t.Errorf("after Resend invite Ada got %q; want the invite", invite.Subject)
	}
	waitFor(t, tab, "#mail", "invites you to your client portal")
	testenv.Screenshot(t, tab, "staff-client")
	opened, err := Run(tab, Evaluate[float64](`fetch("/api/staff/packets/`+packet.Id+`", {headers: {Authorization: JSON.parse(localStorage.getItem("portico.staff")).token}}).then((r) => r.status)`, EvalAwaitPromise))
	if err != nil || opened != 404 {
		t.Errorf("the front desk opening Ada's packet got %v (%v); want 404", opened, err)
	}
	if page := textOf(t, tab, "main"); strings.Contains(page, "What brings you here") {
		t.Errorf("the client page shows the front desk a packet's questions:\n%s", page)
	}

	// The client list finds her by phone.
	tab = openAs(t, env, p.tokens["front desk"], "/staff/clients.html", "#clients li")
	if err := Do(tab, SendKeys(ID("search"), "0100")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, tab, "#count", "1 client")
	waitFor(t, tab, "#clients", "Ada Client")
	testenv.Accessible(t, tab, "the client list")
}

// TestBrowserSchedulePagesOnAPhone: the schedule works at a phone's width
// with nothing wider than the screen.
func TestBrowserSchedulePagesOnAPhone(t *testing.T) {
	p := newPractice(t)
	tab := openAs(t, p.env, p.tokens["clinician"], "/staff/schedule.html?date=2031-03-04", "#days section")
	if err := Do(tab, testenv.Phone, Reload(), WaitVisible(CSS("#days li"))); err != nil {
		t.Fatal(err)
	}
	wide, err := Run(tab, Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
	if err != nil || wide {
		t.Errorf("on a phone the schedule is wider than the screen (%v)", err)
	}
	testenv.Screenshot(t, tab, "staff-schedule-phone")
}
