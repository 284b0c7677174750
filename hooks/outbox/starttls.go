package outbox

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strings"
	"time"
)

// negotiate reads the server's greeting and says EHLO on a plain
// connection, and upgrades it with STARTTLS whenever the server offers it,
// as PocketBase's own mailer does: a practice whose server is on port 25,
// 465 or 2525 with TLS off must not send links, codes and its password in
// clear. smtp+starttls:// (server.StartTLS) fails when the upgrade is not
// offered. It reports whether the connection it returns is encrypted.
//
// go-smtp's client has no exported STARTTLS for a connection it has
// already greeted, and its NewClientStartTLS closes the connection when
// the server offers none, so Portico speaks these first lines itself and
// hands go-smtp a connection that replays the greeting: one connection
// still carries a whole batch.
func negotiate(conn net.Conn, server Server, tlsConfig *tls.Config) (net.Conn, bool, error) {
	if server.TLS {
		return conn, true, nil
	}
	_ = conn.SetDeadline(time.Now().Add(smtpCommandTimeout))
	defer conn.SetDeadline(time.Time{})

	buffered := bufio.NewReader(conn)
	text := textproto.NewReader(buffered)
	greeting, err := readReply(text, 220)
	if err != nil {
		return conn, false, fmt.Errorf("greeting: %w", err)
	}
	localName := server.LocalName
	if localName == "" {
		localName = "localhost"
	}
	if strings.ContainsAny(localName, "\r\n ") {
		return conn, false, fmt.Errorf("local name %q is not a host name", localName)
	}
	if _, err := fmt.Fprintf(conn, "EHLO %s\r\n", localName); err != nil {
		return conn, false, err
	}
	extensions, err := readReply(text, 250)
	offered := err == nil && offersStartTLS(extensions)
	if !offered {
		// A server that knows no EHLO (500, 502) gets go-smtp's HELO.
		if server.StartTLS {
			return conn, false, errors.New("offers no STARTTLS, which smtp+starttls:// requires")
		}
		return replay(conn, buffered, greeting), false, nil
	}
	if _, err := fmt.Fprint(conn, "STARTTLS\r\n"); err != nil {
		return conn, false, err
	}
	if _, err := readReply(text, 220); err != nil {
		return conn, false, fmt.Errorf("STARTTLS: %w", err)
	}
	if buffered.Buffered() > 0 {
		// Lines sent ahead of the handshake were not protected by it
		// (the STARTTLS command injection of CVE-2011-0411).
		return conn, false, errors.New("sent data before the TLS handshake")
	}
	secure := tls.Client(conn, tlsConfig)
	if err := secure.Handshake(); err != nil {
		return conn, false, fmt.Errorf("STARTTLS: %w", err)
	}
	return replay(secure, bufio.NewReader(secure), greeting), true, nil
}

// readReply reads one reply and gives it back as the server sent it, each
// line with its code.
func readReply(text *textproto.Reader, want int) ([]string, error) {
	var lines []string
	for {
		line, err := text.ReadLine()
		if err != nil {
			return nil, err
		}
		lines = append(lines, line)
		if len(line) < 4 || !strings.HasPrefix(line, fmt.Sprint(want)) {
			return nil, fmt.Errorf("answered %q", line)
		}
		if line[3] == ' ' {
			return lines, nil
		}
	}
}

func offersStartTLS(extensions []string) bool {
	for _, line := range extensions[1:] {
		if strings.EqualFold(strings.TrimSpace(line[4:]), "STARTTLS") {
			return true
		}
	}
	return false
}

// replay returns conn as go-smtp expects a fresh one: the greeting is read
// again before anything from the server, and go-smtp says EHLO itself
// (again, or for the first time over TLS, as RFC 3207 asks).
func replay(conn net.Conn, buffered *bufio.Reader, greeting []string) net.Conn {
	return &greetedConn{Conn: conn, pending: []byte(strings.Join(greeting, "\r\n") + "\r\n"), rest: buffered}
}

// greetedConn reads the replayed greeting, then the connection.
type greetedConn struct {
	net.Conn
	pending []byte
	rest    *bufio.Reader
}

func (c *greetedConn) Read(p []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	return c.rest.Read(p)
}

// isLoopback tells whether host is a loopback address written as one: a
// name could resolve anywhere, so only 127.0.0.0/8 and ::1 count.
func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
