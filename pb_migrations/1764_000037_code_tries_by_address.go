package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// Wrong sign-in codes are counted per address, in one row that any
// address gets, a client's or not: a wrong code is then one write of one
// row for every address alike, where it was two rows for a client and
// none for a stranger (0.2 ms that told a client's address apart). A
// token's code dies once the address's wrong codes since the token was
// issued (wrong - the token's wrong_before) reach 5; codes stop for the
// address after 100 in a row until a sign-in (in_a_row). The counts so
// far move over: in a row from clients.wrong_codes, which is no longer
// written, and each open token's failed codes as a negative wrong_before.
// Superusers only, like the tokens.
func init() {
	m.Register(func(app core.App) error {
		tries := core.NewBaseCollection("code_tries")
		tries.Fields.Add(
			&core.TextField{Name: "address", Required: true, Max: 254},
			&core.NumberField{Name: "wrong", OnlyInt: true, Help: "Every wrong sign-in code typed for the address."},
			&core.NumberField{Name: "in_a_row", OnlyInt: true, Help: "Wrong codes since the last sign-in; at 100 codes stop working until a link sign-in."},
			&core.AutodateField{Name: "created", OnCreate: true},
			&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
		)
		tries.AddIndex("idx_code_tries_address", true, "address", "")
		tries.AddIndex("idx_code_tries_updated", false, "updated", "")
		if err := app.Save(tries); err != nil {
			return err
		}

		tokens, err := app.FindCollectionByNameOrId("login_tokens")
		if err != nil {
			return err
		}
		tokens.Fields.Add(&core.NumberField{Name: "wrong_before", OnlyInt: true,
			Help: "The address's wrong codes when the token was issued: its code dies 5 wrong codes later."})
		if err := app.Save(tokens); err != nil {
			return err
		}

		if _, err := app.DB().NewQuery(`INSERT INTO code_tries (id, address, wrong, in_a_row, created, updated)
			SELECT lower(hex(randomblob(7))) || 'c', email, 0, wrong_codes, strftime('%Y-%m-%d %H:%M:%fZ', 'now'), strftime('%Y-%m-%d %H:%M:%fZ', 'now')
			FROM clients WHERE wrong_codes > 0`).Execute(); err != nil {
			return err
		}
		_, err = app.DB().NewQuery("UPDATE login_tokens SET wrong_before = -failed_codes WHERE failed_codes > 0").Execute()
		return err
	}, func(app core.App) error {
		tokens, err := app.FindCollectionByNameOrId("login_tokens")
		if err != nil {
			return err
		}
		tokens.Fields.RemoveByName("wrong_before")
		if err := app.Save(tokens); err != nil {
			return err
		}
		tries, err := app.FindCollectionByNameOrId("code_tries")
		if err != nil {
			return err
		}
		return app.Delete(tries)
	})
}
