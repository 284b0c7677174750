package testenv

import (
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Mail is one message as the SMTP server received it.
type Mail struct {
	From        string
	To          string
	Header      mail.Header
	Subject     string
	Text        string
	HTML        string
	Attachments map[string][]byte
	Raw         []byte
	Received    time.Time // when the server took the message
	TLS         bool      // whether it came over an encrypted connection
}

var (
	linkPattern = regexp.MustCompile(`https?://[^\s"<>]+/s/([A-Za-z0-9_-]{43})`)
	codePattern = regexp.MustCompile(`sign-in page: (\d{6})`)
)

// SignInLink is the portal link in the message, and the token it ends with.
func (m Mail) SignInLink() (link, token string) {
	match := linkPattern.FindStringSubmatch(m.Text)
	if match == nil {
		return "", ""
	}
	return match[0], match[1]
}

// Code is the 6-digit sign-in code in the message.
func (m Mail) Code() string {
	match := codePattern.FindStringSubmatch(m.Text)
	if match == nil {
		return ""
	}
	return match[1]
}

// MailServer is a real SMTP server (go-smtp) on a loopback port that
// keeps what it receives for the test. It can be taken down and brought
// back, or told to refuse messages, to test delivery faults.
type MailServer struct {
	t    TB
	addr string

	mu             sync.Mutex
	server         *smtp.Server
	inbox          []Mail
	taken          map[int]bool // inbox entries Next has handed to the test
	arrived        chan struct{}
	refusal        *smtp.SMTPError
	sessions       int
	options        MailServerOptions
	clearPasswords int // AUTH over a connection that was not encrypted
}

// MailServerOptions make a MailServer like a practice's real one.
type MailServerOptions struct {
	// TLS, when set, is offered with STARTTLS.
	TLS *tls.Config
	// Username and Password, when set, must sign in (AUTH PLAIN) before mail.
	Username, Password string
}

// StartMailServerWith is StartMailServer with options.
func StartMailServerWith(t TB, options MailServerOptions) *MailServer {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m := &MailServer{t: t, addr: listener.Addr().String(), arrived: make(chan struct{}, 1), taken: map[int]bool{}, options: options}
	m.serve(listener)
	t.Cleanup(m.Down)
	return m
}

// Addr is the server's host:port.
func (m *MailServer) Addr() string { return m.addr }

// PasswordsInClear counts the sign-ins that came over a connection that
// was not encrypted: anyone on the path read the password.
func (m *MailServer) PasswordsInClear() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.clearPasswords
}

// StartMailServer listens on a free loopback port until the test ends.
func StartMailServer(t TB) *MailServer {
	t.Helper()
	return StartMailServerWith(t, MailServerOptions{})
}

// URL is the server's address in PORTICO_SMTP_URL form.
func (m *MailServer) URL() string {
	return "smtp://" + m.addr
}

func (m *MailServer) serve(listener net.Listener) {
	server := smtp.NewServer(backend{m})
	server.Domain = "mail.test"
	// Portico is the one to refuse sending a password in clear; the
	// server takes it, to count it.
	server.AllowInsecureAuth = true
	server.TLSConfig = m.options.TLS
	server.ReadTimeout = 30 * time.Second
	server.WriteTimeout = 30 * time.Second
	m.mu.Lock()
	m.server = server
	m.mu.Unlock()
	go func() { _ = server.Serve(listener) }()
}

// Down stops the server: connections are refused until Up.
func (m *MailServer) Down() {
	m.mu.Lock()
	server := m.server
	m.server = nil
	m.mu.Unlock()
	if server != nil {
		_ = server.Close()
	}
}

// Up starts the server again on the same port.
func (m *MailServer) Up() {
	m.t.Helper()
	listener, err := net.Listen("tcp", m.addr)
	if err != nil {
		m.t.Fatal(err)
	}
	m.serve(listener)
}

// Refuse makes the server answer every recipient with code (4xx or 5xx);
// code 0 makes it accept mail again.
func (m *MailServer) Refuse(code int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if code == 0 {
		m.refusal = nil
		return
	}
	m.refusal = &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 0, 0}, Message: "refused by the test"}
}

// Sessions counts the SMTP connections the server has accepted.
func (m *MailServer) Sessions() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sessions
}

// All returns every message received so far.
func (m *MailServer) All() []Mail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Mail(nil), m.inbox...)
}

// To returns every message received so far for address.
func (m *MailServer) To(address string) []Mail {
	var out []Mail
	for _, msg := range m.All() {
		if strings.EqualFold(msg.To, address) {
			out = append(out, msg)
		}
	}
	return out
}

// Missing waits until every address in addresses has received at least
// one message, or until timeout, and returns those that have not.
func (m *MailServer) Missing(addresses []string, timeout time.Duration) []string {
	deadline := time.After(timeout)
	for {
		received := map[string]bool{}
		for _, msg := range m.All() {
			received[strings.ToLower(msg.To)] = true
		}
		var missing []string
		for _, address := range addresses {
			if !received[strings.ToLower(address)] {
				missing = append(missing, address)
			}
		}
		if len(missing) == 0 {
			return nil
		}
		select {
		case <-m.arrived:
		case <-deadline:
			return missing
		}
	}
}

