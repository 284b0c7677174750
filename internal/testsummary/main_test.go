package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSummaryCountsARealRun runs `go test -json` on a small package with
// a passing, a failing, a skipped test and subtests, and checks that the
// summary counts them and shows the failure.
func TestSummaryCountsARealRun(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module sample\n\ngo 1.27\n")
	write("sample_test.go", `package sample

import "testing"

func TestPasses(t *testing.T) {}

func TestFails(t *testing.T) { t.Fatal("the second redeem returned 200; want 410") }

func TestSkips(t *testing.T) { t.Skip("chromium is not installed") }

func TestTable(t *testing.T) {
	t.Run("owner", func(t *testing.T) {})
	t.Run("other client", func(t *testing.T) { t.Error("another client read the packet") })
}
`)
	run := exec.Command("go", "test", "-json", "-count=1", ".")
	run.Dir = dir
	stream, err := run.Output()
	if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 1 {
		t.Fatalf("go test on the sample: %v, want exit status 1 (one test fails)\n%s", err, stream)
	}

	var out bytes.Buffer
	c, err := summarise(bytes.NewReader(stream), &out)
	if err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{
		"tests: 4 ran, 1 passed, 2 failed, 1 skipped (subtests: 1 passed, 1 failed, 0 skipped)",
		"--- sample TestFails failed:",
		"the second redeem returned 200; want 410",
		"another client read the packet",
		"sample TestSkips: sample_test.go:9: chromium is not installed",
		"FAIL\tsample",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("summary lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "=== RUN") || strings.Contains(text, "TestPasses") {
		t.Errorf("summary shows passing tests' output; it should show only failures:\n%s", text)
	}
	if c.failedPackages != 1 {
		t.Errorf("failed packages = %d, want 1", c.failedPackages)
	}
}
