package pb_migrations

import (
	"database/sql"
	"errors"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// PocketBase's default users collection is removed: Portico never used it,
// and it let anyone sign up, store files and make the practice send
// practice-branded verify and reset mail to any address. And every rule
// that lets a client reach its own rows now also says the signed-in record
// is a client, so that a record of any other auth collection that shares
// a client's id reaches nothing.
func init() {
	m.Register(func(app core.App) error {
		users, err := app.FindCollectionByNameOrId("users")
		switch {
		case err == nil:
			if err := app.Delete(users); err != nil {
				return err
			}
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		return rewriteClientRules(app, func(rule string) string {
			if strings.HasPrefix(rule, clientsOnly) {
				return rule
			}
			return clientsOnly + "(" + rule + ")"
		})
	}, func(app core.App) error {
		return rewriteClientRules(app, func(rule string) string {
			if !strings.HasPrefix(rule, clientsOnly) {
				return rule
			}
			return strings.TrimSuffix(strings.TrimPrefix(rule, clientsOnly+"("), ")")
		})
	})
}

const clientsOnly = "@request.auth.collectionName = 'clients' && "

// rewriteClientRules applies rewrite to every non-empty rule of the
// collections clients reach.
func rewriteClientRules(app core.App, rewrite func(string) string) error {
	for _, name := range []string{"clients", "intake_assignments", "intake_responses"} {
		collection, err := app.FindCollectionByNameOrId(name)
		if err != nil {
			return err
		}
		for _, rule := range []**string{&collection.ListRule, &collection.ViewRule, &collection.CreateRule, &collection.UpdateRule, &collection.DeleteRule} {
			if *rule != nil && **rule != "" {
				rewritten := rewrite(**rule)
				*rule = &rewritten
			}
		}
		if err := app.Save(collection); err != nil {
			return err
		}
	}
	return nil
}
