package signin_test

import (
	"bytes"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"portico/internal/testenv"
)

// burstSize is the burst of sign-in requests the issue lost mail from.
const burstSize = 150

// TestAnsweredSignInRequestsSurviveACrash asks for 150 sign-in links at
// once, stops Portico the moment the last answer is in (SIGTERM, as
// systemd and Docker do, and SIGKILL, as a power cut or the OOM killer
// does), starts it again on the same data dir, and counts the mail at
// the SMTP server: every request answered 202 brings its client a link.
func TestAnsweredSignInRequestsSurviveACrash(t *testing.T) {
	binary := testenv.BuildPortico(t)
	for _, stop := range []struct {
		name string
		stop func(*testenv.Served)
	}{
		{"SIGTERM", func(s *testenv.Served) { s.Stop() }},
		{"SIGKILL", func(s *testenv.Served) { s.Kill() }},
	} {
		t.Run(stop.name, func(t *testing.T) {
			mail := testenv.StartMailServer(t)
			portico := testenv.Serve(t, binary, "PORTICO_SMTP_URL="+mail.URL()+"?from=hello@harbor.test",
				fmt.Sprintf("PORTICO_LINKS_PER_IP=%d", 2*burstSize))
			addClients(t, portico.Dir, burstSize)

			accepted := askForLinks(t, portico.URL, burstSize)
			stop.stop(portico)
			if len(accepted) == 0 {
				t.Fatal("no sign-in request was answered 202")
			}

			portico.Restart()
			if missing := mail.Missing(accepted, 30*time.Second); len(missing) > 0 {
				t.Errorf("%d of the %d clients whose request was answered 202 never got their sign-in link after a %s and a restart (%s, …)",
					len(missing), len(accepted), stop.name, missing[0])
			}
		})
	}
}

// addClients writes n clients with portal access into the served data
// dir, client00001@example.test and on.
func addClients(t *testing.T, dir string, n int) {
	app := testenv.OpenDir(t, dir)
	err := testenv.Fill(app.NonconcurrentDB(), "clients", n, map[string]string{
		"id":              "printf('crash%010d', i)",
		"email":           "printf('client%05d@example.test', i)",
		"emailVisibility": "0",
		"verified":        "0",
		"password":        "''",
		"tokenKey":        "printf('crash%045d', i)",
		"name":            "printf('Client %d', i)",
		"phone":           "''",
		"timezone":        "'America/New_York'",
		"portal_access":   "1",
		"created":         "strftime('%Y-%m-%d %H:%M:%fZ', 'now')",
		"updated":         "strftime('%Y-%m-%d %H:%M:%fZ', 'now')",
	})
	if err != nil {
		t.Fatal(err)
	}
	testenv.Close(app)
}

// askForLinks sends a sign-in request for each of the n clients, 32 at a
// time, and returns the addresses answered 202.
func askForLinks(t *testing.T, url string, n int) []string {
	var (
		mu       sync.Mutex
		accepted []string
		wg       sync.WaitGroup
	)
	next := make(chan string)
	for range 32 {
		wg.Go(func() {
			for email := range next {
				body := fmt.Sprintf(`{"email":%q}`, email)
				resp, err := http.Post(url+"/api/portal/login-link", "application/json", bytes.NewBufferString(body))
				if err != nil {
					t.Errorf("login-link for %s: %v", email, err)
					continue
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusAccepted {
					mu.Lock()
					accepted = append(accepted, email)
					mu.Unlock()
				}
			}
		})
	}
	for i := 1; i <= n; i++ {
		next <- fmt.Sprintf("client%05d@example.test", i)
	}
	close(next)
	wg.Wait()
	return accepted
}
