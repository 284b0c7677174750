package staff_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	. "github.com/chromedp/chromedp" // the browser steps read as a script

	"portico/internal/testenv"
)

// desk is a desktop viewport: the workspace is built desktop first.
var desk = EmulateViewport(1280, 900)

// signInInBrowser types member's email and password, then the code the
// email brings, and waits for the workspace's home page to greet them.
func signInInBrowser(t *testing.T, env *testenv.Env, tab context.Context, member testenv.Staff, audit bool) {
	t.Helper()
	if err := Do(tab, Navigate(env.URL+"/staff/"), WaitVisible(ID("email"))); err != nil {
		t.Fatalf("opening staff sign-in: %v", err)
	}
	if audit {
		testenv.Accessible(t, tab, "staff sign-in")
	}
	err := Do(tab,
		SetValue(ID("email"), member.Email),
		SendKeys(ID("password"), member.Password),
		Click(CSS("#password-form button")),
		WaitVisible(ID("code-step")),
	)
	if err != nil {
		t.Fatalf("typing the password: %v", err)
	}
	if audit {
		testenv.Screenshot(t, tab, "staff-code")
		testenv.Accessible(t, tab, "staff code step")
	}
	code := env.Mail.Next(member.Email, testenv.Wait).StaffCode()
	if err := Do(tab, SendKeys(ID("code"), code), Click(CSS("#code-form button"))); err != nil {
		t.Fatalf("typing the emailed code: %v", err)
	}
	// Wait for the page to change before asking it anything.
	if err := Do(tab, WaitVisible(CSS("nav.workspace"))); err != nil {
		t.Fatalf("the workspace did not open after the code: %v", err)
	}
	greeted, _ := Run(tab, Poll[bool](`location.pathname === "/staff/home.html" && document.querySelector("h1 [data-staff-name]").textContent === `+testenv.JSString(member.GetString("name")), WithPollingTimeout(testenv.Wait)))
	if !greeted {
		heading, _ := Run(tab, Text(CSS("h1")))
		location, _ := Run(tab, Location())
		t.Fatalf("after the code the browser is at %s saying %q; want the workspace greeting %s", location, heading, member.GetString("name"))
	}
}

// noticeSays waits for the sign-in page's notice and returns its text.
func noticeSays(t *testing.T, tab context.Context) string {
	t.Helper()
	shown := Do(tab, WaitVisible(ID("notice"))) == nil
	text, _ := Run(tab, Text(ID("notice")))
	if !shown {
		location, _ := Run(tab, Location())
		t.Fatalf("the browser is at %s with no notice; want the sign-in page saying why", location)
	}
	return text
}

// TestBrowserStaffSignInIdleAndSignOut: the owner signs in with password
// and emailed code, finds the workspace's parts, is signed out after the
// practice's idle time (the server's clock moves on) with a page that says
// why, and signing out ends the session on the server.
func TestBrowserStaffSignInIdleAndSignOut(t *testing.T) {
	env := testenv.Start(t)
	owner := env.NewStaff("owner", nil)
	tab := testenv.Browser(t)
	if err := Do(tab, desk); err != nil {
		t.Fatal(err)
	}

	signInInBrowser(t, env, tab, owner, true)
	testenv.Screenshot(t, tab, "staff-home")
	testenv.Accessible(t, tab, "staff home")
	nav, _ := Run(tab, Text(CSS("nav.workspace")))
	for _, part := range []string{"Home", "Schedule", "Clients", "Forms", "Packets"} {
		if !strings.Contains(nav, part) {
			t.Errorf("the workspace navigation reads %q; want %s in it", nav, part)
		}
	}
	if current, _ := Run(tab, Text(CSS(`nav.workspace [aria-current="page"]`))); current != "Home" {
		t.Errorf("the navigation marks %q as the current page; want Home", current)
	}

	env.Clock.Advance(16 * time.Minute)
	if err := Do(tab, Navigate(env.URL+"/staff/home.html")); err != nil {
		t.Fatal(err)
	}
	if notice := noticeSays(t, tab); !strings.Contains(notice, "without activity") {
		t.Fatalf("after 16 idle minutes the sign-in page says %q; want it to say the session ended for inactivity", notice)
	}
	testenv.Accessible(t, tab, "staff signed out (idle)")

	signInInBrowser(t, env, tab, owner, false)
	token, err := Run(tab, Evaluate[string](`JSON.parse(localStorage.getItem("portico.staff")).token`))
	if err != nil || token == "" {
		t.Fatalf("no staff session in the browser after signing in: %v", err)
	}
	if err := Do(tab, Click(ID("sign-out"))); err != nil {
		t.Fatal(err)
	}
	if notice := noticeSays(t, tab); notice != "You are signed out." {
		t.Fatalf("after Sign out the page says %q", notice)
	}
	if r := env.Do(http.MethodGet, "/api/staff/session", nil, "Authorization", token); r.Status != http.StatusUnauthorized {
		t.Fatalf("the token of a signed-out session: %s; want 401 on the server", r)
	}
}

