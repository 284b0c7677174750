package pb_migrations

import (
	"database/sql"
	"errors"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// PocketBase's default users collection is removed: Portico never used it,
// and it let anyone sign up, store files and make the practice send
// practice-branded verify and reset mail to any address. (Every rule that
// lets a client reach its own rows checks that the signed-in record is a
// client: 1764_000046_staff_rules.)
func init() {
	m.Register(func(app core.App) error {
		users, err := app.FindCollectionByNameOrId("users")
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		return app.Delete(users)
	}, func(core.App) error {
		return nil // nothing to bring back: no Portico data lived there
	})
}
