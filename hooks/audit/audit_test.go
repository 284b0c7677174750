package audit_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"portico/hooks"
	"portico/hooks/audit"
	"portico/hooks/schema"
	"portico/internal/testenv"
)

const clientForm = `[{"id": "reason", "kind": "long_text", "label": "What brings you here?", "required": true}]`

// onlyEntry returns the one entry with action about client, failing when
// there is none or more than one.
func onlyEntry(t *testing.T, env *testenv.Env, action, client, what string) audit.Entry {
	t.Helper()
	entries := env.AuditEntriesFor(action, client)
	if len(entries) != 1 {
		t.Fatalf("%s: the audit log holds %d %q entries about client %s; want exactly 1: %+v", what, len(entries), action, client, entries)
	}
	return entries[0]
}

func TestStaffReadsOfClientDataAreRecorded(t *testing.T) {
	env := testenv.Start(t)
	ada, _ := env.NewClient("Ada Client", "ada@example.com", true)
	bob, _ := env.NewClient("Bob Client", "bob@example.com", true)
	assignment, _ := env.Assign(ada, env.NewForm("New client", clientForm))
	appointment := env.Book(ada, env.NewClinician(), env.Clock.Now().Add(48*time.Hour), schema.KindInPerson)
	admin, token := env.NewSuperuser("lee@harbor.test", "a long dashboard password")

	reads := []struct {
		name, path, action, client, collection string
	}{
		{"the client page", "/api/collections/clients/records/" + ada.Id, audit.ActionView, ada.Id, schema.Clients},
		{"an appointment and its notes", "/api/collections/appointments/records/" + appointment.Id, audit.ActionView, ada.Id, schema.Appointments},
		{"the intake packet", "/api/collections/intake_assignments/records/" + assignment.Id, audit.ActionView, ada.Id, schema.IntakeAssignments},
		{"the packet's print view", "/api/portal/intake/" + assignment.Id + "/print", audit.ActionPrint, ada.Id, schema.IntakeAssignments},
	}
	for _, read := range reads {
		before := len(env.AuditEntries())
		if r := env.Do(http.MethodGet, read.path, nil, "Authorization", token); r.Status != http.StatusOK {
			t.Fatalf("opening %s: %s", read.name, r)
		}
		entries := env.AuditEntries()
		if len(entries) != before+1 {
			t.Fatalf("opening %s added %d entries; want exactly 1", read.name, len(entries)-before)
		}
		entry := entries[before]
		if entry.Action != read.action || entry.Client != read.client || entry.ActorType != audit.ActorSuperuser ||
			entry.ActorId != admin.Id || entry.RecordCollection != read.collection {
			t.Errorf("opening %s recorded %+v; want superuser %s: %s of %s about client %s", read.name, entry, admin.Id, read.action, read.collection, read.client)
		}
		if entry.IP != "127.0.0.1" || entry.UserAgent == "" {
			t.Errorf("opening %s recorded IP %q and agent %q; want where it came from", read.name, entry.IP, entry.UserAgent)
		}
	}

	// A list is one entry naming every client it showed.
	if r := env.Do(http.MethodGet, "/api/collections/clients/records?perPage=50", nil, "Authorization", token); r.Status != http.StatusOK {
		t.Fatalf("listing clients: %s", r)
	}
	list := onlyEntry(t, env, audit.ActionList, "", "after listing clients")
	var shown []string
	if err := json.Unmarshal([]byte(list.Shown), &shown); err != nil || !slices.Contains(shown, ada.Id) || !slices.Contains(shown, bob.Id) || len(shown) != 2 {
		t.Errorf("the client list recorded shown=%s; want both clients, %s and %s", list.Shown, ada.Id, bob.Id)
	}

	// The client's own reads are not "someone saw my record".
	session := env.SessionOf(ada) // a sign-in, which the trail records
	before := len(env.AuditEntries())
	env.Do(http.MethodGet, "/api/portal/intake/"+assignment.Id, nil, "Authorization", session)
	env.Do(http.MethodGet, "/api/collections/clients/records/"+ada.Id, nil, "Authorization", session)
	if after := len(env.AuditEntries()); after != before {
		t.Errorf("the client reading their own packet added %d entries; want none", after-before)
	}
}

