package clients_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"portico/internal/testenv"
)

func TestTurningPortalAccessOnSendsTheInvite(t *testing.T) {
	env := testenv.Start(t)
	client, _ := env.NewClient("Ada Client", "ada@example.org", false)

	client.Set("portal_access", true)
	if err := env.App.Save(client); err != nil {
		t.Fatal(err)
	}
	invite := env.Mail.Next("ada@example.org", testenv.Wait)
	if !strings.Contains(invite.Subject, "invites you") || invite.Code() == "" {
		t.Fatalf("mail after turning portal access on: subject %q, code %q; want the invite", invite.Subject, invite.Code())
	}

	// Saving a client who already has access sends nothing more.
	client.Set("phone", "555-0100")
	if err := env.App.Save(client); err != nil {
		t.Fatal(err)
	}
	if n := env.Count("mail_outbox", "recipient = 'ada@example.org'"); n != 1 {
		t.Fatalf("%d messages queued for Ada after an unrelated change; want only the invite", n)
	}
}

// TestInviteCommitsWithTheAccess looks inside the transaction that saves a
// client: the invite must already be queued there, so that no crash
// between the save and the mail can leave a client without one.
func TestInviteCommitsWithTheAccess(t *testing.T) {
	env := testenv.Start(t)
	existing, _ := env.NewClient("Bob Client", "bob@example.org", false)
	clients, err := env.App.FindCollectionByNameOrId("clients")
	if err != nil {
		t.Fatal(err)
	}
	queuedIn := func(tx core.App, email string) int {
		var n int
		if err := tx.DB().NewQuery("SELECT COUNT(*) FROM mail_outbox WHERE recipient = {:email}").
			Bind(dbx.Params{"email": email}).Row(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	rollBack := errors.New("the crash")

	err = env.App.RunInTransaction(func(tx core.App) error {
		created := core.NewRecord(clients)
		created.Set("name", "Ada Client")
		created.SetEmail("ada@example.org")
		created.Set("portal_access", true)
		if err := tx.Save(created); err != nil {
			return err
		}
		if n := queuedIn(tx, "ada@example.org"); n != 1 {
			t.Errorf("a new client with portal access is saved, and %d invites are queued with it; want 1", n)
		}

		existing.Set("portal_access", true)
		if err := tx.Save(existing); err != nil {
			return err
		}
		if n := queuedIn(tx, "bob@example.org"); n != 1 {
			t.Errorf("portal access turned on, and %d invites are queued with it; want 1", n)
		}
		return rollBack
	})
	if !errors.Is(err, rollBack) {
		t.Fatal(err)
	}
	if n := env.Count("mail_outbox", ""); n != 0 {
		t.Errorf("%d messages queued after the saves were rolled back; want none", n)
	}
}

func TestCapitalsInTheAddressStillSignIn(t *testing.T) {
	env := testenv.Start(t)
	client, invite := env.NewClient("Ada Client", "Ada.Client@Example.org", true)
	if invite.Code() == "" {
		t.Fatalf("a client saved as Ada.Client@Example.org got no invite")
	}
	stored, err := env.App.FindRecordById("clients", client.Id)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Email() != "ada.client@example.org" {
		t.Errorf("the address is stored as %q; want lower case", stored.Email())
	}

	if r := env.Post("/api/portal/login-link", map[string]string{"email": "ada.client@example.org"}); r.Status != http.StatusAccepted {
		t.Fatalf("login-link: %s", r)
	}
	if msg := env.Mail.Next("ada.client@example.org", testenv.Wait); msg.Code() == "" {
		t.Fatalf("sign-in mail without a code: %q", msg.Text)
	}
}

// TestExistingAddressesAreLowerCased runs the migration again over a
// client a data dir from before it could hold.
func TestExistingAddressesAreLowerCased(t *testing.T) {
	env := testenv.Start(t)
	client, _ := env.NewClient("Ada Client", "ada@example.org", false)
	db := env.App.DB()
	if _, err := db.NewQuery("UPDATE clients SET email = 'Ada@Example.ORG' WHERE id = {:id}").Bind(dbx.Params{"id": client.Id}).Execute(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.NewQuery("DELETE FROM _migrations WHERE file LIKE '1764_000030_%'").Execute(); err != nil {
		t.Fatal(err)
	}
	if err := env.App.RunAllMigrations(); err != nil {
		t.Fatal(err)
	}
	var email string
	if err := db.NewQuery("SELECT email FROM clients WHERE id = {:id}").Bind(dbx.Params{"id": client.Id}).Row(&email); err != nil {
		t.Fatal(err)
	}
	if email != "ada@example.org" {
		t.Fatalf("after the migration the address is %q; want ada@example.org", email)
	}
}

func TestInviteCommandOnANewDataDir(t *testing.T) {
	mail := testenv.StartMailServer(t)
	dir := t.TempDir()
	out, err := testenv.Command(testenv.BuildPortico(t), []string{"PORTICO_SMTP_URL=" + mail.URL()},
		"invite", "ada@example.org", "--name", "Ada Client", "--dir", dir)
	if err != nil || !strings.Contains(out, "Client created and invite queued") {
		t.Fatalf("portico invite on a data dir serve never opened: %v\n%s", err, out)
	}
	app := testenv.OpenDir(t, dir)
	if n, err := app.CountRecords("mail_outbox"); err != nil || n != 1 {
		t.Fatalf("%d messages queued (%v); want the invite", n, err)
	}
}
