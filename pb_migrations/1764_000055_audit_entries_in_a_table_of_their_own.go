package pb_migrations

import (
	"fmt"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// The audit log's entries move to audit_entries, a table PocketBase does
// not manage, and audit_log becomes a view collection over it, read-only
// by construction. A base collection's table has a text primary key,
// which SQLite keeps in an index of its own: a second b-tree to insert
// into, and one more page to write, at every entry, for each sign-in and
// each staff read. audit_entries has only its rowid, which is the chain's
// order (hooks/audit's chainOrder); rows keep their rowids in the move.
// And no dashboard action on collections (deleting one, importing a set
// without it) can drop the entries with the collection's table any more.
//
// The sign-in trigger appends into the new table, the same entry column
// for column, chained and hashed as before.
func init() {
	m.Register(func(app core.App) error {
		if _, err := app.DB().NewQuery("DROP TRIGGER IF EXISTS login_tokens_audit_sign_in").Execute(); err != nil {
			return err
		}
		if _, err := app.DB().NewQuery(`CREATE TABLE audit_entries (id TEXT NOT NULL, seq INTEGER NOT NULL,
			at TEXT NOT NULL, actor_type TEXT NOT NULL, actor_id TEXT, actor_name TEXT, role TEXT, action TEXT NOT NULL,
			client TEXT, shown TEXT, record_collection TEXT, record_id TEXT, fields TEXT, detail TEXT, ip TEXT,
			user_agent TEXT, prev_hash TEXT, hash TEXT NOT NULL)`).Execute(); err != nil {
			return err
		}
		if err := copyEntries(app, "audit_log", "audit_entries"); err != nil {
			return err
		}
		old, err := app.FindCollectionByNameOrId("audit_log")
		if err != nil {
			return err
		}
		if err := app.Delete(old); err != nil {
			return err
		}
		log := core.NewViewCollection("audit_log")
		// Every column is cast so that the dashboard shows text and numbers
		// rather than JSON; SQLite flattens the view, so a read of it is a
		// read of the table.
		columns := []string{"id", "CAST(seq AS INTEGER) AS seq"}
		for _, column := range auditColumns[2:] {
			if column == "shown" || column == "fields" {
				columns = append(columns, column) // JSON arrays
				continue
			}
			columns = append(columns, "CAST("+column+" AS TEXT) AS "+column)
		}
		log.ViewQuery = "SELECT " + strings.Join(columns, ", ") + " FROM audit_entries"
		log.ListRule = nil
		log.ViewRule = nil
		if err := app.Save(log); err != nil {
			return err
		}
		return createSignInTrigger(app)
	}, func(app core.App) error {
		if _, err := app.DB().NewQuery("DROP TRIGGER IF EXISTS login_tokens_audit_sign_in").Execute(); err != nil {
			return err
		}
		view, err := app.FindCollectionByNameOrId("audit_log")
		if err != nil {
			return err
		}
		if err := app.Delete(view); err != nil {
			return err
		}
		// Back to 1764_000054's base collection and trigger, by running
		// the migrations that made them again.
		for _, file := range []string{"1764_000050_create_audit_log.go", "1764_000052_audit_log_without_client_index.go",
			"1764_000054_audit_log_chained_in_rowid_order.go"} {
			if err := runUp(app, file); err != nil {
				return err
			}
		}
		if err := copyEntries(app, "audit_entries", "audit_log"); err != nil {
			return err
		}
		_, err = app.DB().NewQuery("DROP TABLE audit_entries").Execute()
		return err
	})
}

// runUp runs the registered migration file's up again.
func runUp(app core.App, file string) error {
	for _, migration := range core.AppMigrations.Items() {
		if migration.File == file {
			return migration.Up(app)
		}
	}
	return fmt.Errorf("migration %s is not registered", file)
}

// auditColumns are the audit log's columns, in the order its hash covers them.
var auditColumns = []string{"id", "seq", "at", "actor_type", "actor_id", "actor_name", "role", "action", "client", "shown",
	"record_collection", "record_id", "fields", "detail", "ip", "user_agent", "prev_hash", "hash"}

// copyEntries copies every entry from one table to the other with its
// rowid, which is its place in the chain; the caller drops the first.
func copyEntries(app core.App, from, to string) error {
	columns := "rowid, " + strings.Join(auditColumns, ", ")
	_, err := app.DB().NewQuery(fmt.Sprintf("INSERT INTO %s (%s) SELECT %s FROM %s ORDER BY rowid", to, columns, columns, from)).Execute()
	return err
}

// createSignInTrigger is 1764_000054's sign-in trigger, appending to
// audit_entries.
func createSignInTrigger(app core.App) error {
	const table = "audit_entries"
	tip := func(column, none string) string {
		return "COALESCE((SELECT " + column + " FROM " + table + " ORDER BY rowid DESC LIMIT 1), " + none + ")"
	}
	seq := "(" + tip("seq", "0") + " + 1)"
	chained := strings.Join([]string{"printf('e%014d', " + seq + ")", seq, "NEW.used", "'client'", "NEW.client",
		"COALESCE((SELECT CASE WHEN name != '' THEN name ELSE email END FROM clients WHERE id = NEW.client), '')",
		"'client'", "'sign_in'", "NEW.client", "'[]'", "'clients'", "NEW.client", "'[]'", "'portico'",
		"NEW.redeemed_ip", "NEW.redeemed_ua", tip("hash", "''")}, ", ")
	_, err := app.DB().NewQuery(`CREATE TRIGGER login_tokens_audit_sign_in AFTER UPDATE OF used ON login_tokens
		WHEN NEW.used != '' AND OLD.used = '' AND NEW.client != '' AND portico_audit_recording()
		BEGIN
			INSERT INTO ` + table + ` (` + strings.Join(auditColumns, ", ") + `)
			VALUES (` + chained + `, portico_audit_hash(` + chained + `));
		END`).Execute()
	return err
}
