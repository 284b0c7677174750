package pb_migrations

import (
	"fmt"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/dbutils"
)

// Clients' addresses are stored lower case and compared without regard to
// case: a client saved as Ada.Client@Example.org types ada.client@example.org
// on the sign-in page, and must get the link. Two clients whose addresses
// differ only in case stop the migration with both named, for the practice
// to merge: which one is the person's is not the migration's to guess.
func init() {
	m.Register(func(app core.App) error {
		var twins []struct {
			Email string `db:"email"`
			Count int    `db:"n"`
		}
		err := app.DB().NewQuery("SELECT LOWER(email) AS email, COUNT(*) AS n FROM clients WHERE email != '' GROUP BY LOWER(email) HAVING n > 1").All(&twins)
		if err != nil {
			return err
		}
		if len(twins) > 0 {
			var names []string
			for _, twin := range twins {
				names = append(names, twin.Email)
			}
			return fmt.Errorf("clients share an address in different letter case (%s): merge or change them in the dashboard, then start again", strings.Join(names, ", "))
		}
		if _, err := app.DB().NewQuery("UPDATE clients SET email = LOWER(email) WHERE email != LOWER(email)").Execute(); err != nil {
			return err
		}
		return setClientEmailCollation(app, "COLLATE NOCASE")
	}, func(app core.App) error {
		return setClientEmailCollation(app, "")
	})
}

func setClientEmailCollation(app core.App, collation string) error {
	clients, err := app.FindCollectionByNameOrId("clients")
	if err != nil {
		return err
	}
	index, ok := dbutils.FindSingleColumnUniqueIndex(clients.Indexes, core.FieldNameEmail)
	if !ok {
		return fmt.Errorf("clients has no unique index on email")
	}
	clients.AddIndex(index.IndexName, true, strings.TrimSpace("`email` "+collation), "`email` != ''")
	return app.Save(clients)
}
