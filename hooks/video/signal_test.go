package video_test

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pion/turn/v5"

	"portico/hooks"
	"portico/internal/testenv"
)

// wait bounds the wait for one signalling event: it arrives in
// milliseconds alone, but the call tests share two cores with other
// suites' browsers, and a bound is for a failing test only (every wait is
// for an event, never a pause).
const wait = time.Minute

// guestAndHost books a call starting in five minutes (its window is open)
// and returns the env, the appointment's id, its join token and a
// clinician's dashboard token.
func guestAndHost(t *testing.T) (env *testenv.Env, appointment, token, staff string) {
	t.Helper()
	env = testenv.Start(t)
	client, _ := env.NewClient("Ada Client", "ada@example.com", true)
	record, _, token := env.PorticoCall(client, env.Clock.Now().Add(5*time.Minute))
	return env, record.Id, token, env.HostOf(record)
}

func next(t testing.TB, stream *testenv.CallStream, name, who string) testenv.CallEvent {
	t.Helper()
	event, ok := stream.Next(name, wait)
	if !ok {
		t.Fatalf("%s never got %q", who, name)
	}
	return event
}

func TestWaitingRoomHoldsClientUntilAdmitted(t *testing.T) {
	env, appointment, token, staff := guestAndHost(t)

	guest := env.OpenCall("/api/video/join", map[string]string{"token": token, "name": "Ada"})
	if guest.Status != http.StatusOK {
		t.Fatalf("joining with the reminder's link: %d %s", guest.Status, guest.Body)
	}
	hello := next(t, guest, "hello", "the client")
	if hello.Data["admitted"] != false {
		t.Fatalf("the client was let straight in: %v", hello.Data)
	}
	guestKey := hello.Data["key"].(string)

	// A waiting client cannot signal anyone, and the relay does not know them.
	if r := env.Post("/api/video/signal", map[string]any{"key": guestKey, "to": "x", "message": map[string]any{"candidate": "x"}}); r.Status != http.StatusNotFound {
		t.Errorf("a waiting client's signal: %s; want 404", r)
	}

	host := env.OpenCall("/api/video/host", map[string]string{"appointment": appointment}, "Authorization", staff)
	if host.Status != http.StatusOK {
		t.Fatalf("the clinician opening the call: %d %s", host.Status, host.Body)
	}
	hostKey := next(t, host, "hello", "the clinician").Data["key"].(string)
	if admitted := next(t, host, "admitted", "the clinician"); len(admitted.Data["peers"].([]any)) != 0 {
		t.Errorf("the clinician found people already in the call: %v", admitted.Data)
	}
	waiting := next(t, host, "waiting", "the clinician").Data["waiting"].([]any)
	if len(waiting) != 1 || waiting[0].(map[string]any)["name"] != "Ada" {
		t.Fatalf("the clinician sees waiting %v; want Ada", waiting)
	}
	guestID := waiting[0].(map[string]any)["id"].(string)

	// Only the clinician lets people in.
	if r := env.Post("/api/video/admit", map[string]string{"key": guestKey, "participant": guestID}); r.Status != http.StatusForbidden {
		t.Errorf("the client admitting themselves: %s; want 403", r)
	}
	if r := env.Post("/api/video/admit", map[string]string{"key": hostKey, "participant": guestID}); r.Status != http.StatusNoContent {
		t.Fatalf("admitting the client: %s", r)
	}
	admitted := next(t, guest, "admitted", "the client")
	servers := admitted.Data["iceServers"].([]any)
	urls := servers[0].(map[string]any)["urls"].([]any)
	want := fmt.Sprintf("turn:127.0.0.1:%d?transport=udp", env.Portal.Video.TURNPort())
	if len(urls) != 2 || urls[0] != want || !strings.HasSuffix(urls[1].(string), "?transport=tcp") {
		t.Errorf("the client's relay is %v; want %s and its TCP twin", urls, want)
	}
	if peers := admitted.Data["peers"].([]any); len(peers) != 1 || peers[0].(map[string]any)["role"] != "clinician" {
		t.Errorf("the admitted client finds %v in the call; want the clinician", peers)
	}
	if joined := next(t, host, "peer-joined", "the clinician"); joined.Data["id"] != guestID {
		t.Errorf("the clinician was told %v joined; want the client", joined.Data)
	}

	// Now they can signal each other.
	if r := env.Post("/api/video/signal", map[string]any{"key": hostKey, "to": guestID, "message": map[string]any{"restart": true}}); r.Status != http.StatusNoContent {
		t.Fatalf("signalling the admitted client: %s", r)
	}
	if signal := next(t, guest, "signal", "the client"); signal.Data["message"].(map[string]any)["restart"] != true {
		t.Errorf("the client got %v; want the clinician's message", signal.Data)
	}

	// Ending the call ends it for everyone; their keys no longer work.
	if r := env.Post("/api/video/end", map[string]string{"key": hostKey}); r.Status != http.StatusNoContent {
		t.Fatalf("ending the call: %s", r)
	}
	if ended := next(t, guest, "ended", "the client"); ended.Data["reason"] != "ended" {
		t.Errorf("the client was told %v; want ended", ended.Data)
	}
	if r := env.Post("/api/video/leave", map[string]string{"key": guestKey}); r.Status != http.StatusNotFound {
		t.Errorf("a key after the call ended: %s; want 404", r)
	}
}

