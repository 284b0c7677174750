package signin_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"portico/internal/testenv"
)

// signInWithLink asks for a link for email and redeems it, returning the session token.
func signInWithLink(t *testing.T, env *testenv.Env, email string) string {
	t.Helper()
	_, token := env.RequestLink(email).SignInLink()
	r := env.Post("/api/portal/redeem", map[string]string{"token": token})
	session, _ := r.JSON["token"].(string)
	if r.Status != http.StatusOK || session == "" {
		t.Fatalf("signing %s in: %s; want 200 with a session", email, r)
	}
	return session
}

// me reads the client's own record with session, as the portal does.
func me(env *testenv.Env, client *core.Record, session string) testenv.Response {
	return env.Do(http.MethodGet, "/api/collections/clients/records/"+client.Id, nil, "Authorization", session)
}

func refresh(env *testenv.Env, session string) testenv.Response {
	return env.Post("/api/collections/clients/auth-refresh", nil, "Authorization", session)
}

// TestSignOutEndsThisDeviceOnTheServer: Ada signs out on her phone; the
// phone's token stops working at once, even copied elsewhere, and her
// laptop stays signed in. Ben cannot sign Ada out.
func TestSignOutEndsThisDeviceOnTheServer(t *testing.T) {
	env := testenv.Start(t)
	ada, _ := env.NewClient("Ada Client", "ada@example.com", true)
	ben, _ := env.NewClient("Ben Other", "ben@example.com", true)
	phone := signInWithLink(t, env, "ada@example.com")
	laptop := signInWithLink(t, env, "ada@example.com")
	bens := env.SessionOf(ben)
	pocketBases, err := ada.NewAuthToken() // a token without a session, as PocketBase makes one
	if err != nil {
		t.Fatal(err)
	}

	env.CheckAccess(t, testenv.Callers{"ada": phone, "ben": bens, "nobody": "", "ada (no session)": pocketBases}, []testenv.Access{
		{Name: "view Ada's record", Method: http.MethodGet, Path: "/api/collections/clients/records/" + ada.Id, Marker: "ada@example.com", Allowed: []string{"ada"},
			Status: map[string]int{"ada (no session)": http.StatusUnauthorized}},
		{Name: "refresh the session", Method: http.MethodPost, Path: "/api/collections/clients/auth-refresh", Marker: "ada@example.com", Allowed: []string{"ada"},
			Status: map[string]int{"ada (no session)": http.StatusUnauthorized, "nobody": http.StatusUnauthorized}},
		// Last: each sign-out ends the session it names, and only that one.
		{Name: "sign out", Method: http.MethodPost, Path: "/api/portal/sign-out", Body: map[string]any{}, Allowed: []string{"ben", "ada"},
			Status: map[string]int{"ada": http.StatusNoContent, "nobody": http.StatusUnauthorized, "ada (no session)": http.StatusUnauthorized}},
	})

	for _, r := range []testenv.Response{me(env, ada, phone), refresh(env, phone)} {
		if r.Status != http.StatusUnauthorized || r.JSON["reason"] != "signed-out" {
			t.Errorf("Ada's phone after she signed out there: %s; want 401 signed-out", r)
		}
	}
	if r := me(env, ada, laptop); r.Status != http.StatusOK {
		t.Errorf("Ada's laptop after she signed out on her phone: %s; want it still signed in", r)
	}
	if r := me(env, ben, bens); r.Status != http.StatusUnauthorized {
		t.Errorf("Ben's token after he signed out: %s; want 401", r)
	}
}

// TestTurningAccessOffEndsSessionsAtOnce: the practice turns Ada's portal
// access off; her session stops working with the next request, and does
// not come back when access is turned on again.
// The check is on every request, so access taken away by any path (here
// an UPDATE no hook sees) ends a session too.
func TestTurningAccessOffEndsSessionsAtOnce(t *testing.T) {
	env := testenv.Start(t)
	ada, _ := env.NewClient("Ada Client", "ada@example.com", true)
	session := signInWithLink(t, env, "ada@example.com")

	ada.Set("portal_access", false)
	if err := env.App.Save(ada); err != nil {
		t.Fatal(err)
	}
	if r := me(env, ada, session); r.Status != http.StatusUnauthorized || r.JSON["reason"] != "access-off" {
		t.Errorf("Ada's session after her access was turned off: %s; want 401 access-off", r)
	}
	ada.Set("portal_access", true)
	if err := env.App.Save(ada); err != nil {
		t.Fatal(err)
	}
	env.Mail.Next("ada@example.com", testenv.Wait) // the invite access turned on sends
	if r := me(env, ada, session); r.Status != http.StatusUnauthorized {
		t.Errorf("Ada's old session after her access was turned on again: %s; want it still ended", r)
	}

	session = env.SessionOf(ada)
	if _, err := env.App.DB().NewQuery("UPDATE clients SET portal_access = FALSE WHERE id = {:id}").Bind(map[string]any{"id": ada.Id}).Execute(); err != nil {
		t.Fatal(err)
	}
	if r := me(env, ada, session); r.Status != http.StatusUnauthorized || r.JSON["reason"] != "access-off" {
		t.Errorf("Ada's session with access off in the database: %s; want 401 access-off", r)
	}
}

// TestSessionStopsRefreshingAtItsLifetime: an active client refreshes
// every few minutes; 12 hours after signing in, refreshing stops and the
// session ends, and no token refreshed on the way outlives that moment.
func TestSessionStopsRefreshingAtItsLifetime(t *testing.T) {
	env := testenv.Start(t)
	ada, _ := env.NewClient("Ada Client", "ada@example.com", true)
	session := signInWithLink(t, env, "ada@example.com")

	env.Clock.Advance(11*time.Hour + 50*time.Minute)
	r := refresh(env, session)
	if r.Status != http.StatusOK {
		t.Fatalf("refreshing an active session after 11 h 50 min: %s; want 200", r)
	}
	refreshed := r.JSON["token"].(string)
	if left := time.Until(expiry(t, refreshed)); left > 10*time.Minute+time.Minute {
		t.Errorf("a token refreshed 10 minutes before the session's limit works for %s more; want at most the 10 minutes left", left)
	}

	env.Clock.Advance(10 * time.Minute)
	for _, token := range []string{session, refreshed} {
		if r := refresh(env, token); r.Status != http.StatusUnauthorized || r.JSON["reason"] != "limit" {
			t.Errorf("refreshing 12 hours after sign-in: %s; want 401 limit", r)
		}
		if r := me(env, ada, token); r.Status != http.StatusUnauthorized {
			t.Errorf("using a session 12 hours after sign-in: %s; want 401", r)
		}
	}
}

// expiry is the exp claim of a JWT.
func expiry(t *testing.T, token string) time.Time {
	t.Helper()
	parts := strings.Split(token, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	var claims struct {
		Exp int64 `json:"exp"`
	}
	if err != nil || json.Unmarshal(payload, &claims) != nil {
		t.Fatalf("token %q has no readable claims", token)
	}
	return time.Unix(claims.Exp, 0)
}
