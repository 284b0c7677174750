package staff_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"portico/internal/testenv"
)

const (
	wait          = testenv.Wait
	privateNote   = "Private: F41.1 follow-up"
	secretAnswer  = "Trouble sleeping since the move"
	packetForm    = `[{"id":"reason","kind":"long_text","label":"What brings you here?","required":true},{"id":"consent","kind":"consent","label":"Consent","text":"I agree.","required":true}]`
	signedConsent = "Ada Lovelace (signed)"
)

// practice is a small group practice: Dr. Lee sees Ada, Dr. Ray sees
// nobody yet, Ben is nobody's client, and each role has a person.
type practice struct {
	env                  *testenv.Env
	lee, ray             *core.Record // clinicians records
	ada, ben             *core.Record // clients
	appointment          *core.Record // Ada with Dr. Lee, with a private note
	form                 *core.Record
	submitted, open      *core.Record // Ada's packets: one sent, one not yet
	response             *core.Record // the sent one's answers
	owner, clinician, fd testenv.Staff
	callers              testenv.Callers
}

func newPractice(t *testing.T) *practice {
	env := testenv.Start(t)
	p := &practice{env: env}
	p.lee = newRecord(t, env, "clinicians", map[string]any{"name": "Dr. Lee"})
	p.ray = newRecord(t, env, "clinicians", map[string]any{"name": "Dr. Ray"})
	p.ada, _ = env.NewClient("Ada Client", "ada@example.com", true)
	p.ada.Set("clinicians", []string{p.lee.Id})
	save(t, env, p.ada)
	p.ben, _ = env.NewClient("Ben Other", "ben@example.com", true)

	p.appointment = newRecord(t, env, "appointments", map[string]any{
		"client": p.ada.Id, "clinician": p.lee.Id, "starts": env.Clock.Now().Add(72 * time.Hour),
		"duration_minutes": 50, "kind": "in person", "notes": privateNote,
	})
	p.form = newRecord(t, env, "intake_forms", map[string]any{"title": "New client", "questions": packetForm})
	p.submitted = p.assign(t)
	p.response = newRecord(t, env, "intake_responses", map[string]any{
		"assignment": p.submitted.Id, "client": p.ada.Id, "state": "submitted", "submitted": env.Clock.Now(),
		"answers": map[string]any{"reason": secretAnswer, "consent": map[string]any{"name": signedConsent}},
	})
	p.submitted.Set("status", "submitted")
	save(t, env, p.submitted)
	p.open = p.assign(t)

	var ownerToken, clinicianToken, otherToken, fdToken string
	p.owner, ownerToken = env.StaffSession("owner", nil)
	p.clinician, clinicianToken = env.StaffSession("clinician", p.lee)
	_, otherToken = env.StaffSession("clinician", p.ray)
	p.fd, fdToken = env.StaffSession("front_desk", nil)
	p.callers = testenv.Callers{
		"owner":           ownerToken,
		"clinician":       clinicianToken,
		"other clinician": otherToken,
		"front desk":      fdToken,
		"client":          env.SessionOf(p.ada),
		"other client":    env.SessionOf(p.ben),
		"nobody":          "",
	}
	return p
}

func (p *practice) assign(t *testing.T) *core.Record {
	record := newRecord(t, p.env, "intake_assignments", map[string]any{"client": p.ada.Id, "form": p.form.Id})
	p.env.Mail.Next("ada@example.com", wait)
	return record
}

func newRecord(t *testing.T, env *testenv.Env, collection string, fields map[string]any) *core.Record {
	t.Helper()
	c, err := env.App.FindCollectionByNameOrId(collection)
	if err != nil {
		t.Fatal(err)
	}
	record := core.NewRecord(c)
	for name, value := range fields {
		record.Set(name, value)
	}
	save(t, env, record)
	return record
}

func save(t *testing.T, env *testenv.Env, record *core.Record) {
	t.Helper()
	if err := env.App.Save(record); err != nil {
		t.Fatalf("saving %s: %v", record.Collection().Name, err)
	}
}

var serial atomic.Int64

func unique(prefix string) string {
	return fmt.Sprintf("%s%d", prefix, serial.Add(1))
}

