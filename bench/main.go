// Command bench measures Portico against the performance targets of the
// README and prints a markdown table with each target beside its figure:
//
//	go run ./bench            # the full run, a few minutes
//	go run ./bench -quick     # a smoke run that proves the benchmark works
//	go run ./bench -trail     # only the audit trail rows: CPU per request with and without
//
// Portico runs as a practice runs it: the release binary, started on a
// prepared data dir, mailing a go-smtp server inside the benchmark. In
// the same run the benchmark drives PocketBase's built-in email OTP on
// the same app, so the two can be compared on equal terms.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"portico/internal/testenv"
)

// concurrencies are the numbers of clients signing in at once.
var concurrencies = []int{1, 8, 32}

// sizes are how much work one benchmark does.
type sizes struct {
	runs     int // each figure is the median over runs
	clients  int // sign-ins per round, and N of the login-link bursts
	otpUsers int // PocketBase OTP sign-ins per round: bcrypt makes each slow
	startups int // start-ups timed

	practices       []int // the larger practices code sign-in is measured in, clients
	sizeRuns        int   // rounds of code sign-ins at every practice size, alternating
	retentionRounds int   // rounds of sign-ins, each followed by pruning
	kills           int   // kill -9 rounds of the replicating portal
}

func main() {
	runs := flag.Int("runs", 3, "measure every figure this many times; the table shows medians")
	quick := flag.Bool("quick", false, "smoke run: one small run, to prove the benchmark still works")
	skipReminders := flag.Bool("skip-reminders", false, "leave out the reminder benchmarks (go test -bench in hooks/reminders measures them on its own)")
	inProcess := flag.Bool("inprocess", false, "run Portico inside the benchmark instead of as the release binary (no footprint figures)")
	trailOnly := flag.Bool("trail", false, "measure only the audit trail rows (five runs of each build, side by side)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the sign-in load to this file (implies -inprocess)")
	restoreGB := flag.Bool("restore-gb", false, "also time the restore of a 1 GB database (several minutes)")
	recoveryOnly := flag.Bool("recovery", false, "measure only the data lost on kill -9 (RPO) and the restore time (RTO)")
	limitDir := flag.String("limit-dir", "", "serve the bare limit on this data dir (the benchmark starts it so)")
	limitHTTP := flag.String("limit-http", "", "the bare limit's address, with -limit-dir")
	baseline := flag.String("baseline", "", "a second Portico binary (main's release build, say) served beside this tree's on the same data dir; "+
		"the sign-in rounds alternate the two and the table adds this build / baseline ratios")
	signInOnly := flag.Bool("signin-only", false, "measure only the redeem and login-code rounds and the practice sizes (no OTP, reminders, data dir or audit trail rows)")
	sizeRuns := flag.Int("size-runs", 5, "rounds of code sign-ins at each practice size, the sizes taking turns; the table shows medians and spreads")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("bench: ")
	if *limitDir != "" {
		log.Fatal(serveLimit(*limitDir, *limitHTTP))
	}

	s := sizes{runs: *runs, clients: 1000, otpUsers: 100, startups: 5, practices: []int{10_000, 50_000}, sizeRuns: *sizeRuns, retentionRounds: 5, kills: 20}
	if *quick {
		s = sizes{runs: 1, clients: 50, otpUsers: 5, startups: 1, practices: []int{200}, sizeRuns: 1, retentionRounds: 2, kills: 2}
	}
	if *cpuProfile != "" {
		*inProcess = true
	}

	tb := &benchTB{}
	defer tb.close()
	var err error
	b := &bench{tb: tb, sizes: s, figures: figures{}, inProcess: *inProcess, quick: *quick, signInOnly: *signInOnly, restoreGB: *restoreGB}
	b.command = strings.Join(append([]string{"go run ./bench"}, os.Args[1:]...), " ")

	module := moduleDir(tb)
	if *recoveryOnly {
		b.recovery(module)
		return
	}
	// The replicated sign-in runs stop and restart the release binary with
	// replication on its data dir, which must then be its own: a second
	// build serving it (-baseline) would checkpoint behind Litestream.
	b.replication = !b.inProcess && !*trailOnly && !*signInOnly && *baseline == ""
	if !*quick && !*trailOnly && !*skipReminders && !*signInOnly {
		log.Printf("running the reminder benchmarks in hooks/reminders (%d runs)", s.runs)
		b.remindersMeasured, err = b.reminders(module, s.runs)
		must(tb, err)
		log.Printf("running the week view benchmarks in hooks/workspace (%d runs)", s.runs)
		b.weekMeasured, err = b.goBenchmarks(module, "./hooks/workspace", workspaceBenchmarks, s.runs)
		must(tb, err)
	}

	addr, err := freeAddr()
	must(tb, err)
	var binary string
	if !b.inProcess {
		log.Print("building the release binary")
		binary, err = buildRelease(module, tb.TempDir())
		must(tb, err)
		info, err := os.Stat(binary)
		must(tb, err)
		b.figures.add("binary", float64(info.Size())/(1<<20))
	}

	log.Printf("preparing a practice with %d clients", s.clients)
	practice := preparePractice(tb, s.clients, s.otpUsers, "http://"+addr)
	b.mail = practice.env.Mail

	url := practice.env.URL
	b.portico = target{pid: os.Getpid()}
	trail := prepareTrail(tb, practice)
	var grown []*sizedPractice
	if !b.inProcess {
		practice.env.Stop()
		if !*trailOnly {
			grown = b.growPractices(practice.env.Dir)
		}
		b.release = b.startRelease(binary, practice.env.Dir, addr)
		url, b.portico.pid = b.release.url, b.release.pid()
		for _, g := range grown {
			g.portico = b.serve(binary, g.dir, "size/")
			b.sized = append(b.sized, g.portico)
		}
	}
	b.portico.load = newLoader(url)
	if *baseline != "" {
		b.baseline = b.serve(*baseline, b.baselineDir(practice.env.Dir), "baseline/")
	}
	limitAddr, err := freeAddr()
	must(tb, err)
	bare, err := startLimit(practice.env.Dir, limitAddr)
	must(tb, err)
	tb.Cleanup(bare.stop)
	b.limit = target{name: "limit/", load: newLoader(bare.url), pid: bare.pid()}

	for _, page := range pages {
		weight, foreign, err := pageWeight(url, page.path)
		must(tb, err)
		b.figures.add("page"+page.path, float64(weight)/1024)
		b.foreign = append(b.foreign, foreign...)
	}

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		must(tb, err)
		must(tb, pprof.StartCPUProfile(f))
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	for run := range s.runs {
		if *trailOnly {
			break
		}
		log.Printf("run %d of %d", run+1, s.runs)
		b.signInRun(practice, run, b.signInTargets())
		if b.replication {
			b.replicatedSignInRun(practice, binary, addr, run)
		}
	}
	if b.replication {
		b.killRuns(binary, s.kills)
		for _, size := range b.rtoSizes() {
			b.restoreTime(binary, size)
		}
	}
	if len(grown) > 0 {
		b.practiceSizes(practice, grown)
	}
	if !*trailOnly {
		// After the sign-in and size rounds: a wrong code on a client's
		// address makes that client's next sign-in reset the count.
		b.addressTimings(practice.clients)
	}
	if !b.inProcess && !*trailOnly && !*signInOnly {
		b.dataDirGrowth(practice, binary)
	}
	if !b.inProcess && !*signInOnly {
		// The trail rows serve each build on a copy of the data dir the
		// release has stopped writing.
		b.release.stop()
		log.Print("building the release without the audit trail")
		baseline, err := buildWithoutTrail(module, tb.TempDir())
		must(tb, err)
		b.trailRows(map[string]string{withTrail: binary, withoutTrail: baseline}, practice, trail)
	}

	b.printTable(os.Stdout)
	if len(b.failureReport()) > 0 {
		tb.fail("some requests got unexpected answers (listed above): the figures are not to be trusted")
	}
}

