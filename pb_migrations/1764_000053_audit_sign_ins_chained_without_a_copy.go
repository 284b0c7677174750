package pb_migrations

import (
	"fmt"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// The trigger of migration 1764_000051 appends a client's sign-in entry
// with INSERT … SELECT from audit_log itself, and an INSERT whose SELECT
// reads the table it writes makes SQLite copy the SELECT's row into a
// temporary table (with a statement journal) before inserting it: at
// every sign-in, most of what the entry cost. This trigger reads the tip
// as hooks/audit's appendSQL does: scalar subqueries of a one-row VALUES,
// each once per sign-in on the seq index. The entry it writes is the same,
// column for column, chained and hashed the same way.
func init() {
	m.Register(func(app core.App) error {
		seq := "(SELECT COALESCE(MAX(seq), 0) + 1 FROM audit_log)"
		chained := strings.Join([]string{"printf('e%014d', " + seq + ")", seq, "NEW.used", "'client'", "NEW.client",
			"COALESCE((SELECT CASE WHEN name != '' THEN name ELSE email END FROM clients WHERE id = NEW.client), '')",
			"'client'", "'sign_in'", "NEW.client", "'[]'", "'clients'", "NEW.client", "'[]'", "'portico'",
			"NEW.redeemed_ip", "NEW.redeemed_ua", "COALESCE((SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1), '')"}, ", ")
		if _, err := app.DB().NewQuery("DROP TRIGGER IF EXISTS login_tokens_audit_sign_in").Execute(); err != nil {
			return err
		}
		_, err := app.DB().NewQuery(`CREATE TRIGGER login_tokens_audit_sign_in AFTER UPDATE OF used ON login_tokens
			WHEN NEW.used != '' AND OLD.used = '' AND NEW.client != '' AND portico_audit_recording()
			BEGIN
				INSERT INTO audit_log (id, seq, at, actor_type, actor_id, actor_name, role, action, client, shown,
					record_collection, record_id, fields, detail, ip, user_agent, prev_hash, hash)
				VALUES (` + chained + `, portico_audit_hash(` + chained + `));
			END`).Execute()
		return err
	}, func(app core.App) error {
		// Back to 1764_000051's trigger, by running that migration again.
		for _, migration := range core.AppMigrations.Items() {
			if migration.File == "1764_000051_audit_sign_ins_with_the_token.go" {
				if _, err := app.DB().NewQuery("DROP TRIGGER IF EXISTS login_tokens_audit_sign_in").Execute(); err != nil {
					return err
				}
				return migration.Up(app)
			}
		}
		return fmt.Errorf("migration 1764_000051, whose trigger this one replaced, is not registered")
	})
}
