package signin_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	. "github.com/chromedp/chromedp" // the browser steps read as a script

	"portico/hooks"
	"portico/internal/testenv"
)

// TestCodeOfALinkUsedElsewhereSaysSo: Ada opens the link on her phone,
// then types the same email's code on her laptop: the answer says the
// link was used, not that the code is wrong.
func TestCodeOfALinkUsedElsewhereSaysSo(t *testing.T) {
	env := testenv.Start(t)
	env.NewClient("Ada Client", "ada@example.com", true)
	mail := env.RequestLink("ada@example.com")
	_, token := mail.SignInLink()
	if r := env.Post("/api/portal/redeem", map[string]string{"token": token}); r.Status != http.StatusOK {
		t.Fatalf("signing in on the phone: %s; want 200", r)
	}
	r := env.Post("/api/portal/login-code", map[string]string{"email": "ada@example.com", "code": mail.Code()})
	if message, _ := r.JSON["message"].(string); r.Status != http.StatusGone || r.JSON["reason"] != "used" || !strings.Contains(message, "another device") {
		t.Errorf("the code of a link used on another device: %s; want 410 used, saying the link was used on another device", r)
	}
}

// TestCodeAfterEmailMeANewLink: the page of a used link knows no address,
// only its link: the new email's code, typed there, signs its owner in,
// whoever is signed in in that browser; a made-up link is a 404.
func TestCodeAfterEmailMeANewLink(t *testing.T) {
	env := testenv.Start(t)
	ada, invite := env.NewClient("Ada Client", "ada@example.com", true)
	ben, _ := env.NewClient("Ben Other", "ben@example.com", true)
	_, used := invite.SignInLink()
	if r := env.Post("/api/portal/redeem", map[string]string{"token": used}); r.Status != http.StatusOK {
		t.Fatalf("using the invite: %s; want 200", r)
	}

	newCode := func() any {
		if r := env.Post("/api/portal/resend", map[string]string{"token": used}); r.Status != http.StatusAccepted {
			t.Fatalf("Email me a new link: %s; want 202", r)
		}
		return map[string]string{"token": used, "code": env.Mail.Next("ada@example.com", testenv.Wait).Code()}
	}
	env.CheckAccess(t, testenv.Callers{"ada": env.SessionOf(ada), "ben": env.SessionOf(ben), "nobody": ""}, []testenv.Access{
		{Name: "sign in with the new code on the used link's page", Method: http.MethodPost, Path: "/api/portal/login-code", Body: newCode,
			Marker: `"email":"ada@example.com"`, Allowed: []string{"ada", "ben", "nobody"}, Never: []string{"ben@example.com"}},
		{Name: "a code for a link never issued", Method: http.MethodPost, Path: "/api/portal/login-code",
			Body: map[string]string{"token": strings.Repeat("B", 43), "code": "123456"}, Status: map[string]int{"ada": http.StatusNotFound, "ben": http.StatusNotFound, "nobody": http.StatusNotFound}},
	})
}

