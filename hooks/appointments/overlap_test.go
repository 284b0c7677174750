package appointments_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"portico/internal/testenv"
)

// TestTwoBookingsOfOneHourAtOnceOneWins saves two bookings of the same
// clinician's same hour at the same moment, twenty times over, while
// another connection keeps committing (as the outbox does marking mail
// sent): each time exactly one is booked and the other is refused with
// the overlap message, never both booked and never "database is locked".
func TestTwoBookingsOfOneHourAtOnceOneWins(t *testing.T) {
	env := testenv.Start(t)
	clinician := env.NewClinician()
	ada, _ := env.NewClient("Ada Client", "ada@example.com", true)
	ben, _ := env.NewClient("Ben Other", "ben@example.com", true)
	collection, err := env.App.FindCollectionByNameOrId("appointments")
	if err != nil {
		t.Fatal(err)
	}
	first := env.Clock.Now().Add(72 * time.Hour).Truncate(time.Hour)

	// Commits on other connections between a booking's read and its write.
	stop := make(chan struct{})
	var others sync.WaitGroup
	others.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := env.App.ConcurrentDB().NewQuery("UPDATE practice SET updated = updated").Execute(); err != nil && !strings.Contains(err.Error(), "locked") {
				t.Errorf("the other writer: %v", err)
				return
			}
		}
	})
	defer func() { close(stop); others.Wait() }()

	const rounds = 20
	for round := range rounds {
		starts := first.Add(time.Duration(round) * time.Hour)
		results := make([]error, 2)
		var ready, done sync.WaitGroup
		gate := make(chan struct{})
		for i, client := range []*core.Record{ada, ben} {
			ready.Add(1)
			done.Go(func() {
				appointment := core.NewRecord(collection)
				appointment.Set("client", client.Id)
				appointment.Set("clinician", clinician.Id)
				appointment.Set("starts", starts)
				appointment.Set("duration_minutes", 50)
				appointment.Set("kind", "in person")
				ready.Done()
				<-gate
				results[i] = env.App.Save(appointment)
			})
		}
		ready.Wait()
		close(gate)
		done.Wait()

		booked := env.Count("appointments", "starts = '"+starts.UTC().Format("2006-01-02 15:04:05.000Z")+"' && status = 'scheduled'")
		refused := 0
		for _, err := range results {
			if err == nil {
				continue
			}
			if !strings.Contains(err.Error(), "Dr. Maya Lin already has an appointment then") {
				t.Fatalf("round %d: a booking failed with %q; want it booked or refused as an overlap", round+1, err)
			}
			refused++
		}
		if booked != 1 || refused != 1 {
			t.Fatalf("round %d: two bookings of %s at once left %d booked and %d refused; want 1 and 1", round+1, starts, booked, refused)
		}
	}
}
