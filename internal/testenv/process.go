package testenv

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// RepoRoot is the module's root, found from the test's working directory.
func RepoRoot(t TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// BuildPortico builds the portico binary with .ci/build, as the Dockerfile
// does, once per test process: every test of a package shares the binary.
func BuildPortico(t TB) string {
	t.Helper()
	built.once.Do(func() {
		sweepBuilds()
		dir, err := os.MkdirTemp("", builtPrefix)
		if err == nil {
			// The unreadable-data-dir case runs the binary as nobody.
			err = os.Chmod(dir, 0o755)
		}
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, builtOwner), []byte(strconv.Itoa(os.Getpid())), 0o644)
		}
		if err != nil {
			built.err = err.Error()
			return
		}
		built.path = filepath.Join(dir, "portico")
		build := exec.Command(filepath.Join(RepoRoot(t), ".ci", "build"), built.path)
		build.Dir = RepoRoot(t)
		if out, err := build.CombinedOutput(); err != nil {
			built.err = fmt.Sprintf("%v\n%s", err, out)
		}
	})
	if built.err != "" {
		t.Fatalf(".ci/build: %s", built.err)
	}
	return built.path
}

var built struct {
	once sync.Once
	path string
	err  string
}

// A built binary's directory, and the file in it naming the test process
// that built it.
const (
	builtPrefix = "portico-binary-"
	builtOwner  = "pid"
)

// sweepBuilds removes the binaries that ended test processes built. No
// test knows it is its package's last, so each process leaves its binary
// behind, 40 MB a package a run: enough to fill a developer's disk. A
// directory goes once the process its pid file names is gone, or, with
// no pid file (one being made this moment has none yet), after an hour.
func sweepBuilds() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), builtPrefix+"*"))
	for _, dir := range dirs {
		raw, err := os.ReadFile(filepath.Join(dir, builtOwner))
		if err != nil {
			if info, statErr := os.Stat(dir); statErr != nil || time.Since(info.ModTime()) < time.Hour {
				continue
			}
		} else if pid, convErr := strconv.Atoi(string(raw)); convErr == nil && running(pid) {
			continue
		}
		_ = os.RemoveAll(dir)
	}
}

// running is true while the process pid exists.
func running(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}

// Process is a portico command (usually `serve`) running in the background.
type Process struct {
	T      TB
	Cmd    *exec.Cmd
	Output *SyncBuffer
	Exited chan struct{}
}

// StartPortico runs binary with args until the test ends.
func StartPortico(t TB, binary string, args ...string) *Process {
	t.Helper()
	return StartPorticoWith(t, binary, nil, args...)
}

// StartPorticoWith is StartPortico with environment variables (NAME=value)
// over the test's own.
func StartPorticoWith(t TB, binary string, env []string, args ...string) *Process {
	t.Helper()
	p := &Process{T: t, Cmd: exec.Command(binary, args...), Output: &SyncBuffer{}, Exited: make(chan struct{})}
	p.Cmd.Env = Environ(env...)
	p.Cmd.Stdout, p.Cmd.Stderr = p.Output, p.Output
	if err := p.Cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.Cmd.Wait()
		close(p.Exited)
	}()
	t.Cleanup(p.Stop)
	return p
}

// Stop ends portico as systemd would, with SIGTERM.
func (p *Process) Stop() {
	select {
	case <-p.Exited:
		return
	default:
	}
	p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.Exited:
	case <-time.After(15 * time.Second):
		p.Cmd.Process.Kill()
		p.T.Errorf("portico did not stop within 15s of SIGTERM:\n%s", p.Output)
	}
}

// Kill ends portico with SIGKILL, as a power cut or the OOM killer would,
// and waits until it is gone.
func (p *Process) Kill() {
	select {
	case <-p.Exited:
		return
	default:
	}
	p.Cmd.Process.Signal(syscall.SIGKILL)
	<-p.Exited
}

// healthy waits until the portal at url answers GET /api/health, and
// says what it printed if it exits or stays silent for 30 seconds first.
func (p *Process) healthy(url string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url + "/api/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.Exited:
			return fmt.Errorf("portico exited before answering %s:\n%s", url, p.Output)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("portico did not answer %s/api/health within 30s (%v):\n%s", url, err, p.Output)
		}
		p.Output.Wait(50 * time.Millisecond)
	}
}

// SyncBuffer collects a process's output while the test reads it.
type SyncBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	written chan struct{} // closed by the next Write, for Wait
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

// Wait returns once more is written, or after at most d.
func (b *SyncBuffer) Wait(d time.Duration) {
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

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
