package staff_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"portico/internal/testenv"
)

func TestPasswordAloneDoesNotSignIn(t *testing.T) {
	env := testenv.Start(t)
	owner := env.NewStaff("owner", nil)
	r := env.Post("/api/collections/staff/auth-with-password", map[string]string{"identity": owner.Email, "password": owner.Password})
	if r.Status != http.StatusUnauthorized || r.JSON["mfaId"] == nil || r.JSON["token"] != nil {
		t.Fatalf("the right password alone: %s; want 401 asking for the emailed code, and no token", r)
	}
	if n := env.Count("staff_sessions", ""); n != 0 {
		t.Fatalf("the first factor left %d session rows; want none", n)
	}
	// The code mail goes through Portico's outbox like any other.
	env.Post("/api/collections/staff/request-otp", map[string]string{"email": owner.Email})
	msg := env.Mail.Next(owner.Email, wait)
	if msg.StaffCode() == "" || !strings.Contains(msg.Subject, testenv.PracticeName) {
		t.Fatalf("the code email reads %q / %q; want the practice's name and a 6-digit code", msg.Subject, msg.HTML)
	}
	if env.Count("mail_outbox", "recipient = '"+owner.Email+"'") != 1 {
		t.Fatalf("the code email did not go through the outbox")
	}
}

func TestWrongPasswordsLockTheAccountUntilTheOwnerUnlocks(t *testing.T) {
	env := testenv.Start(t)
	_, ownerToken := env.StaffSession("owner", nil)
	desk := env.NewStaff("front_desk", nil)
	wrong := map[string]string{"identity": desk.Email, "password": "not the password"}
	for i := 1; i < 5; i++ {
		if r := env.Post("/api/collections/staff/auth-with-password", wrong); r.Status != http.StatusBadRequest {
			t.Fatalf("wrong password %d: %s; want 400", i, r)
		}
	}
	r := env.Post("/api/collections/staff/auth-with-password", wrong)
	if r.Status != http.StatusForbidden || !strings.Contains(r.JSON["message"].(string), "owner to unlock") {
		t.Fatalf("fifth wrong password: %s; want 403 saying the account is locked and who unlocks it", r)
	}
	right := map[string]string{"identity": desk.Email, "password": desk.Password}
	if r := env.Post("/api/collections/staff/auth-with-password", right); r.Status != http.StatusForbidden {
		t.Fatalf("the right password on a locked account: %s; want 403 locked", r)
	}
	if r := env.Post("/api/staff/members/"+desk.Id+"/unlock", nil, "Authorization", ownerToken); r.Status != http.StatusOK {
		t.Fatalf("the owner unlocking: %s", r)
	}
	if token := env.SignIn(desk); token == "" {
		t.Fatalf("no session after unlocking")
	}
}

func TestPasswordTriesAreRateLimitedPerIP(t *testing.T) {
	env := testenv.Start(t)
	var last testenv.Response
	for i := 0; i < 21; i++ {
		last = env.Post("/api/collections/staff/auth-with-password", map[string]string{"identity": "nobody@harbor.test", "password": "guess"})
	}
	if last.Status != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
		t.Fatalf("the 21st password try from one address: %s; want 429 with Retry-After", last)
	}
}

