package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// The retention job deletes login tokens a retention period after they
// expired; this index finds them without reading the tokens still kept.
func init() {
	m.Register(func(app core.App) error {
		tokens, err := app.FindCollectionByNameOrId("login_tokens")
		if err != nil {
			return err
		}
		tokens.AddIndex("idx_login_tokens_expires", false, "expires", "")
		return app.Save(tokens)
	}, func(app core.App) error {
		tokens, err := app.FindCollectionByNameOrId("login_tokens")
		if err != nil {
			return err
		}
		tokens.RemoveIndex("idx_login_tokens_expires")
		return app.Save(tokens)
	})
}
