package outbox_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"portico/hooks"
	"portico/hooks/outbox"
	"portico/internal/testenv"
)

const wait = 10 * time.Second

func message(to string) outbox.Message {
	return outbox.Message{
		To: to, ToName: "Ada Client", Kind: "test", Subject: "Hello from the practice",
		Text: "Sign in: https://portal.test/s/secret", HTML: "<p>Sign in: https://portal.test/s/secret</p>",
		Sensitive: true,
	}
}

func row(t *testing.T, env *testenv.Env, to string) *core.Record {
	t.Helper()
	record, err := env.App.FindFirstRecordByData(outbox.Collection, "recipient", to)
	if err != nil {
		t.Fatalf("no outbox row for %s: %v", to, err)
	}
	return record
}

// waitForState polls the outbox row until it reaches state.
func waitForState(t *testing.T, env *testenv.Env, to, state string) *core.Record {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		record := row(t, env, to)
		if record.GetString("state") == state {
			return record
		}
		if time.Now().After(deadline) {
			t.Fatalf("message to %s is %q (last error %q); want %q", to, record.GetString("state"), record.GetString("last_error"), state)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestMessageIsDeliveredOnceAndItsLinkCleared(t *testing.T) {
	env := testenv.Start(t)
	if _, err := env.Portal.Outbox.Enqueue(env.App, message("ada@example.com")); err != nil {
		t.Fatal(err)
	}
	got := env.Mail.Next("ada@example.com", wait)
	if got.Subject != "Hello from the practice" || !strings.Contains(got.Text, "/s/secret") || !strings.Contains(got.HTML, "<p>") {
		t.Fatalf("delivered message lost its parts: subject %q text %q html %q", got.Subject, got.Text, got.HTML)
	}
	record := waitForState(t, env, "ada@example.com", "sent")
	if record.GetString("text_body") != "" || record.GetString("html_body") != "" {
		t.Fatalf("a delivered message's link stayed in the outbox")
	}
	env.NoMailTo("ada@example.com")
}

func TestDedupeKeyQueuesOnce(t *testing.T) {
	env := testenv.Start(t)
	msg := message("ada@example.com")
	msg.DedupeKey = "reminder:appt1:48h"
	for i, want := range []bool{true, false, false} {
		queued, err := env.Portal.Outbox.Enqueue(env.App, msg)
		if err != nil || queued != want {
			t.Fatalf("enqueue #%d of one dedupe key: queued=%v err=%v; want %v", i+1, queued, err, want)
		}
	}
	env.Mail.Next("ada@example.com", wait)
	env.NoMailTo("ada@example.com")
}

func TestMailServerDownThenBack(t *testing.T) {
	env := testenv.Start(t)
	env.Mail.Down()
	if _, err := env.Portal.Outbox.Enqueue(env.App, message("ada@example.com")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(wait)
	for row(t, env, "ada@example.com").GetInt("attempts") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the worker never tried the message while the server was down")
		}
		time.Sleep(20 * time.Millisecond)
	}
	record := row(t, env, "ada@example.com")
	if record.GetString("state") != "pending" || record.GetString("last_error") == "" {
		t.Fatalf("with the server down the message is %q with error %q; want pending with the error", record.GetString("state"), record.GetString("last_error"))
	}

	env.Mail.Up()
	env.Clock.Advance(time.Hour) // past any backoff
	env.Portal.Outbox.Wake()
	env.Mail.Next("ada@example.com", wait)
	waitForState(t, env, "ada@example.com", "sent")
	env.NoMailTo("ada@example.com")
}

func TestTemporaryRefusalRetriesAndPermanentRefusalFails(t *testing.T) {
	env := testenv.Start(t)

	env.Mail.Refuse(451)
	env.Portal.Outbox.Enqueue(env.App, message("later@example.com"))
	deadline := time.Now().Add(wait)
	for row(t, env, "later@example.com").GetInt("attempts") == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if state := row(t, env, "later@example.com").GetString("state"); state != "pending" {
		t.Fatalf("after a 451 the message is %q; want pending for a retry", state)
	}

	env.Mail.Refuse(550) // the 451 message waits for its backoff meanwhile
	env.Portal.Outbox.Enqueue(env.App, message("never@example.com"))
	failed := waitForState(t, env, "never@example.com", "failed")
	if !strings.Contains(failed.GetString("last_error"), "550") {
		t.Fatalf("a 550 refusal was stored as %q; want the server's answer", failed.GetString("last_error"))
	}
	if failed.GetString("text_body") != "" || failed.GetString("html_body") != "" {
		t.Fatalf("a sensitive message Portico gave up on keeps its link in the outbox; sending again issues a fresh one")
	}

	env.Mail.Refuse(0)
	env.Clock.Advance(time.Hour)
	env.Portal.Outbox.Wake()
	env.Mail.Next("later@example.com", wait)
	env.NoMailTo("never@example.com")
}

func TestQueuedMessageSurvivesRestart(t *testing.T) {
	env := testenv.Start(t)
	env.Mail.Down()
	env.Portal.Outbox.Enqueue(env.App, message("ada@example.com"))
	env.Stop()

	env.Mail.Up()
	env.Clock.Advance(time.Hour)
	env.Restart()
	env.Mail.Next("ada@example.com", wait)
	waitForState(t, env, "ada@example.com", "sent")

	env.Restart()
	env.NoMailTo("ada@example.com")
}

func TestOneConnectionCarriesABatch(t *testing.T) {
	env := testenv.Start(t)
	before := env.Mail.Sessions()
	// Queued in one transaction, the 20 messages become due at once.
	err := env.App.RunInTransaction(func(tx core.App) error {
		for i := range 20 {
			if _, err := env.Portal.Outbox.Enqueue(tx, message(fmt.Sprintf("batch%d@example.com", i))); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	env.Portal.Outbox.Wake()
	for i := range 20 {
		env.Mail.Next(fmt.Sprintf("batch%d@example.com", i), wait)
	}
	if sessions := env.Mail.Sessions() - before; sessions != 1 {
		t.Fatalf("20 due messages took %d SMTP connections; want 1", sessions)
	}
}

func TestWithoutMailServerMessagesAreCapturedAndPrinted(t *testing.T) {
	var console bytes.Buffer
	env := testenv.Start(t, func(c *hooks.Config) { c.SMTPURL = "" })
	env.Portal.Outbox.Stop() // the server's own worker would print it to stdout first
	box := outbox.New(env.App, outbox.Config{Now: env.Clock.Now, Console: &console})
	box.Enqueue(env.App, message("ada@example.com"))
	if err := box.Deliver(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(console.String(), "https://portal.test/s/secret") || !strings.Contains(console.String(), "To: ada@example.com") {
		t.Fatalf("the captured message was not printed with its link:\n%s", console.String())
	}
	if state := row(t, env, "ada@example.com").GetString("state"); state != "captured" {
		t.Fatalf("a message with no mail server is %q; want captured", state)
	}
	if len(env.Mail.All()) != 0 {
		t.Fatalf("with no mail server configured a message reached SMTP")
	}
}

func TestSMTPURLForms(t *testing.T) {
	cases := []struct {
		url  string
		want outbox.Server
		bad  bool
	}{
		{url: "smtp://mail.test", want: outbox.Server{Host: "mail.test", Port: 25}},
		{url: "smtp://u:p%40ss@mail.test:2525", want: outbox.Server{Host: "mail.test", Port: 2525, Username: "u", Password: "p@ss"}},
		{url: "smtps://mail.test", want: outbox.Server{Host: "mail.test", Port: 465, TLS: true}},
		{url: "smtp+starttls://u:p@mail.test", want: outbox.Server{Host: "mail.test", Port: 587, StartTLS: true, Username: "u", Password: "p"}},
		{url: "http://mail.test", bad: true},
		{url: "smtp://:25", bad: true},
		{url: "smtp://mail.test:port", bad: true},
	}
	for _, c := range cases {
		got, err := outbox.ParseSMTPURL(c.url)
		if c.bad {
			if err == nil {
				t.Errorf("ParseSMTPURL(%q) accepted a bad URL", c.url)
			} else if strings.Contains(err.Error(), "\n") {
				t.Errorf("ParseSMTPURL(%q) error is not one line: %q", c.url, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseSMTPURL(%q) = %+v, %v; want %+v", c.url, got, err, c.want)
		}
	}
}

func TestWithdrawnMessagesStayUnsentWhenMailComesBack(t *testing.T) {
	env := testenv.Start(t)
	env.Mail.Down()
	for to, key := range map[string]string{
		"ada@example.com": "reminder:a1:120:1",
		"ben@example.com": "reminder:a1:2880:1",
		"cy@example.com":  "reminder:a10:120:1", // another appointment whose id starts alike
	} {
		msg := message(to)
		msg.DedupeKey = key
		if _, err := env.Portal.Outbox.Enqueue(env.App, msg); err != nil {
			t.Fatal(err)
		}
	}
	if err := env.Portal.Outbox.Withdraw(env.App, "reminder:a1:", "appointment changed"); err != nil {
		t.Fatal(err)
	}
	env.Mail.Up()
	for range 2 {
		env.Clock.Advance(time.Hour)
		if err := env.Portal.Outbox.Deliver(); err != nil {
			t.Fatal(err)
		}
	}
	env.Mail.Next("cy@example.com", wait)
	for _, to := range []string{"ada@example.com", "ben@example.com"} {
		if state := row(t, env, to).GetString("state"); state != "failed" {
			t.Errorf("a withdrawn message to %s is %q; want failed", to, state)
		}
	}
	env.NoMailTo("ada@example.com")
	env.NoMailTo("ben@example.com")
}
