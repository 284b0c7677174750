package pb_migrations

import (
	"errors"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// A login token may now come from the mail that announces a newly
// assigned intake form, so the staff's view of a token says why it was sent.
func init() {
	m.Register(func(app core.App) error {
		return setLoginTokenPurposes(app, "sign_in", "invite", "intake")
	}, func(app core.App) error {
		return setLoginTokenPurposes(app, "sign_in", "invite")
	})
}

func setLoginTokenPurposes(app core.App, purposes ...string) error {
	tokens, err := app.FindCollectionByNameOrId("login_tokens")
	if err != nil {
		return err
	}
	purpose, ok := tokens.Fields.GetByName("purpose").(*core.SelectField)
	if !ok {
		return errors.New("login_tokens.purpose is not a select field")
	}
	purpose.Values = purposes
	return app.Save(tokens)
}