func TestChangesRecordWhichFieldsNeverTheirValues(t *testing.T) {
	env := testenv.Start(t)
	ada, _ := env.NewClient("Ada Client", "ada@example.com", true)
	_, token := env.NewSuperuser("lee@harbor.test", "a long dashboard password")

	r := env.Do(http.MethodPatch, "/api/collections/clients/records/"+ada.Id, map[string]any{"name": "Ada Lovelace-Client"}, "Authorization", token)
	if r.Status != http.StatusOK {
		t.Fatalf("renaming the client: %s", r)
	}
	entry := onlyEntry(t, env, audit.ActionUpdate, ada.Id, "after renaming the client")
	if entry.Fields != `["name"]` {
		t.Errorf("the rename recorded fields %s; want [\"name\"]", entry.Fields)
	}
	raw, _ := json.Marshal(entry)
	if strings.Contains(string(raw), "Lovelace") {
		t.Errorf("the entry holds the new value: %s", raw)
	}

	// A change that fails leaves no entry: it did not happen.
	r = env.Do(http.MethodPatch, "/api/collections/clients/records/"+ada.Id, map[string]any{"email": "not an address"}, "Authorization", token)
	if r.Status == http.StatusOK {
		t.Fatalf("a malformed address was accepted: %s", r)
	}
	if n := len(env.AuditEntriesFor(audit.ActionUpdate, ada.Id)); n != 1 {
		t.Errorf("after a refused change the log holds %d updates; want the 1 that happened", n)
	}

	form := env.NewForm("New client", clientForm)
	r = env.Do(http.MethodPost, "/api/collections/intake_assignments/records", map[string]any{"client": ada.Id, "form": form.Id}, "Authorization", token)
	if r.Status != http.StatusOK {
		t.Fatalf("assigning a form: %s", r)
	}
	created := onlyEntry(t, env, audit.ActionCreate, ada.Id, "after assigning a form")
	if created.RecordId != r.JSON["id"] || !strings.Contains(created.Fields, `"form"`) {
		t.Errorf("the assignment recorded %+v; want record %v with its fields", created, r.JSON["id"])
	}
}

func TestClientActionsAreRecordedAsTheirs(t *testing.T) {
	env := testenv.Start(t)
	ada, invite := env.NewClient("Ada Client", "ada@example.com", true)
	assignment, _ := env.Assign(ada, env.NewForm("New client", clientForm))

	_, token := invite.SignInLink()
	signedIn := env.Post("/api/portal/redeem", map[string]string{"token": token})
	if signedIn.Status != http.StatusOK {
		t.Fatalf("redeeming the invite: %s", signedIn)
	}
	entry := onlyEntry(t, env, audit.ActionSignIn, ada.Id, "after the client signed in")
	if entry.ActorType != audit.ActorClient || entry.ActorId != ada.Id {
		t.Errorf("the sign-in recorded %+v; want the client", entry)
	}
	session := signedIn.JSON["token"].(string)
	path := "/api/portal/intake/" + assignment.Id
	env.Do(http.MethodPut, path, map[string]any{"answers": map[string]any{"reason": "Sleep"}}, "Authorization", session)
	onlyEntry(t, env, audit.ActionDraftSaved, ada.Id, "after the client saved a draft")
	if r := env.Post(path+"/submit", map[string]any{"answers": map[string]any{"reason": "Sleep"}}, "Authorization", session); r.Status != http.StatusOK {
		t.Fatalf("sending the packet: %s", r)
	}
	onlyEntry(t, env, audit.ActionPacketSubmit, ada.Id, "after the client sent the packet")
}

