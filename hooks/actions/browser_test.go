package actions_test

import (
	"strings"
	"testing"
	"time"

	. "github.com/chromedp/chromedp" // the browser steps read as a script

	"portico/internal/testenv"
)

// TestBrowserCancelFromReminderAndAskFromPortal: on a phone, a client
// opens the reminder's Cancel link for tomorrow's visit, reads that it is
// a late cancellation and cancels; then, in the portal, sees it cancelled
// by them, the practice's phone, and asks to move another appointment to
// a time of their choosing.
func TestBrowserCancelFromReminderAndAskFromPortal(t *testing.T) {
	env, ada, clinician := practiceWithClient(t)
	tomorrow, _, _ := book(t, env, ada, clinician, env.Clock.Now().Add(20*time.Hour), "in person")
	_, links, _ := remind(t, env)
	nextWeek, _, _ := book(t, env, ada, clinician, env.Clock.Now().Add(7*24*time.Hour), "telehealth")
	tab := testenv.Browser(t)

	err := Do(tab,
		Navigate(links["cancel"]),
		WaitVisible(ID("cancel-panel")),
		WaitVisible(ID("late-policy")),
	)
	if err != nil {
		t.Fatalf("opening the reminder's Cancel link: %v", err)
	}
	if policy, _ := Run(tab, Text(ID("late-policy"))); !strings.Contains(policy, "24 hours’ notice") || !strings.Contains(policy, "late cancellation") {
		t.Errorf("before the button, the page says %q; want what the 24-hour policy means", policy)
	}
	if label, _ := Run(tab, Text(ID("cancel"))); label != "Cancel anyway (late cancellation)" {
		t.Errorf("the cancel button says %q", label)
	}
	if fresh := env.Reload("appointments", tomorrow); fresh.GetString("status") != "scheduled" {
		t.Fatalf("opening the page cancelled the appointment")
	}
	testenv.Accessible(t, tab, "the appointment page (late cancel)")
	testenv.Screenshot(t, tab, "action-cancel-late")

	err = Do(tab, Click(ID("cancel")), WaitVisible(ID("done")))
	if err != nil {
		t.Fatalf("pressing Cancel: %v", err)
	}
	if title, _ := Run(tab, Text(ID("done-title"))); title != "Your appointment is cancelled" {
		t.Errorf("after cancelling the page says %q", title)
	}
	if fresh := env.Reload("appointments", tomorrow); fresh.GetString("status") != "cancelled" || !fresh.GetBool("late_cancellation") {
		t.Fatalf("after the button the appointment is %q (late %v); want cancelled late", fresh.GetString("status"), fresh.GetBool("late_cancellation"))
	}
	if notice := env.Mail.Next("ada@example.com", wait); !strings.HasPrefix(notice.Subject, "Cancelled:") {
		t.Errorf("the client got %q; want the cancellation notice", notice.Subject)
	}

	// The same link again says what already happened, with nothing to press.
	err = Do(tab, Navigate(links["cancel"]), WaitVisible(ID("closed")))
	if err != nil {
		t.Fatalf("opening the Cancel link again: %v", err)
	}
	if title, _ := Run(tab, Text(ID("closed-title"))); title != "You cancelled this appointment" {
		t.Errorf("the Cancel link of a cancelled appointment says %q", title)
	}
	// A link copied in part is no dead end: it says so and gives the phone.
	err = Do(tab, Navigate(env.URL+"/a/"+strings.Repeat("x", 43)+"?do=confirm"), WaitVisible(ID("unknown")), WaitVisible(ID("contact")))
	if err != nil {
		t.Fatalf("opening a link copied in part: %v", err)
	}
	testenv.Accessible(t, tab, "the appointment page (unknown link)")

	env.SignInBrowser(tab, ada)
	cancelled := `li.appointment[data-id="` + tomorrow.Id + `"] .state`
	upcoming := `li.appointment[data-id="` + nextWeek.Id + `"]`
	err = Do(tab, Navigate(env.URL+"/portal/"), WaitVisible(CSS(cancelled)), WaitVisible(ID("contact")))
	if err != nil {
		t.Fatalf("opening the portal: %v", err)
	}
	if state, _ := Run(tab, Text(CSS(cancelled))); state != "Cancelled by you (a late cancellation)." {
		t.Errorf("the portal shows the cancelled appointment as %q", state)
	}
	if state, _ := Run(tab, Text(CSS(upcoming+" .state"))); state != "Not confirmed yet." {
		t.Errorf("the portal shows next week's appointment as %q", state)
	}
	if offered, _ := Run(tab, Text(CSS(upcoming+" .actions"))); !strings.Contains(offered, "Confirm") || !strings.Contains(offered, "Ask for another time") {
		t.Errorf("next week's appointment offers %q; want Confirm, Cancel and Ask for another time", offered)
	}
	if contact, _ := Run(tab, Text(ID("contact"))); !strings.Contains(contact, "+1 212 555 0100") {
		t.Errorf("the portal's contact card says %q; want the practice's phone", contact)
	}
	testenv.Accessible(t, tab, "the portal home with actions")
	testenv.Screenshot(t, tab, "portal-actions")

	preferred := env.Clock.Now().Add(9 * 24 * time.Hour).Truncate(time.Hour)
	err = Do(tab,
		Click(CSS(upcoming+` a[href*="do=reschedule"]`)),
		WaitVisible(ID("reschedule-panel")),
	)
	if err != nil {
		t.Fatalf("choosing Ask for another time in the portal: %v", err)
	}
	testenv.Accessible(t, tab, "the appointment page (ask for another time)")
	testenv.Screenshot(t, tab, "action-reschedule")
	err = Do(tab,
		SetValue(ID("time-1"), preferred.In(time.Local).Format("2006-01-02T15:04")),
		SendKeys(ID("note"), "Any weekday morning"),
		Click(ID("reschedule")),
		WaitVisible(ID("done")),
	)
	if err != nil {
		t.Fatalf("asking for another time: %v", err)
	}
	request, err := env.App.FindFirstRecordByFilter("appointment_requests", "appointment = {:id}", map[string]any{"id": nextWeek.Id})
	if err != nil {
		t.Fatalf("no request was stored: %v", err)
	}
	var times []time.Time
	_ = request.UnmarshalJSONField("preferred_times", &times)
	if len(times) != 1 || !times[0].Equal(preferred) || request.GetString("note") != "Any weekday morning" {
		t.Errorf("the stored request has times %v and note %q; want %s and the note", times, request.GetString("note"), preferred)
	}
	if state, _ := Run(tab, Text(CSS("#done [data-state]"))); !strings.HasPrefix(state, "Time change requested") {
		t.Errorf("after asking the page says %q", state)
	}
}
