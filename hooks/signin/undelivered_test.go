package signin_test

import (
	"net/http"
	"testing"
	"time"

	"portico/internal/testenv"
)

// TestUndeliveredSignInMailTakesItsLinkWithIt: a sign-in mail the server
// refuses for good keeps no working link or code in mail_outbox (nor in
// the backups made of it), and asking again sends a fresh one.
func TestUndeliveredSignInMailTakesItsLinkWithIt(t *testing.T) {
	env := testenv.Start(t)
	env.NewClient("Ada Client", "ada@example.com", true)

	// A temporary refusal keeps the message, link and code, in the queue.
	env.Mail.Refuse(451)
	if r := env.Post("/api/portal/login-link", map[string]string{"email": "ada@example.com"}); r.Status != http.StatusAccepted {
		t.Fatalf("login-link: %s; want 202", r)
	}
	env.Drain()
	var queued struct {
		Id   string `db:"id"`
		Text string `db:"text_body"`
	}
	if err := env.App.DB().NewQuery("SELECT id, text_body FROM mail_outbox WHERE kind = 'sign_in' AND state = 'pending'").One(&queued); err != nil {
		t.Fatalf("the refused sign-in mail is not waiting for its retry: %v", err)
	}
	_, token := testenv.Mail{Text: queued.Text}.SignInLink()
	code := testenv.Mail{Text: queued.Text}.Code()
	if token == "" || code == "" {
		t.Fatalf("the queued sign-in mail holds no link and code:\n%s", queued.Text)
	}

	// Then the server refuses it for good.
	env.Mail.Refuse(550)
	env.Clock.Advance(time.Hour)
	if err := env.Portal.Outbox.Deliver(); err != nil {
		t.Fatal(err)
	}
	failed, err := env.App.FindRecordById("mail_outbox", queued.Id)
	if err != nil {
		t.Fatal(err)
	}
	if failed.GetString("state") != "failed" {
		t.Fatalf("the sign-in mail refused with 550 is %q; want failed", failed.GetString("state"))
	}
	if failed.GetString("text_body") != "" || failed.GetString("html_body") != "" {
		t.Errorf("the failed sign-in mail keeps its link and code in mail_outbox:\n%s", failed.GetString("text_body"))
	}
	if r := env.Post("/api/portal/redeem", map[string]string{"token": token}); r.Status != http.StatusGone {
		t.Errorf("the link of a mail that never went out still signs in: %s; want 410", r)
	}
	if r := env.Post("/api/portal/login-code", map[string]string{"email": "ada@example.com", "code": code}); r.Status == http.StatusOK {
		t.Errorf("the code of a mail that never went out still signs in: %s", r)
	}

	// Asking again, once the server takes mail, sends a fresh link that works.
	env.Mail.Refuse(0)
	fresh := env.RequestLink("ada@example.com")
	_, freshToken := fresh.SignInLink()
	if freshToken == "" || freshToken == token {
		t.Fatalf("asking again sent no fresh link:\n%s", fresh.Text)
	}
	if r := env.Post("/api/portal/redeem", map[string]string{"token": freshToken}); r.Status != http.StatusOK {
		t.Errorf("the fresh link: %s; want 200", r)
	}
}
