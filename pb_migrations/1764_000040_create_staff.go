package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Staff are the practice's people who sign in to the workspace at
// /staff/: an owner, clinicians and the front desk. Each signs in with a
// password and a code PocketBase emails (its MFA with OTP), so a stolen
// password alone opens nothing. Superusers stay for the dashboard at /_/.
func init() {
	m.Register(func(app core.App) error {
		clinicians, err := app.FindCollectionByNameOrId("clinicians")
		if err != nil {
			return err
		}

		staff := core.NewAuthCollection("staff")
		staff.PasswordAuth.Enabled = true
		staff.PasswordAuth.IdentityFields = []string{core.FieldNameEmail}
		staff.OTP.Enabled = true
		staff.OTP.Length = 6
		staff.OTP.Duration = 10 * 60
		staff.OTP.EmailTemplate = core.EmailTemplate{
			Subject: "Your sign-in code for " + core.EmailPlaceholderAppName,
			Body: `<p>Hello,</p>
<p>Here is the code to finish signing in to the ` + core.EmailPlaceholderAppName + ` staff workspace:</p>
<p style="font-size:30px;letter-spacing:6px;font-weight:bold;">` + core.EmailPlaceholderOTP + `</p>
<p>It works for 10 minutes. If you did not just type your password, someone else knows it: change it, and tell the practice owner.</p>`,
		}
		staff.MFA.Enabled = true
		staff.MFA.Duration = 10 * 60
		staff.MFA.Rule = "" // every staff member, every time
		staff.OAuth2.Enabled = false
		// Every sign-in already mails a code, a stronger signal than a
		// "new location" notice arriving after the fact.
		staff.AuthAlert.Enabled = false
		// The absolute ceiling of a session's token; Portico's own session
		// record ends it sooner (idle time, sign-out, the practice's limit).
		staff.AuthToken.Duration = 24 * 60 * 60

		staff.Fields.Add(
			&core.TextField{Name: "name", Required: true, Max: 200, Presentable: true},
			&core.SelectField{Name: "role", Values: []string{"owner", "clinician", "front_desk"}, MaxSelect: 1, Required: true},
			&core.RelationField{Name: "clinician", CollectionId: clinicians.Id, MaxSelect: 1,
				Help: "For clinicians: the clinicians record this person is, whose clients and appointments they see."},
			&core.NumberField{Name: "failed_logins", OnlyInt: true,
				Help: "Wrong passwords in a row; the account locks at 5."},
			&core.DateField{Name: "locked",
				Help: "When the account locked after too many wrong passwords; empty when it is open."},
			&core.AutodateField{Name: "created", OnCreate: true},
			&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
		)

		self := "@request.auth.collectionName = 'staff' && id = @request.auth.id"
		owner := "@request.auth.collectionName = 'staff' && @request.auth.role = 'owner'"
		staff.ListRule = types.Pointer(owner + " || " + self)
		staff.ViewRule = types.Pointer(owner + " || " + self)
		// New staff come through the owner's invite, which mails the link.
		staff.CreateRule = nil
		// The owner changes names, roles and who a clinician is; everyone
		// their own name and password (PocketBase asks for the old one).
		// Addresses and locks change only through Portico's routes.
		untouchable := " && @request.body.email:isset = false && @request.body.verified:isset = false" +
			" && @request.body.emailVisibility:isset = false" +
			" && @request.body.failed_logins:isset = false && @request.body.locked:isset = false"
		staff.UpdateRule = types.Pointer("(" + owner + " && @request.body.password:isset = false" + untouchable + ")" +
			" || (" + self + " && @request.body.role:isset = false && @request.body.clinician:isset = false" + untouchable + ")")
		staff.DeleteRule = types.Pointer(owner + " && id != @request.auth.id")
		// A locked account cannot finish any sign-in, code-first included.
		staff.AuthRule = types.Pointer("locked = ''")
		staff.ManageRule = nil

		return app.Save(staff)
	}, func(app core.App) error {
		staff, err := app.FindCollectionByNameOrId("staff")
		if err != nil {
			return err
		}
		return app.Delete(staff)
	})
}
