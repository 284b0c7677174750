package workspace_test

import (
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	. "github.com/chromedp/chromedp"
)

// pageWeight is what a page cost to open with an empty cache: bytes as
// transferred (headers and bodies, compressed if they were) and requests,
// its own API calls included, once its content is on the screen.
type pageWeight struct {
	Bytes    float64 `json:"bytes"`
	Requests float64 `json:"requests"`
}

const weightOfPage = `(() => {
  const entries = [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")];
  return { bytes: entries.reduce((sum, e) => sum + e.transferSize, 0), requests: entries.length };
})()`

// BenchmarkWorkspacePageWeight opens each workspace page as a clinician
// with the browser's cache cleared, and reports its weight as
// transferred: go test ./hooks/workspace/ -run '^$' -bench PageWeight
// -benchtime 1x. The figures are the same each run (no timing in them);
// ns/op is the time to open the page, content included.
func BenchmarkWorkspacePageWeight(b *testing.B) {
	p := newPractice(b)
	env := p.env
	form := env.NewForm("First visit", `[{"id":"reason","kind":"long_text","label":"What brings you here?"},{"id":"ok","kind":"consent","label":"Consent","text":"I agree."}]`)
	packet, _ := env.Assign(p.ada, form)
	pages := []struct{ name, path, ready string }{
		{"home", "/staff/home.html", "nav.workspace"},
		{"schedule", "/staff/schedule.html?date=2031-03-04", "#days li"},
		{"clients", "/staff/clients.html", "#clients li"},
		{"client", "/staff/client.html?id=" + p.ada.Id, "#packets li"},
		{"forms", "/staff/forms.html", "#forms li"},
		{"form-builder", "/staff/forms.html?id=" + form.Id, "#questions li"},
		{"packets", "/staff/packets.html", "#packets li"},
		{"packet", "/staff/packet.html?id=" + packet.Id, "#sheet dd"},
	}
	for _, page := range pages {
		b.Run(page.name, func(b *testing.B) {
			tab := openAs(b, env, p.tokens["clinician"], "/staff/home.html", "nav.workspace")
			var weight pageWeight
			b.ResetTimer()
			for range b.N {
				if _, err := Call(tab, network.ClearBrowserCache, cdp.Empty{}); err != nil {
					b.Fatal(err)
				}
				if err := Do(tab, Navigate(env.URL+page.path), WaitVisible(CSS(page.ready))); err != nil {
					b.Fatalf("opening %s: %v", page.path, err)
				}
				var err error
				if weight, err = Run(tab, Evaluate[pageWeight](weightOfPage)); err != nil {
					b.Fatal(err)
				}
			}
			if weight.Bytes == 0 {
				b.Fatalf("%s reports no bytes transferred", page.path)
			}
			b.ReportMetric(weight.Bytes, "bytes/page")
			b.ReportMetric(weight.Requests, "requests/page")
		})
	}
}
