package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/dbutils"
)

// PocketBase gives every auth collection a unique email index that is
// partial (WHERE email != ”), so that several records may have no email.
// SQLite uses a partial index only for a query whose WHERE implies the
// index's, and `email = ?` with a bound value does not imply `email != ”`:
// PocketBase's FindAuthRecordByEmail, and with it every code sign-in,
// login-link, invite and OTP request, scanned the whole table. Where the
// email is required no two records can share an empty one, so the index
// can be full: one index, still unique, that SQLite uses for any
// `email = ?`, whoever writes the query. PocketBase keeps it, since it
// adds its partial one only when no single-column unique email index exists.
func init() {
	m.Register(func(app core.App) error {
		return setEmailIndexesPartial(app, false)
	}, func(app core.App) error {
		return setEmailIndexesPartial(app, true)
	})
}

// setEmailIndexesPartial makes the unique email index of every
// non-system auth collection whose email is required full, or partial
// again as PocketBase creates it.
func setEmailIndexesPartial(app core.App, partial bool) error {
	collections, err := app.FindAllCollections(core.CollectionTypeAuth)
	if err != nil {
		return err
	}
	for _, collection := range collections {
		email, ok := collection.Fields.GetByName(core.FieldNameEmail).(*core.EmailField)
		if collection.System || !ok || !email.Required {
			continue
		}
		index, ok := dbutils.FindSingleColumnUniqueIndex(collection.Indexes, core.FieldNameEmail)
		if !ok {
			continue
		}
		index.Where = ""
		if partial {
			index.Where = "`" + core.FieldNameEmail + "` != ''"
		}
		collection.RemoveIndex(index.IndexName)
		collection.Indexes = append(collection.Indexes, index.Build())
		if err := app.Save(collection); err != nil {
			return err
		}
	}
	return nil
}
