package pages_test

import (
	"net/http"
	"testing"

	"portico/internal/testenv"
)

// TestOtherSitesCannotDriveThePortalAPI plays a page on another site that
// makes its visitors' browsers ask for sign-in mail and read the answer.
func TestOtherSitesCannotDriveThePortalAPI(t *testing.T) {
	env := testenv.Start(t)
	env.NewClient("Ada Client", "ada@example.com", true)
	body := `{"email":"ada@example.com"}`

	preflight := env.Do(http.MethodOptions, "/api/portal/login-link", nil,
		"Origin", "https://evil.example", "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type")
	if allowed := preflight.Header.Get("Access-Control-Allow-Origin"); allowed != "" {
		t.Errorf("preflight from https://evil.example allowed origin %q; want no CORS headers", allowed)
	}
	for _, path := range []string{"/api/portal/login-link", "/api/portal/login-code"} {
		r := env.Post(path, body, "Origin", "https://evil.example")
		if r.Status != http.StatusForbidden || r.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("POST %s from https://evil.example: %s (ACAO %q); want 403 without CORS headers", path, r, r.Header.Get("Access-Control-Allow-Origin"))
		}
	}
	if r := env.Do(http.MethodGet, "/api/portal/practice", nil, "Origin", "https://evil.example"); r.Status != http.StatusForbidden {
		t.Errorf("GET /api/portal/practice from https://evil.example: %s; want 403", r)
	}

	// A plain HTML form can send text/plain or form data without a preflight.
	for _, contentType := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"} {
		if r := env.Post("/api/portal/login-link", body, "Content-Type", contentType); r.Status != http.StatusUnsupportedMediaType {
			t.Errorf("POST login-link as %s: %s; want 415", contentType, r)
		}
	}
	if n := env.Count("mail_outbox", "kind = 'sign_in'"); n != 0 {
		t.Errorf("%d sign-in messages queued by refused requests", n)
	}

	// The portal's own pages, and scripts without an Origin, go on working.
	if r := env.Post("/api/portal/login-link", body, "Origin", env.URL); r.Status != http.StatusAccepted {
		t.Errorf("POST login-link from the portal's own origin %s: %s; want 202", env.URL, r)
	}
	if r := env.Post("/api/portal/login-link", body, "Content-Type", "application/json; charset=utf-8"); r.Status != http.StatusAccepted {
		t.Errorf("POST login-link as application/json; charset=utf-8: %s; want 202", r)
	}
}
