// Command testsummary reads `go test -json` on stdin and writes what a
// person reading CI wants: each package's result line, the whole output of
// every test that failed or never finished, the tests that were skipped,
// and one line counting the tests that ran, passed, failed and were
// skipped. It exits 1 when any test or package failed, so a pipeline
// keeps the tests' verdict.
//
//	go test -json ./... | go run ./internal/testsummary
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json's TestEvent).
type event struct {
	Action     string
	Package    string
	ImportPath string // build-output and build-fail events
	Test       string
	Output     string
}

// counts are the tests of one run by outcome; top-level tests and
// subtests are counted apart, so a failing subtest does not count twice.
type counts struct {
	passed, failed, skipped       int
	subPassed, subFailed, subSkip int
	failedPackages                int
}

func main() {
	c, err := summarise(os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(2)
	}
	if c.failed > 0 || c.subFailed > 0 || c.failedPackages > 0 {
		os.Exit(1)
	}
}

// summarise copies the run's readable parts from in to out as they come
// and ends with the counts.
func summarise(in io.Reader, out io.Writer) (counts, error) {
	var c counts
	running := map[string][]string{} // package + test -> its output so far
	var order []string               // running keys in start order
	var skipped []string

	scanner := bufio.NewScanner(in)
	scanner.Buffer(make([]byte, 1024*1024), 16*1024*1024)
	for scanner.Scan() {
		line := scanner.Bytes()
		var e event
		if err := json.Unmarshal(line, &e); err != nil || e.Action == "" {
			// Not an event (go vet or the toolchain talking): pass it on.
			fmt.Fprintln(out, string(line))
			continue
		}
		key := e.Package + " " + e.Test
		sub := strings.Contains(e.Test, "/")
		switch {
		case e.Action == "build-output":
			fmt.Fprint(out, e.Output)
		case e.Test == "" && e.Action == "output":
			if trimmed := strings.TrimSpace(e.Output); trimmed != "PASS" && trimmed != "FAIL" {
				fmt.Fprint(out, e.Output)
			}
		case e.Test == "" && e.Action == "fail":
			c.failedPackages++
		case e.Test == "":
		case e.Action == "run":
			running[key] = nil
			order = append(order, key)
		case e.Action == "output":
			// "=== RUN", "=== PAUSE", "=== CONT": the run's bookkeeping, not what went wrong.
			if !strings.HasPrefix(e.Output, "=== ") {
				running[key] = append(running[key], e.Output)
			}
		case e.Action == "pass":
			count(&c.passed, &c.subPassed, sub)
			delete(running, key)
		case e.Action == "skip":
			count(&c.skipped, &c.subSkip, sub)
			skipped = append(skipped, e.Package+" "+e.Test+skipReason(running[key]))
			delete(running, key)
		case e.Action == "fail":
			count(&c.failed, &c.subFailed, sub)
			fmt.Fprintf(out, "\n--- %s %s failed:\n%s", e.Package, e.Test, strings.Join(running[key], ""))
			delete(running, key)
		}
	}
	if err := scanner.Err(); err != nil {
		return c, err
	}

	for _, key := range order {
		output, unfinished := running[key]
		if !unfinished {
			continue
		}
		if !strings.Contains(key, "/") {
			c.failed++
		}
		fmt.Fprintf(out, "\n--- %s never finished (timeout or crash):\n%s", key, strings.Join(output, ""))
	}
	if len(skipped) > 0 {
		fmt.Fprintln(out, "\nskipped:")
		for _, s := range skipped {
			fmt.Fprintln(out, "  "+s)
		}
	}
	fmt.Fprintf(out, "\ntests: %d ran, %d passed, %d failed, %d skipped (subtests: %d passed, %d failed, %d skipped)\n",
		c.passed+c.failed+c.skipped, c.passed, c.failed, c.skipped, c.subPassed, c.subFailed, c.subSkip)
	return c, nil
}

func count(top, subtest *int, sub bool) {
	if sub {
		*subtest++
	} else {
		*top++
	}
}

// skipReason is the message a test gave t.Skip, from its output.
func skipReason(output []string) string {
	for _, line := range output {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "--- SKIP") {
			continue
		}
		return ": " + trimmed
	}
	return ""
}
