package serve_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"portico/internal/testenv"
)

const wait = 30 * time.Second

func TestMailedLinksFollowTheListenAddress(t *testing.T) {
	mail := testenv.StartMailServer(t)
	portico := testenv.Serve(t, testenv.BuildPortico(t), "PORTICO_SMTP_URL="+mail.URL()+"?from=hello@harbor.test")
	baseURL := portico.URL
	portico.WaitOutput("Mailed links use "+baseURL+" ", wait)

	portico.Invite("ada@example.org", "Ada Client")
	msg := mail.Next("ada@example.org", wait)
	link, _ := msg.SignInLink()
	if !strings.HasPrefix(link, baseURL+"/s/") {
		t.Fatalf("the invite of a portal serving at %s links to %q: the client would open another instance's page", baseURL, link)
	}
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d; want the landing page", link, resp.StatusCode)
	}
}

func TestSMTPURLMistakesStopTheStart(t *testing.T) {
	binary := testenv.BuildPortico(t)
	cases := map[string]string{
		"wrong scheme":                "smtpx://ada:s3cret@mail.test:25",
		"web address":                 "https://ada:s3cret@mail.test",
		"port not a number":           "smtp://ada:s3cret@mail.test:twentyfive",
		"port out of range":           "smtp://ada:s3cret@mail.test:99999",
		"colon without a port":        "smtp://ada:s3cret@mail.test:",
		"user without password":       "smtp://ada@mail.test:587",
		"password without user":       "smtp://:s3cret@mail.test:587",
		"unescaped @ in the user":     "smtp://ada@s3cret@mail.test:587",
		"bad escape in the password":  "smtp://ada:s3cret%zz@mail.test:587",
		"unescaped / in the password": "smtp://ada:s3c/ret@mail.test:587",
		"unknown parameter":           "smtp://ada:s3cret@mail.test:587?tls=off",
		"from is not an address":      "smtp://ada:s3cret@mail.test:587?from=practice",
	}
	for name, smtpURL := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out, err := testenv.Command(binary, []string{"PORTICO_SMTP_URL=" + smtpURL},
				"serve", "--dir", t.TempDir(), "--http", testenv.FreeAddr(t))
			said := strings.TrimSpace(out)
			if err == nil {
				t.Fatalf("PORTICO_SMTP_URL=%s: portico started; want it to stop with one line naming the variable\n%s", smtpURL, out)
			}
			if strings.Contains(said, "\n") || !strings.Contains(said, "PORTICO_SMTP_URL") {
				t.Errorf("PORTICO_SMTP_URL=%s: portico said\n%s\nwant one line naming PORTICO_SMTP_URL", smtpURL, said)
			}
			if strings.Contains(said, "s3c") {
				t.Errorf("PORTICO_SMTP_URL=%s: the error shows the password: %s", smtpURL, said)
			}
		})
	}
}

func TestSenderIsSetWithTheMailServer(t *testing.T) {
	t.Run("placeholder sender warns", func(t *testing.T) {
		mail := testenv.StartMailServer(t)
		portico := testenv.Serve(t, testenv.BuildPortico(t), "PORTICO_SMTP_URL="+mail.URL())
		portico.WaitOutput("placeholder sender support@example.com", wait)
	})
	t.Run("from in the URL", func(t *testing.T) {
		mail := testenv.StartMailServer(t)
		portico := testenv.Serve(t, testenv.BuildPortico(t), "PORTICO_SMTP_URL="+mail.URL()+"?from=hello@harbor.test")
		portico.Invite("ada@example.org", "Ada Client")
		msg := mail.Next("ada@example.org", wait)
		if msg.From != "hello@harbor.test" || !strings.Contains(msg.Header.Get("From"), "<hello@harbor.test>") {
			t.Errorf("mail came from envelope %q, header %q; want hello@harbor.test, set in PORTICO_SMTP_URL", msg.From, msg.Header.Get("From"))
		}
		if strings.Contains(portico.Output.String(), "placeholder") {
			t.Errorf("portico warned of the placeholder sender although ?from= sets one:\n%s", portico.Output.String())
		}
	})
}
