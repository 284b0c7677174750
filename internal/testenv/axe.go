package testenv

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// axeScript is axe-core as npm installs it beside this file
// (`npm ci --prefix internal/testenv/axe`); it is used by the tests only
// and never shipped. ok is false when it is not installed.
func axeScript(t testing.TB) (source string, ok bool) {
	t.Helper()
	_, here, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(here), "axe", "node_modules", "axe-core", "axe.min.js")
	raw, err := os.ReadFile(path)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("axe-core is not installed (%v); .ci/run installs it", err)
		}
		t.Log("axe-core is not installed, so pages are not audited: npm ci --prefix internal/testenv/axe")
		return "", false
	}
	return string(raw), true
}

// AxeViolation is one rule axe-core found broken on a page.
type AxeViolation struct {
	Rule   string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// auditPage runs axe-core's WCAG 2.x A and AA rules and the best
// practices on the page, and keeps the serious and critical violations.
const auditPage = `axe.run(document, {resultTypes: ["violations"]}).then((result) => result.violations
  .filter((v) => v.impact === "serious" || v.impact === "critical")
  .map((v) => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => n.target.join(" ") + ": " + n.failureSummary)})))`

// Accessible audits the page open in tab with axe-core, a real auditor,
// and fails the test on any serious or critical violation. Without axe-core
// a developer's run only says so, and CI fails.
func Accessible(t testing.TB, tab context.Context, page string) {
	t.Helper()
	source, ok := axeScript(t)
	if !ok {
		return
	}
	// Injected through DevTools, which the pages' CSP does not govern: the
	// pages themselves load no script from elsewhere.
	if err := chromedp.Do(tab, chromedp.Evaluate[chromedp.Void](source)); err != nil {
		t.Fatalf("loading axe-core into %s: %v", page, err)
	}
	violations, err := chromedp.Run(tab, chromedp.Evaluate[[]AxeViolation](auditPage, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("running axe-core on %s: %v", page, err)
	}
	for _, v := range violations {
		t.Errorf("%s: %s violation %s: %s\n  %s", page, v.Impact, v.Rule, v.Help, strings.Join(v.Nodes, "\n  "))
	}
}
