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

// trailRun measures one run of the audit rows: each variant in turn, in
// alternating order so neither always runs on a warmer machine, started
// on the same data dir, viewing every client page viewPasses times and
// redeeming a fresh link per client redeemRounds times, 8 at a time. Each variant is measured by a bench
// of its own, whose CPU figures join b's under the variant's name.
func (b *bench) trailRun(run int, binaries map[string]string, p *practice, requests trailRequests) {
	order := []string{withTrail, withoutTrail}
	if run%2 == 1 {
		order = []string{withoutTrail, withTrail}
	}
	for _, variant := range order {
		addr, err := freeAddr()
		must(b.tb, err)
		portico, _, err := startPortico(binaries[variant], p.env.Dir, addr, b.releaseEnv())
		must(b.tb, err)
		variantTarget := target{load: newLoader(portico.url), pid: portico.pid()}
		measured := &bench{tb: b.tb, sizes: b.sizes, figures: figures{}, mail: b.mail, portico: variantTarget}

		// Each pass and each round is measured on its own, and the variant's
		// figure is their median, so that a collection or a checkpoint
		// landing in one of them moves it less; /proc counts CPU in 10 ms
		// ticks, fine enough for a thousand requests.
		views := make([]call, 0, len(requests.clients))
		for _, id := range requests.clients {
			views = append(views, call{"/api/collections/" + schema.Clients + "/records/" + id, get{auth: requests.token}})
		}
		for range viewPasses {
			measured.measure(variantTarget, "client-page", 8, views, http.StatusOK)
		}
		for range redeemRounds {
			measured.redeem(variantTarget, 8, measured.loginLinks(variantTarget, p.clients))
		}
		portico.stop()

		for _, failure := range variantTarget.load.failureReport() {
			b.tb.fail(fmt.Sprintf("%s build: %s", variant, failure))
		}
		view, redeem := measured.figures.median("client-page/cpu"), measured.figures.median("redeem/8/cpu")
		b.figures.add("trail/client-page/"+variant, view)
		b.figures.add("trail/redeem/"+variant, redeem)
		log.Printf("trail run %d, %s: %.3f ms CPU per client-page view, %.3f ms per redeem", run+1, variant, view, redeem)
	}
	log.Printf("trail run %d of %d done", run+1, trailRuns)
}
