package testenv

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Binary builds the portico binary with .ci/build, as the Dockerfile does,
// and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	root := filepath.Dir(string(bytes.TrimSpace(gomod)))
	binary := filepath.Join(t.TempDir(), "portico")
	if out, err := exec.Command(filepath.Join(root, ".ci", "build"), binary).CombinedOutput(); err != nil {
		t.Fatalf(".ci/build: %v\n%s", err, out)
	}
	return binary
}

// ProcessEnv is this process's environment with extra variables set, for
// a portico process. AWS_CA_BUNDLE is left out (see S3.SetEnv).
func ProcessEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_CA_BUNDLE=") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// RunBinary runs a portico command to its end and returns its output.
func RunBinary(binary string, env []string, args ...string) (string, error) {
	cmd := exec.Command(binary, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Process is a portico command running in the background, its output kept
// in a file that outlives a kill.
type Process struct {
	t      testing.TB
	cmd    *exec.Cmd
	log    string
	exited chan struct{}
}

// StartProcess starts binary with args and env; the test's end stops it.
func StartProcess(t testing.TB, binary string, env []string, args ...string) *Process {
	t.Helper()
	log, err := os.CreateTemp(t.TempDir(), "portico-*.log")
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	p := &Process{t: t, cmd: exec.Command(binary, args...), log: log.Name(), exited: make(chan struct{})}
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = log, log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(p.Kill)
	return p
}

// Output is what the process has printed so far.
func (p *Process) Output() string {
	raw, _ := os.ReadFile(p.log)
	return string(raw)
}

// Kill ends the process with SIGKILL, as a power cut or the OOM killer
// would, and waits until it is gone.
func (p *Process) Kill() {
	select {
	case <-p.exited:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// WaitHealthy waits until the portal at url answers /api/health.
func (p *Process) WaitHealthy(url string) error {
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
		case <-p.exited:
			return fmt.Errorf("portico exited while starting:\n%s", p.Output())
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("portico did not answer /api/health within 30s (%v):\n%s", err, p.Output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
