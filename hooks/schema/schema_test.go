package schema_test

import (
	"slices"
	"testing"

	"github.com/pocketbase/pocketbase/core"

	"portico/hooks/schema"
	"portico/hooks/staff"
	"portico/internal/testenv"
)

// TestNamesMatchTheMigrations checks every name the code spells against
// the collections and select fields the migrations create.
func TestNamesMatchTheMigrations(t *testing.T) {
	env := testenv.Start(t)
	for _, name := range []string{schema.Clients, schema.LoginTokens, schema.MailOutbox, schema.Practice, schema.Clinicians,
		schema.Appointments, schema.IntakeForms, schema.IntakeAssignments, schema.IntakeResponses, schema.Staff, schema.StaffSessions,
		schema.AppointmentRequests, schema.MessageThreads, schema.Messages, schema.Documents, schema.SignInRequests, schema.CodeTries} {
		if _, err := env.App.FindCollectionByNameOrId(name); err != nil {
			t.Errorf("schema names the collection %q, which the migrations do not create: %v", name, err)
		}
	}

	selects := []struct {
		collection, field string
		values            []string
	}{
		{schema.Appointments, "kind", []string{schema.KindTelehealth, schema.KindInPerson}},
		{schema.Appointments, "status", []string{schema.StatusScheduled, schema.StatusCancelled, schema.StatusCompleted, schema.StatusNoShow}},
		{schema.IntakeAssignments, "status", []string{schema.PacketAssigned, schema.PacketInProgress, schema.PacketSubmitted}},
		{schema.LoginTokens, "purpose", []string{schema.PurposeSignIn, schema.PurposeInvite, schema.PurposeIntake, schema.PurposeStaffInvite, schema.PurposeMessage, schema.PurposeDocument}},
		{schema.MessageThreads, "kind", []string{schema.ThreadClinical, schema.ThreadAdmin}},
		{schema.Messages, "side", []string{schema.SideClient, schema.SidePractice}},
		{schema.Documents, "kind", []string{schema.ThreadClinical, schema.ThreadAdmin}},
		{schema.Documents, "side", []string{schema.SideClient, schema.SidePractice}},
		{schema.Documents, "asks", []string{schema.AsksRead, schema.AsksAcknowledge, schema.AsksSign}},
		{schema.Staff, "role", []string{staff.RoleOwner, staff.RoleClinician, staff.RoleFrontDesk}},
		{schema.Practice, "client_actions_off", []string{schema.ActionConfirm, schema.ActionCancel, schema.ActionReschedule}},
		{schema.Appointments, "cancelled_by", []string{schema.CancelledByClient}},
		{schema.AppointmentRequests, "status", []string{schema.RequestOpen, schema.RequestRescheduled, schema.RequestDeclined, schema.RequestWithdrawn}},
	}
	for _, s := range selects {
		collection, err := env.App.FindCollectionByNameOrId(s.collection)
		if err != nil {
			t.Fatal(err)
		}
		field, ok := collection.Fields.GetByName(s.field).(*core.SelectField)
		if !ok {
			t.Errorf("%s.%s is not a select field", s.collection, s.field)
			continue
		}
		for _, value := range s.values {
			if !slices.Contains(field.Values, value) {
				t.Errorf("schema names %s.%s = %q; the migrations allow only %v", s.collection, s.field, value, field.Values)
			}
		}
	}
}
