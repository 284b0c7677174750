package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// TestSweepRemovesOnlyTheBinariesOfEndedProcesses: a built binary's
// directory goes once the test process that built it has ended, and
// stays while it runs.
func TestSweepRemovesOnlyTheBinariesOfEndedProcesses(t *testing.T) {
	ended := exec.Command("true")
	if err := ended.Run(); err != nil {
		t.Fatal(err)
	}
	owned := func(pid int) string {
		t.Helper()
		dir, err := os.MkdirTemp("", builtPrefix)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		if err := os.WriteFile(filepath.Join(dir, builtOwner), []byte(strconv.Itoa(pid)), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	gone, kept := owned(ended.Process.Pid), owned(os.Getpid())
	fresh, err := os.MkdirTemp("", builtPrefix) // being made: no pid file yet
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(fresh) })

	sweepBuilds()
	for dir, want := range map[string]bool{gone: false, kept: true, fresh: true} {
		if _, err := os.Stat(dir); (err == nil) != want {
			t.Errorf("%s is there after the sweep: %v; want %v", dir, err == nil, want)
		}
	}
}
