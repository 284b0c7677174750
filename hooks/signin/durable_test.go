package signin_test

import (
	"fmt"
	"net/http"
	"testing"

	"portico/internal/testenv"
)

// burstSize is the burst of sign-in requests the issue lost mail from.
const burstSize = 150

// clientAddress makes the burst's addresses, in Go and in SQL.
const clientAddress = "client%05d@example.test"

// TestAnsweredSignInRequestsSurviveACrash asks for 150 sign-in links at
// once, stops Portico the moment the last answer is in (SIGTERM, as
// systemd and Docker do, and SIGKILL, as a power cut or the OOM killer
// does), starts it again on the same data dir, and counts the mail at
// the SMTP server: every request answered 202 brings its client a link.
func TestAnsweredSignInRequestsSurviveACrash(t *testing.T) {
	clients := testenv.Addresses(clientAddress, burstSize)
	testenv.AnsweredMailSurvivesStops(t, testenv.BuildPortico(t), "their sign-in link",
		[]string{fmt.Sprintf("PORTICO_LINKS_PER_IP=%d", 2*burstSize)},
		func(dir string) { addClients(t, dir, burstSize) },
		func(url string) []string {
			return testenv.PostAll(t, clients, 32, http.StatusAccepted, url+"/api/portal/login-link",
				func(int) *http.Client { return http.DefaultClient })
		})
}

// addClients writes n clients with portal access into the served data
// dir, client00001@example.test and on.
func addClients(t *testing.T, dir string, n int) {
	testenv.FillDir(t, dir, "clients", n, testenv.AuthColumns("crash", "printf('"+clientAddress+"', i)", false, map[string]string{
		"name":          "printf('Client %d', i)",
		"phone":         "''",
		"timezone":      "'America/New_York'",
		"portal_access": "1",
	}))
}
