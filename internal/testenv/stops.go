package testenv

import (
	"bytes"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

// Stops are the ways a served Portico ends that a crash test survives:
// SIGTERM, as systemd and Docker stop a service, and SIGKILL, as a power
// cut or the OOM killer ends it.
var Stops = []struct {
	Name string
	Stop func(*Served)
}{
	{"SIGTERM", (*Served).Stop},
	{"SIGKILL", (*Served).Kill},
}

// AnsweredMailSurvivesStops runs a subtest for each of Stops: it serves
// binary on a new data dir with mail to a test SMTP server (and env over
// it), lets fill write to the data dir, and calls burst, which asks the
// portal at url for mail and returns the addresses it answered. The moment
// burst returns, Portico is stopped that way and started again, and every
// address answered must get its mail (what the mail is, for the failure's
// words) within 30 seconds.
func AnsweredMailSurvivesStops(t *testing.T, binary, what string, env []string, fill func(dir string), burst func(url string) []string) {
	for _, stop := range Stops {
		t.Run(stop.Name, func(t *testing.T) {
			mail := StartMailServer(t)
			portico := Serve(t, binary, append([]string{"PORTICO_SMTP_URL=" + mail.URL() + "?from=hello@harbor.test"}, env...)...)
			fill(portico.Dir)

			answered := burst(portico.URL)
			stop.Stop(portico)
			if len(answered) == 0 {
				t.Fatal("no request was answered")
			}

			portico.Restart()
			if missing := mail.Missing(answered, 30*time.Second); len(missing) > 0 {
				t.Errorf("%d of the %d addresses whose request was answered never got %s after a %s and a restart (%s, …)",
					len(missing), len(answered), what, stop.Name, missing[0])
			}
		})
	}
}

// PostAll posts {"email": address} for each of addresses to url, from
// workers goroutines at once, through client(i) (i the address's place in
// addresses), and returns the addresses answered with status want.
func PostAll(t TB, addresses []string, workers, want int, url string, client func(i int) *http.Client) []string {
	var (
		mu       sync.Mutex
		answered []string
		wg       sync.WaitGroup
	)
	next := make(chan int)
	for range workers {
		wg.Go(func() {
			for i := range next {
				body := fmt.Sprintf(`{"email":%q}`, addresses[i])
				resp, err := client(i).Post(url, "application/json", bytes.NewBufferString(body))
				if err != nil {
					t.Errorf("POST %s for %s: %v", url, addresses[i], err)
					continue
				}
				resp.Body.Close()
				if resp.StatusCode == want {
					mu.Lock()
					answered = append(answered, addresses[i])
					mu.Unlock()
				}
			}
		})
	}
	for i := range addresses {
		next <- i
	}
	close(next)
	wg.Wait()
	return answered
}

// Addresses are n mail addresses made by format from the numbers 1 to n,
// as Fill writes them with printf(format, i).
func Addresses(format string, n int) []string {
	addresses := make([]string, n)
	for i := range addresses {
		addresses[i] = fmt.Sprintf(format, i+1)
	}
	return addresses
}
