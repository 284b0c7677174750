package staff_test

import (
	"strings"
	"testing"

	. "github.com/chromedp/chromedp" // the browser steps read as a script

	"portico/internal/testenv"
)

// TestBrowserOwnerBuildsTheTeam: on the Team page the owner invites a
// clinician (whose clinicians record it makes) and a front-desk colleague,
// each gets the set-password mail, and the owner unlocks a locked account.
// Only the owner has the page in the navigation.
func TestBrowserOwnerBuildsTheTeam(t *testing.T) {
	env := testenv.Start(t)
	_, ownerToken := env.StaffSession("owner", nil)
	locked := env.NewStaff("front_desk", nil)
	locked.Set("failed_logins", 5)
	locked.Set("locked", env.Clock.Now())
	if err := env.App.Save(locked.Record); err != nil {
		t.Fatal(err)
	}

	tab := env.OpenStaffPage(t, ownerToken, "/staff/team.html", "#people li")
	testenv.Accessible(t, tab, "staff team")
	invite := func(name, email, role string) {
		t.Helper()
		err := Do(tab,
			SetValue(ID("invite-name"), name), SetValue(ID("invite-email"), email), SetValue(ID("invite-role"), role),
			Click(CSS("#invite button")),
			WaitVisible(`//li[contains(@class, "person")][span[@class="name"][text()="`+name+`"]]`),
		)
		if err != nil {
			message, _ := Run(tab, Text(ID("invite-error")))
			t.Fatalf("inviting %s as %s: %v (the page says %q)", name, role, err, message)
		}
		if said, _ := Run(tab, Text(ID("outcome"))); said != "Invite sent to "+email+"." {
			t.Errorf("after inviting %s the page says %q", name, said)
		}
		if link, _ := env.Mail.Next(email, testenv.Wait).StaffInviteLink(); link == "" {
			t.Errorf("the invite to %s has no set-password link", email)
		}
	}
	invite("Dr. Lee", "lee@harbor.test", "clinician")
	invite("Sam Desk", "sam@harbor.test", "front_desk")
	testenv.Screenshot(t, tab, "staff-team")

	lee, err := env.App.FindAuthRecordByEmail("staff", "lee@harbor.test")
	if err != nil {
		t.Fatalf("no staff record for the invited clinician: %v", err)
	}
	clinician, err := env.App.FindRecordById("clinicians", lee.GetString("clinician"))
	if err != nil || clinician.GetString("name") != "Dr. Lee" || lee.GetString("role") != "clinician" {
		t.Fatalf("the invited clinician is %q (%s) with clinicians record %v; want Dr. Lee's", lee.GetString("name"), lee.GetString("role"), err)
	}
	if sam, err := env.App.FindAuthRecordByEmail("staff", "sam@harbor.test"); err != nil || sam.GetString("role") != "front_desk" {
		t.Fatalf("the invited front desk: %v, role %q", err, sam.GetString("role"))
	}

	name := locked.GetString("name")
	// The page says what happened, then lists the team again without the button.
	unlock := `//button[text()="Unlock ` + name + `"]`
	err = Do(tab, Click(unlock), WaitNotPresent(unlock))
	if err != nil {
		t.Fatalf("unlocking %s: %v", name, err)
	}
	if said, _ := Run(tab, Text(ID("outcome"))); !strings.Contains(said, name+" can sign in again") {
		t.Errorf("after unlocking, the page says %q", said)
	}
	if fresh, _ := env.App.FindRecordById("staff", locked.Id); !fresh.GetDateTime("locked").IsZero() {
		t.Errorf("the account is still locked after the owner unlocked it")
	}

	_, deskToken := env.StaffSession("front_desk", nil)
	desk := env.OpenStaffPage(t, deskToken, "/staff/home.html", "nav")
	if links, _ := Run(desk, Evaluate[string](`[...document.querySelectorAll("nav a")].map(a => a.textContent).join(",")`)); strings.Contains(links, "Team") {
		t.Errorf("the front desk's navigation offers the Team page: %s", links)
	}
}
