package appointments_test

import (
	"strings"
	"testing"
	"time"

	. "github.com/chromedp/chromedp" // the browser steps read as a script

	"portico/internal/testenv"
)

// TestBrowserJoinFromPortal: a signed-in client on a phone sees the coming
// appointments; the Join button of a session about to start is live and
// leads to the join link, and one that opens in a moment comes alive by
// itself. A join link opened early shows the time and a countdown.
func TestBrowserJoinFromPortal(t *testing.T) {
	env := testenv.Start(t)
	client, _ := env.NewClient("Ada Client", "ada@example.com", true)
	clinician := env.NewClinician()
	now := env.Clock.Now()
	soon := env.Book(client, clinician, now.Add(10*time.Minute), "telehealth")       // in its window
	env.Change(soon, "duration_minutes", 5)                                          // over before the next: no overlap
	env.Book(client, clinician, now.Add(15*time.Minute+3*time.Second), "telehealth") // opens in 3 seconds
	env.Book(client, clinician, now.Add(26*time.Hour), "in person")
	tab := testenv.Browser(t)

	// Signed in as the sign-in page leaves a client: the session in local storage.
	env.SignInBrowser(tab, client)
	err := Do(tab,
		Navigate(env.URL+"/portal/"),
		WaitVisible(CSS("#appointments li.appointment")),
	)
	if err != nil {
		t.Fatalf("opening the portal signed in: %v", err)
	}

	count, _ := Run(tab, Evaluate[int]("document.querySelectorAll('#appointments li.appointment').length"))
	if count != 3 {
		t.Fatalf("the portal lists %d appointments; want 3", count)
	}
	live, _ := Run(tab, Evaluate[string](`(() => { const a = document.querySelector("li.appointment a.join"); return a.getAttribute("aria-disabled") === null ? a.href : ""; })()`))
	if !strings.HasPrefix(live, env.URL+"/join/") {
		t.Fatalf("the Join button of the session in its window is not live (href %q)", live)
	}
	testenv.Screenshot(t, tab, "portal-appointments")

	err = Do(tab, WaitVisible(CSS(`li.appointment:nth-child(2) a.join[href^="`+env.URL+`/join/"]`)))
	if err != nil {
		t.Fatalf("the Join button of the session opening in 3 seconds did not come alive: %v", err)
	}
	if text, _ := Run(tab, Text(CSS("li.appointment:nth-child(2) a.join"))); text != "Join your session" {
		t.Errorf("the live Join button says %q", text)
	}
	if calendar, _ := Run(tab, Text(CSS("li.appointment:nth-child(3) .actions button"))); calendar != "Add to calendar" {
		t.Errorf("the in-person appointment offers %q; want Add to calendar", calendar)
	}

	// The second session's join link, opened before its window, counts down.
	second, _ := Run(tab, Evaluate[string](`document.querySelector("li.appointment:nth-child(2) a.join").href`))
	env.Clock.Set(now.Add(-time.Hour))
	err = Do(tab, Navigate(second), WaitVisible(ID("early")), WaitVisible(ID("countdown")))
	if err != nil {
		t.Fatalf("opening the join link early: %v", err)
	}
	if countdown, _ := Run(tab, Text(ID("countdown"))); !strings.HasPrefix(countdown, "Opens in 1 h 0 min") {
		t.Errorf("the early join page counts down %q; want Opens in 1 h 0 min …", countdown)
	}
	testenv.Screenshot(t, tab, "join-early")
}
