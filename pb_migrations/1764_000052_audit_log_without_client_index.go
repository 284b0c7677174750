package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// The audit log's index on client served no query: every read by client
// (the client's "Who has seen my record", the owner's filter, the export)
// also matches lists that showed the client (client = ? OR shown LIKE
// ?), which SQLite answers by walking seq. Each entry, and so each
// sign-in and each staff read, paid for keeping it: one more b-tree to
// insert into and one more page to write per commit.
func init() {
	m.Register(func(app core.App) error {
		log, err := app.FindCollectionByNameOrId("audit_log")
		if err != nil {
			return err
		}
		log.RemoveIndex("idx_audit_log_client")
		return app.Save(log)
	}, func(app core.App) error {
		log, err := app.FindCollectionByNameOrId("audit_log")
		if err != nil {
			return err
		}
		log.AddIndex("idx_audit_log_client", false, "client", "")
		return app.Save(log)
	})
}