func TestFailedSignInsAreRecordedWithTheReason(t *testing.T) {
	env := testenv.Start(t)
	ada, _ := env.NewClient("Ada Client", "ada@example.com", true)
	admin, _ := env.NewSuperuser("lee@harbor.test", "a long dashboard password")

	env.RequestLink("ada@example.com")
	if r := env.Post("/api/portal/login-code", map[string]string{"email": "ada@example.com", "code": "000000"}); r.Status != http.StatusBadRequest {
		t.Fatalf("a wrong code: %s; want 400", r)
	}
	failed := onlyEntry(t, env, audit.ActionSignInFailed, "", "after a wrong code")
	if failed.ActorId != ada.Id || failed.Detail != "wrong code" {
		t.Errorf("the wrong code recorded %+v; want client %s and reason wrong code", failed, ada.Id)
	}

	r := env.Post("/api/collections/_superusers/auth-with-password", map[string]string{"identity": "lee@harbor.test", "password": "not it"})
	if r.Status != http.StatusBadRequest {
		t.Fatalf("a wrong dashboard password: %s; want 400", r)
	}
	var wrongPassword []audit.Entry
	for _, entry := range env.AuditEntriesFor(audit.ActionSignInFailed, "") {
		if entry.ActorId == admin.Id {
			wrongPassword = append(wrongPassword, entry)
		}
	}
	if len(wrongPassword) != 1 || wrongPassword[0].Detail != "wrong password" || strings.Contains(wrongPassword[0].Detail, "not it") {
		t.Errorf("the wrong password recorded %+v; want one entry saying wrong password, without what was typed", wrongPassword)
	}

	env.SignInTo("_superusers", "lee@harbor.test", "a long dashboard password")
	signIn := env.AuditEntriesFor(audit.ActionSignIn, "")
	if len(signIn) != 1 || signIn[0].ActorId != admin.Id || signIn[0].ActorType != audit.ActorSuperuser {
		t.Errorf("the dashboard sign-in recorded %+v; want one superuser sign-in", signIn)
	}
}

func TestEntriesCannotBeChangedOrRemovedEvenBySuperusers(t *testing.T) {
	env := testenv.Start(t)
	ada, token := clientSeenByAdmin(t, env)
	entry := env.AuditEntries()[0]
	records := "/api/collections/" + audit.Collection + "/records"
	// The dashboard's import of collections, as it would send the set it
	// exported: every collection but the log, or the log showing nothing.
	var without, hidden []map[string]any
	collections, err := env.App.FindAllCollections()
	if err != nil {
		t.Fatal(err)
	}
	for _, collection := range collections {
		var exported map[string]any
		raw, _ := json.Marshal(collection)
		if err := json.Unmarshal(raw, &exported); err != nil {
			t.Fatal(err)
		}
		if collection.Name == audit.Collection {
			exported["viewQuery"] = "SELECT id FROM audit_entries WHERE 0"
		} else {
			without = append(without, exported)
		}
		hidden = append(hidden, exported)
	}

	attempts := []struct {
		name, method, path string
		body               any
	}{
		{"forge an entry", http.MethodPost, records, map[string]any{"seq": 99, "at": "2026-01-01 00:00:00.000Z", "actor_type": "system", "action": "view", "hash": "x"}},
		{"edit an entry", http.MethodPatch, records + "/" + entry.Id, map[string]any{"actor_name": "Nobody"}},
		{"delete an entry", http.MethodDelete, records + "/" + entry.Id, nil},
		{"empty the log", http.MethodDelete, "/api/collections/" + audit.Collection + "/truncate", nil},
		{"open the log's rules", http.MethodPatch, "/api/collections/" + audit.Collection, map[string]any{"deleteRule": ""}},
		{"delete the log", http.MethodDelete, "/api/collections/" + audit.Collection, nil},
		{"batch-delete an entry", http.MethodPost, "/api/batch", map[string]any{"requests": []map[string]any{{"method": "DELETE", "url": records + "/" + entry.Id}}}},
		{"import the collections without the log", http.MethodPut, "/api/collections/import", map[string]any{"collections": without, "deleteMissing": true}},
		{"import the log showing nothing", http.MethodPut, "/api/collections/import", map[string]any{"collections": hidden}},
	}
	for _, attempt := range attempts {
		for _, who := range []struct{ name, token string }{{"a superuser", token}, {"a client", env.SessionOf(ada)}, {"nobody", ""}} {
			r := env.Do(attempt.method, attempt.path, attempt.body, "Authorization", who.token)
			if r.Status < 400 {
				t.Errorf("%s tried to %s: %s; want it refused", who.name, attempt.name, r)
			}
		}
	}
	if err := env.App.Delete(mustFind(t, env, entry.Id)); err == nil {
		t.Error("Go code deleting an entry through PocketBase succeeded; want it refused")
	}

	log, err := env.App.FindCollectionByNameOrId(audit.Collection)
	if err != nil {
		t.Fatalf("after the refused attempts the log's collection is gone: %v", err)
	}
	if shown, err := env.App.CountRecords(log); err != nil || shown != int64(len(env.AuditEntries())) {
		t.Errorf("after the refused attempts the log's collection shows %d entries (%v); want all %d", shown, err, len(env.AuditEntries()))
	}
	after := env.AuditEntries()
	if after[0] != entry {
		t.Errorf("the first entry changed: %+v; want %+v", after[0], entry)
	}
	if _, err := audit.Verify(env.App); err != nil {
		t.Errorf("after the refused attempts: %v", err)
	}
}

