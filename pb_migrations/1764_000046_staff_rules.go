package pb_migrations

import (
	"fmt"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Each staff role reaches what its work needs, by API rules the server
// applies to every records request, expand and filter:
//
//   - owner: everything in the workspace;
//   - clinician: the clients assigned to them, those clients'
//     appointments and packets, and the forms;
//   - front_desk: clients' contact details, the schedule, booking and
//     cancelling, invites and assigning forms; never answers, notes or
//     consents.
//
// Clients keep exactly the access they had. Intake answers become hidden
// fields like appointment notes: no filter, sort or expand of any role can
// reach them through the records API, and staff read them through
// Portico's packet routes, which check the role.
func init() {
	m.Register(func(app core.App) error {
		for name, rules := range staffRules() {
			collection, err := app.FindCollectionByNameOrId(name)
			if err != nil {
				return err
			}
			collection.ListRule = rules[0]
			collection.ViewRule = rules[1]
			collection.CreateRule = rules[2]
			collection.UpdateRule = rules[3]
			collection.DeleteRule = rules[4]
			if name == "clients" {
				collection.ManageRule = types.Pointer(anyOf(ruleOwner, ruleFrontDesk))
			}
			if err := hideFields(collection, hiddenFromStaff[name]...); err != nil {
				return err
			}
			if err := app.Save(collection); err != nil {
				return err
			}
		}
		return nil
	}, func(app core.App) error {
		return fmt.Errorf("the staff rules migration cannot be reverted: restore a backup instead")
	})
}

const (
	ruleOwner     = "(@request.auth.collectionName = 'staff' && @request.auth.role = 'owner')"
	ruleFrontDesk = "(@request.auth.collectionName = 'staff' && @request.auth.role = 'front_desk')"
	ruleClinician = "(@request.auth.collectionName = 'staff' && @request.auth.role = 'clinician' && @request.auth.clinician != '')"
	ruleAnyStaff  = "@request.auth.collectionName = 'staff'"
	ruleClient    = "@request.auth.collectionName = 'clients'"
	clientSelf    = "id = @request.auth.id"
	clientOwns    = "client = @request.auth.id"
)

// assignedVia is a clinician whose clinicians record is among the
// client's clinicians, reached through path (a multiple relation compares
// by its records' ids: "clinicians ?= x" never matches).
func assignedVia(path string) string {
	return "(" + ruleClinician + " && " + path + ".id ?= @request.auth.clinician)"
}

func anyOf(rules ...string) string {
	return "(" + strings.Join(rules, " || ") + ")"
}

// notSet requires that none of the fields is in the request body.
func notSet(fields ...string) string {
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = "@request.body." + f + ":isset = false"
	}
	return strings.Join(parts, " && ")
}

var hiddenFromStaff = map[string][]string{
	// Outgoing mail carries sign-in links and codes: staff see where mail
	// went and whether it arrived, never what it said.
	"mail_outbox":      {"text_body", "html_body", "attachments"},
	"intake_responses": {"answers"},
}

func hideFields(collection *core.Collection, names ...string) error {
	for _, name := range names {
		field := collection.Fields.GetByName(name)
		if field == nil {
			return fmt.Errorf("%s has no field %s", collection.Name, name)
		}
		field.SetHidden(true)
	}
	return nil
}

// staffRules gives, per collection, the list, view, create, update and
// delete rules (nil: superusers only).
func staffRules() map[string][5]*string {
	p := types.Pointer[string]
	clientUpdatesSelf := clientSelf + " && " + notSet("email", "emailVisibility", "verified", "portal_access", "password", "passwordConfirm", "clinicians")
	clientReaders := anyOf(ruleClient+" && "+clientSelf, ruleOwner, ruleFrontDesk, assignedVia("clinicians"))
	appointmentReaders := anyOf(ruleOwner, ruleFrontDesk, assignedVia("client.clinicians"), "("+ruleClinician+" && clinician = @request.auth.clinician)")
	appointmentWriters := anyOf(ruleOwner, ruleFrontDesk+" && "+notSet("notes"), assignedVia("client.clinicians"))
	packetReaders := anyOf(ruleClient+" && "+clientOwns, ruleOwner, assignedVia("client.clinicians"))
	return map[string][5]*string{
		"clients": {
			p(clientReaders), p(clientReaders),
			p(anyOf(ruleOwner, ruleFrontDesk)),
			p(anyOf(
				ruleClient+" && "+clientUpdatesSelf,
				"("+anyOf(ruleOwner, ruleFrontDesk)+" && "+notSet("password", "passwordConfirm")+")",
				"("+assignedVia("clinicians")+" && "+notSet("email", "password", "passwordConfirm", "clinicians", "portal_access")+")",
			)),
			p(ruleOwner),
		},
		"login_tokens": {nil, nil, nil, nil, nil},
		"mail_outbox": {
			p(anyOf(ruleOwner, ruleFrontDesk)), p(anyOf(ruleOwner, ruleFrontDesk)),
			nil, nil, nil,
		},
		"practice": {
			p(anyOf(ruleClient, ruleAnyStaff)), p(anyOf(ruleClient, ruleAnyStaff)),
			nil, p(ruleOwner), nil,
		},
		"clinicians": {
			p(ruleAnyStaff), p(ruleAnyStaff),
			p(ruleOwner),
			p(anyOf(ruleOwner, "("+ruleClinician+" && id = @request.auth.clinician)")),
			p(ruleOwner),
		},
		"appointments": {
			p(appointmentReaders), p(appointmentReaders),
			p(appointmentWriters),
			p(anyOf(ruleOwner, ruleFrontDesk+" && "+notSet("notes"), assignedVia("client.clinicians")+" && "+notSet("client"))),
			p(ruleOwner),
		},
		"intake_forms": {
			p(ruleAnyStaff), p(ruleAnyStaff),
			p(anyOf(ruleOwner, ruleClinician)), p(anyOf(ruleOwner, ruleClinician)), p(anyOf(ruleOwner, ruleClinician)),
		},
		"intake_assignments": {
			p(anyOf(packetReaders, ruleFrontDesk)), p(anyOf(packetReaders, ruleFrontDesk)),
			p(anyOf(ruleOwner, ruleFrontDesk, assignedVia("client.clinicians"))),
			p(anyOf(ruleOwner, assignedVia("client.clinicians")+" && "+notSet("client"))),
			p(anyOf(ruleOwner, assignedVia("client.clinicians"))),
		},
		"intake_responses": {
			p(packetReaders), p(packetReaders),
			nil, nil, nil,
		},
	}
}
