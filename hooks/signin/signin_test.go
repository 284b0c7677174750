package signin_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"portico/hooks"
	"portico/internal/testenv"
)

func TestSignInWithEmailedLink(t *testing.T) {
	env := testenv.Start(t)
	env.NewClient("Ada Client", "ada@example.com", true)

	msg := env.RequestLink("ada@example.com")
	link, token := msg.SignInLink()
	if token == "" || msg.Code() == "" {
		t.Fatalf("sign-in email lacks a link or a code:\n%s", msg.Text)
	}
	if !strings.HasPrefix(link, env.URL+"/s/") {
		t.Errorf("link %q does not point at the portal %s", link, env.URL)
	}
	if msg.HTML == "" || !strings.Contains(msg.HTML, token) {
		t.Errorf("sign-in email has no HTML part carrying the link")
	}
	if !strings.Contains(msg.Header.Get("From"), testenv.PracticeName) {
		t.Errorf("From %q does not carry the practice's name", msg.Header.Get("From"))
	}

	r := env.Post("/api/portal/redeem", map[string]string{"token": token})
	if r.Status != http.StatusOK {
		t.Fatalf("redeem: got %s; want 200", r)
	}
	record, _ := r.JSON["record"].(map[string]any)
	if r.JSON["token"] == "" || record["email"] != "ada@example.com" {
		t.Fatalf("redeem did not return an auth response for ada: %s", r)
	}
	for header, want := range map[string]string{"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"} {
		if got := r.Header.Get(header); got != want {
			t.Errorf("redeem %s = %q; want %q", header, got, want)
		}
	}

	// The session works on the client's own record, and the portal can
	// refresh it while the client is active.
	session := r.JSON["token"].(string)
	me := env.Do(http.MethodGet, "/api/collections/clients/records/"+record["id"].(string), nil, "Authorization", session)
	if me.Status != http.StatusOK {
		t.Fatalf("client could not read its own record with the session: %s", me)
	}
	if refreshed := env.Post("/api/collections/clients/auth-refresh", nil, "Authorization", session); refreshed.Status != http.StatusOK {
		t.Fatalf("refreshing the client session: %s; want 200", refreshed)
	}
}

func TestScannerDoesNotConsumeLink(t *testing.T) {
	env := testenv.Start(t)
	env.NewClient("Ada Client", "ada@example.com", true)
	link, token := env.RequestLink("ada@example.com").SignInLink()

	scanners := []string{"Mozilla/5.0 (compatible; SafeLinks)", "Slackbot-LinkExpanding 1.0", "curl/8"}
	for _, agent := range scanners {
		for _, method := range []string{http.MethodHead, http.MethodGet} {
			req, _ := http.NewRequest(method, link, nil)
			req.Header.Set("User-Agent", agent)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s %s by %q: %d; want the landing page", method, link, agent, resp.StatusCode)
			}
			if resp.Header.Get("Referrer-Policy") != "no-referrer" || resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("landing page misses no-referrer/no-store headers: %v", resp.Header)
			}
		}
	}
	status := env.Post("/api/portal/link-status", map[string]string{"token": token})
	if status.Status != http.StatusOK || status.JSON["state"] != "valid" {
		t.Fatalf("after scanner GETs the link-status is %s; want valid", status)
	}
	if r := env.Post("/api/portal/redeem", map[string]string{"token": token}); r.Status != http.StatusOK {
		t.Fatalf("redeem after scanners opened the link: %s; want 200", r)
	}
}

func TestConcurrentRedeemsOnlyOneWins(t *testing.T) {
	env := testenv.Start(t)
	env.NewClient("Ada Client", "ada@example.com", true)
	_, token := env.RequestLink("ada@example.com").SignInLink()

	const n = 64
	statuses := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			statuses[i] = env.Post("/api/portal/redeem", map[string]string{"token": token}).Status
		}()
	}
	close(start)
	wg.Wait()

	counts := map[int]int{}
	for _, s := range statuses {
		counts[s]++
	}
	if counts[http.StatusOK] != 1 || counts[http.StatusGone] != n-1 {
		t.Fatalf("%d concurrent redeems gave %v; want exactly one 200 and %d 410", n, counts, n-1)
	}
}

func TestUsedExpiredAndUnknownLinks(t *testing.T) {
	env := testenv.Start(t)
	env.NewClient("Ada Client", "ada@example.com", true)

	_, used := env.RequestLink("ada@example.com").SignInLink()
	if r := env.Post("/api/portal/redeem", map[string]string{"token": used}); r.Status != http.StatusOK {
		t.Fatalf("first redeem: %s; want 200", r)
	}
	_, expired := env.RequestLink("ada@example.com").SignInLink()
	env.Clock.Advance(env.Config.SignInTTL + time.Second)

	cases := []struct {
		name, token string
		status      int
		reason      string
	}{
		{"used", used, http.StatusGone, "used"},
		{"expired", expired, http.StatusGone, "expired"},
		{"unknown", strings.Repeat("A", 43), http.StatusNotFound, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := env.Post("/api/portal/redeem", map[string]string{"token": c.token})
			if r.Status != c.status || (c.reason != "" && r.JSON["reason"] != c.reason) {
				t.Fatalf("redeem of a %s link: got %s; want %d %q", c.name, r, c.status, c.reason)
			}
		})
	}
}