func TestClientSeesOnlyWhoSawTheirOwnRecord(t *testing.T) {
	env := testenv.Start(t)
	ada, _ := env.NewClient("Ada Client", "ada@example.com", true)
	bob, _ := env.NewClient("Bob Client", "bob@example.com", true)
	assignment, _ := env.Assign(ada, env.NewForm("New client", clientForm))
	_, token := env.NewSuperuser("lee@harbor.test", "a long dashboard password")
	env.Do(http.MethodGet, "/api/collections/intake_assignments/records/"+assignment.Id, nil, "Authorization", token)
	env.Do(http.MethodGet, "/api/collections/clients/records/"+bob.Id, nil, "Authorization", token)
	env.Do(http.MethodGet, "/api/collections/clients/records", nil, "Authorization", token)
	// A settings change is staff-internal: no client reads it.
	env.Do(http.MethodPatch, "/api/settings", map[string]any{"meta": map[string]any{"appName": "Harbor Counseling Group"}}, "Authorization", token)

	seen := func(client string) map[string][]map[string]string {
		t.Helper()
		r := env.Do(http.MethodGet, "/api/portal/audit", nil, "Authorization", env.SessionOf(mustFind(t, env, client)))
		if r.Status != http.StatusOK {
			t.Fatalf("who has seen my record: %s", r)
		}
		var out map[string][]map[string]string
		if err := json.Unmarshal(r.Body, &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	adas := seen(ada.Id)
	var what []string
	for _, line := range adas["staff"] {
		what = append(what, line["who"]+" "+line["what"])
	}
	want := []string{"The practice's administrator saw you in a list of clients", "The practice's administrator viewed your intake form"}
	if !slices.Equal(what, want) {
		t.Errorf("Ada's page lists %q; want %q", what, want)
	}
	bobs := seen(bob.Id)
	if len(bobs["staff"]) != 2 {
		t.Errorf("Bob's page lists %v; want his view and the list", bobs["staff"])
	}
	for _, line := range bobs["staff"] {
		if strings.Contains(line["what"], "intake") {
			t.Errorf("Bob's page shows Ada's intake form: %v", line)
		}
	}
	raw, _ := json.Marshal(bobs)
	if strings.Contains(string(raw), ada.Id) || strings.Contains(string(raw), "127.0.0.1") || strings.Contains(string(raw), "settings") {
		t.Errorf("Bob's page leaks another client's id, an address or staff-internal entries: %s", raw)
	}

	if r := env.Do(http.MethodGet, "/api/portal/audit", nil); r.Status != http.StatusUnauthorized {
		t.Errorf("nobody reading the page: %s; want 401", r)
	}
	if r := env.Do(http.MethodGet, "/api/portal/audit", nil, "Authorization", token); r.Status != http.StatusForbidden {
		t.Errorf("a superuser reading a client's page API: %s; want 403 (the owner's trail is elsewhere)", r)
	}
}

func TestOnlyTheOwnerReadsThePracticeTrail(t *testing.T) {
	env := testenv.Start(t)
	ada, superuser := clientSeenByAdmin(t, env)
	_, owner := env.StaffSession("owner", nil)
	_, clinician := env.StaffSession("clinician", env.NewClinician())
	_, frontDesk := env.StaffSession("front_desk", nil)
	callers := testenv.Callers{"nobody": "", "client": env.SessionOf(ada), "owner": owner,
		"clinician": clinician, "front desk": frontDesk, "superuser": superuser}

	var rows []testenv.Access
	for _, path := range []string{"/api/audit/entries", "/api/audit/entries?client=" + ada.Id, "/api/audit/export?format=json", "/api/audit/verify"} {
		rows = append(rows, testenv.Access{Name: "GET " + path, Method: http.MethodGet, Path: path, Allowed: []string{"owner", "superuser"}})
	}
	rows = append(rows, testenv.Access{Name: "the log through the records API", Method: http.MethodGet,
		Path: "/api/collections/" + audit.Collection + "/records", Marker: ada.Id, Allowed: []string{"superuser"}})
	env.CheckAccess(t, callers, rows)

	r := env.Do(http.MethodGet, "/api/audit/entries?action=view&client="+ada.Id, nil, "Authorization", owner)
	entries, _ := r.JSON["entries"].([]any)
	if len(entries) != 1 {
		t.Errorf("the owner's filtered trail holds %d entries; want Ada's one view: %s", len(entries), r)
	}
	if n := len(env.AuditEntriesFor(audit.ActionExport, "")); n != 2 {
		t.Errorf("the log holds %d exports of itself; want 2, the owner's and the superuser's", n)
	}
}

func TestStaffSignInsAndReadsAreRecorded(t *testing.T) {
	env := testenv.Start(t)
	clinicians := env.NewClinician()
	ada, _ := env.NewClient("Ada Client", "ada@example.com", true)
	ada.Set("clinicians", []string{clinicians.Id})
	if err := env.App.Save(ada); err != nil {
		t.Fatal(err)
	}
	assignment, _ := env.Assign(ada, env.NewForm("New client", clientForm))
	lee, token := env.StaffSession("clinician", clinicians)

	signIns := env.AuditEntriesFor(audit.ActionSignIn, "")
	if len(signIns) != 1 || signIns[0].ActorType != audit.ActorStaff || signIns[0].ActorId != lee.Id || signIns[0].Role != "clinician" {
		t.Fatalf("a staff sign-in (password, then code) recorded %+v; want one sign-in by the clinician", signIns)
	}

	if r := env.Do(http.MethodGet, "/api/staff/packets/"+assignment.Id, nil, "Authorization", token); r.Status != http.StatusOK {
		t.Fatalf("the clinician opening Ada's packet: %s", r)
	}
	viewed := onlyEntry(t, env, audit.ActionView, ada.Id, "after the clinician opened the packet")
	if viewed.ActorId != lee.Id || viewed.RecordId != assignment.Id {
		t.Errorf("the packet view recorded %+v; want the clinician and the packet", viewed)
	}

	// Wrong passwords until the account locks, then the right one.
	for range 5 {
		env.Post("/api/collections/staff/auth-with-password", map[string]string{"identity": lee.Email, "password": "not it"})
	}
	env.Post("/api/collections/staff/auth-with-password", map[string]string{"identity": lee.Email, "password": lee.Password})
	var reasons []string
	for _, entry := range env.AuditEntriesFor(audit.ActionSignInFailed, "") {
		if entry.ActorId == lee.Id {
			reasons = append(reasons, entry.Detail)
		}
	}
	want := []string{"wrong password", "wrong password", "wrong password", "wrong password", "wrong password", "locked"}
	if !slices.Equal(reasons, want) {
		t.Errorf("five wrong passwords and then the right one recorded %q; want %q", reasons, want)
	}

	// The client reads it in plain words.
	r := env.Do(http.MethodGet, "/api/portal/audit", nil, "Authorization", env.SessionOf(ada))
	if !strings.Contains(string(r.Body), lee.GetString("name")+`","role":"Clinician","what":"viewed your intake form"`) {
		t.Errorf("Ada's page reads %s; want the clinician by name and role viewing her intake form", r.Body)
	}
}

func TestRoleChangesAreRecorded(t *testing.T) {
	env := testenv.Start(t)
	_, owner := env.StaffSession("owner", nil)
	member := env.NewStaff("front_desk", nil)
	r := env.Do(http.MethodPatch, "/api/collections/staff/records/"+member.Id, map[string]any{"role": "clinician"}, "Authorization", owner)
	if r.Status != http.StatusOK {
		t.Fatalf("the owner changing a role: %s", r)
	}
	changes := env.AuditEntriesFor(audit.ActionUpdate, "")
	if len(changes) != 1 || changes[0].RecordId != member.Id || changes[0].Fields != `["role"]` || changes[0].Role != "owner" {
		t.Errorf("the role change recorded %+v; want one update of the member's role by the owner", changes)
	}
}

func TestConcurrentWritesKeepTheChainALine(t *testing.T) {
	env := testenv.Start(t)
	ada, token := clientSeenByAdmin(t, env)
	const workers, each = 8, 10
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				viewClient(t, env, token, ada.Id)
			}
		})
	}
	wg.Wait()
	summary, err := audit.Verify(env.App)
	if err != nil {
		t.Fatalf("after %d concurrent views: %v", workers*each, err)
	}
	if want := int64(workers*each + 1); summary.Entries != want || summary.TipSeq != want {
		t.Errorf("the chain holds %d entries up to #%d; want %d in a line", summary.Entries, summary.TipSeq, want)
	}
}

