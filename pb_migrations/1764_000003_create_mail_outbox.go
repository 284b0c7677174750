package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// The mail outbox is the durable queue every message goes through. A
// message is a row before it is a connection, so a crash or a mail server
// that is down loses nothing; the unique dedupe key makes "queue this
// reminder once" a property of the database rather than of the caller.
func init() {
	m.Register(func(app core.App) error {
		outbox := core.NewBaseCollection("mail_outbox")
		outbox.Fields.Add(
			&core.TextField{Name: "recipient", Required: true, Max: 320},
			&core.TextField{Name: "recipient_name", Max: 200},
			&core.TextField{Name: "kind", Required: true, Max: 40},
			&core.TextField{Name: "subject", Required: true, Max: 300},
			&core.TextField{Name: "text_body", Max: 100_000},
			&core.TextField{Name: "html_body", Max: 200_000},
			&core.JSONField{Name: "attachments", MaxSize: 1 << 20},
			&core.BoolField{Name: "sensitive"},
			&core.SelectField{Name: "state", Values: []string{"pending", "sending", "sent", "captured", "failed"}, MaxSelect: 1, Required: true},
			&core.NumberField{Name: "attempts", OnlyInt: true},
			&core.DateField{Name: "next_attempt"},
			&core.DateField{Name: "sent_at"},
			&core.TextField{Name: "last_error", Max: 1000},
			&core.TextField{Name: "dedupe_key", Max: 200},
			&core.AutodateField{Name: "created", OnCreate: true},
			&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
		)
		outbox.AddIndex("idx_mail_outbox_dedupe", true, "dedupe_key", "dedupe_key != ''")
		outbox.AddIndex("idx_mail_outbox_due", false, "state, next_attempt", "")

		return app.Save(outbox)
	}, func(app core.App) error {
		outbox, err := app.FindCollectionByNameOrId("mail_outbox")
		if err != nil {
			return err
		}
		return app.Delete(outbox)
	})
}
