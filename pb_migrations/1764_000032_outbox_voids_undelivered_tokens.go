package pb_migrations

import (
	"regexp"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/security"
	"github.com/pocketbase/pocketbase/tools/types"
)

// A message records the sign-in token it carries ("carries"), so that
// when Portico gives up on it the token is voided with it. Messages given
// up on before this kept their working link and code (an invite's for 7
// days) in the database and its backups: their bodies are emptied and
// the tokens their links name are voided.
func init() {
	m.Register(func(app core.App) error {
		outbox, err := app.FindCollectionByNameOrId("mail_outbox")
		if err != nil {
			return err
		}
		outbox.Fields.Add(&core.TextField{Name: "carries", Max: 15})
		if err := app.Save(outbox); err != nil {
			return err
		}

		var bodies []string
		err = app.DB().NewQuery("SELECT text_body FROM mail_outbox WHERE state = 'failed' AND sensitive = TRUE AND text_body != ''").Column(&bodies)
		if err != nil {
			return err
		}
		link := regexp.MustCompile(`[/#]([A-Za-z0-9_-]{43})\b`)
		now := types.NowDateTime()
		for _, body := range bodies {
			for _, match := range link.FindAllStringSubmatch(body, -1) {
				_, err := app.DB().NewQuery("UPDATE login_tokens SET expires = {:now} WHERE token_hash = {:hash} AND used = '' AND expires > {:now}").
					Bind(dbx.Params{"now": now, "hash": security.SHA256(match[1])}).Execute()
				if err != nil {
					return err
				}
			}
		}
		_, err = app.DB().NewQuery("UPDATE mail_outbox SET text_body = '', html_body = '', attachments = 'null' WHERE state = 'failed' AND sensitive = TRUE").Execute()
		return err
	}, func(app core.App) error {
		outbox, err := app.FindCollectionByNameOrId("mail_outbox")
		if err != nil {
			return err
		}
		outbox.Fields.RemoveByName("carries")
		return app.Save(outbox)
	})
}
