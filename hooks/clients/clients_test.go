package clients_test

import (
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"portico/internal/testenv"
)

// TestClientReachesOnlyItsOwnRecord tries every clients route as the
// wrong client and as nobody.
func TestClientReachesOnlyItsOwnRecord(t *testing.T) {
	env := testenv.Start(t)
	ada, _ := env.NewClient("Ada Client", "ada@example.com", true)
	bob, _ := env.NewClient("Bob Client", "bob@example.com", true)
	adaToken, err := ada.NewAuthToken()
	if err != nil {
		t.Fatal(err)
	}
	records := "/api/collections/clients/records"

	cases := []struct {
		name, method, path string
		body               any
		token              string
		want               int
	}{
		{"anyone lists clients", http.MethodGet, records, nil, "", http.StatusOK},
		{"ada views bob", http.MethodGet, records + "/" + bob.Id, nil, adaToken, http.StatusNotFound},
		{"ada updates bob", http.MethodPatch, records + "/" + bob.Id, map[string]string{"name": "Mallory"}, adaToken, http.StatusNotFound},
		{"ada deletes bob", http.MethodDelete, records + "/" + bob.Id, nil, adaToken, http.StatusNotFound},
		{"ada deletes herself", http.MethodDelete, records + "/" + ada.Id, nil, adaToken, http.StatusNotFound},
		{"ada creates a client", http.MethodPost, records, map[string]any{"name": "X", "email": "x@example.com", "portal_access": true, "password": "12345678", "passwordConfirm": "12345678"}, adaToken, http.StatusBadRequest},
		{"ada changes her email", http.MethodPatch, records + "/" + ada.Id, map[string]string{"email": "evil@example.com"}, adaToken, http.StatusNotFound},
		{"ada turns off her own access flag", http.MethodPatch, records + "/" + ada.Id, map[string]bool{"portal_access": false}, adaToken, http.StatusNotFound},
		{"ada sets a password", http.MethodPatch, records + "/" + ada.Id, map[string]string{"password": "12345678", "passwordConfirm": "12345678"}, adaToken, http.StatusNotFound},
		{"ada updates her phone", http.MethodPatch, records + "/" + ada.Id, map[string]string{"phone": "555-0100"}, adaToken, http.StatusOK},
		{"nobody views ada", http.MethodGet, records + "/" + ada.Id, nil, "", http.StatusNotFound},
		{"ada reads login tokens", http.MethodGet, "/api/collections/login_tokens/records", nil, adaToken, http.StatusForbidden},
		{"ada reads the outbox (an empty list: mail is staff's)", http.MethodGet, "/api/collections/mail_outbox/records", nil, adaToken, http.StatusOK},
		{"ada signs in with a password", http.MethodPost, "/api/collections/clients/auth-with-password", map[string]string{"identity": "ada@example.com", "password": "x"}, "", http.StatusForbidden},
		{"anyone asks PocketBase to verify ada", http.MethodPost, "/api/collections/clients/request-verification", map[string]string{"email": "ada@example.com"}, "", http.StatusNoContent},
		{"anyone asks PocketBase to verify nobody", http.MethodPost, "/api/collections/clients/request-verification", map[string]string{"email": "nobody@example.com"}, "", http.StatusNoContent},
		{"ada moves her address", http.MethodPost, "/api/collections/clients/request-email-change", map[string]string{"newEmail": "evil@example.com"}, adaToken, http.StatusForbidden},
		{"ada asks PocketBase for an OTP", http.MethodPost, "/api/collections/clients/request-otp", map[string]string{"email": "ada@example.com"}, "", http.StatusForbidden},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var headers []string
			if c.token != "" {
				headers = []string{"Authorization", c.token}
			}
			r := env.Do(c.method, c.path, c.body, headers...)
			if r.Status != c.want {
				t.Fatalf("%s %s: got %s; want %d", c.method, c.path, r, c.want)
			}
			if c.method == http.MethodGet && strings.Contains(string(r.Body), "bob@example.com") {
				t.Fatalf("%s leaks bob's record: %s", c.name, r.Body)
			}
		})
	}

	list := env.Do(http.MethodGet, records, nil, "Authorization", adaToken)
	if items, _ := list.JSON["items"].([]any); len(items) != 1 || !strings.Contains(string(list.Body), ada.Id) {
		t.Fatalf("ada's list of clients: %s; want only herself", list)
	}
	practice, _ := env.App.FindFirstRecordByFilter("practice", "id != ''")
	practice.Set("notification_email", "staff-inbox@harbor.test")
	if err := env.App.Save(practice); err != nil {
		t.Fatal(err)
	}
	if r := env.Do(http.MethodGet, "/api/collections/practice/records", nil, "Authorization", adaToken); r.Status != http.StatusOK || strings.Contains(string(r.Body), "staff-inbox") {
		t.Fatalf("a client reading the practice's details: %s; want them without the staff notification address", r)
	}

	env.NoMailTo("ada@example.com") // no PocketBase verification mail
	env.NoMailTo("evil@example.com")

	stored, _ := env.App.FindRecordById("clients", bob.Id)
	if stored.GetString("name") != "Bob Client" || !stored.GetBool("portal_access") {
		t.Fatalf("bob's record changed under ada's requests: %v", stored.PublicExport())
	}
}

