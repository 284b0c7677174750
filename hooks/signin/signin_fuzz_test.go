package signin_test

import (
	"net/http"
	"testing"

	"portico/internal/testenv"
)

// FuzzSignInInputs throws arbitrary bodies at the redeem and code routes.
// Whatever arrives, the answer is a clear client error, never a crash or a
// 500, never a sign-in, and nothing is stored.
func FuzzSignInInputs(f *testing.F) {
	seeds := []string{
		`{"token":"` + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" + `"}`,
		`{"token":""}`, `{"token":null}`, `{"token":1e309}`, `{"token":["a"]}`, `{"token":{"$gt":""}}`,
		`{"email":"ada@example.com","code":"123456"}`, `{"email":"ada@example.com","code":"12 34 56"}`,
		`{"email":"ada@example.com","code":"１２３４５６"}`, `{"email":"' OR 1=1 --","code":"000000"}`,
		`{"email":"ada@example.com","code":123456}`, `{`, `[]`, `null`, "\x00\xff", `{"token":"` + "%00" + `"}`,
	}
	for _, seed := range seeds {
		f.Add(seed)
	}

	env := testenv.Start(f)
	env.NewClient("Ada Client", "ada@example.com", true)
	tokens := env.Count("login_tokens", "")

	f.Fuzz(func(t *testing.T, body string) {
		env := env.As(t)
		env.Clock.Advance(env.Config.RateWindow) // keep the per-IP cap out of the way
		for _, path := range []string{"/api/portal/redeem", "/api/portal/login-code", "/api/portal/resend", "/api/portal/link-status"} {
			r := env.Post(path, body)
			switch r.Status {
			case http.StatusBadRequest, http.StatusNotFound, http.StatusGone, http.StatusRequestEntityTooLarge, http.StatusTooManyRequests:
			default:
				t.Fatalf("POST %s %q: got %s; want a 4xx client error", path, body, r)
			}
			if msg, _ := r.JSON["message"].(string); msg == "" {
				t.Fatalf("POST %s %q: no message saying what is wrong: %s", path, body, r)
			}
		}
		if n := env.Count("login_tokens", ""); n != tokens {
			t.Fatalf("body %q changed the stored tokens from %d to %d", body, tokens, n)
		}
	})
}
