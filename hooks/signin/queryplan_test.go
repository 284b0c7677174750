package signin_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"portico/internal/testenv"
)

// scanOfGrowingTable is a plan step that reads every row of a table that
// grows with the practice: clients, or the tokens mailed to them.
var scanOfGrowingTable = regexp.MustCompile("^SCAN `?(clients|login_tokens)`?( |$)")

// everyTokenOfTheClient is a plan step that reads every token a client was
// ever mailed, open or not: a sign-in that slows down with each sign-in
// before it, and that a client's address pays and a stranger's does not.
var everyTokenOfTheClient = regexp.MustCompile("^SEARCH `?login_tokens`? USING (COVERING )?INDEX \\S+ \\(client=\\?\\)$")

// TestSignInLooksClientsUpByIndex walks every sign-in route, the
// background lookup behind login-link included, and checks the plan of
// every statement Portico ran against clients and login_tokens, PocketBase's
// own queries included: each must SEARCH an index, never SCAN the table.
// A scan is a sign-in that slows down with every client the practice adds.
func TestSignInLooksClientsUpByIndex(t *testing.T) {
	env := testenv.Start(t)
	for i := range 20 {
		env.NewClient(fmt.Sprintf("Client %d", i), fmt.Sprintf("client%d@example.com", i), false)
	}
	env.NewClient("Ada Client", "ada@example.com", true)
	sql := env.RecordSQL()

	// An address that is no client's: looked up after the answer, no mail.
	if r := env.Post("/api/portal/login-link", map[string]string{"email": "nobody@example.com"}); r.Status != http.StatusAccepted {
		t.Fatalf("login-link for an unknown address: got %s; want 202", r)
	}
	sql.WaitFor("nobody@example.com", testenv.Wait)

	_, token := env.RequestLink("ada@example.com").SignInLink()
	for _, step := range []struct {
		path string
		body map[string]string
		want int
	}{
		{"/api/portal/link-status", map[string]string{"token": token}, http.StatusOK},
		{"/api/portal/redeem", map[string]string{"token": token}, http.StatusOK},
		{"/api/portal/redeem", map[string]string{"token": token}, http.StatusGone},
		{"/api/portal/resend", map[string]string{"token": token}, http.StatusAccepted},
	} {
		if r := env.Post(step.path, step.body); r.Status != step.want {
			t.Fatalf("%s: got %s; want %d", step.path, r, step.want)
		}
	}
	code := env.Mail.Next("ada@example.com", testenv.Wait).Code()
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	for _, step := range []struct {
		email, code string
		want        int
	}{
		{"nobody@example.com", code, http.StatusBadRequest},
		{"ada@example.com", wrong, http.StatusBadRequest},
		{"ada@example.com", code, http.StatusOK},
	} {
		r := env.Post("/api/portal/login-code", map[string]string{"email": step.email, "code": step.code})
		if r.Status != step.want {
			t.Fatalf("login-code for %s: got %s; want %d", step.email, r, step.want)
		}
	}

	checked := 0
	for _, statement := range sql.Statements() {
		if !strings.Contains(statement, "clients") && !strings.Contains(statement, "login_tokens") {
			continue
		}
		checked++
		plan := env.QueryPlan(statement)
		for _, step := range plan {
			if scanOfGrowingTable.MatchString(step) {
				t.Errorf("a sign-in reads every row (%s), so it slows down as the practice grows:\n%s\nplan:\n  %s",
					step, statement, strings.Join(plan, "\n  "))
			}
			if everyTokenOfTheClient.MatchString(step) {
				t.Errorf("a sign-in reads every token the client was ever sent (%s), so it slows down with each sign-in before it:\n%s\nplan:\n  %s",
					step, statement, strings.Join(plan, "\n  "))
			}
		}
	}
	if checked < 6 {
		t.Fatalf("only %d statements on clients and login_tokens were recorded; the recorder missed the sign-in's queries", checked)
	}
}
