package testenv

import (
	"fmt"
	"slices"
	"syscall"
	"testing"
	"time"
)

// ProcessCPU is the CPU time this process has used so far, user and
// system: with a test's requests served in-process, the client's side
// and the server's together.
func ProcessCPU() time.Duration {
	var usage syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &usage)
	return time.Duration(usage.Utime.Nano() + usage.Stime.Nano())
}

// ReportCPU reports the CPU this process used per op since before (a
// ProcessCPU reading), as "cpu-µs/op", a steadier figure than ns/op for
// requests sent many at a time to a machine of few cores.
func ReportCPU(b *testing.B, before time.Duration) {
	b.ReportMetric(float64((ProcessCPU()-before).Microseconds())/float64(b.N), "cpu-µs/op")
}

// TimeInTurns times do for each of kinds b.N times, one call at a time,
// the kinds taking turns (the one going first alternating, so that
// neither always runs on a machine the other has just warmed or loaded),
// and reports each kind's median as "<kind>-ns/op": what an attacker
// timing a client's address against a stranger's would compare. Between
// calls, settle (if not nil) runs untimed.
func TimeInTurns(b *testing.B, kinds []string, do func(kind string, i int), settle func()) {
	took := map[string][]time.Duration{}
	b.ResetTimer()
	for i := range b.N {
		order := slices.Clone(kinds)
		if i%2 == 1 {
			slices.Reverse(order)
		}
		for _, kind := range order {
			began := time.Now()
			do(kind, i)
			took[kind] = append(took[kind], time.Since(began))
			if settle != nil {
				b.StopTimer()
				settle()
				b.StartTimer()
			}
		}
	}
	b.StopTimer()
	for kind, durations := range took {
		slices.Sort(durations)
		b.ReportMetric(float64(durations[len(durations)/2].Nanoseconds()), kind+"-ns/op")
	}
}

// ForwardedFor is the X-Forwarded-For header of the i-th request of a
// benchmark, an address of its own, so that per-IP limits never refuse it
// (with the app's settings trusting the header: TrustForwardedFor).
func ForwardedFor(i int) []string {
	return []string{"X-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)}
}

// TrustForwardedFor makes the app read a request's address from
// X-Forwarded-For, as behind a reverse proxy.
func (env *Env) TrustForwardedFor() {
	env.T.Helper()
	settings := env.App.Settings()
	settings.TrustedProxy.Headers = []string{"X-Forwarded-For"}
	if err := env.App.Save(settings); err != nil {
		env.T.Fatal(err)
	}
}