func TestJoinRefusedForWrongCancelledOrOutOfWindowLink(t *testing.T) {
	env, appointment, token, staff := guestAndHost(t)
	client, _ := env.NewClient("Ben Other", "ben@example.com", true)
	_, _, otherToken := env.PorticoCall(client, env.Clock.Now().Add(10*time.Minute))
	starts := env.Clock.Now().Add(5 * time.Minute)

	cases := []struct {
		name   string
		at     time.Time
		token  string
		status int
		reason string
	}{
		{"a made-up link", starts, strings.Repeat("A", 43), http.StatusNotFound, ""},
		{"no token", starts, "", http.StatusBadRequest, ""},
		{"before the window", starts.Add(-16 * time.Minute), token, http.StatusForbidden, "early"},
		{"at the booked end", starts.Add(50 * time.Minute), token, http.StatusForbidden, "ended"},
		{"the next day", starts.Add(24 * time.Hour), token, http.StatusForbidden, "ended"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env.Clock.Set(c.at)
			stream := env.OpenCall("/api/video/join", map[string]string{"token": c.token})
			if stream.Status != c.status || !strings.Contains(string(stream.Body), c.reason) {
				t.Fatalf("joining %s: %d %s; want %d %s", c.name, stream.Status, stream.Body, c.status, c.reason)
			}
		})
	}
	env.Clock.Set(starts)

	// Another appointment's link opens that appointment's waiting room, not this one's.
	host := env.OpenCall("/api/video/host", map[string]string{"appointment": appointment}, "Authorization", staff)
	hostKey := next(t, host, "hello", "the clinician").Data["key"].(string)
	stranger := env.OpenCall("/api/video/join", map[string]string{"token": otherToken})
	strangerID := next(t, stranger, "hello", "the other client").Data["id"].(string)
	if r := env.Post("/api/video/admit", map[string]string{"key": hostKey, "participant": strangerID}); r.Status != http.StatusNotFound {
		t.Errorf("admitting another appointment's client: %s; want 404", r)
	}
	present := env.Do(http.MethodGet, "/api/video/present/"+appointment, nil, "Authorization", staff)
	if waiting, _ := present.JSON["waiting"].([]any); present.Status != http.StatusOK || len(waiting) != 0 {
		t.Errorf("this call's waiting room holds another appointment's client: %s", present)
	}

	// Cancelling ends the call at once and refuses the link afterwards.
	guest := env.OpenCall("/api/video/join", map[string]string{"token": token})
	next(t, guest, "hello", "the client")
	record, err := env.App.FindRecordById("appointments", appointment)
	if err != nil {
		t.Fatal(err)
	}
	record.Set("status", "cancelled")
	if err := env.App.Save(record); err != nil {
		t.Fatal(err)
	}
	if _, ok := guest.Next("ended", wait); !ok {
		t.Errorf("the waiting client was not told the call ended when it was cancelled")
	}
	if again := env.OpenCall("/api/video/join", map[string]string{"token": token}); again.Status != http.StatusForbidden || !strings.Contains(string(again.Body), "cancelled") {
		t.Errorf("joining a cancelled appointment: %d %s; want 403 cancelled", again.Status, again.Body)
	}
}

func TestOnlyTheClinicianOrOwnerHostACall(t *testing.T) {
	env, appointment, _, clinician := guestAndHost(t)
	client, _ := env.NewClient("Cy Client", "cy@example.com", true)
	clientAuth := env.SessionOf(client)
	cases := []struct {
		name, auth, appointment string
		status                  int
	}{
		{"nobody", "", appointment, http.StatusForbidden},
		{"a client", clientAuth, appointment, http.StatusForbidden},
		{"the front desk", env.SignIn(env.NewStaff("front_desk", nil)), appointment, http.StatusForbidden},
		{"another clinician", env.SignIn(env.NewStaff("clinician", env.NewClinician())), appointment, http.StatusForbidden},
		{"the clinician, an unknown appointment", clinician, "nosuchappointment", http.StatusNotFound},
		{"the appointment's clinician", clinician, appointment, http.StatusOK},
		{"the owner", env.SignIn(env.NewStaff("owner", nil)), appointment, http.StatusOK},
		{"a dashboard superuser", env.ClinicianToken(), appointment, http.StatusOK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if r := env.Do(http.MethodGet, "/api/video/present/"+c.appointment, nil, "Authorization", c.auth); r.Status != c.status {
				t.Errorf("who is waiting, as %s: %s; want %d", c.name, r, c.status)
			}
			stream := env.OpenCall("/api/video/host", map[string]string{"appointment": c.appointment}, "Authorization", c.auth)
			if stream.Status != c.status {
				t.Errorf("hosting as %s: %d %s; want %d", c.name, stream.Status, stream.Body, c.status)
			}
			stream.Close()
		})
	}
}

