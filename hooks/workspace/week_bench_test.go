package workspace_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	. "github.com/chromedp/chromedp"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"portico/hooks/schema"
	"portico/internal/testenv"
)

// weekOf500 is a busy group practice's week: ten clinicians, fifty
// clients, each clinician with a session every hour from 8:00 to 17:00,
// Monday to Friday, every other one by video; nobody double-booked. It
// returns the owner's token.
func weekOf500(b *testing.B) (*testenv.Env, string) {
	env := testenv.Start(b)
	env.Clock.Set(monday)
	env.SetPractice("timezone", "America/New_York")
	var clinicians, clients []*core.Record
	for i := range 10 {
		clinicians = append(clinicians, env.NewRecord("clinicians", map[string]any{"name": fmt.Sprintf("Dr. %d", i), "video_room": "https://video.example/{room}"}))
	}
	for i := range 50 {
		client, _ := env.NewClient(fmt.Sprintf("Client %d", i), fmt.Sprintf("client%d@example.com", i), false)
		clients = append(clients, client)
	}
	zone, _ := time.LoadLocation("America/New_York")
	// Rows go in directly: 500 bookings through the hooks would mail 500
	// confirmations, and the setup would be the benchmark.
	err := env.App.RunInTransaction(func(tx core.App) error {
		now := schema.DateTime(monday).String()
		for k, clinician := range clinicians {
			for day := range 5 {
				for slot := range 10 {
					i := k*50 + day*10 + slot
					starts := time.Date(2031, 3, 3+day, 8+slot, 0, 0, 0, zone)
					kind := map[bool]string{true: "telehealth", false: "in person"}[i%2 == 1]
					_, err := tx.DB().Insert(schema.Appointments, dbx.Params{
						"id": fmt.Sprintf("week%011d", i), "client": clients[(day*10+slot+k)%len(clients)].Id, "clinician": clinician.Id,
						"starts": schema.DateTime(starts).String(), "local_start": starts.Format("2006-01-02 15:04"),
						"duration_minutes": 50, "kind": kind, "location": "", "status": "scheduled", "timezone": "America/New_York",
						"notes": testenv.PrivateNote, "sequence": 0, "reminders_queued": "{}", "join_salt": fmt.Sprintf("salt%011d", i),
						"join_hash": "", "created": now, "updated": now,
					}).Execute()
					if err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatalf("seeding the week: %v", err)
	}
	_, token := env.StaffSession("owner", nil)
	return env, token
}

// BenchmarkWeekViewAnswer500 is the schedule's API answer for a week
// holding 500 appointments, as the owner (who sees them all).
func BenchmarkWeekViewAnswer500(b *testing.B) {
	env, token := weekOf500(b)
	path := "/api/staff/schedule?date=2031-03-03&days=7"
	b.ResetTimer()
	for range b.N {
		r := env.Do("GET", path, nil, "Authorization", token)
		if r.Status != http.StatusOK {
			b.Fatalf("the week answered %s", r)
		}
		if got := len(r.JSON["appointments"].([]any)); got != 500 {
			b.Fatalf("the week lists %d appointments; want 500", got)
		}
	}
}

// BenchmarkWeekViewRender500 opens the week view of 500 appointments in
// headless Chromium and waits until every appointment is on the page.
func BenchmarkWeekViewRender500(b *testing.B) {
	env, token := weekOf500(b)
	tab := testenv.Browser(b)
	session, _ := json.Marshal(map[string]any{"token": token, "record": map[string]any{}})
	quoted, _ := json.Marshal(string(session))
	if err := Do(tab, testenv.Desk, Navigate(env.URL+"/staff/"), Evaluate[Void]("localStorage.setItem('portico.staff', "+string(quoted)+")")); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if err := Do(tab, Navigate(env.URL+"/staff/schedule.html?date=2031-03-03&days=7")); err != nil {
			b.Fatal(err)
		}
		shown, err := Run(tab, Poll[bool](`document.querySelectorAll("#days li.appointment").length === 500`, WithPollingTimeout(time.Minute), WithPollingInterval(5*time.Millisecond)))
		if err != nil || !shown {
			b.Fatalf("the week view did not show 500 appointments: %v", err)
		}
	}
}
