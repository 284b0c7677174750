package testenv

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// Event is one server-sent event of PocketBase's realtime API.
type Event struct{ Name, Data string }

// Realtime is one open realtime connection, as a page's EventSource holds.
type Realtime struct {
	ClientId string
	Events   <-chan Event
	t        TB
	cancel   context.CancelFunc
}

// Listen opens a realtime connection and subscribes it to topics with
// token's session ("" for none); it closes when the test ends.
func (env *Env) Listen(token string, topics ...string) *Realtime {
	env.T.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, env.URL+"/api/realtime", nil)
	if err != nil {
		cancel()
		env.T.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		env.T.Fatal(err)
	}
	events := make(chan Event, 64)
	go func() {
		defer close(events)
		defer resp.Body.Close()
		scanner := bufio.NewScanner(resp.Body)
		scanner.Buffer(make([]byte, 64<<10), 1<<20)
		var event Event
		for scanner.Scan() {
			line := scanner.Text()
			switch {
			case strings.HasPrefix(line, "event:"):
				event.Name = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
			case strings.HasPrefix(line, "data:"):
				event.Data = strings.TrimSpace(strings.TrimPrefix(line, "data:"))
			case line == "":
				select {
				case events <- event:
				case <-ctx.Done():
					return
				}
				event = Event{}
			}
		}
	}()
	live := &Realtime{Events: events, t: env.T, cancel: cancel}
	env.T.Cleanup(live.Close)
	connect, ok := live.Next()
	var hello struct{ ClientId string }
	if !ok || json.Unmarshal([]byte(connect.Data), &hello) != nil || hello.ClientId == "" {
		env.T.Fatalf("the realtime connect event: %+v", connect)
	}
	live.ClientId = hello.ClientId
	var headers []string
	if token != "" {
		headers = []string{"Authorization", token}
	}
	if r := env.Post("/api/realtime", map[string]any{"clientId": hello.ClientId, "subscriptions": topics}, headers...); r.Status != http.StatusNoContent {
		env.T.Fatalf("subscribing to %v: %s", topics, r)
	}
	return live
}

// Next is the next event, or false once the server closed the
// connection; the test fails when neither happens within Wait.
func (r *Realtime) Next() (Event, bool) {
	r.t.Helper()
	select {
	case event, open := <-r.Events:
		return event, open
	case <-time.After(Wait):
		r.t.Fatalf("no realtime event and no close within %s", Wait)
		return Event{}, false
	}
}

// Close ends the connection.
func (r *Realtime) Close() { r.cancel() }
