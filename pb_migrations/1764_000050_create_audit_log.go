package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// The audit log records who saw and changed which client's data, for the
// HIPAA audit-controls safeguard. It is append-only: every rule is
// superuser-only (nil) and hooks/audit refuses creates, updates and
// deletes from superusers too; Portico alone appends, inside a write
// transaction, each entry carrying the SHA-256 of the one before it and
// of its own content, so an edit made on the file is found by
// `portico audit verify`. client is plain text, not a relation, so that
// deleting a client neither cascades into nor blanks its trail.
func init() {
	m.Register(func(app core.App) error {
		log := core.NewBaseCollection("audit_log")
		log.Fields.Add(
			&core.NumberField{Name: "seq", OnlyInt: true, Required: true},
			&core.DateField{Name: "at", Required: true},
			&core.SelectField{Name: "actor_type", Values: []string{"staff", "client", "superuser", "system"}, MaxSelect: 1, Required: true},
			&core.TextField{Name: "actor_id", Max: 50},
			&core.TextField{Name: "actor_name", Max: 300},
			&core.TextField{Name: "role", Max: 50},
			&core.TextField{Name: "action", Max: 100, Required: true},
			&core.TextField{Name: "client", Max: 50},
			&core.JSONField{Name: "shown", MaxSize: 1 << 20, Help: "For a list: the ids of every client it showed."},
			&core.TextField{Name: "record_collection", Max: 100},
			&core.TextField{Name: "record_id", Max: 50},
			&core.JSONField{Name: "fields", MaxSize: 1 << 16, Help: "For a change: the names of the fields it changed, never their values."},
			&core.TextField{Name: "detail", Max: 2000},
			&core.TextField{Name: "ip", Max: 100},
			&core.TextField{Name: "user_agent", Max: 500},
			&core.TextField{Name: "prev_hash", Max: 64},
			&core.TextField{Name: "hash", Max: 64, Required: true},
		)
		// One entry per number: the chain stays a line even if two writers
		// ever raced. Few indexes, because every staff read writes an entry.
		log.AddIndex("idx_audit_log_seq", true, "seq", "")
		log.AddIndex("idx_audit_log_client", false, "client", "")
		log.ListRule = nil
		log.ViewRule = nil
		log.CreateRule = nil
		log.UpdateRule = nil
		log.DeleteRule = nil
		return app.Save(log)
	}, func(app core.App) error {
		log, err := app.FindCollectionByNameOrId("audit_log")
		if err != nil {
			return err
		}
		return app.Delete(log)
	})
}
