// Command bench measures Portico against the performance targets of the
// README and prints a markdown table with each target beside its figure:
//
//	go run ./bench            # the full run, a few minutes
//	go run ./bench -quick     # a smoke run that proves the benchmark works
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
	kills    int // kill -9 rounds of the replicating portal
}

func main() {
	runs := flag.Int("runs", 3, "measure every figure this many times; the table shows medians")
	quick := flag.Bool("quick", false, "smoke run: one small run, to prove the benchmark still works")
	inProcess := flag.Bool("inprocess", false, "run Portico inside the benchmark instead of as the release binary (no footprint figures)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the sign-in load to this file (implies -inprocess)")
	restoreGB := flag.Bool("restore-gb", false, "also time the restore of a 1 GB database (several minutes)")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("bench: ")

	s := sizes{runs: *runs, clients: 1000, otpUsers: 100, startups: 5, kills: 20}
	if *quick {
		s = sizes{runs: 1, clients: 50, otpUsers: 5, startups: 1, kills: 2}
	}
	if *cpuProfile != "" {
		*inProcess = true
	}

	tb := &benchTB{}
	defer tb.close()
	var err error
	b := &bench{tb: tb, sizes: s, figures: figures{}, inProcess: *inProcess, quick: *quick, restoreGB: *restoreGB}
	b.command = strings.Join(append([]string{"go run ./bench"}, os.Args[1:]...), " ")

	module := moduleDir(tb)
	if !*quick {
		log.Printf("running the reminder benchmarks in hooks/ (%d runs)", s.runs)
		b.remindersMeasured, err = b.reminders(module, s.runs)
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
	b.pid = os.Getpid()
	if !b.inProcess {
		practice.env.Stop()
		b.portico = b.startRelease(binary, practice.env.Dir, addr)
		url, b.pid = b.portico.url, b.portico.pid()
	}
	b.load = newLoader(url)

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
		log.Printf("run %d of %d", run+1, s.runs)
		b.signInRun(practice)
		if !b.inProcess {
			b.replicatedSignInRun(practice, binary, addr)
		}
	}
	if !b.inProcess {
		b.killRuns(binary, s.kills)
		for _, size := range b.rtoSizes() {
			b.restoreTime(binary, size)
		}
	}

	b.printTable(os.Stdout)
	if len(b.load.failureReport()) > 0 {
		tb.fail("some requests got unexpected answers (listed above): the figures are not to be trusted")
	}
}

// startRelease times the release binary's start-up on the prepared data
// dir, then starts it for the load and reads its idle memory.
func (b *bench) startRelease(binary, dataDir, addr string) *process {
	env := b.baseEnv()
	log.Printf("timing %d start-ups", b.sizes.startups)
	for range b.sizes.startups {
		portico, took, err := startPortico(binary, dataDir, addr, env)
		must(b.tb, err)
		portico.stop()
		b.figures.add("startup", ms(took))
	}

	portico, _, err := startPortico(binary, dataDir, addr, env)
	must(b.tb, err)
	b.tb.Cleanup(func() { b.portico.stop() })
	time.Sleep(2 * time.Second) // past start-up's one-off work
	idle, err := residentBytes(portico.pid())
	must(b.tb, err)
	b.figures.add("rss/idle", float64(idle)/(1<<20))
	return portico
}

// baseEnv is the release binary's environment for the sign-in load.
func (b *bench) baseEnv() []string {
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
func (b *bench) signInRun(practice *practice) {
	b.loadPeak = 0
	b.floor()
	for _, concurrency := range concurrencies {
		b.redeem(concurrency, b.loginLinks(practice.clients))
		b.loginCodes(concurrency, b.loginLinks(practice.clients))
		b.authWithOTPs(concurrency, b.requestOTPs(practice.otpUsers))
	}
	b.figures.add("rss/load", float64(b.loadPeak)/(1<<20))
}

// floor measures, at 32 concurrent, a request Portico refuses before any
// database work: what HTTP, PocketBase's middleware, the load generator
// and this machine's scheduling cost on their own. The sign-in figures
// read against it.
func (b *bench) floor() {
	calls := make([]call, 5*b.sizes.clients)
	for i := range calls {
		calls[i] = call{"/api/portal/login-link", map[string]string{"email": "not an address"}}
	}
	b.measure("floor", 32, calls, http.StatusBadRequest)
}

// measure sends a round of requests and records its rate, latencies and
// the processor time Portico spent per request, while sampling its memory.
func (b *bench) measure(name string, concurrency int, calls []call, want int) {
	name = b.variant + name
	peak := peakRSS(b.pid)
	cpu, written := cpuTime(b.pid), writtenBytes(b.pid)
	r := b.load.send(concurrency, calls, want, nil)
	if !b.inProcess {
		b.figures.add(name+"/cpu", ms(cpuTime(b.pid)-cpu)/float64(r.requests))
		b.figures.add(name+"/written", float64(writtenBytes(b.pid)-written)/float64(r.requests))
	}
	b.loadPeak = max(b.loadPeak, peak())
	b.record(name, r)
}

// bench is one benchmark's state and findings.
type bench struct {
	tb        *benchTB
	sizes     sizes
	command   string
	inProcess bool
	quick     bool
	restoreGB bool

	remindersMeasured bool // the tree has the reminder benchmarks

	mail     *testenv.MailServer
	load     *loader
	portico  *process // the release binary, when not in process
	variant  string   // prefix of the figures measured now: "" or "replicated/"
	pid      int      // Portico's process, whose memory is read
	loadPeak int64    // highest memory reading during this run's sign-ins

	figures figures
	foreign []string // URLs the portal pages load from other origins
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
