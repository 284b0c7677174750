package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Documents between a client and the practice (issue 15): staff share a
// PDF for the client to read, acknowledge or sign; the client uploads
// documents into their record. A document is clinical or administrative
// like a message thread, and has the same parties.
//
// The file is protected: the view rule below is what a file token is
// checked against. Nobody lists documents through the records API (the
// list goes through Portico's routes, which the audit trail records), and
// every write goes through those routes: no create, update or delete rule.
// A signed document is frozen by a record hook (hooks/messages), under the
// dashboard too.
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
		documents := core.NewBaseCollection("documents")
		documents.Fields.Add(
			&core.RelationField{Name: "client", CollectionId: clients.Id, MaxSelect: 1, Required: true, CascadeDelete: true},
			&core.SelectField{Name: "kind", Values: []string{"clinical", "admin"}, MaxSelect: 1, Required: true},
			// side is who added it: the practice shared it, or the client uploaded it.
			&core.SelectField{Name: "side", Values: []string{"client", "practice"}, MaxSelect: 1, Required: true},
			// asks is what a shared document asks of the client; empty for an upload.
			&core.SelectField{Name: "asks", Values: []string{"read", "acknowledge", "sign"}, MaxSelect: 1},
			&core.TextField{Name: "title", Max: 120, Required: true},
			&core.FileField{Name: "file", MaxSelect: 1, MaxSize: 10 << 20, Protected: true, Required: true,
				MimeTypes: []string{"application/pdf", "image/jpeg", "image/png", "image/heic", "image/heif", "text/plain"}},
			// The SHA-256 of the file as added, which a signature covers.
			&core.TextField{Name: "file_sha256", Max: 64},
			&core.RelationField{Name: "added_by", CollectionId: staff.Id, MaxSelect: 1},
			&core.TextField{Name: "added_by_name", Max: 200},
			// Portico's clock: added, first opened by the other side, and
			// the client's acknowledgement or signature (the typed name).
			&core.DateField{Name: "added", Required: true},
			&core.DateField{Name: "opened"},
			&core.DateField{Name: "acknowledged"},
			&core.DateField{Name: "signed"},
			&core.TextField{Name: "signed_name", Max: 200},
			&core.AutodateField{Name: "created", OnCreate: true},
		)
		documents.AddIndex("idx_documents_client_added", false, "client, added", "")
		documents.AddIndex("idx_documents_added", false, "added", "")
		documents.ListRule = nil
		documents.ViewRule = types.Pointer(anyOf(
			"("+ruleClient+" && "+clientOwns+")",
			ruleOwner,
			assignedVia("client.clinicians"),
			"("+ruleFrontDesk+" && kind = 'admin')",
		))
		if err := app.Save(documents); err != nil {
			return err
		}
		// A shared document's notice signs the client in, like a message's.
		return setLoginTokenPurposes(app, "sign_in", "invite", "intake", "staff_invite", "message", "document")
	}, func(app core.App) error {
		documents, err := app.FindCollectionByNameOrId("documents")
		if err != nil {
			return err
		}
		if err := app.Delete(documents); err != nil {
			return err
		}
		return setLoginTokenPurposes(app, "sign_in", "invite", "intake", "staff_invite", "message")
	})
}
