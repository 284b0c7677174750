package signin_test

import (
	"strings"
	"testing"

	. "github.com/chromedp/chromedp" // the browser steps read as a script

	"portico/internal/testenv"
)

// TestBrowserSignInJourney walks a client through sign-in on a phone:
// ask for a link, open it from the mail, press the button, land in the
// portal; then open the used link again and get a new one with one click.
func TestBrowserSignInJourney(t *testing.T) {
	env := testenv.Start(t)
	env.NewClient("Ada Client", "ada@example.com", true)
	tab := testenv.Browser(t)

	if err := Do(tab, Navigate(env.URL+"/"), WaitVisible(ID("email"))); err != nil {
		t.Fatalf("opening the sign-in page: %v", err)
	}
	testenv.Accessible(t, tab, "sign-in")
	err := Do(tab,
		SendKeys(ID("email"), "ada@example.com"),
		Click(CSS("#ask-form button")),
		WaitVisible(ID("check")),
	)
	if err != nil {
		t.Fatalf("asking for a sign-in link: %v", err)
	}
	if heading, _ := Run(tab, Text(ID("check-title"))); heading != "Check your email" {
		t.Fatalf("after asking for a link the page says %q; want Check your email", heading)
	}
	testenv.Screenshot(t, tab, "check-email")
	testenv.Accessible(t, tab, "check email")
	testenv.AssertNoPasswordField(t, tab)

	link, token := env.Mail.Next("ada@example.com", testenv.Wait).SignInLink()
	if err := Do(tab, Navigate(link), WaitVisible(ID("sign-in"))); err != nil {
		t.Fatalf("opening the emailed link: %v", err)
	}
	testenv.Accessible(t, tab, "link landing")
	err = Do(tab,
		Click(ID("sign-in")),
		WaitVisible(ID("client-name")),
	)
	if err != nil {
		t.Fatalf("signing in from the emailed link: %v", err)
	}
	// The greeting is filled in by the page's script, after the page shows.
	greeted, _ := Run(tab, Poll[bool](`document.getElementById("client-name").textContent === "Ada Client"`, WithPollingTimeout(testenv.Wait)))
	if name, _ := Run(tab, Text(ID("client-name"))); !greeted {
		t.Fatalf("portal greets %q; want Ada Client", name)
	}
	testenv.Screenshot(t, tab, "portal-home")
	testenv.Accessible(t, tab, "portal home")
	testenv.AssertNoPasswordField(t, tab)

	// Signed in, the used link goes straight to the portal.
	err = Do(tab, Navigate(link), WaitVisible(ID("client-name")))
	location, _ := Run(tab, Location())
	if err != nil || !strings.HasSuffix(location, "/portal/") {
		t.Fatalf("a signed-in client opening a used link ended at %q (%v); want the portal", location, err)
	}

	// Signed out (another browser, or later), the used link offers a new one.
	err = Do(tab,
		testenv.SignOut,
		Navigate(link),
		WaitVisible(ID("gone")),
	)
	if err != nil {
		t.Fatalf("opening the used link signed out: %v", err)
	}
	if gone, _ := Run(tab, Text(ID("gone-title"))); gone != "This link has already been used" {
		t.Fatalf("used link page says %q", gone)
	}
	testenv.Screenshot(t, tab, "used-link")
	testenv.Accessible(t, tab, "used link")
	testenv.AssertNoPasswordField(t, tab)
	if err := Do(tab, Click(ID("resend")), WaitVisible(ID("sent"))); err != nil {
		t.Fatalf("one-click resend: %v", err)
	}
	_, fresh := env.Mail.Next("ada@example.com", testenv.Wait).SignInLink()
	if fresh == "" || fresh == token {
		t.Fatalf("one-click resend mailed no new link")
	}
}
