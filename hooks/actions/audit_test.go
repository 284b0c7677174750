package actions_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"portico/internal/testenv"
)

// TestEachClientActionIsInTheAuditTrail: a confirmation by the link in
// the reminder, a request for another time from the portal and a late
// cancellation by link each leave one entry by Ada, about her
// appointment, from where she pressed; a second press that changes
// nothing leaves none. Staff reading and declining the request are there
// too, and Ada reads her own actions on "Who has seen my record".
func TestEachClientActionIsInTheAuditTrail(t *testing.T) {
	env, ada, clinician := practiceWithClient(t)
	confirmed, _, _ := book(t, env, ada, clinician, env.Clock.Now().Add(47*time.Hour), "in person")
	_, _, confirmToken := remind(t, env)
	asked, _, _ := book(t, env, ada, clinician, env.Clock.Now().Add(46*time.Hour), "in person")
	remind(t, env)
	cancelled, _, _ := book(t, env, ada, clinician, env.Clock.Now().Add(20*time.Hour), "in person")
	_, _, cancelToken := remind(t, env)
	session := env.SessionOf(ada)

	presses := []struct {
		path    string
		body    map[string]any
		headers []string
	}{
		{"/api/portal/actions/confirm", map[string]any{"token": confirmToken}, nil},
		{"/api/portal/actions/reschedule", map[string]any{"appointment": asked.Id, "note": note}, []string{"Authorization", session}},
		{"/api/portal/actions/cancel", map[string]any{"token": cancelToken, "acceptLate": true}, nil},
	}
	for _, press := range presses {
		for range 2 { // the second press answers "already" and changes nothing
			if r := env.Do(http.MethodPost, press.path, press.body, press.headers...); r.Status != http.StatusOK {
				t.Fatalf("POST %s: %s; want 200", press.path, r)
			}
		}
	}
	request, err := env.App.FindFirstRecordByFilter("appointment_requests", "appointment = {:id}", map[string]any{"id": asked.Id})
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		action, collection, record, detail, fields string
	}{
		{"appointment_confirmed", "appointments", confirmed.Id, "by the link in an email", `["confirmed"]`},
		{"time_requested", "appointment_requests", request.Id, "", `["preferred_times","note"]`},
		{"appointment_cancelled", "appointments", cancelled.Id, "by the link in an email; late cancellation", `["status","cancelled_by","late_cancellation"]`},
	}
	for _, c := range cases {
		entries := env.AuditEntriesFor(c.action, ada.Id)
		if len(entries) != 1 {
			t.Errorf("%d %s entries for Ada after two presses; want 1", len(entries), c.action)
			continue
		}
		e := entries[0]
		if e.ActorType != "client" || e.ActorId != ada.Id || e.ActorName != "Ada Client" || e.RecordCollection != c.collection ||
			e.RecordId != c.record || e.Detail != c.detail || e.Fields != c.fields || e.IP == "" {
			t.Errorf("the %s entry is %+v; want by Ada (client), about %s %s, detail %q, fields %s, with her address",
				c.action, e, c.collection, c.record, c.detail, c.fields)
		}
		if strings.Contains(e.Detail+e.Fields, "medication") {
			t.Errorf("the %s entry holds what Ada wrote: %+v", c.action, e)
		}
	}

	// Staff reading the request and declining it are on file too.
	staffToken := env.ClinicianToken()
	path := "/api/collections/appointment_requests/records/" + request.Id
	if r := env.Do(http.MethodGet, path, nil, "Authorization", staffToken); r.Status != http.StatusOK {
		t.Fatalf("staff reading the request: %s", r)
	}
	if r := env.Do(http.MethodPatch, path, map[string]any{"status": "declined", "answer": "No mornings that week."}, "Authorization", staffToken); r.Status != http.StatusOK {
		t.Fatalf("staff declining the request: %s", r)
	}
	for _, action := range []string{"view", "update"} {
		if entries := env.AuditEntriesFor(action, ada.Id); len(entries) == 0 || entries[len(entries)-1].RecordId != request.Id {
			t.Errorf("no %s entry about Ada's request after staff read and declined it: %+v", action, entries)
		}
	}

	seen := env.Do(http.MethodGet, "/api/portal/audit", nil, "Authorization", session)
	for _, want := range []string{"confirmed an appointment", "asked for another time for an appointment", "cancelled an appointment"} {
		if !strings.Contains(string(seen.Body), want) {
			t.Errorf("Ada's \"Who has seen my record\" does not say %q: %s", want, seen)
		}
	}
	if !strings.Contains(string(seen.Body), "your request for another time") {
		t.Errorf("Ada's page does not say the practice read her request: %s", seen)
	}
	testenv.MustNotLeak(t, "Ada's audit page", string(seen.Body))
}
