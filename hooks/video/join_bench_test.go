package video_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	. "github.com/chromedp/chromedp" // the browser steps read as a script

	"portico/hooks"
	"portico/internal/testenv"
)

// autoAdmit makes the clinician's page let in whoever arrives, as an
// attentive clinician would, so the benchmark times the call and not a person.
const autoAdmit = `new MutationObserver(() => document.querySelectorAll("[data-admit]").forEach((b) => b.disabled || b.click()))
  .observe(document.getElementById("waiting-list"), {childList: true})`

const firstRemoteFrame = `[...document.querySelectorAll("#stage video")].some((v) => v.readyState >= 2)`

// BenchmarkJoinToFirstRemoteFrame times a client's Join press to the
// first frame of the clinician's video on the client's screen: waiting
// room, admission, ICE, DTLS and the first decoded frame, in headless
// Chromium with a fake camera on loopback.
//
//	go test ./hooks/video/ -run '^$' -bench JoinToFirstRemoteFrame -benchtime 5x
func BenchmarkJoinToFirstRemoteFrame(b *testing.B) {
	for _, relayOnly := range []bool{false, true} {
		b.Run(fmt.Sprintf("relay-only=%v", relayOnly), func(b *testing.B) {
			env := testenv.Start(b, func(c *hooks.Config) { c.Video.RelayOnly = relayOnly })
			client, _ := env.NewClient("Ada Client", "ada@example.com", true)
			appointment, link, _ := env.PorticoCall(client, env.Clock.Now().Add(5*time.Minute))
			clinician := openAsClinician(b, testenv.CallBrowser, env, appointment, "")
			if err := Do(clinician, Evaluate[Void](autoAdmit)); err != nil {
				b.Fatal(err)
			}
			ada := openAsClient(b, testenv.CallBrowser, link, "the client")

			var took []time.Duration
			for i := 0; i < b.N; i++ {
				if i > 0 {
					if err := Do(ada, Navigate(link), WaitVisible(CSS(`body[data-ready="true"]`))); err != nil {
						b.Fatal(err)
					}
				}
				started := time.Now()
				if err := Do(ada, Click(ID("join"))); err != nil {
					b.Fatal(err)
				}
				if seen, err := Run(ada, Poll[bool](firstRemoteFrame, WithPollingTimeout(time.Minute))); err != nil || !seen {
					b.Fatalf("the client never saw the clinician: %v", err)
				}
				took = append(took, time.Since(started))
				if err := Do(ada, Click(ID("leave")), WaitVisible(ID("over"))); err != nil {
					b.Fatal(err)
				}
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Milliseconds()), "ms-median/first-frame")
		})
	}
}
