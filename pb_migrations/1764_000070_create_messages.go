package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Secure messages between a client and the practice (issue 15). A thread
// is clinical (the client's clinicians and the owner read it) or
// administrative (the front desk too). The rule below says who is a
// party to a thread; it lets each party list and follow their threads in
// realtime and open a message's protected attachments with a file token.
//
// What a realtime event or a records-API answer can carry is kept short
// of content: a thread's subject is hidden (Portico's routes show it), and
// messages cannot be listed through the records API at all, only viewed
// one by one (the file check) and read through Portico's routes, which the
// audit trail records. Every write goes through those routes: no create,
// update or delete rule.
func init() {
	m.Register(func(app core.App) error {
		clients, err := app.FindCollectionByNameOrId("clients")
		if err != nil {
			return err
		}
		staff, err := app.FindCollectionByNameOrId("staff")
		if err != nil {
			return err
		}
		parties := types.Pointer(anyOf(
			"("+ruleClient+" && "+clientOwns+")",
			ruleOwner,
			assignedVia("client.clinicians"),
			"("+ruleFrontDesk+" && kind = 'admin')",
		))

		threads := core.NewBaseCollection("message_threads")
		threads.Fields.Add(
			&core.RelationField{Name: "client", CollectionId: clients.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.SelectField{Name: "kind", Values: []string{"clinical", "admin"}, MaxSelect: 1, Required: true},
			&core.TextField{Name: "subject", Max: 120, Hidden: true},
			// Messages are numbered per thread. Each side's read and notice
			// marks are the number of the last message they cover, so unread
			// counts and notice batching compare numbers, and opening a
			// thread writes one field, never a flag per message.
			&core.NumberField{Name: "messages", OnlyInt: true},
			&core.DateField{Name: "last_message"},
			&core.NumberField{Name: "client_read", OnlyInt: true},
			&core.NumberField{Name: "practice_read", OnlyInt: true},
			&core.NumberField{Name: "client_noticed_upto", OnlyInt: true},
			&core.NumberField{Name: "practice_noticed_upto", OnlyInt: true},
			&core.DateField{Name: "client_noticed"},
			&core.DateField{Name: "practice_noticed"},
			&core.AutodateField{Name: "created", OnCreate: true},
			&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
		)
		threads.AddIndex("idx_message_threads_client", false, "client, last_message", "")
		threads.AddIndex("idx_message_threads_last", false, "last_message", "")
		threads.ListRule = parties
		threads.ViewRule = parties
		if err := app.Save(threads); err != nil {
			return err
		}

		messages := core.NewBaseCollection("messages")
		messages.Fields.Add(
			&core.RelationField{Name: "thread", CollectionId: threads.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			// The thread's client and kind, copied so the rule needs no join.
			&core.RelationField{Name: "client", CollectionId: clients.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.SelectField{Name: "kind", Values: []string{"clinical", "admin"}, MaxSelect: 1, Required: true},
			&core.NumberField{Name: "seq", OnlyInt: true, Required: true},
			&core.SelectField{Name: "side", Values: []string{"client", "practice"}, MaxSelect: 1, Required: true},
			&core.RelationField{Name: "author", CollectionId: staff.Id, MaxSelect: 1},
			&core.TextField{Name: "author_name", Max: 200},
			&core.TextField{Name: "body", Max: 5000},
			&core.FileField{Name: "attachments", MaxSelect: 5, MaxSize: 10 << 20, Protected: true,
				MimeTypes: []string{"application/pdf", "image/jpeg", "image/png", "image/heic", "image/heif", "text/plain"}},
			// sent is Portico's clock, which notice delays compare with.
			&core.DateField{Name: "sent", Required: true},
			&core.AutodateField{Name: "created", OnCreate: true},
		)
		messages.AddIndex("idx_messages_thread_seq", true, "thread, seq", "")
		// Unread counts read this index alone: the other side's messages after a mark.
		messages.AddIndex("idx_messages_thread_side_seq", false, "thread, side, seq", "")
		messages.ListRule = nil
		messages.ViewRule = parties
		if err := app.Save(messages); err != nil {
			return err
		}

		// The practice's "not for emergencies" words above the message box.
		practice, err := app.FindCollectionByNameOrId("practice")
		if err != nil {
			return err
		}
		practice.Fields.Add(&core.TextField{Name: "messages_notice", Max: 500,
			Help: "Shown above the message box in the portal, such as: Messages are not for emergencies. In an emergency call 911."})
		if err := app.Save(practice); err != nil {
			return err
		}

		// Each staff member says whether a client's message is worth an email.
		staff.Fields.Add(&core.SelectField{Name: "message_notices", Values: []string{"email", "none"}, MaxSelect: 1,
			Help: "Empty or email: an email (with no message text) when a client writes; none: no email."})
		if err := app.Save(staff); err != nil {
			return err
		}

		// A message notice may sign the client in, like an intake form's mail.
		return setLoginTokenPurposes(app, "sign_in", "invite", "intake", "staff_invite", "message")
	}, func(app core.App) error {
		for _, name := range []string{"messages", "message_threads"} {
			collection, err := app.FindCollectionByNameOrId(name)
			if err != nil {
				return err
			}
			if err := app.Delete(collection); err != nil {
				return err
			}
		}
		for name, field := range map[string]string{"practice": "messages_notice", "staff": "message_notices"} {
			collection, err := app.FindCollectionByNameOrId(name)
			if err != nil {
				return err
			}
			collection.Fields.RemoveByName(field)
			if err := app.Save(collection); err != nil {
				return err
			}
		}
		return setLoginTokenPurposes(app, "sign_in", "invite", "intake", "staff_invite")
	})
}