// Count is how many messages the server holds.
func (m *MailServer) Count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.inbox)
}

// Clear forgets every message received so far, so that a long benchmark
// holds only the messages of its current round.
func (m *MailServer) Clear() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.inbox = nil
	m.taken = map[int]bool{}
}

// Next waits for the next message to address that Next has not returned yet.
func (m *MailServer) Next(address string, timeout time.Duration) Mail {
	m.t.Helper()
	deadline := time.After(timeout)
	for {
		m.mu.Lock()
		for i, msg := range m.inbox {
			if !m.taken[i] && strings.EqualFold(msg.To, address) {
				m.taken[i] = true
				m.mu.Unlock()
				return msg
			}
		}
		m.mu.Unlock()
		select {
		case <-m.arrived:
		case <-deadline:
			m.t.Fatalf("no email to %s arrived within %s", address, timeout)
		}
	}
}

// NoMailTo asserts that no unread message to address was sent. It decides
// by draining first, not by waiting: the recorded sign-in requests are
// looked up and their mail queued, then the outbox delivers everything
// due, and only then does the test look.
func (env *Env) NoMailTo(addresses ...string) {
	env.T.Helper()
	env.Drain()
	for _, address := range addresses {
		env.Mail.unread(address)
	}
}

// Drain finishes the recorded sign-in requests and delivers every message
// due, so that a test can look at what was sent.
func (env *Env) Drain() {
	env.T.Helper()
	if err := env.Portal.Requests.Drain(); err != nil {
		env.T.Fatalf("answering the recorded sign-in requests: %v", err)
	}
	if err := env.Portal.Outbox.Deliver(); err != nil {
		env.T.Fatalf("draining the outbox: %v", err)
	}
}

// unread fails the test if an unread message to address arrived.
func (m *MailServer) unread(address string) {
	m.t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, msg := range m.inbox {
		if !m.taken[i] && strings.EqualFold(msg.To, address) {
			m.t.Fatalf("unexpected email to %s: %q", address, msg.Subject)
		}
	}
}

func (m *MailServer) receive(from, to string, raw []byte, encrypted bool) error {
	parsed, err := parseMail(raw)
	if err != nil {
		return err
	}
	parsed.From, parsed.To, parsed.Raw, parsed.Received, parsed.TLS = from, to, raw, time.Now(), encrypted
	m.mu.Lock()
	m.inbox = append(m.inbox, parsed)
	m.mu.Unlock()
	select {
	case m.arrived <- struct{}{}:
	default:
	}
	return nil
}

type backend struct{ m *MailServer }

func (b backend) NewSession(conn *smtp.Conn) (smtp.Session, error) {
	b.m.mu.Lock()
	defer b.m.mu.Unlock()
	if _, upgraded := conn.TLSConnectionState(); !upgraded {
		b.m.sessions++ // STARTTLS starts a second session on the same connection
	}
	return &session{m: b.m, conn: conn}, nil
}

type session struct {
	m        *MailServer
	conn     *smtp.Conn
	signedIn bool
	from     string
	to       []string
}

func (s *session) encrypted() bool {
	_, ok := s.conn.TLSConnectionState()
	return ok
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, password string) error {
		s.m.mu.Lock()
		defer s.m.mu.Unlock()
		if !s.encrypted() {
			s.m.clearPasswords++
		}
		if username != s.m.options.Username || password != s.m.options.Password {
			return errors.New("wrong user name or password")
		}
		s.signedIn = true
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.m.options.Username != "" && !s.signedIn {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.m.mu.Lock()
	refusal := s.m.refusal
	s.m.mu.Unlock()
	if refusal != nil {
		return refusal
	}
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	for _, to := range s.to {
		if err := s.m.receive(s.from, to, raw, s.encrypted()); err != nil {
			return err
		}
	}
	return nil
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }

// parseMail reads the text and HTML alternatives and the attachments.
func parseMail(raw []byte) (Mail, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Mail{}, err
	}
	decoder := new(mime.WordDecoder)
	subject, _ := decoder.DecodeHeader(msg.Header.Get("Subject"))
	out := Mail{Header: msg.Header, Subject: subject, Attachments: map[string][]byte{}}
	err = walkParts(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, &out)
	return out, err
}

func walkParts(contentType, encoding string, body io.Reader, out *Mail) error {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return err
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		reader := multipart.NewReader(body, params["boundary"])
		for {
			part, err := reader.NextPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := walkParts(part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"), part, out); err != nil {
				return err
			}
		}
	}

	content, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	if strings.EqualFold(encoding, "base64") {
		content, err = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(content)), ""))
		if err != nil {
			return err
		}
	}
	switch {
	case params["name"] != "":
		out.Attachments[params["name"]] = content
	case mediaType == "text/plain":
		out.Text = string(content)
	case mediaType == "text/html":
		out.HTML = string(content)
	}
	return nil
}
