package practice_test

import (
	"net/http"
	"testing"

	"portico/internal/testenv"
)

func TestPracticeSettingsAreCheckedOnSave(t *testing.T) {
	env := testenv.Start(t)
	staff := env.ClinicianToken()
	practice, err := env.App.FindFirstRecordByFilter("practice", "id != ''")
	if err != nil {
		t.Fatal(err)
	}
	path := "/api/collections/practice/records/" + practice.Id

	for _, bad := range []any{[]any{-5}, "forty-eight", []any{}, []any{48, 0}, []any{721}, []any{"48"}, map[string]any{"hours": 48}} {
		r := env.Do(http.MethodPatch, path, map[string]any{"reminder_lead_hours": bad}, "Authorization", staff)
		if r.Status != http.StatusBadRequest || r.FieldErrors()["reminder_lead_hours"] == "" {
			t.Errorf("saving reminder_lead_hours %v: %s; want 400 saying what the field takes", bad, r)
		}
	}
	if r := env.Do(http.MethodPatch, path, map[string]any{"reminder_lead_hours": []any{720, 24, 0.5}}, "Authorization", staff); r.Status != http.StatusOK {
		t.Errorf("saving reminder_lead_hours [720, 24, 0.5]: %s; want 200", r)
	}
	settings, err := env.Portal.Practice.Get()
	if err != nil {
		t.Fatal(err)
	}
	if len(settings.ReminderLeads) != 3 {
		t.Errorf("after saving three lead times reminders go out at %v", settings.ReminderLeads)
	}

	second := env.Post("/api/collections/practice/records", map[string]any{"phone": "555-0199"}, "Authorization", staff)
	if second.Status != http.StatusBadRequest {
		t.Errorf("adding a second practice record: %s; want 400", second)
	}
	if n := env.Count("practice", ""); n != 1 {
		t.Errorf("%d practice records; want 1", n)
	}
}
