package staff_test

import (
	"strings"
	"testing"
	"time"

	"portico/internal/testenv"
)

// TestRealtimeClosesWithTheSession: a staff member's realtime connection
// gets changes while the session is open, and is closed once the session
// has been idle too long, rather than streaming client records to a
// screen nobody is at.
func TestRealtimeClosesWithTheSession(t *testing.T) {
	env := testenv.Start(t)
	_, token := env.StaffSession("owner", nil)
	live := env.Listen(token, "clients")

	env.NewClient("Ada Client", "ada@example.com", false)
	if event, open := live.Next(); !open || !strings.Contains(event.Data, "ada@example.com") && !strings.Contains(event.Data, "Ada Client") {
		t.Fatalf("while the session is open, a new client arrives as %+v (open %v)", event, open)
	}

	env.Clock.Advance(16 * time.Minute)
	env.NewClient("Ben Other", "ben@example.com", false)
	if event, open := live.Next(); open {
		t.Fatalf("after 16 idle minutes the connection still streams %+v; want it closed", event)
	}
}
