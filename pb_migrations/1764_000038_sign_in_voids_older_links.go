package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// A client's sign-in voids the client's other open sign-in links and
// codes and the open invite: only the newest way in works, and a link
// left in an old email (or a forwarded one) stops working once the client
// is in. "superseded" says when, so the link's page can say the client
// has already signed in rather than that the link expired; the link's
// expiry moves to that moment, so every reader of an open token (not
// used, not expired) sees it closed without knowing this column.
//
// Intake links are left open: each leads to a form the practice asked
// the client to fill in, and the client may well sign in some other way
// first. Staff invites have no client.
//
// A trigger does it, in the statement that spends the token: the sign-in
// store spends a link or code in one conditional UPDATE, which no record
// hook sees, and the database, which already makes each token single
// use, makes "the others stop" just as certain, with no statement added
// to a sign-in.
func init() {
	m.Register(func(app core.App) error {
		tokens, err := app.FindCollectionByNameOrId("login_tokens")
		if err != nil {
			return err
		}
		tokens.Fields.Add(&core.DateField{Name: "superseded",
			Help: "When another sign-in of the client voided this open link and code."})
		if err := app.Save(tokens); err != nil {
			return err
		}
		_, err = app.DB().NewQuery(`CREATE TRIGGER login_tokens_supersede AFTER UPDATE OF used ON login_tokens
			WHEN NEW.used != '' AND OLD.used = '' AND NEW.client != ''
			BEGIN
				UPDATE login_tokens SET superseded = NEW.used, expires = NEW.used, updated = NEW.used
				WHERE client = NEW.client AND id != NEW.id AND purpose IN ('sign_in', 'invite')
					AND used = '' AND expires > NEW.used;
			END`).Execute()
		return err
	}, func(app core.App) error {
		if _, err := app.DB().NewQuery("DROP TRIGGER IF EXISTS login_tokens_supersede").Execute(); err != nil {
			return err
		}
		tokens, err := app.FindCollectionByNameOrId("login_tokens")
		if err != nil {
			return err
		}
		tokens.Fields.RemoveByName("superseded")
		return app.Save(tokens)
	})
}
