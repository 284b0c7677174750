package messages_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"portico/hooks/schema"
	"portico/internal/testenv"
)

const listeners = 100

// BenchmarkMessageToRealtimeEvent is the time from the practice sending a
// message to the client's realtime event, with 100 clients connected,
// each following their own thread as the portal does
// ("message_threads/ID"). portico sends through POST
// /api/messages/threads/{id}/messages (rate limit, audit entry, numbering
// transaction, thread update); pocketbase is the baseline of PocketBase
// alone: a superuser updates each client's record in a bare collection
// with a rule of the same kind, followed by the same kind of topic.
// portico-collection-topic is the portal's first design, every client
// following the whole collection ("message_threads"): each message then
// costs one rule check per connected client. p50 and p99 are reported per
// run; go test -count=5 gives the runs to take medians of.
func BenchmarkMessageToRealtimeEvent(b *testing.B) {
	for _, target := range []string{"portico", "pocketbase", "portico-collection-topic"} {
		b.Run(target, func(b *testing.B) {
			env := testenv.Start(b)
			_, owner := env.StaffSession("owner", nil)
			_, superuser := env.NewSuperuser("bench@harbor.test", "bench password 1234")
			notes := bareCollection(b, env)
			send := make([]func() testenv.Response, listeners)
			live := make([]*testenv.Realtime, listeners)
			for k := range listeners {
				client, _ := env.NewClient(fmt.Sprintf("Client %d", k), fmt.Sprintf("client%d@example.com", k), true)
				token := env.SessionOf(client)
				if target == "pocketbase" {
					note := env.NewRecord(notes, map[string]any{"client": client.Id, "body": "hello"})
					send[k] = func() testenv.Response {
						return env.Do("PATCH", "/api/collections/"+notes+"/records/"+note.Id, map[string]any{"body": "We have a space on Thursday."}, "Authorization", superuser)
					}
					live[k] = env.Listen(token, notes+"/"+note.Id)
					continue
				}
				r := env.Post("/api/messages/threads", map[string]any{"kind": "clinical", "body": "hello"}, "Authorization", token)
				thread, _ := r.JSON["id"].(string)
				send[k] = func() testenv.Response {
					return env.Post("/api/messages/threads/"+thread+"/messages", map[string]any{"body": "We have a space on Thursday."}, "Authorization", owner)
				}
				topic := schema.MessageThreads + "/" + thread
				if target == "portico-collection-topic" {
					topic = schema.MessageThreads
				}
				live[k] = env.Listen(token, topic)
			}
			took := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := range b.N {
				env.Clock.Advance(time.Minute) // one person's send limit is per 15 minutes
				k := i % listeners
				started := time.Now()
				if r := send[k](); r.Status != http.StatusCreated && r.Status != http.StatusOK {
					b.Fatalf("sending: %s", r)
				}
				if _, ok := live[k].Next(); !ok {
					b.Fatalf("client %d's realtime connection closed", k)
				}
				took = append(took, time.Since(started))
			}
			b.StopTimer()
			slices.Sort(took)
			b.ReportMetric(ms(took[len(took)/2]), "p50-ms")
			b.ReportMetric(ms(took[(len(took)*99)/100]), "p99-ms")
		})
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// bareCollection is the baseline's collection: a client and a text, each
// client listing only its own, with no Portico hook of its own.
func bareCollection(b *testing.B, env *testenv.Env) string {
	clients, err := env.App.FindCollectionByNameOrId(schema.Clients)
	if err != nil {
		b.Fatal(err)
	}
	notes := core.NewBaseCollection("bench_notes")
	notes.Fields.Add(&core.RelationField{Name: "client", CollectionId: clients.Id, MaxSelect: 1, Required: true}, &core.TextField{Name: "body"})
	notes.ListRule = types.Pointer("client = @request.auth.id")
	notes.ViewRule = notes.ListRule
	if err := env.App.Save(notes); err != nil {
		b.Fatal(err)
	}
	return notes.Name
}

// BenchmarkThreadOf10000 is opening a thread of 10,000 messages as its
// client: the newest page, a page in the middle (scrolling back) and the
// list of threads with its unread count, beside the baseline of the same
// newest page through PocketBase's records API as a superuser.
func BenchmarkThreadOf10000(b *testing.B) {
	env := testenv.Start(b)
	ada, _ := env.NewClient("Ada Client", "ada@example.com", true)
	token := env.SessionOf(ada)
	_, superuser := env.NewSuperuser("bench@harbor.test", "bench password 1234")
	r := env.Post("/api/messages/threads", map[string]any{"kind": "clinical", "body": "first"}, "Authorization", token)
	thread, _ := r.JSON["id"].(string)
	const n = 10000
	// Rows go in directly: 10,000 sends through the route would be the
	// benchmark's setup, and the send limit would refuse them.
	env.Fill(schema.Messages, n-1, map[string]string{
		"id": "printf('bench%010d', i)", "thread": "'" + thread + "'", "client": "'" + ada.Id + "'", "kind": "'clinical'",
		"seq": "i + 1", "side": "CASE WHEN i % 2 = 0 THEN 'client' ELSE 'practice' END", "author": "''", "author_name": "''",
		"body": "printf('Message number %d, about the week ahead.', i + 1)", "attachments": "'[]'",
		"sent": "strftime('%Y-%m-%d %H:%M:%fZ', 'now')", "created": "strftime('%Y-%m-%d %H:%M:%fZ', 'now')",
	})
	if _, err := env.App.DB().NewQuery("UPDATE " + schema.MessageThreads + " SET messages = " + fmt.Sprint(n) + " WHERE id = '" + thread + "'").Execute(); err != nil {
		b.Fatal(err)
	}
	filter := url.QueryEscape("thread = '" + thread + "'")
	pages := []struct{ name, path, auth, marker string }{
		{"portico newest 50", "/api/messages/threads/" + thread, token, "Message number 10000,"},
		{"portico 50 before 5000", "/api/messages/threads/" + thread + "?before=5000", token, "Message number 4999,"},
		{"portico thread list", "/api/messages/threads", token, `"messages":10000`},
		{"pocketbase newest 50", "/api/collections/messages/records?perPage=50&skipTotal=1&sort=-seq&filter=" + filter, superuser, "Message number 10000,"},
	}
	for _, page := range pages {
		b.Run(page.name, func(b *testing.B) {
			for range b.N {
				r := env.Do("GET", page.path, nil, "Authorization", page.auth)
				if r.Status != http.StatusOK || !strings.Contains(string(r.Body), page.marker) {
					b.Fatalf("%s: %s", page.name, r)
				}
			}
		})
	}
}
