package workspace_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"portico/internal/testenv"
)

// thursday is 10:00 on Thursday 6 March 2031 in New York.
var thursday = time.Date(2031, 3, 6, 15, 0, 0, 0, time.UTC)

// askForAnotherTime is Ada asking, in the portal, to move appointment.
func (p *practice) askForAnotherTime(t *testing.T, appointment *core.Record, times []time.Time, note string) *core.Record {
	t.Helper()
	formatted := []string{}
	for _, at := range times {
		formatted = append(formatted, at.Format(time.RFC3339))
	}
	r := p.env.Post("/api/portal/actions/reschedule", map[string]any{"appointment": appointment.Id, "times": formatted, "note": note},
		"Authorization", p.env.SessionOf(p.ada))
	if r.Status != http.StatusOK {
		t.Fatalf("Ada asking for another time: %s; want 200", r)
	}
	request, err := p.env.App.FindFirstRecordByFilter("appointment_requests", "appointment = {:id} && status = 'open'", dbx.Params{"id": appointment.Id})
	if err != nil {
		t.Fatalf("Ada's request was not stored: %v", err)
	}
	return request
}

// TestRequestsReachOnlyTheStaffWhoSeeTheAppointment: the owner, the front
// desk and Ada's clinician see and decline Ada's request for another
// time; another clinician, clients and nobody do not. A decline needs a
// line, happens once, and is on the audit trail with the page's reads.
func TestRequestsReachOnlyTheStaffWhoSeeTheAppointment(t *testing.T) {
	p := newPractice(t)
	env := p.env
	request := p.askForAnotherTime(t, p.appointment, []time.Time{thursday}, "Mornings suit me")
	reopen := func() {
		_, err := env.App.DB().Update("appointment_requests", dbx.Params{"status": "open", "answer": ""}, dbx.HashExp{"id": request.Id}).Execute()
		if err != nil {
			t.Fatal(err)
		}
	}
	decline := "/api/staff/requests/" + request.Id + "/decline"
	staffWhoSeeAda := []string{"owner", "clinician", "front desk"}
	env.CheckAccess(t, p.callers, []testenv.Access{
		{Name: "the requests page", Method: "GET", Path: "/api/staff/requests", Marker: request.Id, Allowed: staffWhoSeeAda, Never: internal},
		{Name: "declining Ada's request", Method: "POST", Path: decline, Body: map[string]any{"answer": "No mornings free that week."},
			Marker: "Declined.", Allowed: staffWhoSeeAda, Before: reopen, After: reopen, Never: internal},
	})

	if week := p.as(t, "clinician", "GET", "/api/staff/schedule?date=2031-03-03&days=7", nil); !strings.Contains(string(week.Body), `"timeRequested":true`) {
		t.Errorf("Dr. Lee's week does not mark Ada's appointment as asked to move: %s", week)
	}
	page := p.as(t, "front desk", "GET", "/api/staff/requests", nil)
	var answer struct {
		Open []struct {
			Note  string `json:"note"`
			Times []struct {
				Day, Start, Label string
			} `json:"times"`
		} `json:"open"`
	}
	if err := json.Unmarshal(page.Body, &answer); err != nil || len(answer.Open) != 1 {
		t.Fatalf("the requests page: %s (%v); want Ada's one open request", page, err)
	}
	if got := answer.Open[0]; got.Note != "Mornings suit me" || len(got.Times) != 1 || got.Times[0].Label != "Thursday 6 March, 10:00" ||
		got.Times[0].Day != "2031-03-06" || got.Times[0].Start != "10:00" {
		t.Errorf("the page shows the request as %+v; want her note and Thursday 6 March, 10:00 in the practice's zone", got)
	}

	bad := []struct {
		name   string
		path   string
		body   any
		status int
	}{
		{"no answer", decline, map[string]any{"answer": "  "}, http.StatusBadRequest},
		{"an answer of a page", decline, map[string]any{"answer": strings.Repeat("a", 301)}, http.StatusBadRequest},
		{"malformed JSON", decline, "{not json", http.StatusBadRequest},
		{"a made-up request", "/api/staff/requests/nosuchrequest1/decline", map[string]any{"answer": "No."}, http.StatusNotFound},
	}
	for _, c := range bad {
		if r := p.as(t, "front desk", "POST", c.path, c.body); r.Status != c.status || r.JSON["message"] == "" {
			t.Errorf("declining with %s: %s; want %d with a plain message", c.name, r, c.status)
		}
	}
	if fresh := env.Reload("appointment_requests", request); fresh.GetString("status") != "open" {
		t.Fatalf("refused declines left the request %q; want open", fresh.GetString("status"))
	}
	if r := p.as(t, "front desk", "POST", decline, map[string]any{"answer": "No mornings free that week."}); r.Status != http.StatusOK {
		t.Fatalf("declining: %s", r)
	}
	if r := p.as(t, "owner", "POST", decline, map[string]any{"answer": "Sorry, no."}); r.Status != http.StatusConflict || !strings.Contains(r.JSON["message"].(string), "already declined") {
		t.Errorf("declining a second time: %s; want 409 saying it is already declined", r)
	}
	mail := env.Mail.Next("ada@example.com", testenv.Wait)
	if mail.Subject != "About your request for another time" || !strings.Contains(mail.Text, "No mornings free that week.") {
		t.Errorf("after the decline Ada got %q:\n%s\nwant the practice's answer", mail.Subject, mail.Text)
	}
	env.NoMailTo("ada@example.com") // one mail, however many declined

	if entries := env.AuditEntriesFor("request_declined", p.ada.Id); len(entries) == 0 || entries[0].RecordId != request.Id || entries[0].ActorType != "staff" {
		t.Errorf("the declines are not on the audit trail as staff actions on Ada's request: %+v", entries)
	}
	lists := env.AuditEntriesFor("list", p.ada.Id)
	if len(lists) == 0 || !strings.Contains(lists[len(lists)-1].Shown, p.ada.Id) {
		t.Errorf("reading the requests page left no list entry showing Ada: %+v", lists)
	}
}
