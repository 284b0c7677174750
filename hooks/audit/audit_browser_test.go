package audit_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	. "github.com/chromedp/chromedp" // the browser steps read as a script

	"portico/hooks/audit"
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

// TestBrowserOwnerReadsTheTrail: the owner opens the Audit trail page from
// the workspace's navigation, narrows it to a client, a person, an action
// and days in the practice's time zone (Auckland, a day ahead of UTC),
// opens an entry's detail, checks the chain and downloads an export. A
// clinician has no such page. The page passes axe-core.
func TestBrowserOwnerReadsTheTrail(t *testing.T) {
	env := testenv.Start(t)
	env.Clock.Set(time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC)) // 2 December, 03:00 in Auckland
	env.SetPractice("timezone", "Pacific/Auckland")
	ada, _ := env.NewClient("Ada Client", "ada@example.com", true)
	bob, _ := env.NewClient("Bob Client", "bob@example.com", true)
	admin, token := env.NewSuperuser("lee@harbor.test", "a long dashboard password")
	viewClient(t, env, token, ada.Id)
	viewClient(t, env, token, bob.Id)
	member, owner := env.StaffSession("owner", nil)

	// From Ada's page to her trail.
	tab := env.OpenStaffPage(t, owner, "/staff/client.html?id="+ada.Id, "#trail")
	// Her page is one view of her record, not also a read of the day's
	// schedule: the page has the practice's zone from the session.
	loaded := `document.querySelector("#mail li") !== null`
	if ok, _ := Run(tab, Poll[bool](loaded, WithPollingTimeout(testenv.Wait))); !ok {
		t.Fatal("Ada's page never showed her mail")
	}
	var lists int
	if err := env.App.DB().NewQuery("SELECT count(*) FROM audit_entries WHERE actor_id = {:id} AND action = {:list}").
		Bind(map[string]any{"id": member.Id, "list": audit.ActionList}).Row(&lists); err != nil || lists != 0 {
		t.Errorf("opening Ada's page wrote %d list entries (%v); want none", lists, err)
	}
	if err := Do(tab, Click(ID("trail")), WaitVisible(CSS("#entries li"))); err != nil {
		t.Fatalf("following Ada's page's link to her trail: %v", err)
	}
	waitForText(t, tab, "#entries", "lee@harbor.test (Administrator) · Viewed · Ada Client")
	if chosen, _ := Run(tab, Evaluate[string](`document.getElementById("client").value`)); chosen != ada.Id {
		t.Errorf("Ada's trail opened with the client filter %q; want her id %s", chosen, ada.Id)
	}
	if err := Do(tab, WaitVisible(CSS(`nav.workspace a[href="/staff/trail.html"][aria-current="page"]`))); err != nil {
		t.Fatalf("the owner's navigation has no current Audit trail link: %v", err)
	}
	filter := func(what string, steps ...Action[Void]) {
		t.Helper()
		steps = append(append([]Action[Void]{Click(ID("clear"))}, steps...), Click(CSS(`#filters button[type=submit]`)))
		if err := Do(tab, steps...); err != nil {
			t.Fatalf("filtering by %s: %v", what, err)
		}
		// The submit says it is loading at once; the filtered answer ends that.
		loaded := `!document.getElementById("count").textContent.startsWith("Loading")`
		if ok, _ := Run(tab, Poll[bool](loaded, WithPollingTimeout(testenv.Wait))); !ok {
			t.Fatalf("filtering by %s: the entries never loaded", what)
		}
	}

	filter("client", SetValue(ID("client"), ada.Id))
	waitForText(t, tab, "#entries", "lee@harbor.test (Administrator) · Viewed · Ada Client")
	if shown, _ := Run(tab, Text(ID("entries"))); strings.Contains(shown, "Bob Client") {
		t.Errorf("the trail for Ada reads:\n%s\nwant nothing about Bob", shown)
	}

	filter("person and action", SetValue(ID("actor"), admin.Id), SetValue(ID("action"), "view"))
	waitForText(t, tab, "#count", "2 entries")
	// The administrator's two views and the owner's own of Ada's page.
	filter("days in Auckland", SetValue(ID("from"), "2026-12-02"), SetValue(ID("to"), "2026-12-02"), SetValue(ID("action"), "view"))
	waitForText(t, tab, "#count", "3 entries")
	filter("the UTC day", SetValue(ID("from"), "2026-12-01"), SetValue(ID("to"), "2026-12-01"))
	waitForText(t, tab, "#count", "0 entries")

	filter("client", SetValue(ID("client"), bob.Id), SetValue(ID("action"), "view"))
	waitForText(t, tab, "#count", "1 entry")
	if err := Do(tab, Click(CSS(`#entries summary`))); err != nil {
		t.Fatal(err)
	}
	bobs := env.AuditEntriesFor("view", bob.Id)
	waitForText(t, tab, "#entries dl", bobs[0].Hash)
	waitForText(t, tab, "#entries dl", "Wednesday, 2 December 2026 at 03:00")

	if err := Do(tab, Click(ID("verify"))); err != nil {
		t.Fatal(err)
	}
	waitForText(t, tab, "#outcome", "The trail is intact")
	if err := Do(tab, Click(ID("export-csv"))); err != nil {
		t.Fatal(err)
	}
	waitForText(t, tab, "#outcome", "The export is downloading")
	if exports := env.AuditEntriesFor("audit_export", bob.Id); len(exports) != 1 || !strings.Contains(exports[0].Detail, "format=csv entries=1") {
		t.Errorf("downloading Bob's trail recorded %+v; want one CSV export of his one view", exports)
	}
	testenv.Screenshot(t, tab, "audit-trail")
	testenv.Accessible(t, tab, "the owner's audit trail")

	_, clinician := env.StaffSession("clinician", env.NewClinician())
	tab = env.OpenStaffPage(t, clinician, "/staff/trail.html", "nav.workspace")
	waitForText(t, tab, "#staff-error", "Only the practice's owner reads the audit trail.")
	if links, err := Run(tab, Evaluate[int](`document.querySelectorAll('a[href="/staff/trail.html"]').length`)); err != nil || links != 0 {
		t.Errorf("a clinician's navigation shows %d Audit trail links (%v); want none", links, err)
	}
	if listed, _ := Run(tab, Evaluate[string](`document.getElementById("entries").textContent`)); listed != "" {
		t.Errorf("a clinician sees trail entries: %s", listed)
	}
}

// waitForText waits until the element's text contains want, and fails
// with what the person saw instead.
func waitForText(t *testing.T, tab context.Context, selector, want string) {
	t.Helper()
	quoted := func(s string) string { raw, _ := json.Marshal(s); return string(raw) }
	js := `(() => { const el = document.querySelector(` + quoted(selector) + `); return !!el && el.textContent.includes(` + quoted(want) + `); })()`
	if ok, _ := Run(tab, Poll[bool](js, WithPollingTimeout(testenv.Wait))); !ok {
		page, _ := Run(tab, Evaluate[string](`document.body.innerText`))
		t.Fatalf("%s does not say %q. The page reads:\n%s", selector, want, page)
	}
}
