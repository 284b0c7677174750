package testenv

import (
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// FreeAddr returns a loopback address no one listens on right now.
func FreeAddr(t TB) string {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	return listener.Addr().String()
}

// Command runs the binary with args to its end, with environment variables
// (NAME=value) over the test's own, and returns what it printed.
func Command(binary string, env []string, args ...string) (string, error) {
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Served is `portico serve` of the built binary on a data dir of its own.
type Served struct {
	*Process
	Binary string
	Dir    string // the data dir
	URL    string // where it answers, http://127.0.0.1:port
}

// Serve runs `portico serve` on a data dir no Portico has opened, on a free
// loopback port, with environment variables env (NAME=value), and waits
// until it answers.
func Serve(t testing.TB, binary string, env ...string) *Served {
	t.Helper()
	dir, addr := t.TempDir(), FreeAddr(t)
	served := &Served{
		Process: StartPorticoWith(t, binary, env, "serve", "--dir", dir, "--http", addr),
		Binary:  binary,
		Dir:     dir,
		URL:     "http://" + addr,
	}
	served.WaitHealthy()
	return served
}

// WaitHealthy waits until the server answers GET /api/health.
func (s *Served) WaitHealthy() {
	s.T.Helper()
	if err := s.healthy(s.URL); err != nil {
		s.T.Fatal(err)
	}
}

// WaitOutput waits until the process has printed text, and fails the test
// with what it did print if that takes longer than timeout.
func (p *Process) WaitOutput(text string, timeout time.Duration) {
	p.T.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(p.Output.String(), text) {
		select {
		case <-p.Exited:
			if !strings.Contains(p.Output.String(), text) {
				p.T.Fatalf("portico exited without printing %q:\n%s", text, p.Output)
			}
		default:
		}
		if time.Now().After(deadline) {
			p.T.Fatalf("portico did not print %q within %s:\n%s", text, timeout, p.Output)
		}
		p.Output.Wait(time.Second)
	}
}

// Invite runs `portico invite EMAIL --name NAME` on the served data dir, as
// a clinician would beside the running server.
func (s *Served) Invite(email, name string) {
	s.T.Helper()
	out, err := Command(s.Binary, nil, "invite", email, "--name", name, "--dir", s.Dir)
	if err != nil {
		s.T.Fatalf("portico invite %s: %v\n%s", email, err, out)
	}
}
