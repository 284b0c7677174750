package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// What the retention job prunes, and what staff read beside it.
//
// A client's page says when they were last invited and last signed in.
// Both were read from login_tokens, which the retention job prunes after
// 30 days, so a client who signed in two months ago read as "never
// invited". They are the client's own fields now, filled here from the
// tokens still kept and from then on by two triggers on login_tokens:
// an invite's insert and a link or code's spending write them in the
// same statement, on every path (the sign-in store spends a token in one
// conditional UPDATE, which no record hook sees, and adds no statement
// to a sign-in for it).
//
// Staff sessions were never pruned; the retention job now deletes those
// not seen for its period, found through an index on last_seen.
func init() {
	m.Register(func(app core.App) error {
		clients, err := app.FindCollectionByNameOrId("clients")
		if err != nil {
			return err
		}
		clients.Fields.Add(
			&core.DateField{Name: "invited", Help: "When the latest portal invite was sent."},
			&core.DateField{Name: "last_signed_in", Help: "When the client last signed in with a link or a code."},
		)
		if err := app.Save(clients); err != nil {
			return err
		}
		for _, statement := range []string{
			`CREATE TRIGGER login_tokens_invited AFTER INSERT ON login_tokens
				WHEN NEW.purpose = 'invite' AND NEW.client != ''
				BEGIN UPDATE clients SET invited = NEW.created WHERE id = NEW.client; END`,
			`CREATE TRIGGER login_tokens_signed_in AFTER UPDATE OF used ON login_tokens
				WHEN NEW.used != '' AND OLD.used = '' AND NEW.client != ''
				BEGIN UPDATE clients SET last_signed_in = NEW.used WHERE id = NEW.client; END`,
		} {
			if _, err := app.DB().NewQuery(statement).Execute(); err != nil {
				return err
			}
		}
		sessions, err := app.FindCollectionByNameOrId("staff_sessions")
		if err != nil {
			return err
		}
		sessions.AddIndex("idx_staff_sessions_last_seen", false, "last_seen", "")
		if err := app.Save(sessions); err != nil {
			return err
		}
		_, err = app.DB().NewQuery(`UPDATE clients SET
			invited = COALESCE((SELECT MAX(created) FROM login_tokens WHERE login_tokens.client = clients.id AND purpose = 'invite'), ''),
			last_signed_in = COALESCE((SELECT MAX(used) FROM login_tokens WHERE login_tokens.client = clients.id AND used > ''), '')`).Execute()
		return err
	}, func(app core.App) error {
		for _, trigger := range []string{"login_tokens_invited", "login_tokens_signed_in"} {
			if _, err := app.DB().NewQuery("DROP TRIGGER IF EXISTS " + trigger).Execute(); err != nil {
				return err
			}
		}
		sessions, err := app.FindCollectionByNameOrId("staff_sessions")
		if err != nil {
			return err
		}
		sessions.RemoveIndex("idx_staff_sessions_last_seen")
		if err := app.Save(sessions); err != nil {
			return err
		}
		clients, err := app.FindCollectionByNameOrId("clients")
		if err != nil {
			return err
		}
		clients.Fields.RemoveByName("invited")
		clients.Fields.RemoveByName("last_signed_in")
		return app.Save(clients)
	})
}