// keep puts back a record that an allowed caller deleted, with its id.
func keep(t *testing.T, env *testenv.Env, collection, id string, fields map[string]any) func() {
	return func() {
		if _, err := env.App.FindRecordById(collection, id); err == nil {
			return
		}
		c, _ := env.App.FindCollectionByNameOrId(collection)
		record := core.NewRecord(c)
		record.Id = id
		for name, value := range fields {
			record.Set(name, value)
		}
		save(t, env, record)
	}
}

var staffRoles = []string{"owner", "clinician", "other clinician", "front desk"}

// TestEachRoleReachesOnlyWhatItsWorkNeeds is the access matrix: every
// collection's records API (list, view, create, update, delete) and
// every staff route, as each role, a client, another client and nobody.
func TestEachRoleReachesOnlyWhatItsWorkNeeds(t *testing.T) {
	p := newPractice(t)
	env := p.env
	records := func(collection string) string { return "/api/collections/" + collection + "/records" }
	one := func(collection, id string) string { return records(collection) + "/" + id }
	filter := func(collection, expr string) string { return records(collection) + "?filter=" + url.QueryEscape(expr) }

	token := &core.Record{}
	var err error
	if token, err = env.App.FindFirstRecordByFilter("login_tokens", "client = {:c}", dbx.Params{"c": p.ada.Id}); err != nil {
		t.Fatal(err)
	}
	mail, err := env.App.FindFirstRecordByFilter("mail_outbox", "recipient = 'ada@example.com'")
	if err != nil {
		t.Fatal(err)
	}
	practiceRecord, err := env.App.FindFirstRecordByFilter("practice", "id != ''")
	if err != nil {
		t.Fatal(err)
	}
	session, err := env.App.FindFirstRecordByFilter("staff_sessions", "staff = {:s}", dbx.Params{"s": p.owner.Id})
	if err != nil {
		t.Fatal(err)
	}
	spare := env.NewStaff("front_desk", nil)
	if r := env.Post("/api/staff/invites", map[string]any{"email": "invited@harbor.test", "role": "front_desk"}, "Authorization", p.callers["owner"]); r.Status != http.StatusAccepted {
		t.Fatalf("inviting for the matrix: %s", r)
	}
	_, inviteToken := env.Mail.Next("invited@harbor.test", wait).StaffInviteLink()
	kim := newRecord(t, env, "clinicians", map[string]any{"name": "Dr. Kim"})
	doomedClient := "doomedclient001"
	doomedClinician := "doomedclinic001"
	doomedAppointment := "doomedappoint01"
	doomedForm := "doomedform00001"
	doomedPacket := "doomedpacket001"
	restoreClient := keep(t, env, "clients", doomedClient, map[string]any{"name": "Cy Gone", "email": "cy@example.com", "password": "unused-password-1"})
	restoreClient()
	restoreClinician := keep(t, env, "clinicians", doomedClinician, map[string]any{"name": "Dr. Gone"})
	restoreClinician()
	restoreAppointment := keep(t, env, "appointments", doomedAppointment, map[string]any{
		"client": p.ada.Id, "clinician": p.lee.Id, "starts": env.Clock.Now().Add(96 * time.Hour), "duration_minutes": 50, "kind": "in person"})
	restoreAppointment()
	restoreForm := keep(t, env, "intake_forms", doomedForm, map[string]any{"title": "Old form", "questions": packetForm})
	restoreForm()
	restorePacket := keep(t, env, "intake_assignments", doomedPacket, map[string]any{"client": p.ada.Id, "form": p.form.Id})
	restorePacket()
	undoReopen := func() {
		if later, err := env.App.FindFirstRecordByFilter("intake_assignments", "reopens = {:id}", dbx.Params{"id": p.submitted.Id}); err == nil {
			if err := env.App.Delete(later); err != nil {
				t.Fatal(err)
			}
		}
	}
	newClient := func() any {
		return map[string]any{"name": "New Client", "email": unique("new") + "@example.com", "password": "x-unused-password", "passwordConfirm": "x-unused-password"}
	}
	// Each caller books its own hour: the same one twice would be an overlap.
	bookings := 0
	booking := func() any {
		bookings++
		return map[string]any{"client": p.ada.Id, "clinician": p.lee.Id, "starts": fmt.Sprintf("2031-01-06 %02d:00:00.000Z", bookings), "duration_minutes": 50, "kind": "in person"}
	}
	hidden := []string{privateNote, secretAnswer, signedConsent, "text_body", "html_body", "token_hash", "code_hmac"}
	everyoneSignedIn := append([]string{"client", "other client"}, staffRoles...)

	rows := []testenv.Access{
		// clients: the front desk and the owner see everyone's contact
		// details; a clinician only their own clients; a client itself.
		{Name: "list clients", Method: "GET", Path: records("clients"), Marker: p.ada.Id, Allowed: []string{"owner", "clinician", "front desk", "client"}},
		{Name: "view a client", Method: "GET", Path: one("clients", p.ada.Id), Marker: p.ada.Id, Allowed: []string{"owner", "clinician", "front desk", "client"}},
		{Name: "add a client", Method: "POST", Path: records("clients"), Body: newClient, Allowed: []string{"owner", "front desk"}},
		{Name: "change a client's phone", Method: "PATCH", Path: one("clients", p.ada.Id), Body: map[string]any{"phone": "+1 555 010 0100"}, Marker: p.ada.Id, Allowed: []string{"owner", "clinician", "front desk", "client"}},
		{Name: "reassign a client", Method: "PATCH", Path: one("clients", p.ada.Id), Body: map[string]any{"clinicians": []string{p.lee.Id, kim.Id}}, Marker: kim.Id, Allowed: []string{"owner", "front desk"},
			After: func() { p.ada.Set("clinicians", []string{p.lee.Id}); save(t, env, p.ada) }},
		{Name: "backdate when a client was invited", Method: "PATCH", Path: one("clients", p.ada.Id), Body: map[string]any{"invited": "2020-01-01 00:00:00.000Z"}},
		{Name: "delete a client", Method: "DELETE", Path: one("clients", doomedClient), Allowed: []string{"owner"}, Before: restoreClient},
		{Name: "find clients by their appointments' notes", Method: "GET", Path: filter("clients", "appointments_via_client.notes ~ 'F41'"), Marker: p.ada.Id},
		{Name: "find clients by their answers", Method: "GET", Path: filter("clients", "intake_responses_via_client.answers ~ 'sleeping'"), Marker: p.ada.Id},
		{Name: "expand a client's packets", Method: "GET", Path: one("clients", p.ada.Id) + "?expand=intake_responses_via_client,appointments_via_client", Marker: p.ada.Id, Allowed: []string{"owner", "clinician", "front desk", "client"}},

		// login tokens and staff sessions are Portico's own: superusers only.
		{Name: "list login tokens", Method: "GET", Path: records("login_tokens"), Marker: token.Id},
		{Name: "view a login token", Method: "GET", Path: one("login_tokens", token.Id), Marker: token.Id},
		{Name: "make a login token", Method: "POST", Path: records("login_tokens"), Body: map[string]any{"client": p.ada.Id, "purpose": "sign_in", "token_hash": "x", "code_hmac": "y", "expires": "2031-01-01 00:00:00Z"}},
		{Name: "change a login token", Method: "PATCH", Path: one("login_tokens", token.Id), Body: map[string]any{"used": ""}, Marker: token.Id},
		{Name: "delete a login token", Method: "DELETE", Path: one("login_tokens", token.Id)},
		{Name: "list staff sessions", Method: "GET", Path: records("staff_sessions"), Marker: session.Id},
		{Name: "view a staff session", Method: "GET", Path: one("staff_sessions", session.Id), Marker: session.Id},
		{Name: "make a staff session", Method: "POST", Path: records("staff_sessions"), Body: map[string]any{"staff": p.fd.Id, "started": "2031-01-01 00:00:00Z", "last_seen": "2031-01-01 00:00:00Z"}},
		{Name: "revive a staff session", Method: "PATCH", Path: one("staff_sessions", session.Id), Body: map[string]any{"ended": ""}, Marker: session.Id},
		{Name: "delete a staff session", Method: "DELETE", Path: one("staff_sessions", session.Id)},

		// mail: where it went and whether it arrived, never what it said.
		{Name: "list mail", Method: "GET", Path: records("mail_outbox"), Marker: mail.Id, Allowed: []string{"owner", "front desk"}},
		{Name: "view a mail", Method: "GET", Path: one("mail_outbox", mail.Id), Marker: mail.Id, Allowed: []string{"owner", "front desk"}},
		{Name: "find mail by its text", Method: "GET", Path: filter("mail_outbox", "text_body ~ '/s/'"), Marker: mail.Id},
		{Name: "queue a mail", Method: "POST", Path: records("mail_outbox"), Body: map[string]any{"recipient": "x@example.com", "kind": "x", "subject": "x", "state": "pending"}},
		{Name: "change a mail", Method: "PATCH", Path: one("mail_outbox", mail.Id), Body: map[string]any{"recipient": "evil@example.com"}, Marker: mail.Id},
		{Name: "delete a mail", Method: "DELETE", Path: one("mail_outbox", mail.Id)},

		// the practice record: everyone signed in reads it, the owner edits.
		{Name: "list the practice", Method: "GET", Path: records("practice"), Marker: practiceRecord.Id, Allowed: everyoneSignedIn},
		{Name: "view the practice", Method: "GET", Path: one("practice", practiceRecord.Id), Marker: practiceRecord.Id, Allowed: everyoneSignedIn},
		{Name: "add a practice", Method: "POST", Path: records("practice"), Body: map[string]any{"phone": "1"}},
		{Name: "change the practice", Method: "PATCH", Path: one("practice", practiceRecord.Id), Body: map[string]any{"phone": "+1 555 010 0000"}, Marker: practiceRecord.Id, Allowed: []string{"owner"}},
		{Name: "delete the practice", Method: "DELETE", Path: one("practice", practiceRecord.Id)},

		// clinicians: every staff member picks from them; the owner keeps the list.
		{Name: "list clinicians", Method: "GET", Path: records("clinicians"), Marker: p.lee.Id, Allowed: staffRoles},
		{Name: "view a clinician", Method: "GET", Path: one("clinicians", p.lee.Id), Marker: p.lee.Id, Allowed: staffRoles},
		{Name: "add a clinician", Method: "POST", Path: records("clinicians"), Body: map[string]any{"name": "Dr. New"}, Allowed: []string{"owner"}},
		{Name: "change a clinician", Method: "PATCH", Path: one("clinicians", p.lee.Id), Body: map[string]any{"credentials": "PsyD"}, Marker: p.lee.Id, Allowed: []string{"owner", "clinician"}},
		{Name: "delete a clinician", Method: "DELETE", Path: one("clinicians", doomedClinician), Allowed: []string{"owner"}, Before: restoreClinician},

		// appointments: the schedule is the front desk's; notes are nobody's through the API.
		{Name: "list appointments", Method: "GET", Path: records("appointments"), Marker: p.appointment.Id, Allowed: []string{"owner", "clinician", "front desk"}},
		{Name: "view an appointment", Method: "GET", Path: one("appointments", p.appointment.Id), Marker: p.appointment.Id, Allowed: []string{"owner", "clinician", "front desk"}},
		{Name: "find appointments by notes", Method: "GET", Path: filter("appointments", "notes ~ 'F41'"), Marker: p.appointment.Id},
		{Name: "book", Method: "POST", Path: records("appointments"), Body: booking, Allowed: []string{"owner", "clinician", "front desk"}},
		{Name: "move an appointment", Method: "PATCH", Path: one("appointments", p.appointment.Id), Body: map[string]any{"duration_minutes": 45}, Marker: p.appointment.Id, Allowed: []string{"owner", "clinician", "front desk"}},
		{Name: "write an appointment's notes", Method: "PATCH", Path: one("appointments", p.appointment.Id), Body: map[string]any{"notes": "overwritten"}, Marker: "overwritten"},
		{Name: "delete an appointment", Method: "DELETE", Path: one("appointments", doomedAppointment), Allowed: []string{"owner"}, Before: restoreAppointment},

		// forms: clinicians write them, the front desk assigns them.
		{Name: "list forms", Method: "GET", Path: records("intake_forms"), Marker: p.form.Id, Allowed: staffRoles},
		{Name: "view a form", Method: "GET", Path: one("intake_forms", p.form.Id), Marker: p.form.Id, Allowed: staffRoles},
		{Name: "write a form", Method: "POST", Path: records("intake_forms"), Body: map[string]any{"title": "Another", "questions": packetForm}, Allowed: []string{"owner", "clinician", "other clinician"}},
		{Name: "change a form", Method: "PATCH", Path: one("intake_forms", p.form.Id), Body: map[string]any{"intro": "Welcome."}, Marker: p.form.Id, Allowed: []string{"owner", "clinician", "other clinician"}},
		{Name: "delete a form", Method: "DELETE", Path: one("intake_forms", doomedForm), Allowed: []string{"owner", "clinician", "other clinician"}, Before: restoreForm},

		// packets: the front desk sees that a packet exists and assigns one, never the answers.
		{Name: "list packets", Method: "GET", Path: records("intake_assignments"), Marker: p.submitted.Id, Allowed: []string{"owner", "clinician", "front desk", "client"}},
		{Name: "view a packet", Method: "GET", Path: one("intake_assignments", p.submitted.Id), Marker: p.submitted.Id, Allowed: []string{"owner", "clinician", "front desk", "client"}},
		{Name: "expand a packet's answers", Method: "GET", Path: one("intake_assignments", p.submitted.Id) + "?expand=intake_responses_via_assignment", Marker: p.response.Id, Allowed: []string{"owner", "clinician", "client"}},
		{Name: "find packets by their answers", Method: "GET", Path: filter("intake_assignments", "intake_responses_via_assignment.answers ~ 'sleeping'"), Marker: p.submitted.Id},
		{Name: "find packets by their answers, any match", Method: "GET", Path: filter("intake_assignments", "intake_responses_via_assignment.answers ?~ 'sleeping'"), Marker: p.submitted.Id},
		{Name: "assign a form", Method: "POST", Path: records("intake_assignments"), Body: map[string]any{"client": p.ada.Id, "form": p.form.Id}, Allowed: []string{"owner", "clinician", "front desk"}},
		{Name: "change an open packet", Method: "PATCH", Path: one("intake_assignments", p.open.Id), Body: map[string]any{"due": "2031-02-01 00:00:00.000Z"}, Marker: p.open.Id, Allowed: []string{"owner", "clinician"}},
		{Name: "change a submitted packet", Method: "PATCH", Path: one("intake_assignments", p.submitted.Id), Body: map[string]any{"status": "in_progress"}, Marker: p.submitted.Id},
		{Name: "withdraw an open packet", Method: "DELETE", Path: one("intake_assignments", doomedPacket), Allowed: []string{"owner", "clinician"}, Before: restorePacket},
		{Name: "delete a submitted packet", Method: "DELETE", Path: one("intake_assignments", p.submitted.Id)},

		// answers: the client, the owner and the client's clinician, through routes that check.
		{Name: "list answers", Method: "GET", Path: records("intake_responses"), Marker: p.response.Id, Allowed: []string{"owner", "clinician", "client"}},
		{Name: "view answers", Method: "GET", Path: one("intake_responses", p.response.Id), Marker: p.response.Id, Allowed: []string{"owner", "clinician", "client"}},
		{Name: "find answers by their text", Method: "GET", Path: filter("intake_responses", "answers ~ 'sleeping'"), Marker: p.response.Id},
		{Name: "forge answers", Method: "POST", Path: records("intake_responses"), Body: map[string]any{"assignment": p.open.Id, "client": p.ada.Id, "state": "submitted", "answers": map[string]any{}}},
		{Name: "change submitted answers", Method: "PATCH", Path: one("intake_responses", p.response.Id), Body: map[string]any{"state": "draft"}, Marker: p.response.Id},
		{Name: "delete submitted answers", Method: "DELETE", Path: one("intake_responses", p.response.Id)},
		{Name: "read a packet's answers", Method: "GET", Path: "/api/staff/packets/" + p.submitted.Id, Marker: secretAnswer, Allowed: []string{"owner", "clinician"}},
		{Name: "print a packet", Method: "GET", Path: "/api/portal/intake/" + p.submitted.Id + "/print", Marker: secretAnswer, Allowed: []string{"owner", "clinician"}},
		{Name: "reopen a packet", Method: "POST", Path: "/api/staff/packets/" + p.submitted.Id + "/reopen", Marker: "Reopened", Allowed: []string{"owner", "clinician"}, Before: undoReopen},

		// staff accounts: the owner manages them; each person sees and renames only themselves.
		{Name: "list staff", Method: "GET", Path: records("staff"), Marker: p.clinician.Id, Allowed: []string{"owner", "clinician"}},
		{Name: "view a staff member", Method: "GET", Path: one("staff", p.clinician.Id), Marker: p.clinician.Id, Allowed: []string{"owner", "clinician"}},
		{Name: "make a staff account directly", Method: "POST", Path: records("staff"), Body: map[string]any{"email": "x@harbor.test", "name": "X", "role": "owner", "password": "0123456789ab", "passwordConfirm": "0123456789ab"}},
		{Name: "rename a staff member", Method: "PATCH", Path: one("staff", p.clinician.Id), Body: map[string]any{"name": "Dr. Lee"}, Marker: p.clinician.Id, Allowed: []string{"owner", "clinician"}},
		{Name: "promote someone", Method: "PATCH", Path: one("staff", p.fd.Id), Body: map[string]any{"role": "owner"}, Marker: `"owner"`, Allowed: []string{"owner"},
			After: func() {
				fd, _ := env.App.FindRecordById("staff", p.fd.Id)
				fd.Set("role", "front_desk")
				save(t, env, fd)
			}},
		{Name: "take over a staff address", Method: "PATCH", Path: one("staff", p.fd.Id), Body: map[string]any{"email": "evil@example.com"}, Marker: "evil@example.com"},
		{Name: "delete a staff member", Method: "DELETE", Path: one("staff", spare.Id), Allowed: []string{"owner"}},

		// staff routes.
		{Name: "who am I", Method: "GET", Path: "/api/staff/session", Marker: `"staff"`, Allowed: staffRoles},
		{Name: "invite a colleague", Method: "POST", Path: "/api/staff/invites", Body: func() any {
			return map[string]any{"email": unique("colleague") + "@harbor.test", "name": "New Colleague", "role": "front_desk"}
		}, Marker: "Invite sent", Allowed: []string{"owner"}},
		{Name: "check an invite link", Method: "POST", Path: "/api/staff/invite-status", Body: map[string]string{"token": inviteToken}, Marker: `"valid"`, Allowed: append([]string{"nobody"}, everyoneSignedIn...)},
		{Name: "set a password with a made-up link", Method: "POST", Path: "/api/staff/set-password", Body: map[string]string{"token": strings.Repeat("A", 43), "password": "a long password", "passwordConfirm": "a long password"}},
		{Name: "unlock an account", Method: "POST", Path: "/api/staff/members/" + p.fd.Id + "/unlock", Allowed: []string{"owner"}},
		{Name: "sign out", Method: "POST", Path: "/api/staff/sign-out", Allowed: staffRoles},
	}
	for i := range rows {
		rows[i].Never = append(rows[i].Never, hidden...)
	}
	// The answers route and the print page exist to show the answers.
	for i, row := range rows {
		if row.Name == "read a packet's answers" || row.Name == "print a packet" {
			rows[i].Never = []string{privateNote, "token_hash"}
		}
	}
	env.CheckAccess(t, p.callers, rows)

	// Nothing a refused caller tried changed the record underneath.
	fresh, err := env.App.FindRecordById("intake_responses", p.response.Id)
	if err != nil || fresh.GetString("state") != "submitted" {
		t.Fatalf("the submitted answers changed or vanished: %v", err)
	}
	if fd, _ := env.App.FindRecordById("staff", p.fd.Id); fd.GetString("role") != "front_desk" || fd.Email() != p.fd.Email {
		t.Fatalf("the front desk's account changed: role %s, email %s", fd.GetString("role"), fd.Email())
	}
	if appointment, _ := env.App.FindRecordById("appointments", p.appointment.Id); appointment.GetString("notes") != privateNote {
		t.Fatalf("the private note became %q through the records API", appointment.GetString("notes"))
	}
}