func TestPruneKeepsTheChainVerifiable(t *testing.T) {
	env := testenv.Start(t, func(c *hooks.Config) { c.AuditRetentionDays = 30 })
	ada, token := clientSeenByAdmin(t, env)
	view := func() { viewClient(t, env, token, ada.Id) }
	view()
	env.Clock.Advance(31 * 24 * time.Hour)
	view()

	pruned, err := env.Portal.Audit.Prune()
	if err != nil || pruned != 2 {
		t.Fatalf("prune: %d, %v; want the 2 old entries gone", pruned, err)
	}
	entries := env.AuditEntries()
	if len(entries) != 2 || entries[0].Seq != 3 || entries[1].Action != audit.ActionCheckpoint {
		t.Fatalf("after the prune the log holds %+v; want entry #3 and a checkpoint", entries)
	}
	view()
	if _, err := audit.Verify(env.App); err != nil {
		t.Errorf("after a prune: %v; want the chain intact", err)
	}

	// A second prune later still verifies, starting after the newest checkpoint.
	env.Clock.Advance(31 * 24 * time.Hour)
	view()
	if _, err := env.Portal.Audit.Prune(); err != nil {
		t.Fatal(err)
	}
	if _, err := audit.Verify(env.App); err != nil {
		t.Errorf("after a second prune: %v; want the chain intact", err)
	}
}