func TestUsedLinkOffersOneClickResend(t *testing.T) {
	env := testenv.Start(t)
	env.NewClient("Ada Client", "ada@example.com", true)
	_, token := env.RequestLink("ada@example.com").SignInLink()
	env.Post("/api/portal/redeem", map[string]string{"token": token})

	if r := env.Post("/api/portal/resend", map[string]string{"token": token}); r.Status != http.StatusAccepted {
		t.Fatalf("resend for a used link: %s; want 202", r)
	}
	_, fresh := env.Mail.Next("ada@example.com", testenv.Wait).SignInLink()
	if fresh == "" || fresh == token {
		t.Fatalf("resend did not mail a new link")
	}
	if r := env.Post("/api/portal/redeem", map[string]string{"token": fresh}); r.Status != http.StatusOK {
		t.Fatalf("redeeming the resent link: %s; want 200", r)
	}
	if r := env.Post("/api/portal/resend", map[string]string{"token": strings.Repeat("B", 43)}); r.Status != http.StatusNotFound {
		t.Fatalf("resend for an unknown link: %s; want 404", r)
	}
}

func TestSignInWithCode(t *testing.T) {
	env := testenv.Start(t)
	env.NewClient("Ada Client", "ada@example.com", true)

	code := env.RequestLink("ada@example.com").Code()
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	if r := env.Post("/api/portal/login-code", map[string]string{"email": "ada@example.com", "code": wrong}); r.Status != http.StatusBadRequest {
		t.Fatalf("wrong code: %s; want 400", r)
	}
	r := env.Post("/api/portal/login-code", map[string]string{"email": "ADA@example.com", "code": code})
	if r.Status != http.StatusOK || r.JSON["token"] == nil {
		t.Fatalf("right code: %s; want 200 with an auth token", r)
	}
	if r := env.Post("/api/portal/login-code", map[string]string{"email": "ada@example.com", "code": code}); r.Status != http.StatusGone || r.JSON["reason"] != "used" {
		t.Fatalf("reused code: %s; want 410 used", r)
	}
}

func TestCodeDiesAfterFiveWrongTries(t *testing.T) {
	env := testenv.Start(t)
	env.NewClient("Ada Client", "ada@example.com", true)
	msg := env.RequestLink("ada@example.com")
	code := msg.Code()

	for i := range 5 {
		wrong := strings.Repeat(string(rune('0'+(int(code[0]-'0')+1+i)%10)), 6)
		if r := env.Post("/api/portal/login-code", map[string]string{"email": "ada@example.com", "code": wrong}); r.Status != http.StatusBadRequest {
			t.Fatalf("wrong code #%d: %s; want 400", i+1, r)
		}
	}
	if r := env.Post("/api/portal/login-code", map[string]string{"email": "ada@example.com", "code": code}); r.Status != http.StatusBadRequest {
		t.Fatalf("right code on the 6th try: %s; want 400, the token is dead after 5 wrong codes", r)
	}
	// The link in the same mail is 256 bits no one guesses: it still works
	// (TestStrangerCannotLockTheClientOut).
	_, token := msg.SignInLink()
	if r := env.Post("/api/portal/redeem", map[string]string{"token": token}); r.Status != http.StatusOK {
		t.Fatalf("link of a token whose code wrong codes killed: %s; want 200", r)
	}
}

func TestUnknownEmailGetsSameAnswerAndNoMail(t *testing.T) {
	env := testenv.Start(t)
	env.NewClient("Ada Client", "ada@example.com", true)
	env.NewClient("Locked Client", "locked@example.com", false)

	known := env.Post("/api/portal/login-link", map[string]string{"email": "ada@example.com"})
	for _, email := range []string{"nobody@example.com", "locked@example.com"} {
		r := env.Post("/api/portal/login-link", map[string]string{"email": email})
		if r.Status != known.Status || string(r.Body) != string(known.Body) {
			t.Fatalf("login-link for %s answered %s; a client's address got %s", email, r, known)
		}
	}
	env.Mail.Next("ada@example.com", testenv.Wait)
	env.NoMailTo("nobody@example.com")
	env.NoMailTo("locked@example.com")
	if n := env.Count("login_tokens", ""); n != 2 { // ada's invite and sign-in
		t.Fatalf("%d login tokens stored; want 2 (none for unknown or locked addresses)", n)
	}
}

