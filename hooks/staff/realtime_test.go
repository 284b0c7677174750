package staff_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"portico/internal/testenv"
)

// sseEvent is one server-sent event: its name and data.
type sseEvent struct{ name, data string }

// readEvents sends each event of stream on the returned channel, and
// closes it when the server closes the connection.
func readEvents(t *testing.T, resp *http.Response) <-chan sseEvent {
	events := make(chan sseEvent, 16)
	go func() {
		defer close(events)
		scanner := bufio.NewScanner(resp.Body)
		var event sseEvent
		for scanner.Scan() {
			line := scanner.Text()
			switch {
			case strings.HasPrefix(line, "event:"):
				event.name = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
			case strings.HasPrefix(line, "data:"):
				event.data = strings.TrimSpace(strings.TrimPrefix(line, "data:"))
			case line == "":
				events <- event
				event = sseEvent{}
			}
		}
	}()
	return events
}

func nextEvent(t *testing.T, events <-chan sseEvent) (sseEvent, bool) {
	t.Helper()
	select {
	case event, open := <-events:
		return event, open
	case <-time.After(testenv.Wait):
		t.Fatalf("no realtime event and no close within %s", testenv.Wait)
		return sseEvent{}, false
	}
}

// TestRealtimeClosesWithTheSession: a staff member's realtime connection
// gets changes while the session is open, and is closed once the session
// has been idle too long, rather than streaming client records to a
// screen nobody is at.
func TestRealtimeClosesWithTheSession(t *testing.T) {
	env := testenv.Start(t)
	_, token := env.StaffSession("owner", nil)
	resp, err := http.Get(env.URL + "/api/realtime")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	events := readEvents(t, resp)
	connect, _ := nextEvent(t, events)
	var hello struct{ ClientId string }
	if err := json.Unmarshal([]byte(connect.data), &hello); err != nil || hello.ClientId == "" {
		t.Fatalf("the realtime connect event: %+v", connect)
	}
	if r := env.Post("/api/realtime", map[string]any{"clientId": hello.ClientId, "subscriptions": []string{"clients"}}, "Authorization", token); r.Status != http.StatusNoContent {
		t.Fatalf("subscribing to clients as the owner: %s", r)
	}

	env.NewClient("Ada Client", "ada@example.com", false)
	if event, open := nextEvent(t, events); !open || !strings.Contains(event.data, "ada@example.com") && !strings.Contains(event.data, "Ada Client") {
		t.Fatalf("while the session is open, a new client arrives as %+v (open %v)", event, open)
	}

	env.Clock.Advance(16 * time.Minute)
	env.NewClient("Ben Other", "ben@example.com", false)
	if event, open := nextEvent(t, events); open {
		t.Fatalf("after 16 idle minutes the connection still streams %+v; want it closed", event)
	}
}
