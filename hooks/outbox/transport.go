package outbox

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/domodwyer/mailyak/v3"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/pocketbase/pocketbase/core"
)

// transport is one delivery connection: SMTP, or the console catcher used
// when no mail server is configured.
type transport interface {
	Send(meta core.MetaConfig, msg queued) error
	// DeliveredState is the state a message gets once Send succeeds.
	DeliveredState() string
	Close()
}

// Server is where mail goes, parsed from PORTICO_SMTP_URL or the dashboard.
type Server struct {
	Host      string
	Port      int
	Username  string
	Password  string
	TLS       bool // implicit TLS (smtps)
	StartTLS  bool
	LocalName string
	From      string // the sender address, when the URL sets one

	// AllowInsecureAuth lets the password go over a connection that is
	// not encrypted (?allow_insecure_auth=true); loopback needs no leave.
	AllowInsecureAuth bool
}

// PlaceholderSender is the sender address of a fresh PocketBase data dir:
// mail from it is spam at best.
const PlaceholderSender = "support@example.com"

// ParseSMTPURL reads smtp://user:pass@host:port, smtps://… or
// smtp+starttls://…, with an optional ?from=address and
// ?allow_insecure_auth=true. Every mistake is one
// line naming PORTICO_SMTP_URL and never the password.
func ParseSMTPURL(raw string) (Server, error) {
	fail := func(format string, args ...any) (Server, error) {
		return Server{}, fmt.Errorf("PORTICO_SMTP_URL: "+format, args...)
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error quotes the whole URL, password included.
		if strings.Contains(err.Error(), "invalid port") {
			return fail("the port is not a number (or a / in the password is not written %%2F); want smtp://user:password@host:port")
		}
		return fail("not a valid URL; want smtp://user:password@host:port, with @ : / %% in the user or password written %%40 %%3A %%2F %%25")
	}
	server := Server{Host: u.Hostname()}
	defaultPort := 25
	switch u.Scheme {
	case "smtp":
	case "smtps":
		server.TLS, defaultPort = true, 465
	case "smtp+starttls":
		server.StartTLS, defaultPort = true, 587
	default:
		return fail("scheme %q: want smtp, smtps or smtp+starttls", u.Scheme)
	}
	if server.Host == "" {
		return fail("no host in %q", u.Redacted())
	}
	server.Port = defaultPort
	if strings.HasSuffix(u.Host, ":") {
		return fail("the port after %q is empty; leave out the colon for port %d", server.Host, defaultPort)
	}
	if p := u.Port(); p != "" {
		server.Port, err = strconv.Atoi(p)
		if err != nil || server.Port < 1 || server.Port > 65535 {
			return fail("port %q: want a number from 1 to 65535", p)
		}
	}
	if u.User != nil {
		server.Username = u.User.Username()
		password, hasPassword := u.User.Password()
		switch {
		case server.Username == "":
			return fail("a password but no user name before the @")
		case !hasPassword || password == "":
			// No quoting: a password with an unescaped @ lands in the user name.
			return fail("the user part has no password; write smtp://user:password@host:port, with @ in either written %%40")
		}
		server.Password = password
	}
	if u.Path != "" && u.Path != "/" {
		return fail("unexpected path %q after the port", u.Path)
	}
	query := u.Query()
	for name := range query {
		if name != "from" && name != "allow_insecure_auth" {
			return fail("unknown parameter %q (only from=address and allow_insecure_auth=true)", name)
		}
	}
	switch query.Get("allow_insecure_auth") {
	case "", "false":
	case "true":
		server.AllowInsecureAuth = true
	default:
		return fail("allow_insecure_auth=%q: want true or false", query.Get("allow_insecure_auth"))
	}
	if from := query.Get("from"); from != "" {
		address, err := mail.ParseAddress(from)
		if err != nil || address.Name != "" {
			return fail("from=%q: want a plain address such as hello@practice.example", from)
		}
		server.From = address.Address
	}
	return server, nil
}

