package signin_test

import (
	"net/http"
	"strings"
	"testing"

	. "github.com/chromedp/chromedp" // the browser steps read as a script

	"portico/internal/testenv"
)

// TestSignInVoidsOlderLinksAndCodes: once Ada is in, the links and codes
// in her older emails (the invite, a sign-in link she asked for twice)
// stop working, and their page says she has signed in since; the form
// the practice asked her to fill in keeps its link, and Ben's links are
// his own.
func TestSignInVoidsOlderLinksAndCodes(t *testing.T) {
	env := testenv.Start(t)
	ada, invite := env.NewClient("Ada Client", "ada@example.com", true)
	_, bensInvite := env.NewClient("Ben Other", "ben@example.com", true)
	_, intake := env.Assign(ada, env.NewForm("First visit", `[{"id": "reason", "kind": "long_text", "label": "What brings you here?"}]`))
	first := env.RequestLink("ada@example.com")
	second := env.RequestLink("ada@example.com")

	_, token := second.SignInLink()
	if r := env.Post("/api/portal/redeem", map[string]string{"token": token}); r.Status != http.StatusOK {
		t.Fatalf("signing in with the newest link: %s; want 200", r)
	}

	for _, link := range []struct {
		name string
		mail testenv.Mail
		want string
	}{
		{"Ada's invite", *invite, "superseded"},
		{"Ada's first sign-in link", first, "superseded"},
		{"the link to Ada's form", intake, "valid"},
		{"Ben's invite", *bensInvite, "valid"},
	} {
		_, token := link.mail.SignInLink()
		r := env.Post("/api/portal/link-status", map[string]string{"token": token})
		if r.Status != http.StatusOK || r.JSON["state"] != link.want {
			t.Errorf("after Ada signed in, %s says %s; want state %q", link.name, r, link.want)
		}
	}

	_, token = first.SignInLink()
	r := env.Post("/api/portal/redeem", map[string]string{"token": token})
	if r.Status != http.StatusGone || r.JSON["reason"] != "superseded" {
		t.Errorf("Ada's first link signed in after her newer one had: %s; want 410 superseded", r)
	}
	r = env.Post("/api/portal/login-code", map[string]string{"email": "ada@example.com", "code": first.Code()})
	if r.Status == http.StatusOK {
		t.Errorf("the code in Ada's first email signed in after her newer link had: %s", r)
	}

	// A code sign-in voids the links before it as well.
	third, fourth := env.RequestLink("ada@example.com"), env.RequestLink("ada@example.com")
	if r := env.Post("/api/portal/login-code", map[string]string{"email": "ada@example.com", "code": fourth.Code()}); r.Status != http.StatusOK {
		t.Fatalf("signing in with the newest code: %s; want 200", r)
	}
	_, token = third.SignInLink()
	if r := env.Post("/api/portal/redeem", map[string]string{"token": token}); r.Status != http.StatusGone || r.JSON["reason"] != "superseded" {
		t.Errorf("a link sent before Ada's code sign-in still answers %s; want 410 superseded", r)
	}
}

// TestBrowserVoidedLinkSaysSignedInAndOffersANewOne: the page of a link
// a later sign-in voided says so in plain words and mails a new link in
// one click.
func TestBrowserVoidedLinkSaysSignedInAndOffersANewOne(t *testing.T) {
	env := testenv.Start(t)
	env.NewClient("Ada Client", "ada@example.com", true)
	older, _ := env.RequestLink("ada@example.com").SignInLink()
	_, newer := env.RequestLink("ada@example.com").SignInLink()
	if r := env.Post("/api/portal/redeem", map[string]string{"token": newer}); r.Status != http.StatusOK {
		t.Fatalf("signing in on another device: %s; want 200", r)
	}

	tab := testenv.Browser(t)
	if err := Do(tab, Navigate(older), WaitVisible(CSS("main > section:not([hidden])"))); err != nil {
		t.Fatalf("opening the older link: %v", err)
	}
	shown, _ := Run(tab, Text(CSS("main > section:not([hidden])")))
	if title, _ := Run(tab, Text(ID("gone-title"))); !strings.Contains(shown, "You have already signed in") || title != "You have already signed in" {
		t.Fatalf("the older link's page says %q; want You have already signed in", shown)
	}
	testenv.Screenshot(t, tab, "superseded-link")
	testenv.Accessible(t, tab, "superseded link")
	if err := Do(tab, Click(ID("resend")), WaitVisible(ID("sent"))); err != nil {
		t.Fatalf("asking for a new link from the older link's page: %v", err)
	}
	if _, fresh := env.Mail.Next("ada@example.com", testenv.Wait).SignInLink(); fresh == "" {
		t.Fatal("one click on the older link's page mailed no new link")
	}
}
