package retention_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/dbx"

	"portico/hooks"
	"portico/hooks/retention"
	"portico/hooks/schema"
	"portico/internal/testenv"
)

// age moves a row's times back by days, as if it had been written then.
func age(t *testing.T, env *testenv.Env, table, id string, days int, columns ...string) {
	t.Helper()
	for _, column := range columns {
		_, err := env.App.NonconcurrentDB().NewQuery(
			"UPDATE " + table + " SET " + column + " = strftime('%Y-%m-%d %H:%M:%fZ', " + column + ", {:shift}) WHERE id = {:id}",
		).Bind(dbx.Params{"id": id, "shift": "-" + strconv.Itoa(days) + " days"}).Execute()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// exists tells whether a row is still there.
func exists(t *testing.T, env *testenv.Env, table, id string) bool {
	t.Helper()
	var n int
	if err := env.App.DB().NewQuery("SELECT COUNT(*) FROM " + table + " WHERE id = {:id}").Bind(dbx.Params{"id": id}).Row(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

// newest is the id of the newest row of table that matches where.
func newest(t *testing.T, env *testenv.Env, table, where string) string {
	t.Helper()
	var id string
	if err := env.App.DB().NewQuery("SELECT id FROM " + table + " WHERE " + where + " ORDER BY rowid DESC LIMIT 1").Row(&id); err != nil {
		t.Fatalf("no %s row where %s: %v", table, where, err)
	}
	return id
}

// settled waits until n mails are marked delivered: the SMTP server has a
// message a moment before the outbox records it.
func settled(t *testing.T, env *testenv.Env, n int) {
	t.Helper()
	deadline := time.Now().Add(testenv.Wait)
	for env.Count(schema.MailOutbox, "state = 'sent'") < n {
		if time.Now().After(deadline) {
			t.Fatalf("fewer than %d mails were marked sent", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestRetentionDeletesOnlyWhatIsPastItsPeriod ages rows to either side of
// the 30-day period: tokens and finished mail older than it go, newer ones
// stay, and so do a mail still waiting to be sent however old, a token
// that still works, and the client they belong to.
func TestRetentionDeletesOnlyWhatIsPastItsPeriod(t *testing.T) {
	env := testenv.Start(t)
	if env.Config.Retention != 30*24*time.Hour {
		t.Fatalf("default retention is %s; want 30 days", env.Config.Retention)
	}
	ada, _ := env.NewClient("Ada Client", "ada@example.com", true)

	_, oldToken := env.RequestLink("ada@example.com").SignInLink()
	if r := env.Post("/api/portal/redeem", map[string]string{"token": oldToken}); r.Status != http.StatusOK {
		t.Fatalf("redeem: %s", r)
	}
	oldTokenId := newest(t, env, schema.LoginTokens, "used != ''")
	settled(t, env, 2) // the invite and the link
	oldMail := newest(t, env, schema.MailOutbox, "state = 'sent'")
	age(t, env, schema.LoginTokens, oldTokenId, 31, "expires", "used", "created")
	age(t, env, schema.MailOutbox, oldMail, 31, "updated", "sent_at")

	env.RequestLink("ada@example.com")
	recentTokenId := newest(t, env, schema.LoginTokens, "used = ''")
	settled(t, env, 3)
	recentMail := newest(t, env, schema.MailOutbox, "state = 'sent'")
	age(t, env, schema.LoginTokens, recentTokenId, 29, "created")
	age(t, env, schema.MailOutbox, recentMail, 29, "updated", "sent_at")
	// Expired 29 days ago: it stopped working, but the period has not passed.
	expiredTokenId := recentTokenId
	age(t, env, schema.LoginTokens, expiredTokenId, 29, "expires")

	env.RequestLink("ada@example.com")
	openTokenId := newest(t, env, schema.LoginTokens, "used = '' AND id != '"+expiredTokenId+"'")

	// A mail the server will not take: it waits in the outbox, and an old
	// wait is no reason to drop it.
	env.Mail.Down()
	if r := env.Post("/api/portal/login-link", map[string]string{"email": "ada@example.com"}); r.Status != http.StatusAccepted {
		t.Fatalf("login-link: %s", r)
	}
	deadline := time.Now().Add(testenv.Wait)
	for env.Count(schema.MailOutbox, "state = 'pending' && attempts > 0") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the mail to a server that is down was never tried")
		}
		time.Sleep(10 * time.Millisecond)
	}
	pendingMail := newest(t, env, schema.MailOutbox, "state = 'pending'")
	age(t, env, schema.MailOutbox, pendingMail, 60, "updated", "created")

	pruned, err := env.Portal.Retention.Run()
	if err != nil {
		t.Fatal(err)
	}

	for _, row := range []struct {
		what, table, id string
		kept            bool
	}{
		{"a token used and expired 31 days ago", schema.LoginTokens, oldTokenId, false},
		{"a mail delivered 31 days ago", schema.MailOutbox, oldMail, false},
		{"a token expired 29 days ago", schema.LoginTokens, expiredTokenId, true},
		{"a mail delivered 29 days ago", schema.MailOutbox, recentMail, true},
		{"a token that still works", schema.LoginTokens, openTokenId, true},
		{"a mail waiting 60 days for the mail server", schema.MailOutbox, pendingMail, true},
		{"the client", schema.Clients, ada.Id, true},
	} {
		if got := exists(t, env, row.table, row.id); got != row.kept {
			t.Errorf("after pruning, %s is there: %v; want %v", row.what, got, row.kept)
		}
	}
	if pruned.Rows[schema.LoginTokens] != 1 || pruned.Rows[schema.MailOutbox] != 1 {
		t.Errorf("pruning reports %v deleted; want one token and one mail", pruned.Rows)
	}

	// The data dir was made with incremental vacuum, so no full VACUUM is
	// ever needed to give space back.
	var mode int
	if err := env.App.DB().NewQuery("PRAGMA auto_vacuum").Row(&mode); err != nil || mode != 2 {
		t.Errorf("data.db auto_vacuum = %d (%v); want 2 (incremental)", mode, err)
	}
}

// TestRetentionDeletesStaffSessionsNotSeenForItsPeriod: a staff session
// last seen 31 days ago goes (it ended long since, written or not), one
// seen 29 days ago stays, and so does the staff member.
func TestRetentionDeletesStaffSessionsNotSeenForItsPeriod(t *testing.T) {
	env := testenv.Start(t)
	member, _ := env.StaffSession("owner", nil)
	old := newest(t, env, schema.StaffSessions, "staff = '"+member.Id+"'")
	age(t, env, schema.StaffSessions, old, 31, "last_seen", "started")
	env.SignIn(member)
	recent := newest(t, env, schema.StaffSessions, "id != '"+old+"'")
	age(t, env, schema.StaffSessions, recent, 29, "last_seen", "started")

	pruned, err := env.Portal.Retention.Run()
	if err != nil {
		t.Fatal(err)
	}
	if exists(t, env, schema.StaffSessions, old) || !exists(t, env, schema.StaffSessions, recent) || !exists(t, env, schema.Staff, member.Id) {
		t.Errorf("after pruning: the session seen 31 days ago is there: %v (want gone); the one seen 29 days ago: %v, the staff member: %v (want both kept)",
			exists(t, env, schema.StaffSessions, old), exists(t, env, schema.StaffSessions, recent), exists(t, env, schema.Staff, member.Id))
	}
	if pruned.Rows[schema.StaffSessions] != 1 {
		t.Errorf("pruning reports %v deleted; want one staff session", pruned.Rows)
	}
}

// TestRetentionDeletesSignInRequestsProcessedBeforeItsPeriod: a sign-in
// request looked up 31 days ago goes (its address was a stranger's or a
// client's alike), one looked up 29 days ago stays, and so does one still
// waiting for its lookup, however old.
func TestRetentionDeletesSignInRequestsProcessedBeforeItsPeriod(t *testing.T) {
	env := testenv.Start(t)
	ask := func(email string) string {
		t.Helper()
		if r := env.Post("/api/portal/login-link", map[string]string{"email": email}); r.Status != http.StatusAccepted {
			t.Fatalf("login-link for %s: %s", email, r)
		}
		return newest(t, env, schema.SignInRequests, "email = '"+email+"'")
	}
	old, recent := ask("stranger@example.com"), ask("other@example.com")
	env.Drain()
	age(t, env, schema.SignInRequests, old, 31, "processed", "created")
	age(t, env, schema.SignInRequests, recent, 29, "processed", "created")
	// One a crash left waiting for its lookup 60 days ago, pruned with no
	// server running that could take it meanwhile.
	env.Stop()
	const waiting = "waiting0000001"
	env.EditDatabase("INSERT INTO signin_requests (id, email, network, requested_ip, requested_ua, processed, created, updated) " +
		"VALUES ('" + waiting + "', 'waiting@example.com', '127.0.0.1', '127.0.0.1', '', '', " +
		"strftime('%Y-%m-%d %H:%M:%fZ', 'now', '-60 days'), strftime('%Y-%m-%d %H:%M:%fZ', 'now', '-60 days'))")
	app := testenv.OpenDir(t, env.Dir)

	pruned, err := retention.New(app, env.Clock.Now, env.Config.Retention, env.Config.SessionLifetime).Run()
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range []struct {
		what, id string
		kept     bool
	}{
		{"a request processed 31 days ago", old, false},
		{"a request processed 29 days ago", recent, true},
		{"a request waiting 60 days for its lookup", waiting, true},
	} {
		var n int
		if err := app.DB().NewQuery("SELECT COUNT(*) FROM signin_requests WHERE id = {:id}").Bind(dbx.Params{"id": row.id}).Row(&n); err != nil {
			t.Fatal(err)
		}
		if got := n == 1; got != row.kept {
			t.Errorf("after pruning, %s is there: %v; want %v", row.what, got, row.kept)
		}
	}
	if pruned.Rows[schema.SignInRequests] != 1 {
		t.Errorf("pruning reports %v deleted; want one sign-in request", pruned.Rows)
	}
}

// TestPruningUnderLoadKeepsSignInsAndMail prunes 30,000 old tokens and
// mails while clients sign in and ask for links: every sign-in succeeds,
// every new mail arrives, some sign-ins go through between the pruning's
// first and last batch (it never holds the writer for the whole run), and
// the free pages go back to the file system.
func TestPruningUnderLoadKeepsSignInsAndMail(t *testing.T) {
	env := testenv.Start(t, func(c *hooks.Config) { c.LinksPerAddress, c.LinksPerIP = 1000, 1000 })
	ada, _ := env.NewClient("Ada Client", "ada@example.com", true)

	// One client each: a sign-in voids the client's older links.
	const signIns = 30
	tokens := make([]string, signIns)
	for i := range tokens {
		email := fmt.Sprintf("client%d@example.com", i)
		env.NewClient(fmt.Sprintf("Client %d", i), email, true)
		_, tokens[i] = env.RequestLink(email).SignInLink()
	}
	old := "strftime('%Y-%m-%d %H:%M:%fZ', 'now', '-40 days')"
	env.Fill(schema.LoginTokens, 20_000, map[string]string{
		"id": "printf('old%012d', i)", "client": "'" + ada.Id + "'", "purpose": "'sign_in'",
		"token_hash": "printf('%064d', i)", "code_hmac": "printf('%064d', i)",
		"expires": old, "used": old, "failed_codes": "0", "created": old, "updated": old,
		"requested_ip": "''", "requested_ua": "''", "redeemed_ip": "''", "redeemed_ua": "''",
	})
	env.Fill(schema.MailOutbox, 10_000, map[string]string{
		"id": "printf('old%012d', i)", "recipient": "'ada@example.com'", "recipient_name": "''",
		"kind": "'sign_in'", "subject": "'Your sign-in link'", "text_body": "''", "html_body": "''",
		"attachments": "'null'", "sensitive": "1", "state": "'sent'", "attempts": "1",
		"next_attempt": "''", "sent_at": old, "last_error": "''", "dedupe_key": "''",
		"created": old, "updated": old,
	})
	sql := env.RecordSQL()
	before := env.Mail.Count()

	var wg sync.WaitGroup
	var pruned retention.Pruned
	var pruneErr error
	wg.Go(func() { pruned, pruneErr = env.Portal.Retention.Run() })
	for _, token := range tokens {
		if r := env.Post("/api/portal/redeem", map[string]string{"token": token}); r.Status != http.StatusOK {
			t.Errorf("redeem while pruning: %s; want 200", r)
		}
		if r := env.Post("/api/portal/login-link", map[string]string{"email": "ada@example.com"}); r.Status != http.StatusAccepted {
			t.Errorf("login-link while pruning: %s; want 202", r)
		}
	}
	wg.Wait()
	if pruneErr != nil {
		t.Fatal(pruneErr)
	}
	if pruned.Rows[schema.LoginTokens] != 20_000 || pruned.Rows[schema.MailOutbox] != 10_000 {
		t.Errorf("pruning deleted %v; want exactly the 20,000 old tokens and 10,000 old mails", pruned.Rows)
	}
	if pruned.Pages == 0 {
		t.Errorf("pruning 30,000 rows returned no free pages to the file system")
	}

	deadline := time.Now().Add(testenv.Wait)
	for env.Mail.Count()-before < signIns {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d links asked for while pruning arrived", env.Mail.Count()-before, signIns)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := env.Count(schema.LoginTokens, "used != ''"); n != signIns {
		t.Errorf("%d used tokens after the sign-ins; want the %d that signed in", n, signIns)
	}

	first, last, between := -1, -1, 0
	log := sql.Log()
	for i, statement := range log {
		if strings.HasPrefix(statement, "DELETE FROM") {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	for _, statement := range log[max(first, 0):max(last, 0)] {
		if strings.HasPrefix(statement, "UPDATE login_tokens SET used") {
			between++
		}
	}
	if between == 0 {
		t.Errorf("no sign-in went through while pruning ran (its first to last batch): it held the writer throughout")
	}

	// Each batch finds its rows through an index: a scan would read every
	// row kept, 30 days of them, once per batch.
	for _, statement := range sql.Statements() {
		if !strings.HasPrefix(statement, "DELETE FROM") {
			continue
		}
		for _, step := range env.QueryPlan(statement) {
			if strings.HasPrefix(step, "SCAN") {
				t.Errorf("a pruning batch reads the whole table (%s):\n%s", step, statement)
			}
		}
	}
}

// TestOlderDataDirIsConvertedToIncrementalVacuum: a data dir made before
// Portico asked for incremental vacuum is converted by the next serve,
// before it answers, and keeps its clients.
func TestOlderDataDirIsConvertedToIncrementalVacuum(t *testing.T) {
	env := testenv.Start(t)
	env.NewClient("Ada Client", "ada@example.com", false)
	for _, statement := range []string{"PRAGMA auto_vacuum = NONE", "VACUUM"} {
		if _, err := env.App.NonconcurrentDB().NewQuery(statement).Execute(); err != nil {
			t.Fatal(err)
		}
	}
	mode := func() int {
		var mode int
		if err := env.App.NonconcurrentDB().NewQuery("PRAGMA auto_vacuum").Row(&mode); err != nil {
			t.Fatal(err)
		}
		return mode
	}
	if mode() != 0 {
		t.Fatalf("could not make an old-style data dir: auto_vacuum = %d", mode())
	}

	env.Restart()
	if got := mode(); got != 2 {
		t.Fatalf("after serve started on an old data dir, auto_vacuum = %d; want 2 (incremental)", got)
	}
	if env.Count(schema.Clients, "email = 'ada@example.com'") != 1 {
		t.Fatal("the client is gone after the conversion")
	}
}

// TestShortRetentionKeepsSessionsThatAreStillOpen: a client's session is
// the token its sign-in spent, and a staff session its row, so a
// retention period shorter than a session deletes neither while it could
// still be open: both still work after pruning, ten minutes after their
// sign-ins, with a one-minute retention.
func TestShortRetentionKeepsSessionsThatAreStillOpen(t *testing.T) {
	env := testenv.Start(t, func(c *hooks.Config) { c.Retention = time.Minute })
	ada, _ := env.NewClient("Ada Client", "ada@example.com", true)
	client := env.SessionOf(ada)
	_, staff := env.StaffSession("owner", nil)
	env.Clock.Advance(10 * time.Minute)

	if _, err := env.Portal.Retention.Run(); err != nil {
		t.Fatal(err)
	}
	if r := env.Do(http.MethodGet, "/api/collections/clients/records/"+ada.Id, nil, "Authorization", client); r.Status != http.StatusOK {
		t.Errorf("after pruning, the client's own record answered %s; want 200: the session is 10 minutes old, its lifetime %s", r, env.Config.SessionLifetime)
	}
	if r := env.Do(http.MethodGet, "/api/staff/schedule?days=1", nil, "Authorization", staff); r.Status != http.StatusOK {
		t.Errorf("after pruning, the owner's schedule answered %s; want 200: the staff session was last seen 10 minutes ago", r)
	}
}
