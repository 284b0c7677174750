package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Clients are the practice's patients. They have no password: Portico's
// emailed links and codes are their only way in, so every built-in
// sign-in method of the auth collection is switched off.
func init() {
	m.Register(func(app core.App) error {
		clients := core.NewAuthCollection("clients")

		clients.PasswordAuth.Enabled = false
		clients.OTP.Enabled = false
		clients.MFA.Enabled = false
		clients.OAuth2.Enabled = false
		// Clients sign in from whatever browser their mail opens; a "new
		// device" alert on every such sign-in would only teach them to
		// ignore mail from the practice.
		clients.AuthAlert.Enabled = false
		clients.AuthToken.Duration = 30 * 60

		clients.Fields.Add(
			&core.TextField{Name: "name", Required: true, Max: 200},
			&core.TextField{Name: "phone", Max: 40},
			&core.TextField{Name: "timezone", Max: 64},
			&core.BoolField{Name: "portal_access"},
			&core.AutodateField{Name: "created", OnCreate: true},
			&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
		)

		// A client sees and edits only itself, and only the harmless fields:
		// the address, access flag and password stay with the practice.
		self := "id = @request.auth.id"
		clients.ListRule = types.Pointer(self)
		clients.ViewRule = types.Pointer(self)
		clients.UpdateRule = types.Pointer(self +
			" && @request.body.email:isset = false" +
			" && @request.body.emailVisibility:isset = false" +
			" && @request.body.verified:isset = false" +
			" && @request.body.portal_access:isset = false" +
			" && @request.body.password:isset = false" +
			" && @request.body.passwordConfirm:isset = false")
		clients.CreateRule = nil
		clients.DeleteRule = nil
		clients.AuthRule = types.Pointer("portal_access = true")
		clients.ManageRule = nil

		return app.Save(clients)
	}, func(app core.App) error {
		clients, err := app.FindCollectionByNameOrId("clients")
		if err != nil {
			return err
		}
		return app.Delete(clients)
	})
}
