package main

import (
	"fmt"
	"log"
	"net/http"
	"slices"
	"strings"
	"time"
)

// addressPercentiles are the points of each timing distribution the table shows.
var addressPercentiles = []float64{10, 25, 50, 75, 90, 99}

// addressRoutes are the routes whose answer must not tell a client's
// address from a stranger's, with the body and answer of each: a wrong
// code, and a link request.
var addressRoutes = []struct {
	route string
	code  bool
	want  int
	at    int // requests at once
}{
	// A wrong code answers at signin.FailedCodeFloor: sent one at a time,
	// a thousand of each kind would take over six minutes.
	{"login-code", true, http.StatusBadRequest, 16},
	{"login-link", false, http.StatusAccepted, 1},
}

// addressTimings times login-code (with a wrong code) and login-link for
// each client's address and for as many addresses that are no client's,
// the two kinds taking turns (the one going first alternating), so that
// both see the same machine: the timing distributions an attacker would
// compare to tell clients from strangers. Each client has an open link
// and code when its wrong code is typed.
func (b *bench) addressTimings(clients []string) {
	// Every client has an open link and code, as one who just asked has:
	// a wrong code is then checked against it.
	b.loginLinks(target{name: "address/", load: b.portico.load, pid: b.portico.pid}, clients)
	for _, r := range addressRoutes {
		log.Printf("timing %s for %d clients' addresses and %d strangers', %d at a time", r.route, len(clients), len(clients), r.at)
		calls := make([]call, 0, 2*len(clients))
		kinds := make([]string, 0, 2*len(clients))
		for i, client := range clients {
			pair := []string{"client", "stranger"}
			if i%2 == 1 {
				slices.Reverse(pair)
			}
			for _, kind := range pair {
				body := map[string]string{"email": client}
				if kind == "stranger" {
					body["email"] = fmt.Sprintf("stranger%05d@example.test", i)
				}
				if r.code {
					body["code"] = "000000"
				}
				calls = append(calls, call{"/api/portal/" + r.route, body})
				kinds = append(kinds, kind)
			}
		}
		answered := make([]bool, len(calls))
		took, _ := b.portico.load.timeEach(r.at, calls, r.want, func(i int, _ []byte) { answered[i] = true })
		latencies := map[string][]time.Duration{}
		for i, d := range took {
			if answered[i] {
				latencies[kinds[i]] = append(latencies[kinds[i]], d)
			}
		}
		for kind, measured := range latencies {
			slices.Sort(measured)
			timed := burst{latencies: measured}
			for _, p := range addressPercentiles {
				b.figures.add(fmt.Sprintf("address/%s/%s/p%.0f", r.route, kind, p), ms(timed.percentile(p)))
			}
		}
	}
}

// addressRows adds the timing distributions side by side.
func (b *bench) addressRows(t *table, n int) {
	points := make([]string, len(addressPercentiles))
	for i, p := range addressPercentiles {
		points[i] = fmt.Sprintf("p%.0f", p)
	}
	for _, r := range addressRoutes {
		distribution := func(kind string) string {
			values := make([]string, len(addressPercentiles))
			for i, p := range addressPercentiles {
				values[i] = fmt.Sprintf("%.3f", b.figures.median(fmt.Sprintf("address/%s/%s/p%.0f", r.route, kind, p)))
			}
			return strings.Join(values, " · ")
		}
		what := "a link request"
		if r.code {
			what = "a wrong code"
		}
		median := func(kind string) float64 { return b.figures.median(fmt.Sprintf("address/%s/%s/p50", r.route, kind)) }
		at := "one at a time"
		if r.at > 1 {
			at = fmt.Sprintf("%d at a time", r.at)
		}
		t.row(fmt.Sprintf("`POST /api/portal/%s`, %s, %s, N=%d each: %s in ms, a client's address · a stranger's", r.route, what, at, n, strings.Join(points, " · ")),
			fmt.Sprintf("%s · %s; medians %+.3f ms apart", distribution("client"), distribution("stranger"), median("client")-median("stranger")), "", nil)
	}
}
