package audit_test

import (
	"net/http"
	"strings"
	"testing"

	. "github.com/chromedp/chromedp" // the browser steps read as a script

	"portico/internal/testenv"
)

// TestBrowserWhoHasSeenMyRecord: a client signs in on a phone, follows the
// link on the portal home and reads, in plain words, who at the practice
// opened their record, apart from what they did themselves; another
// client's access is not there.
func TestBrowserWhoHasSeenMyRecord(t *testing.T) {
	env := testenv.Start(t)
	ada, invite := env.NewClient("Ada Client", "ada@example.com", true)
	bob, _ := env.NewClient("Bob Client", "bob@example.com", true)
	assignment, _ := env.Assign(ada, env.NewForm("New client", clientForm))
	_, token := env.NewSuperuser("lee@harbor.test", "a long dashboard password")
	viewClient(t, env, token, ada.Id)
	viewClient(t, env, token, bob.Id)
	if r := env.Do(http.MethodGet, "/api/portal/intake/"+assignment.Id+"/print", nil, "Authorization", token); r.Status != http.StatusOK {
		t.Fatalf("printing the packet: %s", r)
	}

	link, _ := invite.SignInLink()
	tab := testenv.Browser(t)
	// The invite lands on the new form; the page is one link from home.
	err := Do(tab, Navigate(link), WaitVisible(ID("sign-in")), Click(ID("sign-in")), WaitVisible(ID("list")),
		Navigate(env.URL+"/portal/"), WaitVisible(ID("greeting")),
		Click(CSS(`a[href="/portal/seen.html"]`)), WaitVisible(ID("staff-list")))
	if err != nil {
		t.Fatalf("signing in and opening Who has seen my record: %v", err)
	}
	staff, _ := Run(tab, Text(ID("staff-list")))
	for _, want := range []string{"The practice's administrator viewed your details", "The practice's administrator printed your intake form", "Administrator"} {
		if !strings.Contains(staff, want) {
			t.Errorf("People at the practice reads %q; want %q", staff, want)
		}
	}
	if strings.Count(staff, "viewed your details") != 1 {
		t.Errorf("People at the practice reads %q; want Ada's one view, not Bob's", staff)
	}
	yours, _ := Run(tab, Text(ID("yours-list")))
	if !strings.Contains(yours, "You signed in") {
		t.Errorf("What you did reads %q; want the sign-in just made", yours)
	}
	testenv.Screenshot(t, tab, "who-has-seen-my-record")
	testenv.Accessible(t, tab, "who has seen my record")
}
