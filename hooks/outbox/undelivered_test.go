package outbox_test

import (
	"strings"
	"testing"
	"time"

	"portico/internal/testenv"
)

func TestUndeliverableMailIsSaidWithoutLinkOrCode(t *testing.T) {
	mail := testenv.StartMailServer(t)
	portico := testenv.Serve(t, testenv.BuildPortico(t), "PORTICO_SMTP_URL="+mail.URL()+"?from=hello@harbor.test")

	mail.Refuse(451)
	portico.Invite("ada@example.org", "Ada Client")
	portico.WaitOutput("at example.org not delivered, attempt 1, retrying in 30s: SMTP error 451", 30*time.Second)
	mail.Refuse(550)
	portico.Invite("bob@example.net", "Bob Client")
	portico.WaitOutput("at example.net not delivered, attempt 1, given up", 30*time.Second)
	portico.Stop()

	app := testenv.OpenDir(t, portico.Dir)

	// Ada's invite waits for its retry, link and code still in the queue:
	// neither may have reached the console.
	var body string
	if err := app.DB().NewQuery("SELECT text_body FROM mail_outbox WHERE recipient = 'ada@example.org'").Row(&body); err != nil {
		t.Fatal(err)
	}
	queued := testenv.Mail{Text: body}
	_, token := queued.SignInLink()
	if token == "" || queued.Code() == "" {
		t.Fatalf("the queued invite holds no link and code to look for:\n%s", body)
	}
	for _, secret := range []string{token, queued.Code()} {
		if strings.Contains(portico.Output.String(), secret) {
			t.Errorf("the console shows the invite's link or code %q:\n%s", secret, portico.Output.String())
		}
	}

	var logged []struct {
		Data string `db:"data"`
	}
	err := app.AuxDB().NewQuery("SELECT data FROM _logs WHERE message = 'mail not delivered'").All(&logged)
	if err != nil {
		t.Fatal(err)
	}
	if len(logged) != 2 {
		t.Fatalf("%d 'mail not delivered' log entries; want one per refused message (2)", len(logged))
	}
	for _, entry := range logged {
		if !strings.Contains(entry.Data, `"recipientDomain":"example.`) || !strings.Contains(entry.Data, `"attempt":1`) ||
			!strings.Contains(entry.Data, "refused by the test") {
			t.Errorf("log entry %s; want the recipient's domain, the attempt and the server's answer", entry.Data)
		}
		if strings.Contains(entry.Data, token) || strings.Contains(entry.Data, queued.Code()) || strings.Contains(entry.Data, "ada@") {
			t.Errorf("log entry %s names the recipient or carries the link or code", entry.Data)
		}
	}
}
