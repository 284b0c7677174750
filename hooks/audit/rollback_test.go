package audit_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"portico/hooks/audit"
	"portico/internal/testenv"
)

// TestRollingBackTheTrailsMigrationsKeepsTheChain takes the trail's last
// two migrations back and forth, as `portico migrate down` and a later
// `serve` would, with a client signing in at every step: each way the
// entries' table, the index on seq and the sign-in trigger are those of
// the version it lands on, no entry is lost and the trigger still appends
// each sign-in; back on this version, the chain verifies, the entries the
// older versions appended included.
func TestRollingBackTheTrailsMigrationsKeepsTheChain(t *testing.T) {
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
		var entries []audit.Entry
		if err := env.App.DB().NewQuery("SELECT * FROM audit_log WHERE action = 'sign_in'").All(&entries); err != nil {
			t.Fatalf("%s: %v", when, err)
		}
		if len(entries) != signIns {
			t.Fatalf("%s: the trail holds %d sign-ins; want %d", when, len(entries), signIns)
		}
	}
	// version is what one version of the schema looks like.
	type version struct {
		name, table string // the migration it is at, and the table entries are in
		seqIndex    bool
		tip         string // how the sign-in trigger reads the tip
	}
	schemaIs := func(v version) {
		t.Helper()
		var index, table int
		if err := env.App.DB().NewQuery("SELECT COUNT(*) FROM sqlite_master WHERE name = 'idx_audit_log_seq'").Row(&index); err != nil {
			t.Fatal(err)
		}
		if err := env.App.DB().NewQuery("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = {:table}").
			Bind(map[string]any{"table": v.table}).Row(&table); err != nil {
			t.Fatal(err)
		}
		var trigger string
		if err := env.App.DB().NewQuery("SELECT sql FROM sqlite_master WHERE name = 'login_tokens_audit_sign_in'").Row(&trigger); err != nil {
			t.Fatal(err)
		}
		if table != 1 || (index == 1) != v.seqIndex || !strings.Contains(trigger, "INSERT INTO "+v.table) || !strings.Contains(trigger, v.tip) {
			t.Fatalf("at %s: the table %s is there: %v; the seq index: %v (want %v); the sign-in trigger appends to %s: %v, reads the tip with %q: %v",
				v.name, v.table, table == 1, index == 1, v.seqIndex, v.table, strings.Contains(trigger, "INSERT INTO "+v.table), v.tip, strings.Contains(trigger, v.tip))
		}
	}
	migration := func(file string) *core.Migration {
		for _, m := range core.AppMigrations.Items() {
			if m.File == file {
				return m
			}
		}
		t.Fatalf("migration %s is not registered", file)
		return nil
	}
	ownTable := version{"1764_000055", audit.Table, false, "ORDER BY rowid DESC"}
	rowidOrder := version{"1764_000054", audit.Collection, false, "ORDER BY rowid DESC"}
	seqIndex := version{"1764_000053", audit.Collection, true, "MAX(seq)"}
	steps := []struct {
		run  func(app core.App) error
		then version
	}{
		{migration("1764_000055_audit_entries_in_a_table_of_their_own.go").Down, rowidOrder},
		{migration("1764_000054_audit_log_chained_in_rowid_order.go").Down, seqIndex},
		{migration("1764_000054_audit_log_chained_in_rowid_order.go").Up, rowidOrder},
		{migration("1764_000055_audit_entries_in_a_table_of_their_own.go").Up, ownTable},
	}

	signIn("on this version")
	schemaIs(ownTable)
	for _, step := range steps {
		if err := step.run(env.App); err != nil {
			t.Fatalf("migrating to %s: %v", step.then.name, err)
		}
		schemaIs(step.then)
		signIn("at " + step.then.name)
	}
	if _, err := audit.Verify(env.App); err != nil {
		t.Fatalf("back on this version: %v", err)
	}
}
