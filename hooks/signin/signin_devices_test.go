package signin_test

import (
	"net/http"
	"testing"

	"portico/internal/testenv"
)

// A client who signs in on a second phone gets no "Login from a new
// location" email telling them to change a password they do not have.
func TestSignInOnAnotherPhoneSendsNoPasswordAlert(t *testing.T) {
	env := testenv.Start(t)
	_, invite := env.NewClient("Ada Client", "ada@example.com", true)

	_, token := invite.SignInLink()
	r := env.Post("/api/portal/redeem", map[string]string{"token": token}, "User-Agent", "Mozilla/5.0 (iPhone) first phone")
	if r.Status != http.StatusOK {
		t.Fatalf("redeeming the invite: got %s; want 200", r)
	}

	_, token = env.RequestLink("ada@example.com").SignInLink()
	r = env.Post("/api/portal/redeem", map[string]string{"token": token}, "User-Agent", "Mozilla/5.0 (Linux; Android 14) second phone")
	if r.Status != http.StatusOK {
		t.Fatalf("redeeming on the second phone: got %s; want 200", r)
	}

	env.NoMailTo("ada@example.com")
}
