package signin_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"portico/hooks"
	"portico/hooks/audit"
	"portico/hooks/signin"
	"portico/internal/testenv"
)

// codeTables are the tables a code sign-in reads and writes.
var codeTables = []string{"clients", "login_tokens", "code_tries"}

// TestSignInDoesTheSameWorkForAnyAddress counts the SQL statements each
// sign-in route runs, and the rows each writes, for a client's address
// and a stranger's: the same, statement for statement, so that no
// timing can tell them apart (the issue measured a client's wrong code
// 0.2 ms slower, from two rows written where a stranger's wrote none).
// login-link records the request and answers; its lookup comes after.
func TestSignInDoesTheSameWorkForAnyAddress(t *testing.T) {
	env := testenv.Start(t)
	sql := env.RecordSQL() // before any statement is prepared: a prepared one logs as it was made
	env.NewClient("Ada Client", "ada@example.com", true)
	env.RequestLink("ada@example.com") // Ada has an open sign-in link and code

	work := func(path string, body map[string]string, want int) []testenv.Step {
		t.Helper()
		mark := sql.Mark()
		if r := env.Post(path, body); r.Status != want {
			t.Fatalf("%s %v: %s; want %d", path, body, r, want)
		}
		steps := sql.Since(mark, codeTables...)
		env.Drain()
		return steps
	}

	// The audit trail's entry of a wrong code, written before the answer,
	// as its columns are but for the place in the chain and whom it names:
	// naming the client must not take a record loaded for a client's
	// address and none for a stranger's (the statement that finds the
	// client is among those compared above).
	entryOf := func() audit.Entry {
		t.Helper()
		entries := env.AuditEntries()
		entry := entries[len(entries)-1]
		if entry.Action != audit.ActionSignInFailed {
			t.Fatalf("the trail's newest entry after a wrong code is %+v; want the failed sign-in", entry)
		}
		entry.Id, entry.Seq, entry.At, entry.PrevHash, entry.Hash, entry.ActorId, entry.ActorName = "", 0, "", "", "", "", ""
		return entry
	}

	for _, wrong := range []int{1, 2} { // a first wrong code creates the stranger's count, a second adds to it
		client := work("/api/portal/login-code", map[string]string{"email": "ada@example.com", "code": "000000"}, http.StatusBadRequest)
		clientEntry := entryOf()
		stranger := work("/api/portal/login-code", map[string]string{"email": "stranger@example.com", "code": "000000"}, http.StatusBadRequest)
		if !slices.Equal(client, stranger) || len(client) == 0 {
			t.Errorf("wrong code %d: login-code for a client's address ran\n%s\nand for a stranger's\n%s\nwant the same statements writing the same rows",
				wrong, testenv.Describe(client), testenv.Describe(stranger))
		}
		if strangerEntry := entryOf(); clientEntry != strangerEntry {
			t.Errorf("wrong code %d: the trail recorded\n%+v\nfor a client's address and\n%+v\nfor a stranger's; want the same entry but for whom it names",
				wrong, clientEntry, strangerEntry)
		}
	}

	// login-link: what runs before the answer is the one statement that
	// records the request, the same for both; the lookup is the worker's.
	for _, email := range []string{"ada@example.com", "stranger@example.com"} {
		mark := sql.Mark()
		if r := env.Post("/api/portal/login-link", map[string]string{"email": email}); r.Status != http.StatusAccepted {
			t.Fatalf("login-link for %s: %s", email, r)
		}
		env.Drain()
		steps := sql.Since(mark, "clients", "INSERT INTO signin_requests")
		recorded := slices.IndexFunc(steps, func(s testenv.Step) bool { return strings.HasPrefix(s.Shape, "INSERT INTO signin_requests") })
		if recorded != 0 || steps[0].Changed != 1 || len(steps) < 2 {
			t.Errorf("login-link for %s ran\n%s\nwant first the one statement that records the request (one row), then the lookup", email, testenv.Describe(steps))
		}
	}
}

// TestFailedCodesAnswerAtTheFloor: what the statements above cannot make
// equal, the rows they read, the answer's time hides: a wrong code, for a
// client's address or a stranger's, and a malformed request, answer no
// sooner than signin.FailedCodeFloor after they were sent, and the trail
// has the failure's entry by then. A right code is not held, even with a
// floor of an hour.
func TestFailedCodesAnswerAtTheFloor(t *testing.T) {
	env := testenv.Start(t)
	env.NewClient("Ada Client", "ada@example.com", true)
	env.RequestLink("ada@example.com")
	for _, failed := range []map[string]string{
		{"email": "ada@example.com", "code": "000000"},
		{"email": "stranger@example.com", "code": "000000"},
		{"email": "ada@example.com", "code": "12"},
	} {
		entries := len(env.AuditEntries())
		began := time.Now()
		if r := env.Post("/api/portal/login-code", failed); r.Status != http.StatusBadRequest {
			t.Fatalf("login-code %v: %s; want 400", failed, r)
		}
		if took := time.Since(began); took < signin.FailedCodeFloor {
			t.Errorf("login-code %v answered after %s; want no sooner than %s, whoever the address is", failed, took, signin.FailedCodeFloor)
		}
		if failed["code"] == "000000" && len(env.AuditEntries()) != entries+1 {
			t.Errorf("login-code %v: the trail has %d new entries when the answer arrives; want the failed sign-in's", failed, len(env.AuditEntries())-entries)
		}
	}

	held := testenv.Start(t, func(c *hooks.Config) { c.FailedCodeFloor = time.Hour })
	held.NewClient("Ada Client", "ada@example.com", true)
	code := held.RequestLink("ada@example.com").Code()
	answered := make(chan testenv.Response, 1)
	go func() {
		answered <- held.Post("/api/portal/login-code", map[string]string{"email": "ada@example.com", "code": code})
	}()
	select {
	case r := <-answered:
		if r.Status != http.StatusOK {
			t.Errorf("the right code: %s; want 200", r)
		}
	case <-time.After(time.Minute):
		t.Error("the right code was not answered within a minute of a floor of an hour: a sign-in is held like a failure")
	}
}
