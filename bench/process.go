package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"portico/internal/testenv"
)

// buildRelease builds Portico as a practice deploys it, with the script
// the Dockerfile and CI use. It returns the binary's path.
func buildRelease(moduleDir, outDir string) (string, error) {
	binary := filepath.Join(outDir, "portico")
	cmd := exec.Command(filepath.Join(moduleDir, ".ci", "build"), binary)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building portico: %v\n%s", err, out)
	}
	return binary, nil
}

// freeAddr picks a loopback address nothing listens on.
func freeAddr() (string, error) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer listener.Close()
	return listener.Addr().String(), nil
}

// process is Portico running as its own process.
type process struct {
	cmd     *exec.Cmd
	url     string
	done    chan error
	stopped sync.Once
}

// startPortico runs `portico serve` on dataDir and waits until /api/health
// answers; it returns how long that took from exec.
func startPortico(binary, dataDir, addr string, env []string) (*process, time.Duration, error) {
	cmd := exec.Command(binary, "serve", "--http="+addr, "--dir="+dataDir)
	cmd.Env = testenv.Environ(env...)
	began := time.Now()
	p, err := launch(cmd, "http://"+addr, time.Millisecond)
	return p, time.Since(began), err
}

// launch starts cmd and waits until its /api/health answers 200, asking
// every poll.
func launch(cmd *exec.Cmd, url string, poll time.Duration) (*process, error) {
	p := &process{cmd: cmd, url: url, done: make(chan error, 1)}
	health := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	began := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() { p.done <- cmd.Wait() }()

	for {
		resp, err := health.Get(p.url + "/api/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		select {
		case err := <-p.done:
			return nil, fmt.Errorf("%s exited while starting: %v", filepath.Base(cmd.Path), err)
		case <-time.After(poll):
		}
		if time.Since(began) > 30*time.Second {
			p.stop()
			return nil, fmt.Errorf("%s did not answer /api/health within 30s: %v", filepath.Base(cmd.Path), err)
		}
	}
}

func (p *process) pid() int { return p.cmd.Process.Pid }

// stop ends Portico as systemd would: SIGTERM, then SIGKILL after 15s.
// A second stop does nothing.
func (p *process) stop() {
	p.stopped.Do(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(15 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
}

// residentBytes reads a process's resident set size (VmRSS).
func residentBytes(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		if rest, ok := strings.CutPrefix(scanner.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// peakRSS samples pid's resident memory until the returned func is
// called, which returns the highest sample.
func peakRSS(pid int) func() int64 {
	stop, done := make(chan struct{}), make(chan int64)
	go func() {
		var peak int64
		ticker := time.NewTicker(10 * time.Millisecond)
		defer ticker.Stop()
		for {
			if rss, err := residentBytes(pid); err == nil {
				peak = max(peak, rss)
			}
			select {
			case <-stop:
				done <- peak
				return
			case <-ticker.C:
			}
		}
	}()
	return func() int64 {
		close(stop)
		return <-done
	}
}

// cpuModel is the processor's name as /proc/cpuinfo gives it.
func cpuModel() string {
	raw, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown processor"
	}
	for line := range strings.SplitSeq(string(raw), "\n") {
		if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "model name" {
			return strings.TrimSpace(value)
		}
	}
	return "unknown processor"
}

// cpuTime is the processor time pid has used so far, user and system.
// /proc counts it in clock ticks, which are 10 ms on Linux (USER_HZ 100).
func cpuTime(pid int) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+2:]))
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// writtenBytes is what pid has caused to be written to storage so far.
func writtenBytes(pid int) int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(raw)) {
		if value, ok := strings.CutPrefix(line, "write_bytes: "); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
			return n
		}
	}
	return 0
}
