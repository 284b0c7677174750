package main

import (
	"fmt"
	"log"
	"net/http"
	"os/exec"
	"path/filepath"

	"portico/hooks/schema"
)

// trailRuns is how many times the audit rows are measured: the table
// shows medians of five, side by side.
const trailRuns = 5

// viewPasses is how many times each run views every client's page, and
// redeemRounds how many times it mails every client a link and redeems it.
const (
	viewPasses   = 4
	redeemRounds = 3
)

// Trail variants: the release build, and the same code built with the
// portico_notrail tag, which leaves the audit trail out (no flag or
// variable turns it off at run time).
const (
	withTrail    = "trail"
	withoutTrail = "notrail"
)

// trailRequests is what the audit rows send: a staff member's client-page
// views (the records API as the dashboard calls it) and redeems.
type trailRequests struct {
	token   string   // the clinician's (a superuser's) auth token
	clients []string // client ids
}

// prepareTrail reads what the audit rows need from the prepared practice,
// while its app is still open.
func prepareTrail(tb *benchTB, p *practice) trailRequests {
	clinician, err := p.env.App.FindAuthRecordByEmail("_superusers", "clinician@harbor.test")
	must(tb, err)
	token, err := clinician.NewAuthToken()
	must(tb, err)
	var ids []string
	must(tb, p.env.App.DB().NewQuery("SELECT id FROM "+schema.Clients+" ORDER BY id").Column(&ids))
	return trailRequests{token: token, clients: ids}
}

// buildWithoutTrail builds the baseline binary as .ci/build builds the
// release, with the portico_notrail tag.
func buildWithoutTrail(moduleDir, outDir string) (string, error) {
	binary := filepath.Join(outDir, "portico-notrail")
	cmd := exec.Command("go", "build", "-tags", "portico_notrail", "-trimpath", "-ldflags=-s -w", "-o", binary, ".")
	cmd.Dir = moduleDir
	cmd.Env = append(cmd.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building portico without the trail: %v\n%s", err, out)
	}
	return binary, nil
}

// trailRows measures the audit rows. Both builds serve at once, each on
// its own copy of the practice's data dir, and take turns pass by pass,
// the one going first alternating: each view pass of every client's page
// and each redeem round of a fresh link per client, 8 at a time, on one
// build is followed within seconds by the same on the other, so the two
// figures of a pair see the same machine. (Started in turn on one dir, a
// minute apart, the two had moved by ±10 points between runs of the same
// code.) Each run's figure for a build is the median of its passes, so
// that a collection or a checkpoint landing in one of them moves it less;
// /proc counts CPU in 10 ms ticks, fine enough for a thousand requests.
func (b *bench) trailRows(binaries map[string]string, p *practice, requests trailRequests) {
	servers := map[string]target{}
	for _, variant := range []string{withTrail, withoutTrail} {
		servers[variant] = b.serve(binaries[variant], b.copyDir(p.env.Dir), "")
	}
	views := make([]call, 0, len(requests.clients))
	for _, id := range requests.clients {
		views = append(views, call{"/api/collections/" + schema.Clients + "/records/" + id, get{auth: requests.token}})
	}
	turn := 0
	for run := range trailRuns {
		// Each build's figures of this run, under the names measure gives them.
		measured := map[string]*bench{}
		for variant, server := range servers {
			measured[variant] = &bench{tb: b.tb, sizes: b.sizes, figures: figures{}, mail: b.mail, portico: server}
		}
		inTurns := func(do func(m *bench, t target)) {
			order := []string{withTrail, withoutTrail}
			if turn%2 == 1 {
				order = []string{withoutTrail, withTrail}
			}
			turn++
			for _, variant := range order {
				do(measured[variant], servers[variant])
			}
		}
		for range viewPasses {
			inTurns(func(m *bench, t target) { m.measure(t, "client-page", 8, views, http.StatusOK) })
		}
		for range redeemRounds {
			inTurns(func(m *bench, t target) { m.redeem(t, 8, m.loginLinks(t, p.clients)) })
		}
		for _, variant := range []string{withTrail, withoutTrail} {
			view, redeem := measured[variant].figures.median("client-page/cpu"), measured[variant].figures.median("redeem/8/cpu")
			b.figures.add("trail/client-page/"+variant, view)
			b.figures.add("trail/redeem/"+variant, redeem)
			log.Printf("trail run %d, %s: %.3f ms CPU per client-page view, %.3f ms per redeem", run+1, variant, view, redeem)
		}
		log.Printf("trail run %d of %d done", run+1, trailRuns)
	}
	for variant, server := range servers {
		for _, failure := range server.load.failureReport() {
			b.tb.fail(fmt.Sprintf("%s build: %s", variant, failure))
		}
	}
}
