package audit_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/dbx"

	"portico/hooks/audit"
	"portico/hooks/schema"
	"portico/hooks/video"
	"portico/internal/testenv"
)

// callLine is what a test reads of one join or leave on the trail.
type callLine struct{ action, actorType, actorID, role, detail string }

// TestCallJoinsAndLeavesAreRecorded holds a call with the clinician and
// two holders of the client's join link (a couple), and reads the trail:
// one entry per join and per leave, by the right person, about the right
// appointment and client, saying how each left, and nothing of the
// appointment's notes.
func TestCallJoinsAndLeavesAreRecorded(t *testing.T) {
	env := testenv.Start(t, testenv.DroppedLeaveAtOnce)
	ada, _ := env.NewClient("Ada Client", "ada@example.com", true)
	appointment, _, token := env.PorticoCall(ada, env.Clock.Now().Add(5*time.Minute))
	appointment.Set("notes", "Talked about the panic attacks at work")
	if err := env.App.Save(appointment); err != nil {
		t.Fatal(err)
	}
	staffToken := env.HostOf(appointment)
	host, err := env.App.FindFirstRecordByData(schema.Staff, "clinician", appointment.GetString("clinician"))
	if err != nil {
		t.Fatal(err)
	}

	// The presence hook runs its handlers one at a time, in order: when
	// this one runs, the trail's, bound before it, has committed its entry.
	presence := make(chan *video.PresenceEvent, 16)
	env.Portal.Video.OnPresence().BindFunc(func(e *video.PresenceEvent) error {
		presence <- e
		return e.Next()
	})
	recorded := func(what string) *video.PresenceEvent {
		t.Helper()
		select {
		case e := <-presence:
			return e
		case <-time.After(testenv.Wait):
			t.Fatalf("%s was never announced", what)
			return nil
		}
	}

	clinician := env.OpenCall("/api/video/host", map[string]string{"appointment": appointment.Id}, "Authorization", staffToken)
	hostHello, _ := clinician.Next("hello", testenv.Wait)
	recorded("the clinician joining")
	var keys, ids []string
	for _, name := range []string{"Ada", "Ben"} {
		guest := env.OpenCall("/api/video/join", map[string]string{"token": token, "name": name}, "User-Agent", "Ada's phone")
		hello, ok := guest.Next("hello", testenv.Wait)
		if !ok {
			t.Fatalf("%s never reached the waiting room: %d %s", name, guest.Status, guest.Body)
		}
		if r := env.Post("/api/video/admit", map[string]any{"key": hostHello.Data["key"], "participant": hello.Data["id"]}); r.Status != http.StatusNoContent {
			t.Fatalf("letting %s in: %s", name, r)
		}
		recorded(name + " joining")
		keys, ids = append(keys, hello.Data["key"].(string)), append(ids, hello.Data["id"].(string))
		if name == "Ben" {
			guest.Close() // Ben's phone loses its connection and never comes back
		}
	}
	recorded("Ben's connection lost")
	if r := env.Post("/api/video/leave", map[string]any{"key": keys[0]}); r.Status != http.StatusNoContent {
		t.Fatalf("Ada leaving: %s", r)
	}
	recorded("Ada leaving")
	if r := env.Post("/api/video/end", map[string]any{"key": hostHello.Data["key"]}); r.Status != http.StatusNoContent {
		t.Fatalf("the clinician ending the call: %s", r)
	}
	recorded("the clinician's leaving as the call ended")

	want := []callLine{
		{audit.ActionCallJoined, audit.ActorStaff, host.Id, "clinician", `as "Dr. Maya Lin", participant ` + hostHello.Data["id"].(string)},
		{audit.ActionCallJoined, audit.ActorClient, ada.Id, "client", `as "Ada", participant ` + ids[0]},
		{audit.ActionCallJoined, audit.ActorClient, ada.Id, "client", `as "Ben", participant ` + ids[1]},
		{audit.ActionCallLeft, audit.ActorClient, ada.Id, "client", `as "Ben", participant ` + ids[1] + ": " + video.LeftConnectionLost},
		{audit.ActionCallLeft, audit.ActorClient, ada.Id, "client", `as "Ada", participant ` + ids[0] + ": " + video.LeftByChoice},
		{audit.ActionCallLeft, audit.ActorStaff, host.Id, "clinician", `as "Dr. Maya Lin", participant ` + hostHello.Data["id"].(string) + ": " + video.LeftCallEnded},
	}
	var got []callLine
	for _, entry := range env.AuditEntries() {
		if entry.Action != audit.ActionCallJoined && entry.Action != audit.ActionCallLeft {
			continue
		}
		got = append(got, callLine{entry.Action, entry.ActorType, entry.ActorId, entry.Role, entry.Detail})
		if entry.Client != ada.Id || entry.RecordCollection != schema.Appointments || entry.RecordId != appointment.Id {
			t.Errorf("a call entry is about client %q, %s %q; want Ada's appointment %s", entry.Client, entry.RecordCollection, entry.RecordId, appointment.Id)
		}
		if entry.IP != "127.0.0.1" || entry.At == "" {
			t.Errorf("a call entry says neither when nor from where: at %q, IP %q", entry.At, entry.IP)
		}
		if entry.ActorType == audit.ActorClient && entry.UserAgent != "Ada's phone" {
			t.Errorf("a client's call entry names the browser %q; want the one that joined", entry.UserAgent)
		}
		if raw, _ := json.Marshal(entry); strings.Contains(string(raw), "panic") {
			t.Errorf("a call entry carries details of the appointment: %s", raw)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("the trail holds these joins and leaves:\n%q\nwant:\n%q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("call entry %d is %q; want %q", i+1, got[i], want[i])
		}
	}
	if _, err := audit.Verify(env.App); err != nil {
		t.Errorf("the chain with the call's entries does not verify: %v", err)
	}

	// Ada's "Who has seen my record" names the clinician's joining and leaving.
	r := env.Do(http.MethodGet, "/api/portal/audit", nil, "Authorization", env.SessionOf(ada))
	var seen map[string][]map[string]string
	if err := json.Unmarshal(r.Body, &seen); err != nil || r.Status != http.StatusOK {
		t.Fatalf("who has seen my record: %s", r)
	}
	var staffLines []string
	for _, entry := range seen["staff"] {
		staffLines = append(staffLines, entry["what"])
	}
	if strings.Join(staffLines, "; ") != "left your video session; joined your video session" {
		t.Errorf("Ada's page lists the practice's people as %q; want the clinician joining and leaving her session", staffLines)
	}

}

// TestStoppingPorticoRecordsWhoWasInTheCall stops Portico during a call:
// the clinician's leaving is on the trail before the database closes.
func TestStoppingPorticoRecordsWhoWasInTheCall(t *testing.T) {
	env := testenv.Start(t)
	ada, _ := env.NewClient("Ada Client", "ada@example.com", true)
	appointment, _, _ := env.PorticoCall(ada, env.Clock.Now().Add(5*time.Minute))
	host := env.OpenCall("/api/video/host", map[string]string{"appointment": appointment.Id}, "Authorization", env.HostOf(appointment))
	if _, ok := host.Next("hello", testenv.Wait); !ok {
		t.Fatalf("the clinician could not open the call: %d %s", host.Status, host.Body)
	}
	dir := env.Dir
	env.Stop()
	var details []string
	err := testenv.OpenDir(t, dir).DB().NewQuery("SELECT detail FROM " + audit.Table + " WHERE action = {:left}").
		Bind(dbx.Params{"left": audit.ActionCallLeft}).Column(&details)
	if err != nil || len(details) != 1 || !strings.HasSuffix(details[0], ": "+video.LeftPorticoStopped) {
		t.Errorf("after Portico stopped mid-call the trail's leaves are %q (%v); want the clinician's, saying Portico stopped", details, err)
	}
}
