package outbox_test

import (
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"

	"portico/internal/testenv"
)

// TestMailIsEncryptedWheneverTheServerCan runs the built binary against a
// go-smtp server that offers STARTTLS with a certificate the test's CA
// signed (trusted through SSL_CERT_FILE, as an operator trusts a private
// CA), and against one that offers none: the password and the links go in
// clear only to loopback or when the operator says so.
func TestMailIsEncryptedWheneverTheServerCan(t *testing.T) {
	binary := testenv.BuildPortico(t)
	root, certFile, keyFile := testenv.ServerCertificate(t, t.TempDir())
	certificate, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	withTLS := &tls.Config{Certificates: []tls.Certificate{certificate}}

	cases := []struct {
		name      string
		tls       *tls.Config
		url       func(addr string) string // PORTICO_SMTP_URL for the server at addr
		delivered bool
		said      string // the line the console shows when it is not
	}{
		{"plain smtp:// upgrades when STARTTLS is offered", withTLS,
			func(addr string) string { return "smtp://portico:s3cret@" + addr }, true, ""},
		{"a server by name upgrades too", withTLS,
			func(addr string) string { return "smtp://portico:s3cret@" + byName(addr) }, true, ""},
		{"no password in clear to a server by name that offers no STARTTLS", nil,
			func(addr string) string { return "smtp://portico:s3cret@" + byName(addr) }, false,
			"offers no STARTTLS, and Portico does not send the mail password in clear"},
		{"smtp+starttls:// fails closed without STARTTLS", nil,
			func(addr string) string { return "smtp+starttls://portico:s3cret@" + addr }, false,
			"offers no STARTTLS, which smtp+starttls:// requires"},
		{"the operator may allow a password in clear", nil,
			func(addr string) string { return "smtp://portico:s3cret@" + byName(addr) + "?allow_insecure_auth=true" }, true, ""},
		{"loopback by address needs no leave", nil,
			func(addr string) string { return "smtp://portico:s3cret@" + addr }, true, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mail := testenv.StartMailServerWith(t, testenv.MailServerOptions{TLS: c.tls, Username: "portico", Password: "s3cret"})
			url := c.url(mail.Addr())
			if strings.Contains(url, "?") {
				url += "&from=hello@harbor.test"
			} else {
				url += "?from=hello@harbor.test"
			}
			portico := testenv.Serve(t, binary, "SSL_CERT_FILE="+root, "PORTICO_SMTP_URL="+url)
			portico.Invite("ada@example.org", "Ada Client")
			if !c.delivered {
				portico.WaitOutput(c.said, 30*time.Second)
				if mail.Count() != 0 || mail.PasswordsInClear() != 0 {
					t.Errorf("%d messages arrived and %d passwords were sent in clear; want none", mail.Count(), mail.PasswordsInClear())
				}
				return
			}
			invite := mail.Next("ada@example.org", 30*time.Second)
			if c.tls != nil && !invite.TLS {
				t.Errorf("the invite, with its link and code, crossed the network in clear although the server offers STARTTLS")
			}
			if c.tls != nil && mail.PasswordsInClear() != 0 {
				t.Errorf("the SMTP password was sent before STARTTLS")
			}
			if sessions := mail.Sessions(); sessions != 1 {
				t.Errorf("the invite took %d connections; want 1", sessions)
			}
		})
	}
}

// byName is the server at addr (127.0.0.1:port) as localhost:port: a name,
// which Portico does not take for loopback.
func byName(addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	return "localhost:" + port
}