// TestBrowserCodeCanAlwaysBeTyped: the code box is there whenever a
// client may hold a code. Past the mail limit the sign-in page still
// offers "I already have a code"; the page after "Email me a new link"
// has the box; a code whose link was used says so.
func TestBrowserCodeCanAlwaysBeTyped(t *testing.T) {
	env := testenv.Start(t, func(c *hooks.Config) { c.LinksPerAddress = 1 })
	env.NewClient("Ada Client", "ada@example.com", true)
	first := env.RequestLink("ada@example.com") // the one mail the limit allows
	tab := testenv.Browser(t)

	err := Do(tab,
		Navigate(env.URL+"/"), WaitVisible(ID("email")),
		SendKeys(ID("email"), "ada@example.com"),
		Click(CSS("#ask-form button")),
	)
	if err == nil {
		_, err = Run(tab, Poll[bool](`document.getElementById("email-error").textContent !== ""`, WithPollingTimeout(testenv.Wait)))
	}
	if err != nil {
		t.Fatalf("asking for a second link past the limit: %v", err)
	}
	said, _ := Run(tab, Text(ID("email-error")))
	testenv.Accessible(t, tab, "sign-in past the mail limit")
	if err := Do(tab, Click(ID("have-code")), WaitVisible(ID("code"))); err != nil {
		t.Fatalf("past the mail limit (the page said %q), the sign-in page offers no way to type the code: %v", said, err)
	}
	testenv.Screenshot(t, tab, "type-your-code")
	testenv.Accessible(t, tab, "type your code")
	err = Do(tab, SendKeys(ID("code"), first.Code()), Click(CSS("#code-form button")), WaitVisible(ID("client-name")))
	if err != nil {
		t.Fatalf("signing in with the code typed after I already have a code: %v", err)
	}

	// Signed out, Ada opens the link whose code she just used: it says it
	// was used, and its "Email me a new link" page takes the new code.
	link, _ := first.SignInLink()
	err = Do(tab, testenv.SignOut, Navigate(link), WaitVisible(ID("resend")), Click(ID("resend")), WaitVisible(ID("sent")))
	if err != nil {
		t.Fatalf("asking for a new link from the used link's page: %v", err)
	}
	fresh := env.Mail.Next("ada@example.com", testenv.Wait)
	if err := Do(tab, WaitVisible(ID("code"))); err != nil {
		t.Fatalf("the page after Email me a new link has no code box: %v", err)
	}
	testenv.Screenshot(t, tab, "new-link-sent")
	testenv.Accessible(t, tab, "new link sent")
	if err := Do(tab, SendKeys(ID("code"), fresh.Code()), Click(CSS("#code-form button")), WaitVisible(ID("client-name"))); err != nil {
		t.Fatalf("signing in with the new code on the page after Email me a new link: %v", err)
	}

	// The new link, opened on another device after the code was used here.
	_, token := fresh.SignInLink()
	r := env.Post("/api/portal/redeem", map[string]string{"token": token})
	if r.Status != http.StatusGone {
		t.Fatalf("the new link after its code signed in: %s; want 410", r)
	}
	err = Do(tab, testenv.SignOut,
		SendKeys(ID("email"), "ada@example.com"), Click(ID("have-code")), WaitVisible(ID("code")),
		SendKeys(ID("code"), fresh.Code()), Click(CSS("#code-form button")))
	if err == nil {
		_, err = Run(tab, Poll[bool](`document.getElementById("code-error").textContent !== ""`, WithPollingTimeout(testenv.Wait)))
	}
	if err != nil {
		t.Fatalf("typing a used code: %v", err)
	}
	if said, _ := Run(tab, Text(ID("code-error"))); !strings.Contains(said, "already used") {
		t.Errorf("typing the code of a link already used, the page says %q; want it to say the link was already used", said)
	}
}

// TestBrowserSignedOutNoticeOnlyAfterASession: a browser that never had a
// session, opening a portal page, lands on the sign-in page without
// "You were signed out"; one whose session ended on the server sees it.
func TestBrowserSignedOutNoticeOnlyAfterASession(t *testing.T) {
	env := testenv.Start(t)
	ada, _ := env.NewClient("Ada Client", "ada@example.com", true)
	tab := testenv.Browser(t)

	if err := Do(tab, Navigate(env.URL+"/portal/"), WaitVisible(ID("email"))); err != nil {
		t.Fatalf("opening the portal without a session: %v", err)
	}
	if notice, _ := Run(tab, Poll[bool](`!document.getElementById("signed-out-notice").hidden`, WithPollingTimeout(500*time.Millisecond))); notice {
		t.Errorf("a browser that never signed in is told %q", "You were signed out")
	}

	env.SignInBrowser(tab, ada)
	if err := Do(tab, Navigate(env.URL+"/portal/"), WaitVisible(ID("client-name"))); err != nil {
		t.Fatalf("opening the portal signed in: %v", err)
	}
	token, _ := Run(tab, Evaluate[string](`JSON.parse(localStorage.getItem("portico.session")).token`))
	if r := env.Post("/api/portal/sign-out", map[string]any{}, "Authorization", token); r.Status != http.StatusNoContent {
		t.Fatalf("ending the session on the server: %s; want 204", r)
	}
	if err := Do(tab, Reload(), WaitVisible(ID("signed-out-notice"))); err != nil {
		t.Fatalf("a browser whose session ended is not told it was signed out: %v", err)
	}
	testenv.Accessible(t, tab, "signed out")
}
