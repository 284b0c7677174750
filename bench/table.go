package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// pages are the portal and workspace pages whose weight is measured.
var pages = []struct{ name, path string }{
	{"Sign-in page", "/"},
	{"Portal home", "/portal/"},
	{"Staff schedule", "/staff/schedule.html"},
	{"Staff client list", "/staff/clients.html"},
	{"Staff client page", "/staff/client.html"},
}

// figures holds every measurement by name, one value per run.
type figures map[string][]float64

func (f figures) add(name string, value float64) {
	f[name] = append(f[name], value)
}

// median is the middle of a figure's measurements; NaN if never measured.
func (f figures) median(name string) float64 {
	values := slices.Sorted(slices.Values(f[name]))
	switch n := len(values); {
	case n == 0:
		return math.NaN()
	case n%2 == 1:
		return values[n/2]
	default:
		return (values[n/2-1] + values[n/2]) / 2
	}
}

// ratio is the median over runs of a/b, each run's a against the same
// run's b (measured side by side), with the lowest and highest of them.
func (f figures) ratio(a, b string) (median, lowest, highest float64) {
	ratios := figures{}
	for i := range min(len(f[a]), len(f[b])) {
		ratios.add("r", f[a][i]/f[b][i])
	}
	values := ratios["r"]
	if len(values) == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	return ratios.median("r"), slices.Min(values), slices.Max(values)
}

// spread writes a ratio with its range over the runs.
func spread(median, lowest, highest float64, runs int) string {
	if runs < 2 {
		return fmt.Sprintf("%.2f×", median)
	}
	return fmt.Sprintf("%.2f× (%.2f–%.2f over %d runs)", median, lowest, highest, runs)
}

// table is the markdown table being written.
type table struct {
	rows []string
}

// row adds a figure; met is nil for a figure without a target.
func (t *table) row(figure, measured, target string, met *bool) {
	verdict := ""
	switch {
	case met == nil:
	case strings.Contains(measured, "NaN"):
		verdict = "not measured"
	case *met:
		verdict = "met"
	default:
		verdict = "**missed**"
	}
	t.rows = append(t.rows, fmt.Sprintf("| %s | %s | %s | %s |", figure, measured, target, verdict))
}

func check(ok bool) *bool { return &ok }