// clientSeenByAdmin adds the client Ada and a dashboard account, which
// opens her client page once; it returns Ada and the account's token.
func clientSeenByAdmin(t *testing.T, env *testenv.Env) (*core.Record, string) {
	t.Helper()
	ada, _ := env.NewClient("Ada Client", "ada@example.com", true)
	_, token := env.NewSuperuser("lee@harbor.test", "a long dashboard password")
	viewClient(t, env, token, ada.Id)
	return ada, token
}

// viewClient opens a client's page as the dashboard does.
func viewClient(t *testing.T, env *testenv.Env, token, client string) {
	t.Helper()
	if r := env.Do(http.MethodGet, "/api/collections/clients/records/"+client, nil, "Authorization", token); r.Status != http.StatusOK {
		t.Fatalf("opening the client page: %s", r)
	}
}

func mustFind(t *testing.T, env *testenv.Env, id string) *core.Record {
	t.Helper()
	for _, collection := range []string{audit.Collection, schema.Clients} {
		if record, err := env.App.FindRecordById(collection, id); err == nil {
			return record
		}
	}
	t.Fatalf("no record %s", id)
	return nil
}

func TestWorkspaceReadsAndChangesAreRecorded(t *testing.T) {
	env := testenv.Start(t)
	lee := env.NewRecord("clinicians", map[string]any{"name": "Dr. Lee"})
	ada, _ := env.NewClient("Ada Client", "ada@example.com", true)
	bob, _ := env.NewClient("Bob Client", "bob@example.com", true)
	starts := env.Clock.Now().Add(48 * time.Hour)
	appointment := env.Book(ada, lee, starts, schema.KindInPerson)
	desk, token := env.StaffSession("front_desk", nil)
	day := starts.In(time.UTC).Format(time.DateOnly)

	steps := []struct {
		name, method, path string
		body               any
		action, client     string
		shown              []string
		record, fields     string
	}{
		{"the client list", http.MethodGet, "/api/staff/clients", nil, audit.ActionList, "", []string{ada.Id, bob.Id}, "", "[]"},
		{"the day's schedule", http.MethodGet, "/api/staff/schedule?date=" + day, nil, audit.ActionList, ada.Id, []string{ada.Id}, "", "[]"},
		{"Ada's client page", http.MethodGet, "/api/staff/clients/" + ada.Id, nil, audit.ActionView, ada.Id, nil, ada.Id, "[]"},
		{"turning Bob's portal off", http.MethodPost, "/api/staff/clients/" + bob.Id + "/portal", map[string]any{"access": false},
			audit.ActionUpdate, bob.Id, nil, bob.Id, `["portal_access"]`},
		{"inviting Bob", http.MethodPost, "/api/staff/clients/" + bob.Id + "/invite", nil, audit.ActionInvite, bob.Id, nil, bob.Id, "[]"},
		{"cancelling Ada's appointment", http.MethodPost, "/api/staff/appointments/" + appointment.Id + "/status", map[string]string{"status": "cancelled"},
			audit.ActionUpdate, ada.Id, nil, appointment.Id, `["status"]`},
	}
	for _, step := range steps {
		before := len(env.AuditEntries())
		if r := env.Do(step.method, step.path, step.body, "Authorization", token); r.Status >= http.StatusBadRequest {
			t.Fatalf("the front desk: %s: %s", step.name, r)
		}
		entries := env.AuditEntries()[before:]
		if len(entries) != 1 {
			t.Fatalf("%s added %d entries; want exactly 1: %+v", step.name, len(entries), entries)
		}
		entry := entries[0]
		var shown []string
		_ = json.Unmarshal([]byte(entry.Shown), &shown)
		if entry.Action != step.action || entry.Client != step.client || entry.ActorId != desk.Id || entry.Role != "front_desk" ||
			(step.record != "" && entry.RecordId != step.record) || entry.Fields != step.fields || !sameIds(shown, step.shown) {
			t.Errorf("%s recorded %+v; want %s by the front desk about client %q (record %q, fields %s, shown %v)",
				step.name, entry, step.action, step.client, step.record, step.fields, step.shown)
		}
	}

	before := len(env.AuditEntries())
	r := env.Do(http.MethodPost, "/api/staff/appointments", map[string]any{"client": bob.Id, "clinician": lee.Id,
		"date": day, "time": "07:00", "durationMinutes": 50, "kind": schema.KindInPerson}, "Authorization", token)
	booked, _ := r.JSON["appointment"].(map[string]any)
	if r.Status != http.StatusCreated && r.Status != http.StatusOK || booked == nil {
		t.Fatalf("the front desk booking Bob: %s", r)
	}
	entries := env.AuditEntries()[before:]
	if len(entries) != 1 || entries[0].Action != audit.ActionCreate || entries[0].Client != bob.Id || entries[0].RecordId != booked["id"] {
		t.Errorf("booking Bob recorded %+v; want one create of appointment %v about Bob", entries, booked["id"])
	}
}

// sameIds reports whether two id lists hold the same ids.
func sameIds(got, want []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want)))
}