func TestSessionEndsWhenIdleAtItsLimitAndOnSignOut(t *testing.T) {
	env := testenv.Start(t)
	_, token := env.StaffSession("owner", nil)
	session := func(token string) testenv.Response {
		return env.Do(http.MethodGet, "/api/staff/session", nil, "Authorization", token)
	}
	if r := session(token); r.Status != http.StatusOK || r.JSON["idleMinutes"] != float64(15) {
		t.Fatalf("a fresh session: %s; want 200 with 15 idle minutes", r)
	}

	// Activity keeps it open: 14 minutes, twice.
	env.Clock.Advance(14 * time.Minute)
	if r := session(token); r.Status != http.StatusOK {
		t.Fatalf("after 14 idle minutes: %s; want still signed in", r)
	}
	env.Clock.Advance(14 * time.Minute)
	if r := session(token); r.Status != http.StatusOK {
		t.Fatalf("active every 14 minutes: %s; want still signed in", r)
	}
	env.Clock.Advance(15 * time.Minute)
	r := session(token)
	if r.Status != http.StatusUnauthorized || r.JSON["reason"] != "idle" {
		t.Fatalf("after 15 idle minutes: %s; want 401 idle", r)
	}
	if r := env.Do(http.MethodGet, "/api/collections/clients/records", nil, "Authorization", token); r.Status != http.StatusUnauthorized {
		t.Fatalf("the records API with an idle-ended session: %s; want 401", r)
	}

	// The practice sets a shorter idle time and the absolute limit.
	practice, _ := env.App.FindFirstRecordByFilter("practice", "id != ''")
	practice.Set("staff_idle_minutes", 5)
	practice.Set("staff_session_hours", 1)
	if err := env.App.Save(practice); err != nil {
		t.Fatal(err)
	}
	owner := env.NewStaff("owner", nil)
	token = env.SignIn(owner)
	for i := 0; i < 14; i++ {
		env.Clock.Advance(4 * time.Minute)
		if r := session(token); r.Status != http.StatusOK {
			t.Fatalf("active every 4 minutes, after %d minutes: %s", (i+1)*4, r)
		}
	}
	env.Clock.Advance(4 * time.Minute)
	if r := session(token); r.Status != http.StatusUnauthorized || r.JSON["reason"] != "limit" {
		t.Fatalf("after 60 active minutes with a 1-hour limit: %s; want 401 limit", r)
	}

	// Signing out ends this session only, on the server.
	phone, laptop := env.SignIn(owner), env.SignIn(owner)
	if r := env.Post("/api/staff/sign-out", nil, "Authorization", phone); r.Status != http.StatusNoContent {
		t.Fatalf("sign-out: %s", r)
	}
	if r := session(phone); r.Status != http.StatusUnauthorized || r.JSON["reason"] != "signed-out" {
		t.Fatalf("the signed-out token: %s; want 401 signed-out", r)
	}
	if r := session(laptop); r.Status != http.StatusOK {
		t.Fatalf("the other device after signing out on one: %s; want still signed in", r)
	}
	if r := env.Post("/api/collections/staff/auth-refresh", nil, "Authorization", phone); r.Status != http.StatusUnauthorized {
		t.Fatalf("refreshing a signed-out token: %s; want 401", r)
	}
}

func TestCodeMailsAreRateLimited(t *testing.T) {
	env := testenv.Start(t)
	owner := env.NewStaff("owner", nil)
	for _, address := range []string{owner.Email, "nobody@harbor.test"} {
		var last testenv.Response
		for i := 0; i < 6; i++ {
			last = env.Post("/api/collections/staff/request-otp", map[string]string{"email": address})
		}
		if last.Status != http.StatusTooManyRequests {
			t.Errorf("the sixth code mail asked for %s: %s; want 429, the same for any address", address, last)
		}
	}
	for i := 0; i < 5; i++ {
		env.Mail.Next(owner.Email, wait)
	}
	// The sixth was refused before any code was made, so no sixth mail is on its way.
	if n := env.Count("mail_outbox", "recipient = '"+owner.Email+"'"); n != 5 {
		t.Errorf("%d code mails queued for %s; want 5", n, owner.Email)
	}
}

// TestThePracticeKeepsAnOwner: the last owner can neither step down nor
// be deleted, so someone can always invite and unlock.
func TestThePracticeKeepsAnOwner(t *testing.T) {
	env := testenv.Start(t)
	owner, token := env.StaffSession("owner", nil)
	path := "/api/collections/staff/records/" + owner.Id
	if r := env.Do(http.MethodPatch, path, map[string]string{"role": "front_desk"}, "Authorization", token); r.Status != http.StatusBadRequest || !strings.Contains(r.JSON["message"].(string), "at least one owner") {
		t.Fatalf("the only owner stepping down: %s; want 400 saying the practice needs an owner", r)
	}
	if err := env.App.Delete(owner.Record); err == nil {
		t.Fatalf("the only owner was deleted")
	}
	second := env.NewStaff("owner", nil)
	if r := env.Do(http.MethodPatch, path, map[string]string{"role": "front_desk"}, "Authorization", token); r.Status != http.StatusOK {
		t.Fatalf("stepping down with another owner, %s, in place: %s", second.Email, r)
	}
}