// TestBrowserLockoutSaysWhoUnlocks: five wrong passwords lock the account,
// and the page says so and who can unlock it.
func TestBrowserLockoutSaysWhoUnlocks(t *testing.T) {
	env := testenv.Start(t)
	desk := env.NewStaff("front_desk", nil)
	tab := testenv.Browser(t)
	if err := Do(tab, Navigate(env.URL+"/staff/"), WaitVisible(ID("email")), SetValue(ID("email"), desk.Email)); err != nil {
		t.Fatal(err)
	}
	message := ""
	for i := 1; i <= 5; i++ {
		err := Do(tab,
			SetValue(ID("password"), "wrong guess "+string(rune('0'+i))),
			Evaluate[Void](`document.getElementById("password-error").textContent = ""`),
			Click(CSS("#password-form button")),
		)
		if err != nil {
			t.Fatal(err)
		}
		Run(tab, Poll[bool](`document.getElementById("password-error").textContent !== ""`, WithPollingTimeout(testenv.Wait)))
		message, _ = Run(tab, Text(ID("password-error")))
	}
	if !strings.Contains(message, "locked") || !strings.Contains(message, "owner") {
		t.Fatalf("after five wrong passwords the page says %q; want it locked, with the owner to unlock it", message)
	}
	testenv.Screenshot(t, tab, "staff-locked")
	testenv.Accessible(t, tab, "staff locked")
}

// TestBrowserInvitedStaffSetsAPassword: the owner invites a clinician; the
// emailed link opens a page that changes nothing until the new colleague
// chooses a password; they then sign in with it and the emailed code, and
// the link does not work a second time.
func TestBrowserInvitedStaffSetsAPassword(t *testing.T) {
	env := testenv.Start(t)
	_, ownerToken := env.StaffSession("owner", nil)
	lee := newRecord(t, env, "clinicians", map[string]any{"name": "Dr. Lee"})
	r := env.Post("/api/staff/invites", map[string]any{"email": "lee@harbor.test", "name": "Dr. Lee", "role": "clinician", "clinician": lee.Id}, "Authorization", ownerToken)
	if r.Status != http.StatusAccepted || r.JSON["message"] != "Invite sent to lee@harbor.test." {
		t.Fatalf("the owner inviting a clinician: %s", r)
	}
	invite := env.Mail.Next("lee@harbor.test", testenv.Wait)
	link, raw := invite.StaffInviteLink()
	if link == "" || strings.Contains(invite.Text, "sign-in page:") {
		t.Fatalf("the invite mail has no set-password link, or carries a code:\n%s", invite.Text)
	}
	if n := env.Count("login_tokens", "purpose = 'staff_invite' && token_hash != '"+raw+"'"); n != 1 {
		t.Fatalf("%d staff invite tokens stored by hash; want 1 (and never the raw token)", n)
	}

	tab := testenv.Browser(t)
	if err := Do(tab, Navigate(link), WaitVisible(ID("choose"))); err != nil {
		t.Fatalf("opening the invite: %v", err)
	}
	if state := (env.Post("/api/staff/invite-status", map[string]string{"token": raw})); state.JSON["state"] != "valid" {
		t.Fatalf("opening the invite page spent it: %s", state)
	}
	if address, _ := Run(tab, Location()); strings.Contains(address, raw) {
		t.Errorf("the invite token stays in the address bar: %s", address)
	}
	testenv.Screenshot(t, tab, "staff-set-password")
	testenv.Accessible(t, tab, "staff set password")
	err := Do(tab,
		SendKeys(ID("password"), "tide pools at dawn"),
		SendKeys(ID("confirm"), "tide pools at dusk"),
		Click(CSS("#password-form button")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if message, _ := Run(tab, Text(ID("password-error"))); !strings.Contains(message, "not the same") {
		t.Fatalf("two different passwords: the page says %q", message)
	}
	err = Do(tab,
		Evaluate[Void](`document.getElementById("confirm").value = ""`),
		SendKeys(ID("confirm"), "tide pools at dawn"),
		Click(CSS("#password-form button")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if notice := noticeSays(t, tab); !strings.Contains(notice, "password is set") {
		t.Fatalf("after setting the password the sign-in page says %q", notice)
	}
	if typed, _ := Run(tab, Evaluate[string](`document.getElementById("email").value`)); typed != "lee@harbor.test" {
		t.Errorf("the sign-in page does not fill in the invited address: %q", typed)
	}

	member, err := env.App.FindAuthRecordByEmail("staff", "lee@harbor.test")
	if err != nil {
		t.Fatal(err)
	}
	signInInBrowser(t, env, tab, testenv.Staff{Record: member, Email: "lee@harbor.test", Password: "tide pools at dawn"}, false)

	if err := Do(tab, Navigate(link), WaitVisible(ID("gone"))); err != nil {
		t.Fatalf("opening the invite a second time: %v", err)
	}
	if text, _ := Run(tab, Text(ID("gone-text"))); !strings.Contains(text, "already used") {
		t.Fatalf("a used invite says %q", text)
	}
	testenv.Accessible(t, tab, "staff used invite")
}