// server is the mail server in force now: the environment, then the
// dashboard, else none (the console catcher).
func (o *Outbox) server() (Server, bool, error) {
	if o.config.SMTPURL != "" {
		server, err := ParseSMTPURL(o.config.SMTPURL)
		return server, err == nil, err
	}
	settings := o.app.Settings().SMTP
	if !settings.Enabled || settings.Host == "" {
		return Server{}, false, nil
	}
	return Server{
		Host:      settings.Host,
		Port:      settings.Port,
		Username:  settings.Username,
		Password:  settings.Password,
		TLS:       settings.TLS,
		StartTLS:  !settings.TLS && settings.Port == 587,
		LocalName: settings.LocalName,
	}, true, nil
}

// SenderAddress is the address mail comes from: the from= of
// PORTICO_SMTP_URL, else the dashboard's Settings > Mail sender address.
func (o *Outbox) SenderAddress() string {
	if server, _, err := o.server(); err == nil && server.From != "" {
		return server.From
	}
	return o.app.Settings().Meta.SenderAddress
}

// warnPlaceholderSender says at start when real mail would go out from
// PocketBase's placeholder address, which receiving servers junk.
func (o *Outbox) warnPlaceholderSender() {
	_, configured, err := o.server()
	if err != nil || !configured || !strings.EqualFold(o.SenderAddress(), PlaceholderSender) {
		return
	}
	fmt.Fprintf(o.config.Errors, "Warning: mail goes out from the placeholder sender %s, which receiving servers treat as spam: "+
		"set the practice's address in Settings > Mail > Sender address, or add ?from=address to PORTICO_SMTP_URL.\n", PlaceholderSender)
	o.app.Logger().Warn("mail: the sender is PocketBase's placeholder address", "sender", PlaceholderSender)
}

func (o *Outbox) openTransport() (transport, error) {
	server, configured, err := o.server()
	if err != nil {
		return nil, err
	}
	if !configured {
		return &consoleTransport{o: o}, nil
	}
	return o.dialSMTP(server)
}

// Deadlines of one SMTP conversation. They replace go-smtp's own (5
// minutes a command, 12 for a message), which would let a server that
// accepts and then says nothing hold the worker, and a SIGTERM, that long.
const (
	smtpDialTimeout    = 10 * time.Second
	smtpCommandTimeout = 30 * time.Second
	smtpMessageTimeout = 2 * time.Minute
)

type smtpTransport struct {
	client *smtp.Client
	o      *Outbox
}

