package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// A staff invite is a login token like a client's invite: hashed, single
// use, consumed by one conditional UPDATE. Its owner is a staff member, so
// a token now belongs to a client or to a staff member.
func init() {
	m.Register(func(app core.App) error {
		tokens, err := app.FindCollectionByNameOrId("login_tokens")
		if err != nil {
			return err
		}
		staff, err := app.FindCollectionByNameOrId("staff")
		if err != nil {
			return err
		}
		if client, ok := tokens.Fields.GetByName("client").(*core.RelationField); ok {
			client.Required = false
		}
		tokens.Fields.Add(&core.RelationField{Name: "staff", CollectionId: staff.Id, MaxSelect: 1, CascadeDelete: true})
		if err := app.Save(tokens); err != nil {
			return err
		}
		return setLoginTokenPurposes(app, "sign_in", "invite", "intake", "staff_invite")
	}, func(app core.App) error {
		tokens, err := app.FindCollectionByNameOrId("login_tokens")
		if err != nil {
			return err
		}
		tokens.Fields.RemoveByName("staff")
		if err := app.Save(tokens); err != nil {
			return err
		}
		return setLoginTokenPurposes(app, "sign_in", "invite", "intake")
	})
}
