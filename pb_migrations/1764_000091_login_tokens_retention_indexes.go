package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// The retention job deletes login tokens a retention period after they
// expired or were used; these indexes find them without reading the
// tokens still kept.
func init() {
	m.Register(func(app core.App) error {
		tokens, err := app.FindCollectionByNameOrId("login_tokens")
		if err != nil {
			return err
		}
		tokens.AddIndex("idx_login_tokens_expires", false, "expires", "")
		tokens.AddIndex("idx_login_tokens_used", false, "used", "")
		return app.Save(tokens)
	}, func(app core.App) error {
		tokens, err := app.FindCollectionByNameOrId("login_tokens")
		if err != nil {
			return err
		}
		tokens.RemoveIndex("idx_login_tokens_expires")
		tokens.RemoveIndex("idx_login_tokens_used")
		return app.Save(tokens)
	})
}
