package actions_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"portico/internal/testenv"
)

// TestStaffReachRequestsByRole: the owner and the front desk read and
// answer every request for another time, a clinician those of their own
// clients; clients and nobody reach none through the records API, and no
// one changes what the client asked or creates a request for them.
func TestStaffReachRequestsByRole(t *testing.T) {
	env, ada, maya := practiceWithClient(t)
	ada.Set("clinicians", []string{maya.Id})
	if err := env.App.Save(ada); err != nil {
		t.Fatal(err)
	}
	ben, _ := env.NewClient("Ben Other", "ben@example.com", true)
	collection, err := env.App.FindCollectionByNameOrId("clinicians")
	if err != nil {
		t.Fatal(err)
	}
	other := core.NewRecord(collection)
	other.Set("name", "Dr. Sam Other")
	other.Set("email", "sam@harbor.test")
	if err := env.App.Save(other); err != nil {
		t.Fatal(err)
	}

	later := env.Clock.Now().Add(6 * 24 * time.Hour).Format(time.RFC3339)
	ask := func(client *core.Record, clinician *core.Record) *core.Record {
		appointment := env.Book(client, clinician, env.Clock.Now().Add(72*time.Hour), "in person")
		r := env.Post("/api/portal/actions/reschedule", map[string]any{"appointment": appointment.Id, "times": []string{later}, "note": note},
			"Authorization", env.SessionOf(client))
		if r.Status != http.StatusOK {
			t.Fatalf("asking for another time: %s", r)
		}
		request, err := env.App.FindFirstRecordByFilter("appointment_requests", "appointment = {:id}", dbx.Params{"id": appointment.Id})
		if err != nil {
			t.Fatal(err)
		}
		return request
	}
	adas := ask(ada, maya)
	ask(ben, other)

	_, owner := env.StaffSession("owner", nil)
	_, frontDesk := env.StaffSession("front_desk", nil)
	_, clinician := env.StaffSession("clinician", maya)
	_, otherClinician := env.StaffSession("clinician", other)
	callers := testenv.Callers{
		"owner": owner, "front desk": frontDesk, "maya (ada's clinician)": clinician, "sam (another clinician)": otherClinician,
		"ada (client)": env.SessionOf(ada), "ben (another client)": env.SessionOf(ben), "nobody": "",
	}
	staffOfAda := []string{"owner", "front desk", "maya (ada's clinician)"}
	records := "/api/collections/appointment_requests/records"
	reopen := func() {
		_, err := env.App.DB().Update("appointment_requests", dbx.Params{"status": "open", "answer": ""}, dbx.HashExp{"id": adas.Id}).Execute()
		if err != nil {
			t.Fatal(err)
		}
	}
	env.CheckAccess(t, callers, []testenv.Access{
		{Name: "listing requests", Method: http.MethodGet, Path: records, Marker: adas.Id, Allowed: staffOfAda},
		{Name: "viewing Ada's request", Method: http.MethodGet, Path: records + "/" + adas.Id, Marker: note, Allowed: staffOfAda},
		{Name: "declining Ada's request with a line", Method: http.MethodPatch, Path: records + "/" + adas.Id,
			Body: map[string]any{"status": "declined", "answer": "No mornings free that week, sorry."}, Allowed: staffOfAda,
			Before: reopen, After: reopen},
		{Name: "rewriting what Ada asked", Method: http.MethodPatch, Path: records + "/" + adas.Id,
			Body: map[string]any{"note": "Cancel everything", "preferred_times": []string{}}},
		{Name: "asking for Ada", Method: http.MethodPost, Path: records,
			Body: map[string]any{"appointment": adas.GetString("appointment"), "client": ada.Id, "status": "open", "note": "staff wrote this"}},
		{Name: "deleting Ada's request", Method: http.MethodDelete, Path: records + "/" + adas.Id, Allowed: []string{"owner"}},
	})
	// Declined three times over (the test reopens it between callers), the
	// request is mailed once: its dedupe key is the request.
	if n := env.Count("mail_outbox", "kind = 'appointment_request_declined'"); n != 1 {
		t.Errorf("%d declines mailed to Ada; want 1", n)
	}
}
