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

// reminders runs the reminder benchmarks runs times each and records the
// seconds each took. It reports false when the tree has none yet.
func (b *bench) reminders(moduleDir string, runs int) (bool, error) {
	names := ""
	for name := range reminderBenchmarks {
		if names != "" {
			names += "|"
		}
		names += name
	}
	cmd := exec.Command("go", "test", "-run", "^$", "-bench", "^("+names+")$",
		"-benchtime", "1x", "-count", strconv.Itoa(runs), "./hooks/reminders")
	cmd.Dir = moduleDir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return false, fmt.Errorf("reminder benchmarks: %v\n%s", err, out)
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
		if figure, ok := reminderBenchmarks[match[1]]; ok {
			b.figures.add(figure, ns/1e9)
			found = true
		}
	}
	return found, nil
}
