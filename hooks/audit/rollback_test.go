package audit_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"portico/hooks/audit"
	"portico/internal/testenv"
)

// TestRollingBackTheRowidOrderKeepsTheChain takes migration
// 1764_000054 back and forth, as `portico migrate down` and a later
// `serve` would, with a client signing in between: each way the index on
// seq and the sign-in trigger are those of the version it lands on, the
// trigger still appends each sign-in, and the chain verifies.
func TestRollingBackTheRowidOrderKeepsTheChain(t *testing.T) {
	env := testenv.Start(t)
	env.NewClient("Ada Client", "ada@example.com", true)
	signIns := 0
	signIn := func(when string) {
		t.Helper()
		_, token := env.RequestLink("ada@example.com").SignInLink()
		if r := env.Post("/api/portal/redeem", map[string]string{"token": token}); r.Status != http.StatusOK {
			t.Fatalf("signing in %s: %s", when, r)
		}
		signIns++
		if got := len(env.AuditEntriesFor(audit.ActionSignIn, "")); got < signIns {
			t.Fatalf("%s: the trail holds %d sign-ins; want %d", when, got, signIns)
		}
		if _, err := audit.Verify(env.App); err != nil {
			t.Fatalf("%s: %v", when, err)
		}
	}
	schemaIs := func(when string, indexed bool, tip string) {
		t.Helper()
		var index int
		if err := env.App.DB().NewQuery("SELECT COUNT(*) FROM sqlite_master WHERE name = 'idx_audit_log_seq'").Row(&index); err != nil {
			t.Fatal(err)
		}
		var trigger string
		if err := env.App.DB().NewQuery("SELECT sql FROM sqlite_master WHERE name = 'login_tokens_audit_sign_in'").Row(&trigger); err != nil {
			t.Fatal(err)
		}
		if (index == 1) != indexed || !strings.Contains(trigger, tip) {
			t.Fatalf("%s: the seq index is there: %v (want %v); the sign-in trigger reads the tip with %q: %v",
				when, index == 1, indexed, tip, strings.Contains(trigger, tip))
		}
	}
	var migration *core.Migration
	for _, m := range core.AppMigrations.Items() {
		if m.File == "1764_000054_audit_log_chained_in_rowid_order.go" {
			migration = m
		}
	}
	if migration == nil {
		t.Fatal("migration 1764_000054 is not registered")
	}

	signIn("on this version")
	schemaIs("on this version", false, "ORDER BY rowid DESC")
	if err := migration.Down(env.App); err != nil {
		t.Fatalf("migrating down: %v", err)
	}
	schemaIs("migrated down", true, "MAX(seq)")
	signIn("migrated down")
	if err := migration.Up(env.App); err != nil {
		t.Fatalf("migrating up again: %v", err)
	}
	schemaIs("migrated up again", false, "ORDER BY rowid DESC")
	signIn("migrated up again")
}