// startRelease times the release binary's start-up on the prepared data
// dir, then starts it for the load and reads its idle memory.
func (b *bench) startRelease(binary, dataDir, addr string) *process {
	env := b.releaseEnv()
	log.Printf("timing %d start-ups", b.sizes.startups)
	for range b.sizes.startups {
		portico, took, err := startPortico(binary, dataDir, addr, env)
		must(b.tb, err)
		portico.stop()
		b.figures.add("startup", ms(took))
	}

	portico, _, err := startPortico(binary, dataDir, addr, env)
	must(b.tb, err)
	b.tb.Cleanup(func() { b.release.stop() }) // the one running at the end
	time.Sleep(2 * time.Second)               // past start-up's one-off work
	idle, err := residentBytes(portico.pid())
	must(b.tb, err)
	b.figures.add("rss/idle", float64(idle)/(1<<20))
	return portico
}

// serve starts binary on dataDir for the whole run, as a target whose
// figures are named with prefix.
func (b *bench) serve(binary, dataDir, prefix string) target {
	addr, err := freeAddr()
	must(b.tb, err)
	p, _, err := startPortico(binary, dataDir, addr, b.releaseEnv())
	must(b.tb, err)
	b.tb.Cleanup(p.stop)
	return target{name: prefix, load: newLoader(p.url), pid: p.pid()}
}

// releaseEnv is the environment the release binary runs with.
func (b *bench) releaseEnv() []string {
	return []string{
		"PORTICO_SMTP_URL=" + b.mail.URL(),
		fmt.Sprintf("PORTICO_LINKS_PER_ADDRESS=%d", linksPerAddress),
	}
}

// rtoSizes are the database sizes, in MB, whose restore is timed.
func (b *bench) rtoSizes() []int {
	switch {
	case b.quick:
		return []int{10}
	case b.restoreGB:
		return []int{100, 1024}
	}
	return []int{100}
}

