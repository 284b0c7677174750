package staff_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestSubmittedResponseIsNeverChanged tries to change or delete a
// submitted response and its packet as a superuser, through the records
// API the dashboard uses, and from Go: every one is refused, and a
// correction is a reopen that leaves the original as it was.
func TestSubmittedResponseIsNeverChanged(t *testing.T) {
	p := newPractice(t)
	env := p.env
	superuser := env.ClinicianToken()
	response := "/api/collections/intake_responses/records/" + p.response.Id
	packet := "/api/collections/intake_assignments/records/" + p.submitted.Id

	for _, try := range []struct {
		name, method, path string
		body               any
	}{
		{"rewrite the answers", http.MethodPatch, response, map[string]any{"answers": map[string]any{"reason": "Nothing, really"}}},
		{"turn it back into a draft", http.MethodPatch, response, map[string]any{"state": "draft"}},
		{"delete the answers", http.MethodDelete, response, nil},
		{"reopen by status", http.MethodPatch, packet, map[string]any{"status": "in_progress"}},
		{"change the questions answered", http.MethodPatch, packet, map[string]any{"questions": `[{"id":"reason","kind":"short_text","label":"Anything else?"}]`}},
		{"delete the packet", http.MethodDelete, packet, nil},
		{"delete the client", http.MethodDelete, "/api/collections/clients/records/" + p.ada.Id, nil},
	} {
		r := env.Do(try.method, try.path, try.body, "Authorization", superuser)
		if r.Status < 400 || !strings.Contains(string(r.Body), "cannot be changed") {
			t.Errorf("a superuser tried to %s: %s; want it refused as unchangeable", try.name, r)
		}
	}
	p.response.Set("state", "draft")
	if err := env.App.Save(p.response); err == nil {
		t.Errorf("Go code turned a submitted response back into a draft")
	}
	if err := env.App.Delete(p.submitted); err == nil {
		t.Errorf("Go code deleted a submitted packet")
	}

	r := env.Post("/api/staff/packets/"+p.submitted.Id+"/reopen", nil, "Authorization", p.callers["clinician"])
	if r.Status != http.StatusCreated {
		t.Fatalf("Ada's clinician reopening the packet: %s", r)
	}
	env.Mail.Next("ada@example.com", wait)
	if r := env.Post("/api/staff/packets/"+p.submitted.Id+"/reopen", nil, "Authorization", p.callers["owner"]); r.Status != http.StatusConflict {
		t.Errorf("reopening twice: %s; want 409", r)
	}
	original := env.Do(http.MethodGet, "/api/staff/packets/"+p.submitted.Id, nil, "Authorization", p.callers["owner"])
	reopened := env.Do(http.MethodGet, "/api/staff/packets/"+r.JSON["id"].(string), nil, "Authorization", p.callers["owner"])
	if original.JSON["state"] != "submitted" || original.JSON["reopenedBy"] != r.JSON["id"] || !strings.Contains(string(original.Body), secretAnswer) {
		t.Errorf("after the reopen the original reads %s; want it submitted as sent, pointing to the new one", original)
	}
	if reopened.JSON["reopens"] != p.submitted.Id || reopened.JSON["state"] != "draft" || !strings.Contains(string(reopened.Body), secretAnswer) {
		t.Errorf("the reopened packet reads %s; want a draft of the sent answers that names the original", reopened)
	}
	if r := env.Post("/api/staff/packets/"+p.open.Id+"/reopen", nil, "Authorization", p.callers["owner"]); r.Status != http.StatusConflict {
		t.Errorf("reopening a packet not yet sent: %s; want 409", r)
	}
}
