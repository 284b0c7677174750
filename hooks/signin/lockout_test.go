package signin_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"portico/hooks"
	"portico/hooks/signin"
	"portico/internal/testenv"
)

// TestStrangerCannotLockTheClientOut: wrong codes typed by someone who
// knows only the address kill the codes, not the links in the same mails,
// and the client's own "Email me a new link" works while strangers have
// spent the address's allowance on the sign-in page.
func TestStrangerCannotLockTheClientOut(t *testing.T) {
	env := testenv.Start(t)
	_, invite := env.NewClient("Ada Client", "ada@example.com", true)
	_, inviteToken := invite.SignInLink()
	env.RequestLink("ada@example.com")

	for try := 0; try < signin.MaxFailedCodes; try++ {
		env.Post("/api/portal/login-code", map[string]string{"email": "ada@example.com", "code": fmt.Sprintf("%06d", try)})
	}
	if r := env.Post("/api/portal/redeem", map[string]string{"token": inviteToken}); r.Status != http.StatusOK {
		t.Fatalf("after a stranger typed %d wrong codes, Ada's invite link: %s; want 200", signin.MaxFailedCodes, r)
	}

	for {
		r := env.Post("/api/portal/login-link", map[string]string{"email": "ada@example.com"})
		if r.Status == http.StatusTooManyRequests {
			break
		}
		if r.Status != http.StatusAccepted {
			t.Fatalf("a stranger asking for Ada's sign-in mail: %s", r)
		}
	}
	env.Drain()
	env.Mail.Clear()
	// Ada opens her used invite link and presses "Email me a new link".
	if r := env.Post("/api/portal/resend", map[string]string{"token": inviteToken}); r.Status != http.StatusAccepted {
		t.Fatalf("Ada's own 'Email me a new link' after strangers spent the sign-in page's allowance: %s; want 202", r)
	}
	_, fresh := env.Mail.Next("ada@example.com", testenv.Wait).SignInLink()
	if r := env.Post("/api/portal/redeem", map[string]string{"token": fresh}); r.Status != http.StatusOK {
		t.Errorf("the new link: %s; want 200", r)
	}
}

// TestCodesStopAfterAHundredWrongInARow: guessing at one client's codes
// ends, across tokens and rate windows, until the client signs in with a
// link; the client is told to use it.
func TestCodesStopAfterAHundredWrongInARow(t *testing.T) {
	config := hooks.DefaultConfig()
	env := testenv.Start(t)
	env.NewClient("Ada Client", "ada@example.com", true)

	// A patient guesser, under every per-window limit: 50 codes a window.
	for window := 0; window < signin.MaxWrongCodesInARow/50; window++ {
		env.Clock.Advance(config.RateWindow)
		guesses := make([]guess, 50)
		for i := range guesses {
			guesses[i] = guess{email: "ada@example.com", code: fmt.Sprintf("%06d", 999999-(window*50+i))}
		}
		guessAtOnce(t, env, guesses)
	}
	if t.Failed() {
		t.FailNow()
	}

	env.Clock.Advance(config.RateWindow)
	mail := env.RequestLink("ada@example.com")
	r := env.Post("/api/portal/login-code", map[string]string{"email": "ada@example.com", "code": mail.Code()})
	if r.Status != http.StatusForbidden || !strings.Contains(r.String(), "sign in with the link") {
		t.Fatalf("the right code after %d wrong ones in a row: %s; want 403 telling Ada to use the link", signin.MaxWrongCodesInARow, r)
	}
	_, token := mail.SignInLink()
	session := env.Post("/api/portal/redeem", map[string]string{"token": token})
	if session.Status != http.StatusOK {
		t.Fatalf("the link of the same mail: %s; want 200", session)
	}
	record, _ := session.JSON["record"].(map[string]any)
	if _, shown := record["wrong_codes"]; shown {
		t.Errorf("the client's own record shows the count of wrong codes: %s", session)
	}
	id, _ := record["id"].(string)
	env.Do(http.MethodPatch, "/api/collections/clients/records/"+id, map[string]any{"wrong_codes": -1000}, "Authorization", session.JSON["token"].(string))
	if stored, _ := env.App.FindRecordById("clients", id); stored.GetInt("wrong_codes") != 0 {
		t.Errorf("a client set its own count of wrong codes to %d, and could guess on for ever", stored.GetInt("wrong_codes"))
	}

	again := env.RequestLink("ada@example.com")
	if r := env.Post("/api/portal/login-code", map[string]string{"email": "ada@example.com", "code": again.Code()}); r.Status != http.StatusOK {
		t.Errorf("a code after Ada signed in with a link: %s; want 200, codes on again", r)
	}
}

// TestConcurrentWrongCodesCountForTheirOwnAddress: wrong codes typed at
// the same moment for many addresses each count for the address they
// were typed for. Sign-in shares its prepared statements between
// requests: one request's parameters must never reach another's query.
func TestConcurrentWrongCodesCountForTheirOwnAddress(t *testing.T) {
	env := testenv.Start(t)
	env.TrustForwardedFor()
	const addresses, each = 20, 4
	var guesses []guess
	for a := range addresses {
		for i := range each {
			guesses = append(guesses, guess{email: fmt.Sprintf("guess%02d@example.com", a), code: "000000", from: testenv.ForwardedFor(a*each + i)})
		}
	}
	guessAtOnce(t, env, guesses)

	var counts []struct {
		Address string `db:"address"`
		Wrong   int    `db:"wrong"`
	}
	if err := env.App.DB().NewQuery("SELECT address, wrong FROM code_tries ORDER BY address").All(&counts); err != nil {
		t.Fatal(err)
	}
	if len(counts) != addresses {
		t.Errorf("%d addresses have a count of wrong codes; want %d: %+v", len(counts), addresses, counts)
	}
	for _, count := range counts {
		if count.Wrong != each {
			t.Errorf("%s has %d wrong codes counted; want the %d typed for it", count.Address, count.Wrong, each)
		}
	}
}

// guess is a wrong code typed for an address, from the network of the
// headers in from (none: the test's own).
type guess struct {
	email, code string
	from        []string
}

// guessAtOnce types every guess at the same moment, as a wrong code is
// answered only at signin.FailedCodeFloor, and wants each refused.
func guessAtOnce(t *testing.T, env *testenv.Env, guesses []guess) {
	t.Helper()
	var typing sync.WaitGroup
	for _, g := range guesses {
		typing.Go(func() {
			r := env.Post("/api/portal/login-code", map[string]string{"email": g.email, "code": g.code}, g.from...)
			if r.Status != http.StatusBadRequest {
				t.Errorf("the wrong code %s for %s: %s; want 400", g.code, g.email, r)
			}
		})
	}
	typing.Wait()
}
