package intake_test

import (
	"context"
	"strings"
	"testing"
	"time"

	. "github.com/chromedp/chromedp" // the browser steps read as a script

	"portico/internal/testenv"
)

// TestBrowserIntakeJourney: a new client opens the invite on a phone,
// lands on "Your forms", starts the packet, reloads half-way and finds the
// answers, is told what is missing, and sends it.
func TestBrowserIntakeJourney(t *testing.T) {
	env := testenv.Start(t)
	ada, invite := env.NewClient("Ada Client", "ada@example.com", true)
	assignment, _ := env.Assign(ada, env.NewForm("New client", newPatientForm))
	link, _ := invite.SignInLink()
	tab := testenv.Browser(t)

	err := Do(tab, Navigate(link), WaitVisible(ID("sign-in")), Click(ID("sign-in")), WaitVisible(ID("list")))
	location, _ := Run(tab, Location())
	if err != nil || !strings.HasSuffix(location, "/portal/forms.html") {
		t.Fatalf("after redeeming the invite the client is at %q (%v); want Your forms", location, err)
	}
	if first, _ := Run(tab, Text(CSS("#open-packets li"))); !strings.Contains(first, "New client") || !strings.Contains(first, "Not started") {
		t.Fatalf("Your forms lists %q first; want the new packet, not started", first)
	}
	testenv.Screenshot(t, tab, "forms-list")
	testenv.Accessible(t, tab, "your forms")

	// The home page stays reachable from there: landing happens once.
	err = Do(tab, Click(CSS(`a[href="/portal/"]`)), WaitVisible(ID("forms-title")))
	location, _ = Run(tab, Location())
	if err != nil || !strings.HasSuffix(location, "/portal/") {
		t.Fatalf("going home from Your forms ended at %q (%v); want the portal home", location, err)
	}
	if text, _ := Run(tab, Text(CSS(`section[aria-labelledby="forms-title"] p`))); text != "You have 1 form to fill in." {
		t.Fatalf("portal home says %q about forms", text)
	}

	// Every sign-in while the packet is open lands on Your forms again,
	// here with the code on the sign-in page.
	err = Do(tab, testenv.SignOut, SendKeys(ID("email"), "ada@example.com"), Click(CSS("#ask-form button")), WaitVisible(ID("code")))
	if err != nil {
		t.Fatalf("signing out and asking for a code: %v", err)
	}
	code := env.Mail.Next("ada@example.com", testenv.Wait).Code()
	err = Do(tab, SendKeys(ID("code"), code), Click(CSS("#code-form button")), WaitVisible(ID("list")))
	location, _ = Run(tab, Location())
	if err != nil || !strings.HasSuffix(location, "/portal/forms.html") {
		t.Fatalf("after signing in with a code the client is at %q (%v); want Your forms", location, err)
	}

	// Questions render in the form's order: q0 is the heading, q1 the name.
	err = Do(tab,
		Click(CSS("#open-packets a")),
		WaitVisible(ID("packet-form")),
		SendKeys(ID("q1"), "Ada Client"),
		SendKeys(ID("q3"), "ada@example.com"),
		SendKeys(ID("q5"), "Trouble sleeping since a move."),
		Click(CSS(`label[for="q7-0"]`)),
		Click(CSS(`label[for="q8-1"]`)),
	)
	if err != nil {
		t.Fatalf("filling in the first answers: %v", err)
	}
	waitSaved(t, tab)
	testenv.AssertNoPasswordField(t, tab)

	err = Do(tab, Reload(), WaitVisible(ID("packet-form")))
	if err != nil {
		t.Fatalf("reloading the packet: %v", err)
	}
	name, _ := Run(tab, Value(ID("q1")))
	reason, _ := Run(tab, Value(ID("q5")))
	checked, _ := Run(tab, Evaluate[[]bool](`["q7-0", "q8-1", "q8-0"].map((id) => document.getElementById(id).checked)`))
	if name != "Ada Client" || reason != "Trouble sleeping since a move." || len(checked) != 3 || !checked[0] || !checked[1] || checked[2] {
		t.Fatalf("after a reload the packet shows name %q, reason %q, choices %v; want the draft restored", name, reason, checked)
	}

	// Send with answers missing: each is named next to its question and
	// in a summary that takes the focus; nothing typed is lost.
	err = Do(tab, Click(ID("send")), WaitVisible(ID("summary")))
	if err != nil {
		t.Fatalf("sending an incomplete packet: %v", err)
	}
	focused, _ := Run(tab, Evaluate[string](`document.activeElement.id`))
	medication, _ := Run(tab, Text(ID("q9-error")))
	summary, _ := Run(tab, Text(ID("summary-list")))
	if focused != "summary" || medication != "Please choose an answer." || !strings.Contains(summary, "Date of birth") || strings.Contains(summary, "Your full name") {
		t.Fatalf("after sending an incomplete packet: focus on %q, medication says %q, summary %q", focused, medication, summary)
	}
	invalid, _ := Run(tab, Evaluate[string](`document.getElementById("q2").getAttribute("aria-invalid")`))
	if invalid != "true" {
		t.Fatalf("the unanswered date of birth is not marked invalid for screen readers")
	}
	testenv.Screenshot(t, tab, "form-with-errors")
	testenv.Accessible(t, tab, "a form with errors")

	err = Do(tab,
		// A date input takes typed digits in the browser's locale order;
		// setting its value is what a date picker does.
		Evaluate[Void](`const d = document.getElementById("q2"); d.value = "1990-04-27"; d.dispatchEvent(new Event("change", {bubbles: true}))`),
		Click(CSS(`label[for="q9-1"]`)),
		Click(CSS(`label[for="q10-agree"]`)),
		SendKeys(ID("q10-name"), "Ada Client"),
		Click(ID("send")),
		WaitVisible(ID("done")),
	)
	if err != nil {
		t.Fatalf("sending the completed packet: %v", err)
	}
	if when, _ := Run(tab, Text(ID("done-when"))); !strings.Contains(when, "You sent this form") {
		t.Fatalf("after sending, the page says %q", when)
	}
	if answers, _ := Run(tab, Text(ID("done-answers"))); !strings.Contains(answers, "Agreed, signed “Ada Client”") || !strings.Contains(answers, "Trouble sleeping") {
		t.Fatalf("the sent packet reads back as %q", answers)
	}
	testenv.Screenshot(t, tab, "form-sent")
	testenv.Accessible(t, tab, "a sent form")
	testenv.AssertNoPasswordField(t, tab)

	stored, _ := env.App.FindRecordById("intake_assignments", assignment.Id)
	if stored.GetString("status") != "submitted" {
		t.Fatalf("packet status after sending: %q; want submitted", stored.GetString("status"))
	}

	// Home is reachable from the list, and says the forms are done.
	err = Do(tab, Navigate(env.URL+"/portal/"), WaitVisible(ID("forms-title")))
	if err != nil {
		t.Fatalf("going to the portal home: %v", err)
	}
	if text, _ := Run(tab, Text(CSS(`section[aria-labelledby="forms-title"] p`))); !strings.Contains(text, "sent every form") {
		t.Fatalf("portal home says %q about forms", text)
	}
	testenv.Accessible(t, tab, "portal home with forms")
}

// waitSaved waits until the page says the draft is saved.
func waitSaved(t *testing.T, tab context.Context) {
	t.Helper()
	_, err := Run(tab, Poll[bool](`document.getElementById("save-status").textContent.startsWith("Saved at")`, WithPollingTimeout(10*time.Second)))
	if err != nil {
		status, _ := Run(tab, Text(ID("save-status")))
		t.Fatalf("the draft was not saved: the page says %q (%v)", status, err)
	}
}
