package signin_test

import (
	"fmt"
	"net/http"
	"testing"

	"portico/hooks"
	"portico/internal/testenv"
)

// TestSignInCapsOutliveARestart: the per-address cap on sign-in mail is
// counted in the database, so a restart (a deploy, a crash, or a
// stranger who found a way to make Portico restart) does not hand out a
// fresh allowance.
func TestSignInCapsOutliveARestart(t *testing.T) {
	env := testenv.Start(t, func(c *hooks.Config) { c.LinksPerAddress = 2 })
	for i := range 2 {
		if r := env.Post("/api/portal/login-link", map[string]string{"email": "ada@example.com"}); r.Status != http.StatusAccepted {
			t.Fatalf("request %d: %s; want 202", i+1, r)
		}
	}
	env.Restart()
	r := env.Post("/api/portal/login-link", map[string]string{"email": "ada@example.com"})
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Fatalf("3rd request for one address, after a restart: %s (Retry-After %q); want 429 with Retry-After", r, r.Header.Get("Retry-After"))
	}
}

// TestIPv6ClientsAreCountedBySlash64: a client on IPv6 chooses any of
// the 2^64 addresses of its network, so the per-network caps count the
// /64: rotating the last 64 bits gains nothing, another /64 is another
// network.
func TestIPv6ClientsAreCountedBySlash64(t *testing.T) {
	env := testenv.Start(t, func(c *hooks.Config) { c.LinksPerIP = 3 })
	settings := env.App.Settings()
	settings.TrustedProxy.Headers = []string{"X-Forwarded-For"}
	if err := env.App.Save(settings); err != nil {
		t.Fatal(err)
	}
	from := func(ip string, i int) testenv.Response {
		return env.Post("/api/portal/login-link", map[string]string{"email": fmt.Sprintf("someone%d@example.com", i)}, "X-Forwarded-For", ip)
	}

	for i := 1; i <= 3; i++ {
		if r := from(fmt.Sprintf("2001:db8:1:2::%x", i), i); r.Status != http.StatusAccepted {
			t.Fatalf("request %d from 2001:db8:1:2::/64: %s; want 202", i, r)
		}
	}
	if r := from("2001:db8:1:2:ffff:ffff:ffff:ffff", 4); r.Status != http.StatusTooManyRequests {
		t.Errorf("4th request from the same /64, another address in it: %s; want 429", r)
	}
	if r := from("2001:db8:1:3::1", 5); r.Status != http.StatusAccepted {
		t.Errorf("a request from the next /64: %s; want 202", r)
	}

	// Codes: 60 tries per network and window, whichever address of it.
	for i := range 60 {
		r := env.Post("/api/portal/login-code", map[string]string{"email": "ada@example.com", "code": "000000"},
			"X-Forwarded-For", fmt.Sprintf("2001:db8:9:9:%x::1", i))
		if r.Status != http.StatusBadRequest {
			t.Fatalf("code try %d from 2001:db8:9:9::/64: %s; want 400", i+1, r)
		}
	}
	if r := env.Post("/api/portal/login-code", map[string]string{"email": "ada@example.com", "code": "000000"},
		"X-Forwarded-For", "2001:db8:9:9:abcd::1"); r.Status != http.StatusTooManyRequests {
		t.Errorf("61st code try from one /64: %s; want 429", r)
	}
}
