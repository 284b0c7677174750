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
	adaToken := env.SessionOf(ada)
	callers := testenv.Callers{"ada": adaToken, "bob": env.SessionOf(bob), "nobody": ""}
	records := "/api/collections/clients/records"
	anyone := []string{"ada", "bob", "nobody"}
	bobsNameBack := func() { // bob may rename himself; the checks below want his record as it was
		bob.Set("name", "Bob Client")
		if err := env.App.Save(bob); err != nil {
			t.Fatal(err)
		}
	}

	// Each row is tried as ada, as bob and signed out; Status keeps the
	// answer its one caller was first written for.
	env.CheckAccess(t, callers, []testenv.Access{
		{Name: "anyone lists clients", Method: http.MethodGet, Path: records, Marker: "bob@example.com", Allowed: []string{"bob"}, Status: map[string]int{"nobody": http.StatusOK}},
		{Name: "ada views bob", Method: http.MethodGet, Path: records + "/" + bob.Id, Marker: "bob@example.com", Allowed: []string{"bob"}, Status: map[string]int{"ada": http.StatusNotFound}},
		{Name: "ada updates bob", Method: http.MethodPatch, Path: records + "/" + bob.Id, Body: map[string]string{"name": "Mallory"}, Allowed: []string{"bob"}, Status: map[string]int{"ada": http.StatusNotFound}, After: bobsNameBack},
		{Name: "ada deletes bob", Method: http.MethodDelete, Path: records + "/" + bob.Id, Status: map[string]int{"ada": http.StatusNotFound}},
		{Name: "ada deletes herself", Method: http.MethodDelete, Path: records + "/" + ada.Id, Status: map[string]int{"ada": http.StatusNotFound}},
		{Name: "ada creates a client", Method: http.MethodPost, Path: records, Body: map[string]any{"name": "X", "email": "x@example.com", "portal_access": true, "password": "12345678", "passwordConfirm": "12345678"}, Status: map[string]int{"ada": http.StatusBadRequest}},
		{Name: "ada changes her email", Method: http.MethodPatch, Path: records + "/" + ada.Id, Body: map[string]string{"email": "evil@example.com"}, Status: map[string]int{"ada": http.StatusNotFound}},
		{Name: "ada turns off her own access flag", Method: http.MethodPatch, Path: records + "/" + ada.Id, Body: map[string]bool{"portal_access": false}, Status: map[string]int{"ada": http.StatusNotFound}},
		{Name: "ada sets a password", Method: http.MethodPatch, Path: records + "/" + ada.Id, Body: map[string]string{"password": "12345678", "passwordConfirm": "12345678"}, Status: map[string]int{"ada": http.StatusNotFound}},
		{Name: "ada sets when she last signed in", Method: http.MethodPatch, Path: records + "/" + ada.Id, Body: map[string]string{"last_signed_in": "2020-01-01 00:00:00.000Z"}, Status: map[string]int{"ada": http.StatusBadRequest}},
		{Name: "ada sets a field the rule does not name", Method: http.MethodPatch, Path: records + "/" + ada.Id, Body: map[string]string{"created": "2020-01-01 00:00:00.000Z"}, Status: map[string]int{"ada": http.StatusBadRequest}},
		{Name: "ada updates her phone", Method: http.MethodPatch, Path: records + "/" + ada.Id, Body: map[string]string{"phone": "555-0100"}, Allowed: []string{"ada"}, Status: map[string]int{"ada": http.StatusOK}},
		{Name: "nobody views ada", Method: http.MethodGet, Path: records + "/" + ada.Id, Marker: "ada@example.com", Allowed: []string{"ada"}, Status: map[string]int{"nobody": http.StatusNotFound}},
		{Name: "ada reads login tokens", Method: http.MethodGet, Path: "/api/collections/login_tokens/records", Status: map[string]int{"ada": http.StatusForbidden}},
		{Name: "ada reads the outbox (an empty list: mail is staff's)", Method: http.MethodGet, Path: "/api/collections/mail_outbox/records", Marker: "@example.com", Status: map[string]int{"ada": http.StatusOK}},
		{Name: "ada signs in with a password", Method: http.MethodPost, Path: "/api/collections/clients/auth-with-password", Body: map[string]string{"identity": "ada@example.com", "password": "x"}, Status: map[string]int{"nobody": http.StatusForbidden}},
		{Name: "anyone asks PocketBase to verify ada", Method: http.MethodPost, Path: "/api/collections/clients/request-verification", Body: map[string]string{"email": "ada@example.com"}, Allowed: anyone, Status: map[string]int{"nobody": http.StatusNoContent}},
		{Name: "anyone asks PocketBase to verify nobody", Method: http.MethodPost, Path: "/api/collections/clients/request-verification", Body: map[string]string{"email": "nobody@example.com"}, Allowed: anyone, Status: map[string]int{"nobody": http.StatusNoContent}},
		{Name: "ada moves her address", Method: http.MethodPost, Path: "/api/collections/clients/request-email-change", Body: map[string]string{"newEmail": "evil@example.com"}, Status: map[string]int{"ada": http.StatusForbidden}},
		{Name: "ada asks PocketBase for an OTP", Method: http.MethodPost, Path: "/api/collections/clients/request-otp", Body: map[string]string{"email": "ada@example.com"}, Status: map[string]int{"nobody": http.StatusForbidden}},
	})

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

// TestUnknownTimeZoneIsRefusedOnSave: a mistyped zone is named when the
// client is saved, and what was stored stays as it was.
func TestUnknownTimeZoneIsRefusedOnSave(t *testing.T) {
	env := testenv.Start(t)
	ada, _ := env.NewClient("Ada Client", "ada@example.com", false)
	staff := env.ClinicianToken()
	records := "/api/collections/clients/records"

	r := env.Do(http.MethodPatch, records+"/"+ada.Id, map[string]string{"timezone": "America/NewYork", "phone": "555-0100"}, "Authorization", staff)
	if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), `"timezone"`) {
		t.Fatalf("saving a client with the zone America/NewYork: %s; want 400 naming the timezone field", r)
	}
	stored, err := env.App.FindRecordById("clients", ada.Id)
	if err != nil {
		t.Fatal(err)
	}
	if stored.GetString("timezone") != ada.GetString("timezone") || stored.GetString("phone") != "" {
		t.Fatalf("a refused save changed the client: timezone %q, phone %q", stored.GetString("timezone"), stored.GetString("phone"))
	}
	r = env.Do(http.MethodPost, records, map[string]any{"name": "Cy Client", "email": "cy@example.com", "timezone": "Mars/Olympus"}, "Authorization", staff)
	if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), `"timezone"`) {
		t.Fatalf("creating a client in the zone Mars/Olympus: %s; want 400 naming the timezone field", r)
	}
	if r := env.Do(http.MethodPatch, records+"/"+ada.Id, map[string]string{"timezone": "Europe/Lisbon"}, "Authorization", staff); r.Status != http.StatusOK {
		t.Fatalf("saving a client with the zone Europe/Lisbon: %s", r)
	}
}
