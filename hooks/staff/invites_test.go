package staff_test

import (
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"portico/internal/testenv"
)

// TestInviteLinkIsSingleUseAndChecksFirst: a bad password never spends
// the link, the link sets a password once, an old link of someone who
// has set one is dead, and an expired link says so.
func TestInviteLinkIsSingleUseAndChecksFirst(t *testing.T) {
	env := testenv.Start(t)
	_, owner := env.StaffSession("owner", nil)
	invite := func(email string) string {
		t.Helper()
		r := env.Post("/api/staff/invites", map[string]any{"email": email, "role": "front_desk"}, "Authorization", owner)
		if r.Status != http.StatusAccepted {
			t.Fatalf("inviting %s: %s", email, r)
		}
		_, token := env.Mail.Next(email, testenv.Wait).StaffInviteLink()
		return token
	}
	setPassword := func(token, password, confirm string) testenv.Response {
		return env.Post("/api/staff/set-password", map[string]string{"token": token, "password": password, "passwordConfirm": confirm})
	}

	first, second := invite("sam@harbor.test"), invite("sam@harbor.test")
	for _, bad := range []struct{ name, password, confirm string }{
		{"too short", "short", "short"},
		{"not the same twice", "a long password", "a long passwort"},
		{"longer than bcrypt reads", strings.Repeat("x", 73), strings.Repeat("x", 73)},
	} {
		if r := setPassword(first, bad.password, bad.confirm); r.Status != http.StatusBadRequest {
			t.Errorf("a password %s: %s; want 400", bad.name, r)
		}
	}
	if r := env.Post("/api/staff/set-password", "{not json", "Content-Type", "application/json"); r.Status != http.StatusBadRequest {
		t.Errorf("malformed JSON: %s; want 400", r)
	}
	if r := setPassword(first, "a long password", "a long password"); r.Status != http.StatusOK || r.JSON["email"] != "sam@harbor.test" {
		t.Fatalf("setting the password after the refused tries: %s; want 200 (a typo never spends the link)", r)
	}
	if r := setPassword(first, "another password", "another password"); r.Status != http.StatusGone || r.JSON["reason"] != "used" {
		t.Errorf("the same link again: %s; want 410 used", r)
	}
	if r := setPassword(second, "another password", "another password"); r.Status != http.StatusGone {
		t.Errorf("an older invite after the password was set: %s; want 410, never a second password", r)
	}
	if r := env.Post("/api/staff/invites", map[string]any{"email": "sam@harbor.test", "role": "owner"}, "Authorization", owner); r.Status != http.StatusConflict {
		t.Errorf("inviting someone who already has a password: %s; want 409", r)
	}

	for _, bad := range []map[string]any{
		{"email": "not-an-email", "role": "owner"},
		{"email": "x@harbor.test", "role": "boss"},
		{"email": "x@harbor.test", "role": "clinician", "clinician": "nosuchclinician"},
	} {
		if r := env.Post("/api/staff/invites", bad, "Authorization", owner); r.Status != http.StatusBadRequest {
			t.Errorf("inviting %v: %s; want 400", bad, r)
		}
	}
	late := invite("kim@harbor.test")
	env.Clock.Advance(8 * 24 * time.Hour)
	if r := env.Post("/api/staff/invite-status", map[string]string{"token": late}); r.JSON["state"] != "expired" {
		t.Errorf("an 8-day-old invite's state: %s; want expired", r)
	}
	if r := setPassword(late, "a long password", "a long password"); r.Status != http.StatusGone || r.JSON["reason"] != "expired" {
		t.Errorf("an 8-day-old invite: %s; want 410 expired", r)
	}
	if r := setPassword(strings.Repeat("A", 43), "a long password", "a long password"); r.Status != http.StatusNotFound {
		t.Errorf("a made-up invite: %s; want 404", r)
	}
}

// TestStaffAddCommandCreatesTheFirstOwner runs the built binary as a new
// practice would, before anyone can sign in.
func TestStaffAddCommandCreatesTheFirstOwner(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	env := testenv.Start(t)
	env.Stop() // the command opens the same data dir
	binary := testenv.BuildPortico(t)
	run := func(args ...string) (string, error) {
		cmd := exec.Command(binary, append(args, "--dir", env.Dir)...)
		cmd.Env = append(os.Environ(), "PORTICO_SMTP_URL="+env.Mail.URL())
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	if out, err := run("staff", "add", "Olga@Harbor.test", "--role", "owner", "--name", "Olga Owner"); err != nil || !strings.Contains(out, "Invite queued for olga@harbor.test (owner)") {
		t.Fatalf("portico staff add: %v\n%s", err, out)
	}
	for _, bad := range [][]string{
		{"staff", "add", "not-an-email", "--role", "owner"},
		{"staff", "add", "x@harbor.test", "--role", "boss"},
		{"staff", "add", "x@harbor.test"},
		{"staff", "unlock", "nobody@harbor.test"},
	} {
		out, err := run(bad...)
		if err == nil || strings.Count(strings.TrimSpace(out), "\n") > 0 {
			t.Errorf("portico %s: err=%v, output %q; want a failure with one clear line", strings.Join(bad, " "), err, out)
		}
	}

	env.Restart()
	link, _ := env.Mail.Next("olga@harbor.test", testenv.Wait).StaffInviteLink()
	if link == "" {
		t.Fatalf("the owner's invite carries no set-password link")
	}
}
