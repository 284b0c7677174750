package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Login tokens are the emailed sign-in and invite links. Only the SHA-256
// of each link token and an HMAC of each code are kept; the table has no
// API rules, so only superusers (the practice's staff) can read it.
func init() {
	m.Register(func(app core.App) error {
		clients, err := app.FindCollectionByNameOrId("clients")
		if err != nil {
			return err
		}

		tokens := core.NewBaseCollection("login_tokens")
		tokens.Fields.Add(
			&core.RelationField{Name: "client", CollectionId: clients.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.SelectField{Name: "purpose", Values: []string{"sign_in", "invite"}, MaxSelect: 1, Required: true},
			&core.TextField{Name: "token_hash", Required: true, Max: 64, Hidden: true},
			&core.TextField{Name: "code_hmac", Required: true, Max: 64, Hidden: true},
			&core.DateField{Name: "expires", Required: true},
			&core.DateField{Name: "used"},
			&core.NumberField{Name: "failed_codes", OnlyInt: true},
			&core.TextField{Name: "requested_ip", Max: 64},
			&core.TextField{Name: "requested_ua", Max: 500},
			&core.TextField{Name: "redeemed_ip", Max: 64},
			&core.TextField{Name: "redeemed_ua", Max: 500},
			&core.AutodateField{Name: "created", OnCreate: true},
			&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
		)
		tokens.AddIndex("idx_login_tokens_hash", true, "token_hash", "")
		tokens.AddIndex("idx_login_tokens_client_open", false, "client, used, expires", "")

		return app.Save(tokens)
	}, func(app core.App) error {
		tokens, err := app.FindCollectionByNameOrId("login_tokens")
		if err != nil {
			return err
		}
		return app.Delete(tokens)
	})
}
