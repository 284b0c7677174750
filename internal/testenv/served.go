package testenv

import (
	"fmt"
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

// Environ is the environment of a portico the tests or the benchmark
// start: the test's own, then the video relay on loopback and on a free
// port (a practice's default, every address on 3478, is neither for a
// test nor free when two packages serve at once), then env over both.
func Environ(env ...string) []string {
	base := append(os.Environ(), "PORTICO_TURN_LISTEN_IP=127.0.0.1")
	if listener, err := net.Listen("tcp", "127.0.0.1:0"); err == nil {
		base = append(base, fmt.Sprintf("PORTICO_TURN_PORT=%d", listener.Addr().(*net.TCPAddr).Port))
		listener.Close()
	}
	return append(base, env...)
}

// Command runs the binary with args to its end, with environment variables
// (NAME=value) over the test's own, and returns what it printed.
func Command(binary string, env []string, args ...string) (string, error) {
	cmd := exec.Command(binary, args...)
	cmd.Env = Environ(env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Served is `portico serve` of the built binary on a data dir of its own.
type Served struct {
	*Process
	Binary string
	Dir    string   // the data dir
	URL    string   // where it answers, http://127.0.0.1:port
	Env    []string // the environment variables it was started with
}

// Serve runs `portico serve` on a data dir no Portico has opened, on a free
// loopback port, with environment variables env (NAME=value), and waits
// until it answers.
func Serve(t testing.TB, binary string, env ...string) *Served {
	t.Helper()
	return ServeDir(t, binary, t.TempDir(), env...)
}

// ServeDir is Serve on the data dir dir, which may hold a practice
// already or be empty.
func ServeDir(t TB, binary, dir string, env ...string) *Served {
	t.Helper()
	addr := FreeAddr(t)
	served := &Served{
		Process: StartPorticoWith(t, binary, env, "serve", "--dir", dir, "--http", addr),
		Binary:  binary,
		Dir:     dir,
		URL:     "http://" + addr,
		Env:     env,
	}
	served.WaitHealthy()
	return served
}

// Restart starts the served data dir again, with the same environment,
// once the process has exited (stopped, killed or crashed).
func (s *Served) Restart() *Served {
	s.T.Helper()
	<-s.Exited
	return ServeDir(s.T, s.Binary, s.Dir, s.Env...)
}

// Remote is an Env for requests to the served process from the test:
// Do, Post and SignInTo work on it, with mail, the process's mail
// server; it has no App or Portal.
func (s *Served) Remote(mail *MailServer) *Env {
	return &Env{T: s.T, URL: s.URL, Mail: mail}
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