// signInRun measures one run of every sign-in figure. Each round mails a
// fresh link and code to every client, so each sign-in uses a new token.
// Portico, the bare limit and the baseline build, if any, take turns, the
// one going first rotating from run to run, so that all see the same
// machine. This tree's Portico issues the links of the data dir it shares
// with the bare limit; the baseline issues its own, on its own copy.
func (b *bench) signInRun(practice *practice, run int, targets []target) {
	b.loadPeak = 0
	b.floor()
	turns := make([]target, len(targets))
	for i := range targets {
		turns[i] = targets[(i+run)%len(targets)]
	}
	for _, concurrency := range concurrencies {
		for _, t := range turns {
			b.redeem(t, concurrency, b.loginLinks(b.issuer(t), practice.clients))
		}
		for _, t := range turns {
			b.loginCodes(t, concurrency, b.loginLinks(b.issuer(t), practice.clients))
		}
		if !b.signInOnly {
			b.authWithOTPs(concurrency, b.requestOTPs(practice.otpUsers))
		}
	}
	b.figures.add(b.portico.name+"rss/load", float64(b.loadPeak)/(1<<20))
}

// signInTargets are the servers a sign-in run alternates: Portico, the
// bare limit and the baseline build, if any.
func (b *bench) signInTargets() []target {
	targets := []target{b.portico, b.limit}
	if b.baseline.load != nil {
		targets = append(targets, b.baseline)
	}
	return targets
}

// floor measures, at 32 concurrent, a request Portico refuses before any
// database work: what HTTP, PocketBase's middleware, the request log's
// failure row, the load generator and this machine's scheduling cost on
// their own. Then the framework's share of a sign-in: a successful answer
// from the sign-in routes' group with no database work (the practice's
// name, cached), which PocketBase's request log skips as it skips a
// sign-in. The sign-in figures read against both.
func (b *bench) floor() {
	calls := make([]call, 5*b.sizes.clients)
	for i := range calls {
		calls[i] = call{"/api/portal/login-link", map[string]string{"email": "not an address"}}
	}
	b.measure(b.portico, "floor", 32, calls, http.StatusBadRequest)

	for i := range calls {
		calls[i] = call{"/api/portal/practice", nil}
	}
	b.measure(b.portico, "framework", 32, calls, http.StatusOK)
}

// target is a server the benchmark drives: Portico, or the bare limit.
type target struct {
	name string // figure prefix: "" for Portico, "limit/" for the bare limit
	load *loader
	pid  int // its process, whose processor time and memory are read
}

// measure sends a round of requests to t and records its rate, latencies
// and the processor time t spent per request, while sampling Portico's
// memory.
func (b *bench) measure(t target, name string, concurrency int, calls []call, want int) {
	peak := peakRSS(b.portico.pid)
	cpu, written := cpuTime(t.pid), writtenBytes(t.pid)
	r := t.load.send(concurrency, calls, want, nil)
	if !b.inProcess || t.pid != os.Getpid() {
		b.figures.add(t.name+name+"/cpu", ms(cpuTime(t.pid)-cpu)/float64(r.requests))
		b.figures.add(t.name+name+"/written", float64(writtenBytes(t.pid)-written)/float64(r.requests))
	}
	b.loadPeak = max(b.loadPeak, peak())
	b.record(t.name+name, r)
}

// bench is one benchmark's state and findings.
type bench struct {
	tb         *benchTB
	sizes      sizes
	command    string
	inProcess  bool
	quick      bool
	signInOnly bool
	restoreGB  bool
	// replication: the sign-in runs are repeated replicating, and the
	// kill -9 and restore rows measured
	replication bool

	remindersMeasured bool // the tree has the reminder benchmarks
	weekMeasured      bool // the tree has the week view benchmarks

	mail     *testenv.MailServer
	portico  target
	limit    target
	release  *process // Portico's release binary, when not in process
	baseline target   // another build on the same data dir, with -baseline
	sized    []target // Portico on each larger practice's copy
	loadPeak int64    // highest memory reading during this run's sign-ins

	figures figures
	foreign []string // URLs the portal pages load from other origins
}

// failureReport lists the unexpected answers of Portico and the bare limit.
func (b *bench) failureReport() []string {
	report := b.portico.load.failureReport()
	for _, line := range b.limit.load.failureReport() {
		report = append(report, "bare limit: "+line)
	}
	if b.baseline.load != nil {
		for _, line := range b.baseline.load.failureReport() {
			report = append(report, "baseline: "+line)
		}
	}
	for _, t := range b.sized {
		for _, line := range t.load.failureReport() {
			report = append(report, "larger practice: "+line)
		}
	}
	return report
}

// record keeps a burst's rate and latencies under name.
func (b *bench) record(name string, r burst) {
	b.figures.add(name+"/rate", r.rate())
	b.figures.add(name+"/p50", ms(r.percentile(50)))
	b.figures.add(name+"/p99", ms(r.percentile(99)))
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// moduleDir is the root of the Portico module the benchmark builds.
func moduleDir(tb *benchTB) string {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	must(tb, err)
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		tb.Fatal("run the benchmark inside the Portico module: go run ./bench")
	}
	return filepath.Dir(gomod)
}

// machine names the hardware the figures were measured on.
func machine() string {
	return fmt.Sprintf("%d cores (runtime.NumCPU), %s, %s/%s, %s",
		runtime.NumCPU(), cpuModel(), runtime.GOOS, runtime.GOARCH, runtime.Version())
}
