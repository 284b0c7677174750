package testenv

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// SmallDisk mounts a file system of its own, size bytes of tmpfs, for a
// data dir that can run out of space, and unmounts it when the test ends.
// Mounting needs root (CI runs as root): elsewhere the test is skipped,
// saying why; in CI it fails.
func SmallDisk(t testing.TB, size int64) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d,mode=0700", size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		reason := fmt.Sprintf("cannot mount a small tmpfs for a disk that fills up (needs root): %v %s", err, out)
		if os.Getenv("CI") != "" {
			t.Fatal(reason + ": CI must run the full-disk test")
		}
		t.Skip(reason)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("unmounting the small disk %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// FillDisk writes a file into dir until the file system has no space
// left, and returns a function that deletes it again.
func FillDisk(t testing.TB, dir string) (free func()) {
	t.Helper()
	filler := filepath.Join(dir, "filler")
	file, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.Copy(file, zeros{})
	file.Close()
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("filling %s: %v; want the disk full (ENOSPC)", dir, err)
	}
	return func() {
		t.Helper()
		if err := os.Remove(filler); err != nil {
			t.Fatal(err)
		}
	}
}

// zeros reads as an endless run of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
