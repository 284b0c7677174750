package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
)

// reminderBenchmarks are the reminder figures' Go benchmarks, which live
// beside the sweep in hooks/reminders and seed their appointments the way its tests
// do. The table reads their results rather than measuring a second way.
var reminderBenchmarks = map[string]string{
	"BenchmarkReminderSweep100k":             "reminders/sweep-100k",
	"BenchmarkTenThousandRemindersDelivered": "reminders/delivered-10k",
}

// benchmarkLine is one result line of `go test -bench`: name, iterations, ns/op.
var benchmarkLine = regexp.MustCompile(`^(Benchmark\w+)(?:-\d+)?\s+\d+\s+(\d+(?:\.\d+)?) ns/op`)

// workspaceBenchmarks are the week view's Go benchmarks, beside the
// workspace's routes in hooks/workspace: its API answer and its render
// in Chromium, with 500 appointments in the week.
var workspaceBenchmarks = map[string]string{
	"BenchmarkWeekViewAnswer500": "workspace/week-answer",
	"BenchmarkWeekViewRender500": "workspace/week-render",
}

// reminders runs the reminder benchmarks runs times each and records the
// seconds each took. It reports false when the tree has none yet.
func (b *bench) reminders(moduleDir string, runs int) (bool, error) {
	return b.goBenchmarks(moduleDir, "./hooks/reminders", reminderBenchmarks, runs)
}

// goBenchmarks runs the named Go benchmarks of pkg runs times each, one
// iteration a run, and records each one's seconds under its figure.
func (b *bench) goBenchmarks(moduleDir, pkg string, wanted map[string]string, runs int) (bool, error) {
	names := ""
	for name := range wanted {
		if names != "" {
			names += "|"
		}
		names += name
	}
	cmd := exec.Command("go", "test", "-run", "^$", "-bench", "^("+names+")$",
		"-benchtime", "1x", "-count", strconv.Itoa(runs), pkg)
	cmd.Dir = moduleDir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return false, fmt.Errorf("%s benchmarks: %v\n%s", pkg, err, out)
	}

	found := false
	scanner := bufio.NewScanner(bytes.NewReader(out))
	for scanner.Scan() {
		match := benchmarkLine.FindStringSubmatch(scanner.Text())
		if match == nil {
			continue
		}
		ns, err := strconv.ParseFloat(match[2], 64)
		if err != nil {
			return false, err
		}
		if figure, ok := wanted[match[1]]; ok {
			b.figures.add(figure, ns/1e9)
			found = true
		}
	}
	return found, nil
}