// dialSMTP opens a conversation with server, every step within the
// deadlines above, and one that Stop can cut off.
func (o *Outbox) dialSMTP(server Server) (*smtpTransport, error) {
	addr := net.JoinHostPort(server.Host, strconv.Itoa(server.Port))
	fail := func(client *smtp.Client, format string, args ...any) (*smtpTransport, error) {
		client.Close()
		o.forgetConn()
		return nil, fmt.Errorf("mail server %s: "+format, append([]any{addr}, args...)...)
	}
	tlsConfig := &tls.Config{ServerName: server.Host, MinVersion: tls.VersionTLS12}

	ctx, cancel := context.WithTimeout(context.Background(), smtpDialTimeout)
	defer cancel()
	go func() {
		select {
		case <-o.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	dial := func() (net.Conn, error) {
		conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("mail server %s: %w", addr, err)
		}
		// go-smtp sets its own deadline before each step: this caps them all.
		conn = deadlineConn{Conn: conn, limit: smtpMessageTimeout}
		if server.TLS {
			conn = tls.Client(conn, tlsConfig)
		}
		o.holdConn(conn)
		return conn, nil
	}
	conn, err := dial()
	if err != nil {
		return nil, err
	}

	conn, encrypted, err := negotiate(conn, server, tlsConfig)
	if err != nil {
		conn.Close()
		o.forgetConn()
		return nil, fmt.Errorf("mail server %s: %w", addr, err)
	}
	client := smtp.NewClient(conn)
	if server.LocalName != "" {
		if err := client.Hello(server.LocalName); err != nil {
			return fail(client, "%w", err)
		}
	}
	client.CommandTimeout = smtpCommandTimeout
	client.SubmissionTimeout = smtpMessageTimeout
	if server.Username != "" {
		if !encrypted && !server.AllowInsecureAuth && !isLoopback(server.Host) {
			return fail(client, "offers no STARTTLS, and Portico does not send the mail password in clear: use smtps://, a server with STARTTLS, or add ?allow_insecure_auth=true to PORTICO_SMTP_URL")
		}
		if err := client.Auth(sasl.NewPlainClient("", server.Username, server.Password)); err != nil {
			return fail(client, "sign-in: %w", err)
		}
	}
	return &smtpTransport{client: client, o: o}, nil
}

// deadlineConn caps every deadline set on it at limit from now.
type deadlineConn struct {
	net.Conn
	limit time.Duration
}

func (c deadlineConn) SetDeadline(t time.Time) error {
	if latest := time.Now().Add(c.limit); t.IsZero() || t.After(latest) {
		t = latest
	}
	return c.Conn.SetDeadline(t)
}

func (t *smtpTransport) Send(meta core.MetaConfig, msg queued) error {
	body, err := compose(meta, msg)
	if err != nil {
		return err
	}
	err = t.client.SendMail(meta.SenderAddress, []string{msg.Recipient}, bytes.NewReader(body))
	if err != nil {
		// A refused message leaves the session mid-transaction; the next one starts clean.
		_ = t.client.Reset()
	}
	return err
}

func (t *smtpTransport) DeliveredState() string { return "sent" }

func (t *smtpTransport) Close() {
	_ = t.client.Quit()
	_ = t.client.Close()
	t.o.forgetConn()
}

// consoleTransport is the development catcher: with no mail server
// configured, each message is printed so a new practice can sign in on
// the first run, and kept in the outbox as "captured".
type consoleTransport struct {
	o *Outbox
}

func (t *consoleTransport) Send(meta core.MetaConfig, msg queued) error {
	_, err := fmt.Fprintf(t.o.config.Console,
		"\n── mail captured (no mail server configured) ─────────────\nTo: %s\nSubject: %s\n\n%s\n──────────────────────────────────────────────────────────\n",
		msg.Recipient, msg.Subject, strings.TrimSpace(msg.TextBody))
	return err
}

func (t *consoleTransport) DeliveredState() string { return "captured" }

func (t *consoleTransport) Close() {}

// compose builds the MIME message: plain text and HTML alternatives, the
// practice's name as the sender name, and any attachments.
func compose(meta core.MetaConfig, msg queued) ([]byte, error) {
	m := mailyak.New("", nil)
	m.From(meta.SenderAddress)
	// Clients know the practice by its name, so that is who the mail is
	// from, whatever the dashboard's separate sender name still says.
	m.FromName(meta.AppName)
	m.To((&mail.Address{Name: msg.RecipientName, Address: msg.Recipient}).String())
	m.Subject(msg.Subject)
	m.Plain().Set(msg.TextBody)
	m.HTML().Set(msg.HTMLBody)
	// A stable Message-ID lets receiving servers drop a copy a crash made us send twice.
	m.SetHeader("Message-ID", fmt.Sprintf("<%s@%s>", msg.Id, senderDomain(meta.SenderAddress)))
	m.SetHeader("Auto-Submitted", "auto-generated")

	if msg.Attachments != "" && msg.Attachments != "null" {
		var attachments []Attachment
		if err := json.Unmarshal([]byte(msg.Attachments), &attachments); err != nil {
			return nil, fmt.Errorf("message %s: attachments: %w", msg.Id, err)
		}
		for _, a := range attachments {
			m.AttachWithMimeType(a.Name, bytes.NewReader(a.Content), a.ContentType)
		}
	}

	buf, err := m.MimeBuf()
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func senderDomain(address string) string {
	if at := strings.LastIndexByte(address, '@'); at >= 0 {
		return address[at+1:]
	}
	return "localhost"
}