func TestSignInRateLimits(t *testing.T) {
	env := testenv.Start(t, func(c *hooks.Config) {
		c.LinksPerAddress = 2
		c.LinksPerIP = 4 // a refused request is not recorded, and counts for nothing
	})

	for i := range 2 {
		if r := env.Post("/api/portal/login-link", map[string]string{"email": "same@example.com"}); r.Status != http.StatusAccepted {
			t.Fatalf("request %d for one address: %s; want 202", i+1, r)
		}
	}
	r := env.Post("/api/portal/login-link", map[string]string{"email": "same@example.com"})
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Fatalf("3rd request for one address: %s (Retry-After %q); want 429 with Retry-After", r, r.Header.Get("Retry-After"))
	}

	for i, email := range []string{"a@example.com", "b@example.com"} {
		if r := env.Post("/api/portal/login-link", map[string]string{"email": email}); r.Status != http.StatusAccepted {
			t.Fatalf("request %d from one IP: %s; want 202", i+3, r)
		}
	}
	if r := env.Post("/api/portal/login-link", map[string]string{"email": "c@example.com"}); r.Status != http.StatusTooManyRequests {
		t.Fatalf("5th recorded request from one IP: %s; want 429", r)
	}

	env.Clock.Advance(env.Config.RateWindow)
	if r := env.Post("/api/portal/login-link", map[string]string{"email": "same@example.com"}); r.Status != http.StatusAccepted {
		t.Fatalf("after the window passed: %s; want 202", r)
	}
}

func TestBadRequestsAreRefusedAndStoreNothing(t *testing.T) {
	env := testenv.Start(t)
	env.NewClient("Ada Client", "ada@example.com", true)
	tokensBefore := env.Count("login_tokens", "")

	cases := []struct {
		name, path string
		body       any
		status     int
	}{
		{"malformed JSON", "/api/portal/login-link", `{"email": "ada@`, http.StatusBadRequest},
		{"wrong type", "/api/portal/login-link", `{"email": 42}`, http.StatusBadRequest},
		{"not an email", "/api/portal/login-link", map[string]string{"email": "ada at example"}, http.StatusBadRequest},
		{"missing email", "/api/portal/login-link", `{}`, http.StatusBadRequest},
		{"oversized body", "/api/portal/login-link", `{"email":"` + strings.Repeat("a", 64<<10) + `@example.com"}`, http.StatusRequestEntityTooLarge},
		{"token wrong type", "/api/portal/redeem", `{"token": ["x"]}`, http.StatusBadRequest},
		{"token missing", "/api/portal/redeem", `{}`, http.StatusBadRequest},
		{"code not digits", "/api/portal/login-code", map[string]string{"email": "ada@example.com", "code": "abcdef"}, http.StatusBadRequest},
		{"code too short", "/api/portal/login-code", map[string]string{"email": "ada@example.com", "code": "123"}, http.StatusBadRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := env.Post(c.path, c.body)
			if r.Status != c.status {
				t.Fatalf("%s to %s: got %s; want %d", c.name, c.path, r, c.status)
			}
			if msg, _ := r.JSON["message"].(string); msg == "" || strings.Contains(msg, "\n") {
				t.Fatalf("%s: want one line saying what is wrong, got %q", c.name, r.Body)
			}
		})
	}
	if n := env.Count("login_tokens", ""); n != tokensBefore {
		t.Fatalf("bad requests stored %d login tokens", n-tokensBefore)
	}
	env.NoMailTo("ada@example.com")
}

// TestChangedAuthRuleAppliesAtOnce: redeem builds the clients' auth rule
// into SQL once and reuses it, so a rule changed in the dashboard must
// apply to the very next sign-in, and a rule that names the request must
// be judged on each request.
func TestChangedAuthRuleAppliesAtOnce(t *testing.T) {
	env := testenv.Start(t)
	env.NewClient("Ada Client", "ada@example.com", true)
	env.NewClient("Bob Client", "bob@example.com", true)
	setRule := func(rule *string) {
		t.Helper()
		clients, err := env.App.FindCollectionByNameOrId("clients")
		if err != nil {
			t.Fatal(err)
		}
		clients.AuthRule = rule
		if err := env.App.Save(clients); err != nil {
			t.Fatalf("saving the auth rule %v: %v", rule, err)
		}
	}
	redeem := func(email string, want int, headers ...string) {
		t.Helper()
		_, token := env.RequestLink(email).SignInLink()
		if r := env.Post("/api/portal/redeem", map[string]string{"token": token}, headers...); r.Status != want {
			t.Fatalf("redeem by %s (headers %v): got %s; want %d", email, headers, r, want)
		}
	}

	redeem("bob@example.com", http.StatusOK) // the migration's rule, now built and kept

	rule := "portal_access = true && name != 'Bob Client'"
	setRule(&rule)
	redeem("bob@example.com", http.StatusForbidden)
	redeem("ada@example.com", http.StatusOK)

	rule = "portal_access = true && @request.headers.x_practice_door = 'open'"
	setRule(&rule)
	redeem("ada@example.com", http.StatusForbidden)
	redeem("ada@example.com", http.StatusOK, "X-Practice-Door", "open")
	redeem("ada@example.com", http.StatusForbidden)

	setRule(nil)
	redeem("ada@example.com", http.StatusForbidden)
}
