package pb_migrations

import (
	"fmt"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// The audit log's chain is its rowid order, insertion order (see
// hooks/audit's chainOrder), so the unique index on seq only cost: one
// more b-tree to insert into, and one more page to write at every
// commit, for each sign-in and each staff read. The index goes, and the
// sign-in trigger reads the tip as the last row of the table, as
// hooks/audit's appendSQL does; the entry it writes is the same, column
// for column, chained and hashed the same way.
func init() {
	m.Register(func(app core.App) error {
		log, err := app.FindCollectionByNameOrId("audit_log")
		if err != nil {
			return err
		}
		log.RemoveIndex("idx_audit_log_seq")
		if err := app.Save(log); err != nil {
			return err
		}
		tip := func(column, none string) string {
			return "COALESCE((SELECT " + column + " FROM audit_log ORDER BY rowid DESC LIMIT 1), " + none + ")"
		}
		seq := "(" + tip("seq", "0") + " + 1)"
		chained := strings.Join([]string{"printf('e%014d', " + seq + ")", seq, "NEW.used", "'client'", "NEW.client",
			"COALESCE((SELECT CASE WHEN name != '' THEN name ELSE email END FROM clients WHERE id = NEW.client), '')",
			"'client'", "'sign_in'", "NEW.client", "'[]'", "'clients'", "NEW.client", "'[]'", "'portico'",
			"NEW.redeemed_ip", "NEW.redeemed_ua", tip("hash", "''")}, ", ")
		if _, err := app.DB().NewQuery("DROP TRIGGER IF EXISTS login_tokens_audit_sign_in").Execute(); err != nil {
			return err
		}
		_, err = app.DB().NewQuery(`CREATE TRIGGER login_tokens_audit_sign_in AFTER UPDATE OF used ON login_tokens
			WHEN NEW.used != '' AND OLD.used = '' AND NEW.client != '' AND portico_audit_recording()
			BEGIN
				INSERT INTO audit_log (id, seq, at, actor_type, actor_id, actor_name, role, action, client, shown,
					record_collection, record_id, fields, detail, ip, user_agent, prev_hash, hash)
				VALUES (` + chained + `, portico_audit_hash(` + chained + `));
			END`).Execute()
		return err
	}, func(app core.App) error {
		log, err := app.FindCollectionByNameOrId("audit_log")
		if err != nil {
			return err
		}
		log.AddIndex("idx_audit_log_seq", true, "seq", "")
		if err := app.Save(log); err != nil {
			return err
		}
		// Back to 1764_000053's trigger, by running that migration again.
		for _, migration := range core.AppMigrations.Items() {
			if migration.File == "1764_000053_audit_sign_ins_chained_without_a_copy.go" {
				return migration.Up(app)
			}
		}
		return fmt.Errorf("migration 1764_000053, whose trigger this one replaced, is not registered")
	})
}