// TestClientWithoutAccessCannotRedeem: a clinician who turns portal access
// off stops sign-in even with a link already mailed.
func TestClientWithoutAccessCannotRedeem(t *testing.T) {
	env := testenv.Start(t)
	ada, _ := env.NewClient("Ada Client", "ada@example.com", true)
	_, token := env.RequestLink("ada@example.com").SignInLink()
	ada.Set("portal_access", false)
	if err := env.App.Save(ada); err != nil {
		t.Fatal(err)
	}
	if r := env.Post("/api/portal/redeem", map[string]string{"token": token}); r.Status != http.StatusForbidden {
		t.Fatalf("redeem by a client whose access was turned off: %s; want 403", r)
	}
}

func TestNewClientGetsInvite(t *testing.T) {
	env := testenv.Start(t)
	_, invite := env.NewClient("Ada Client", "ada@example.com", true)
	if !strings.Contains(invite.Subject, "invites you") || invite.Code() == "" {
		t.Fatalf("invite mail: subject %q, code %q", invite.Subject, invite.Code())
	}
	_, token := invite.SignInLink()
	env.Clock.Advance(6 * 24 * time.Hour) // invites outlive sign-in links
	if r := env.Post("/api/portal/redeem", map[string]string{"token": token}); r.Status != http.StatusOK {
		t.Fatalf("redeeming a 6-day-old invite: %s; want 200", r)
	}
	env.NewClient("No Portal", "paper@example.com", false)
	env.NoMailTo("paper@example.com")

	// The dashboard creates clients through the API, with no password.
	created := env.Post("/api/collections/clients/records",
		map[string]any{"name": "Dash Client", "email": "dash@example.com", "portal_access": true},
		"Authorization", env.ClinicianToken())
	if created.Status != http.StatusOK {
		t.Fatalf("a clinician creating a client without a password: %s; want 200", created)
	}
	if invite := env.Mail.Next("dash@example.com", testenv.Wait); invite.Code() == "" {
		t.Fatalf("a client created in the dashboard got no invite code")
	}
}

// TestNoRawTokenInLogs reads PocketBase's request log after a whole
// sign-in: the link's token must not be there. The landing page and the
// refused second redeem are logged; the sign-in routes' successes are not
// (the token's row records them).
func TestNoRawTokenInLogs(t *testing.T) {
	env := testenv.Start(t)
	env.NewClient("Ada Client", "ada@example.com", true)
	link, token := env.RequestLink("ada@example.com").SignInLink()
	if resp, err := http.Get(link); err == nil {
		resp.Body.Close()
	}
	env.Post("/api/portal/link-status", map[string]string{"token": token})
	env.Post("/api/portal/redeem", map[string]string{"token": token})
	env.Post("/api/portal/redeem", map[string]string{"token": token})

	deadline := time.Now().Add(testenv.Wait)
	for {
		var logs []*core.Log
		if err := env.App.LogQuery().All(&logs); err != nil {
			t.Fatal(err)
		}
		signInRequests := 0
		for _, entry := range logs {
			raw, _ := entry.Data.MarshalJSON()
			if strings.Contains(string(raw), token) || strings.Contains(entry.Message, token) {
				t.Fatalf("request log holds the raw token: %s", raw)
			}
			if strings.Contains(string(raw), "/api/portal/") || strings.Contains(string(raw), "/s/") {
				signInRequests++
			}
			if entry.Data["url"] == "/api/portal/redeem" && entry.Data["status"] == float64(http.StatusOK) {
				t.Fatalf("the request log has a row for a successful redeem: %s", raw)
			}
		}
		if signInRequests >= 2 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d request log entries after a sign-in; want the landing page and the refused redeem", signInRequests)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestInviteCommand runs the built binary the way a clinician would.
func TestInviteCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	env := testenv.Start(t)
	env.NewClient("Ada Client", "ada@example.com", false)
	env.Stop() // the command opens the same data dir

	binary := testenv.BuildPortico(t)
	run := func(args ...string) (string, error) {
		cmd := exec.Command(binary, append(args, "--dir", env.Dir, "--dev=false")...)
		cmd.Env = append(os.Environ(), "PORTICO_SMTP_URL="+env.Mail.URL())
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	if out, err := run("invite", "ada@example.com"); err != nil || !strings.Contains(out, "Invite queued") {
		t.Fatalf("portico invite ada@example.com: %v\n%s", err, out)
	}
	if out, err := run("invite", "new@example.com", "--name", "New Client"); err != nil || !strings.Contains(out, "Client created") {
		t.Fatalf("portico invite new@example.com --name: %v\n%s", err, out)
	}
	out, err := run("invite", "stranger@example.com")
	if err == nil || strings.Count(strings.TrimSpace(out), "\n") > 0 || !strings.Contains(out, "no client has the address") {
		t.Fatalf("invite of an unknown address without --name: err=%v, output %q; want one clear line and a failure", err, out)
	}
	if out, err := run("invite", "not-an-email"); err == nil || !strings.Contains(out, "not an email address") {
		t.Fatalf("invite of a malformed address: err=%v, output %q", err, out)
	}

	// The running server delivers what the command queued.
	env.Restart()
	for _, email := range []string{"ada@example.com", "new@example.com"} {
		if msg := env.Mail.Next(email, testenv.Wait); !strings.Contains(msg.Subject, "invites you") {
			t.Fatalf("mail to %s after portico invite: %q", email, msg.Subject)
		}
	}
}
