package testenv

import (
	"bytes"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Binary returns the portico binary built by .ci/build, as the Dockerfile
// builds it; the build runs once per test process.
func Binary(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "portico-binary-")
		if err != nil {
			built.err = err
			return
		}
		// A test may run the binary as nobody (an unreadable data dir).
		if err := os.Chmod(dir, 0o755); err != nil {
			built.err = err
			return
		}
		built.path = filepath.Join(dir, "portico")
		cmd := exec.Command(filepath.Join(RepoRoot(), ".ci", "build"), built.path)
		if out, err := cmd.CombinedOutput(); err != nil {
			built.err = &buildError{err: err, output: out}
		}
	})
	if built.err != nil {
		t.Fatalf(".ci/build: %v", built.err)
	}
	return built.path
}

var built struct {
	once sync.Once
	path string
	err  error
}

type buildError struct {
	err    error
	output []byte
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + string(e.output) }

// RepoRoot is the directory holding go.mod.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(filepath.Dir(file)))
}

// FreeAddr returns a loopback address no one listens on right now.
func FreeAddr(t testing.TB) string {
	t.Helper()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	return listener.Addr().String()
}

// Command runs the binary with args to its end, with extra environment
// variables (NAME=value) over the test's own, and returns what it printed.
func Command(t testing.TB, binary string, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Process is the portico binary running in the background, such as
// `portico serve`, with everything it prints kept for the test.
type Process struct {
	t      testing.TB
	cmd    *exec.Cmd
	output *SyncBuffer
	exited chan struct{}
}

// StartProcess starts the binary with args and extra environment variables.
// It is stopped with SIGTERM when the test ends, if it still runs.
func StartProcess(t testing.TB, binary string, env []string, args ...string) *Process {
	t.Helper()
	p := &Process{t: t, cmd: exec.Command(binary, args...), output: &SyncBuffer{}, exited: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.output, p.output
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() { p.Stop(15 * time.Second) })
	return p
}

// Output is everything the process printed so far.
func (p *Process) Output() string { return p.output.String() }

// Exited tells whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// WaitHealthy waits until the process answers GET baseURL/api/health.
func (p *Process) WaitHealthy(baseURL string) {
	p.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(baseURL + "/api/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if p.Exited() {
			p.t.Fatalf("portico exited before answering %s:\n%s", baseURL, p.Output())
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("portico did not answer %s/api/health within 30s (%v):\n%s", baseURL, err, p.Output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// WaitOutput waits until the process has printed text, and fails the test
// with what it did print if that takes longer than timeout.
func (p *Process) WaitOutput(text string, timeout time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(p.Output(), text) {
		if p.Exited() && !strings.Contains(p.Output(), text) {
			p.t.Fatalf("portico exited without printing %q:\n%s", text, p.Output())
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("portico did not print %q within %s:\n%s", text, timeout, p.Output())
		}
		p.output.wait(50 * time.Millisecond)
	}
}

// Stop ends the process as systemd would, with SIGTERM, and reports how
// long it took; past timeout it is killed and the test fails.
func (p *Process) Stop(timeout time.Duration) time.Duration {
	if p.Exited() {
		return 0
	}
	started := time.Now()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(timeout):
		_ = p.cmd.Process.Kill()
		<-p.exited
		p.t.Errorf("portico did not stop within %s of SIGTERM:\n%s", timeout, p.Output())
	}
	return time.Since(started)
}

// Kill ends the process at once, as a power cut or `kill -9` would.
func (p *Process) Kill() {
	if p.Exited() {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// SyncBuffer collects a process's output while the test reads it.
type SyncBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	written chan struct{}
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.written != nil {
		close(b.written)
		b.written = nil
	}
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// wait returns once something more is written, or after at most d.
func (b *SyncBuffer) wait(d time.Duration) {
	b.mu.Lock()
	if b.written == nil {
		b.written = make(chan struct{})
	}
	written := b.written
	b.mu.Unlock()
	select {
	case <-written:
	case <-time.After(d):
	}
}

// Served is `portico serve` of the built binary on a data dir of its own.
type Served struct {
	*Process
	Dir string // the data dir
	URL string // where it answers, http://127.0.0.1:port
}

// Serve runs `portico serve` on a data dir no Portico has opened, on a
// free loopback port, with the environment variables env (NAME=value),
// and waits until it answers.
func Serve(t testing.TB, env ...string) *Served {
	t.Helper()
	dir, addr := t.TempDir(), FreeAddr(t)
	p := StartProcess(t, Binary(t), env, "serve", "--dir", dir, "--http", addr)
	served := &Served{Process: p, Dir: dir, URL: "http://" + addr}
	p.WaitHealthy(served.URL)
	return served
}

// Invite runs `portico invite EMAIL --name NAME` on the served data dir,
// as a clinician would beside the running server.
func (s *Served) Invite(email, name string) {
	s.t.Helper()
	out, err := Command(s.t, Binary(s.t), nil, "invite", email, "--name", name, "--dir", s.Dir)
	if err != nil {
		s.t.Fatalf("portico invite %s: %v\n%s", email, err, out)
	}
}