// printTable writes the findings as the README shows them.
func (b *bench) printTable(w io.Writer) {
	m := b.figures.median
	speed := func(name string) string {
		out := fmt.Sprintf("%.0f req/s · p50 %.1f ms · p99 %.1f ms", m(name+"/rate"), m(name+"/p50"), m(name+"/p99"))
		if cpu := m(name + "/cpu"); !math.IsNaN(cpu) {
			out += fmt.Sprintf(" · %.2f ms CPU/req", cpu)
		}
		return out
	}
	t := &table{}

	t.row("Floor: a request refused before any database work (malformed address), 32 concurrent", speed("floor"), "", nil)
	t.row("Framework: `GET /api/portal/practice` (PocketBase's router and middleware, a JSON answer, no database, no log row), 32 concurrent", speed("framework"), "", nil)
	limits := map[string]float64{"redeem": 1.5, "login-code": 2}
	for _, route := range []string{"redeem", "login-code"} {
		for _, c := range concurrencies {
			name := fmt.Sprintf("%s/%d", route, c)
			t.row(fmt.Sprintf("`POST /api/portal/%s`, %d concurrent", route, c), speed(name), "", nil)
			t.row(fmt.Sprintf("Bare limit `%s`, %d concurrent", route, c), speed("limit/"+name), "", nil)
			if b.inProcess {
				continue
			}
			ratio, lowest, highest := b.figures.ratio(name+"/cpu", "limit/"+name+"/cpu")
			t.row(fmt.Sprintf("CPU per `%s`, Portico / bare limit, %d concurrent (limit's rate / Portico's: %.2f×)", route, c, m("limit/"+name+"/rate")/m(name+"/rate")),
				spread(ratio, lowest, highest, b.sizes.runs), fmt.Sprintf("≤ %.1f×", limits[route]), check(ratio <= limits[route]))
			if b.baseline.load != nil {
				t.row(fmt.Sprintf("Baseline build `%s`, %d concurrent", route, c), speed("baseline/"+name), "", nil)
				ratio, lowest, highest := b.figures.ratio(name+"/cpu", "baseline/"+name+"/cpu")
				t.row(fmt.Sprintf("CPU per `%s`, this build / baseline build, %d concurrent", route, c), spread(ratio, lowest, highest, b.sizes.runs), "", nil)
			}
		}
	}
	for _, c := range concurrencies {
		t.row(fmt.Sprintf("PocketBase `auth-with-otp`, %d concurrent", c), speed(fmt.Sprintf("auth-with-otp/%d", c)), "", nil)
	}
	otpTargets := map[string]float64{"redeem": 15, "login-code": 10}
	for _, route := range []string{"redeem", "login-code"} {
		ratio := m(route+"/32/rate") / m("auth-with-otp/32/rate")
		t.row(fmt.Sprintf("`%s` / PocketBase `auth-with-otp`, 32 concurrent", route), fmt.Sprintf("%.1f×", ratio),
			fmt.Sprintf("≥ %.0f×", otpTargets[route]), check(ratio >= otpTargets[route]))
	}
	if !b.inProcess {
		for _, route := range []string{"redeem", "login-code"} {
			ratio := m("auth-with-otp/32/cpu") / m(route+"/32/cpu")
			t.row(fmt.Sprintf("CPU per sign-in, PocketBase `auth-with-otp` / Portico `%s`, 32 concurrent (steadier than rates on a busy machine)", route),
				fmt.Sprintf("%.1f×", ratio), "", nil)
		}
	}

	switch {
	case b.inProcess:
		t.row("Code sign-in at larger practices", "not measured: -inprocess runs one Portico, the sizes need one each", "", nil)
	case len(b.sizes.practices) > 0:
		base := fmt.Sprintf("size/%d/login-code/32", b.sizes.clients)
		t.row(fmt.Sprintf("`POST /api/portal/login-code`, 32 concurrent, practice of %d clients (the size rounds)", b.sizes.clients), speed(base), "", nil)
		for _, size := range b.sizes.practices {
			name := fmt.Sprintf("size/%d/login-code/32", size)
			t.row(fmt.Sprintf("`POST /api/portal/login-code`, 32 concurrent, practice of %d clients", size), speed(name), "", nil)
			ratio, lowest, highest := b.figures.ratio(name+"/cpu", base+"/cpu")
			t.row(fmt.Sprintf("CPU per code sign-in, %d clients / %d clients, sizes alternating round by round", size, b.sizes.clients),
				spread(ratio, lowest, highest, b.sizes.sizeRuns), "≤ 1.2×", check(ratio <= 1.2))
		}
	}

	t.row(fmt.Sprintf("`POST /api/portal/login-link`, 32 concurrent, outbox delivering (N=%d)", b.sizes.clients),
		speed("login-link"), "p99 < 20 ms", check(m("login-link/p99") < 20))
	t.row(fmt.Sprintf("Last of N=%d login-link emails at the SMTP server", b.sizes.clients),
		fmt.Sprintf("%.2f s after the first request", m("login-link/last-mail")), "", nil)
	if !b.inProcess {
		t.row("Portico CPU per login-link, its email's delivery included", fmt.Sprintf("%.2f ms", m("login-link/cpu-delivered")), "", nil)
	}
	t.row("PocketBase `request-otp`, 32 concurrent", speed("request-otp"), "", nil)
	b.addressRows(t, b.sizes.clients)

	sweep, delivered := m("reminders/sweep-100k"), m("reminders/delivered-10k")
	switch {
	case b.quick:
		t.row("Reminders", "not measured: -quick skips the reminder benchmarks", "", nil)
	case !b.remindersMeasured:
		t.row("Reminders", "not measured: -skip-reminders or -signin-only, or no reminder benchmarks in hooks/reminders", "", nil)
	default:
		t.row("Reminders: one sweep over 100,000 appointments (`BenchmarkReminderSweep100k`)",
			fmt.Sprintf("%.2f s · %.0f appointments/s", sweep, 100_000/sweep), "", nil)
		t.row("Reminders: 10,000 due, sweep to delivered at the SMTP server (`BenchmarkTenThousandRemindersDelivered`)",
			fmt.Sprintf("%.1f s", delivered), "< 30 s", check(delivered < 30))
	}

	b.backupRows(t)
	switch {
	case b.quick:
		t.row("Week view", "not measured: -quick skips the week view benchmarks", "", nil)
	case b.weekMeasured:
		t.row("Week view, 500 appointments: `GET /api/staff/schedule?days=7` as the owner (`BenchmarkWeekViewAnswer500`)",
			fmt.Sprintf("%.1f ms", m("workspace/week-answer")*1000), "", nil)
		t.row("Week view, 500 appointments: open to all rendered in headless Chromium (`BenchmarkWeekViewRender500`)",
			fmt.Sprintf("%.0f ms", m("workspace/week-render")*1000), "", nil)
	}

	if b.inProcess {
		t.row("Footprint", "not measured: -inprocess runs Portico inside the benchmark", "", nil)
	} else {
		t.row("Binary size (`.ci/build`: `CGO_ENABLED=0 -trimpath -ldflags=\"-s -w\"`)", fmt.Sprintf("%.1f MB", m("binary")), "< 60 MB", check(m("binary") < 60))
		t.row(fmt.Sprintf("Start-up on an existing data dir until `/api/health` answers (median of %d)", b.sizes.startups),
			fmt.Sprintf("%.0f ms", m("startup")), "< 300 ms", check(m("startup") < 300))
		t.row("Resident memory, idle", fmt.Sprintf("%.1f MB", m("rss/idle")), "< 50 MB", check(m("rss/idle") < 50))
		t.row(fmt.Sprintf("Resident memory, peak during the sign-in rounds above (%d clients)", b.sizes.clients), fmt.Sprintf("%.1f MB", m("rss/load")), "", nil)
		for _, size := range b.sizes.practices {
			rss := m(fmt.Sprintf("rss/size/%d", size))
			t.row(fmt.Sprintf("Resident memory, peak during code sign-ins with %d clients", size), fmt.Sprintf("%.1f MB", rss), "< 100 MB", check(rss < 100))
		}
		rounds := b.figures["datadir/rounds"]
		sizes := make([]string, len(rounds))
		for i, mb := range rounds {
			sizes[i] = fmt.Sprintf("%.1f", mb)
		}
		t.row("Data dir growth per 1,000 sign-ins (link mailed and redeemed), before pruning", fmt.Sprintf("%.2f MB", m("datadir/per-1000")), "", nil)
		if len(rounds) > 0 {
			steady := rounds[len(rounds)-1] <= rounds[0]*1.1
			t.row(fmt.Sprintf("Data dir after each round of %d sign-ins, each pruned before the next (`portico retention run`, PORTICO_RETENTION=%s); %.1f MB before the first", b.sizes.clients, retentionPeriod, m("datadir/start")),
				strings.Join(sizes, ", ")+" MB", "steady (last ≤ first + 10 %)", check(steady))
		}
	}

	if b.inProcess {
		t.row("Audit trail", "not measured: -inprocess runs one build; the trail rows compare two", "", nil)
	} else {
		for _, row := range []struct{ name, figure string }{
			{"trail/client-page", "Staff client-page view (`GET /api/collections/clients/records/{id}`, superuser), 8 concurrent"},
			{"trail/redeem", "`POST /api/portal/redeem`, 8 concurrent"},
		} {
			// Each run measures both builds side by side: the figure is the
			// median of the runs' own ratios, as the bare limit's rows are.
			ratio, lowest, highest := b.figures.ratio(row.name+"/"+withTrail, row.name+"/"+withoutTrail)
			more := (ratio - 1) * 100
			t.row(row.figure+": CPU per request with the audit trail / without (medians; the median and range of the runs' own ratios)",
				fmt.Sprintf("%.3f ms / %.3f ms · %+.1f %% (%+.1f to %+.1f %% over %d runs)", m(row.name+"/"+withTrail), m(row.name+"/"+withoutTrail),
					more, (lowest-1)*100, (highest-1)*100, trailRuns),
				"< 10 % more", check(more < 10))
		}
	}

	for _, page := range pages {
		kb := m("page" + page.path)
		t.row(page.name+", all assets, as transferred", fmt.Sprintf("%.1f KB", kb), "< 60 KB, no other origin", check(kb < 60 && len(b.foreign) == 0))
	}

	fmt.Fprintf(w, "Machine: %s\n\n", machine())
	fmt.Fprintf(w, "Command: `%s` (each figure the median of %d runs; the practice sizes of %d rounds)\n\n", b.command, b.sizes.runs, b.sizes.sizeRuns)
	fmt.Fprintln(w, "| Figure | Measured | Target | |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, row := range t.rows {
		fmt.Fprintln(w, row)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Each sign-in uses a fresh token, mailed through the outbox to the benchmark's SMTP server. "+
		"Every request comes from its own IP address (X-Forwarded-For, trusted), so per-IP limits stay at their defaults; "+
		"the per-address cap on sign-in mail (PORTICO_LINKS_PER_ADDRESS) is raised to %d per window because every round mails each client again. "+
		"The load generator, the SMTP server and Portico share the machine's cores.\n", linksPerAddress)
	if len(b.foreign) > 0 {
		fmt.Fprintf(w, "\nPortal pages load from other origins: %s\n", strings.Join(b.foreign, ", "))
	}
	if failures := b.failureReport(); len(failures) > 0 {
		fmt.Fprintln(w, "\nUnexpected answers (not counted in the rates):")
		for _, line := range failures {
			fmt.Fprintln(w, "- "+line)
		}
	}
}