// relayedPort asks the TURN server at server for a relayed port, as a
// browser does; the client and its socket close when the test ends.
func relayedPort(t testing.TB, server, username, password string) (net.PacketConn, error) {
	t.Helper()
	socket, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { socket.Close() })
	client, err := turn.NewClient(&turn.ClientConfig{
		STUNServerAddr: server, TURNServerAddr: server, Conn: socket,
		Username: username, Password: password, Realm: "portico",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	if err := client.Listen(); err != nil {
		t.Fatal(err)
	}
	return client.Allocate()
}

// allocate asks Portico's TURN server for a relayed port and gives it back.
func allocate(t *testing.T, env *testenv.Env, username, password string) error {
	t.Helper()
	relayed, err := relayedPort(t, fmt.Sprintf("127.0.0.1:%d", env.Portal.Video.TURNPort()), username, password)
	if err != nil {
		return err
	}
	return relayed.Close()
}

func TestRelayRefusesAnyoneNotInTheCallNow(t *testing.T) {
	env, appointment, token, staff := guestAndHost(t)
	host := env.OpenCall("/api/video/host", map[string]string{"appointment": appointment}, "Authorization", staff)
	next(t, host, "hello", "the clinician")
	servers := next(t, host, "admitted", "the clinician").Data["iceServers"].([]any)[0].(map[string]any)
	username, password := servers["username"].(string), servers["credential"].(string)

	if err := allocate(t, env, username, password); err != nil {
		t.Fatalf("the clinician in the call could not use the relay: %v", err)
	}
	if err := allocate(t, env, username, password+"x"); err == nil {
		t.Errorf("the relay took a wrong password")
	}
	if err := allocate(t, env, "9999999999:nobody", "guess"); err == nil {
		t.Errorf("the relay took someone who is in no call")
	}

	// A waiting client is given no credentials: the relay is for people in the call.
	guest := env.OpenCall("/api/video/join", map[string]string{"token": token})
	if hello := next(t, guest, "hello", "the client"); hello.Data["iceServers"] != nil {
		t.Errorf("a waiting client got relay credentials: %v", hello.Data)
	}

	// Past the window and its overrun the same credentials stop working.
	env.Clock.Advance(5*time.Minute + 50*time.Minute + env.Config.Video.Overrun)
	if err := allocate(t, env, username, password); err == nil {
		t.Errorf("the relay took credentials after the call's window closed")
	}
	env.Clock.Advance(-env.Config.Video.Overrun)

	// Once the appointment is cancelled, the relay refuses them at once.
	if err := allocate(t, env, username, password); err != nil {
		t.Fatalf("within the overrun the clinician lost the relay: %v", err)
	}
	record, _ := env.App.FindRecordById("appointments", appointment)
	record.Set("status", "cancelled")
	if err := env.App.Save(record); err != nil {
		t.Fatal(err)
	}
	next(t, host, "ended", "the clinician")
	if err := allocate(t, env, username, password); err == nil {
		t.Errorf("the relay took credentials of a cancelled appointment's call")
	}
}

// TestDroppedStreamKeepsItsPlace is a phone changing networks mid-call:
// its signalling drops, and it comes back with its key into the call, not
// the waiting room; one that never comes back leaves after the grace.
func TestDroppedStreamKeepsItsPlace(t *testing.T) {
	env := testenv.Start(t, func(c *hooks.Config) { c.Video.Grace = time.Second })
	client, _ := env.NewClient("Ada Client", "ada@example.com", true)
	record, _, token := env.PorticoCall(client, env.Clock.Now().Add(5*time.Minute))
	pair := admittedStreams(t, env, record.Id, token, env.ClinicianToken())

	pair.guest.Close()
	back := env.OpenCall("/api/video/join", map[string]string{"token": token, "resume": pair.guestKey})
	hello := next(t, back, "hello", "the returning client")
	if hello.Data["resumed"] != true || hello.Data["admitted"] != true || hello.Data["id"] != pair.guestID {
		t.Fatalf("the client came back as %v; want the same place in the call", hello.Data)
	}
	next(t, back, "admitted", "the returning client")

	back.Close()
	if left := next(t, pair.host, "peer-left", "the clinician"); left.Data["id"] != pair.guestID {
		t.Errorf("the clinician was told %v left; want the client who never came back", left.Data)
	}
	again := env.OpenCall("/api/video/join", map[string]string{"token": token, "resume": pair.guestKey})
	if hello := next(t, again, "hello", "the client, too late"); hello.Data["admitted"] != false {
		t.Errorf("a key past its grace still held a place in the call: %v", hello.Data)
	}
}
