package video_test

import (
	"net/http"
	"testing"
	"time"

	"portico/hooks/video"
	"portico/internal/testenv"
)

// TestEveryCallRouteAsEachCaller tries each signalling route as nobody,
// the call's client, another client, each staff role, another clinician
// and a dashboard superuser. Hosting and "who is waiting" follow the
// staff roles; joining follows the join link alone (whoever holds it,
// whatever else they are signed in as); every other route follows the
// participant key a stream handed out, and no key reaches across calls or
// lets a client act as the clinician.
func TestEveryCallRouteAsEachCaller(t *testing.T) {
	// Each caller the matrix lets host or join leaves as its stream drops,
	// making room for the next.
	env := testenv.Start(t, testenv.DroppedLeaveAtOnce)
	ada, _ := env.NewClient("Ada Client", "ada@example.com", true)
	bob, _ := env.NewClient("Bob Client", "bob@example.com", true)
	cy, _ := env.NewClient("Cy Client", "cy@example.com", true)
	in5 := env.Clock.Now().Add(5 * time.Minute)
	appointment, _, token := env.PorticoCall(ada, in5)
	others, _, othersToken := env.PorticoCall(bob, in5) // another clinician's call
	cancelled, _, cancelledToken := env.PorticoCall(cy, in5)
	env.Change(cancelled, "status", "cancelled")
	clinician, otherClinician := env.HostOf(appointment), env.HostOf(others)
	left := make(chan string, 16)
	env.Portal.Video.OnPresence().BindFunc(func(e *video.PresenceEvent) error {
		if !e.Joined {
			left <- e.Name
		}
		return e.Next()
	})

	// In Ada's call: the clinician, and Ada waiting. In Bob's: Bob waiting.
	host := env.OpenCall("/api/video/host", map[string]string{"appointment": appointment.Id}, "Authorization", clinician)
	hostKey := next(t, host, "hello", "the clinician").Data["key"]
	guest := next(t, env.OpenCall("/api/video/join", map[string]string{"token": token, "name": "Ada"}), "hello", "Ada").Data
	bobs := next(t, env.OpenCall("/api/video/join", map[string]string{"token": othersToken, "name": "Bob"}), "hello", "Bob").Data

	callers := testenv.Callers{
		"nobody":            "",
		"Ada, the client":   env.SessionOf(ada),
		"Bob, a client":     env.SessionOf(bob),
		"the front desk":    env.SignIn(env.NewStaff("front_desk", nil)),
		"the clinician":     clinician,
		"another clinician": otherClinician,
		"the owner":         env.SignIn(env.NewStaff("owner", nil)),
		"a superuser":       env.ClinicianToken(),
	}
	everyone := []string{"nobody", "Ada, the client", "Bob, a client", "the front desk", "the clinician", "another clinician", "the owner", "a superuser"}
	hosts := []string{"the clinician", "the owner", "a superuser"}
	otherHosts := []string{"another clinician", "the owner", "a superuser"}
	never := []string{"ada@example.com", token, guest["key"].(string)}

	env.CheckAccess(t, callers, []testenv.Access{
		{Name: "who is waiting for Ada's session", Method: http.MethodGet, Path: "/api/video/present/" + appointment.Id,
			Marker: `"Ada"`, Allowed: hosts, Never: never},
		{Name: "who is waiting for Bob's session", Method: http.MethodGet, Path: "/api/video/present/" + others.Id,
			Marker: `"Bob"`, Allowed: otherHosts},
		{Name: "hosting Ada's session", Method: http.MethodPost, Path: "/api/video/host", Stream: true,
			Body: map[string]string{"appointment": appointment.Id}, Marker: `"role":"clinician"`, Allowed: hosts, Never: never},
		{Name: "hosting Bob's session", Method: http.MethodPost, Path: "/api/video/host", Stream: true,
			Body: map[string]string{"appointment": others.Id}, Marker: `"role":"clinician"`, Allowed: otherHosts},
		{Name: "hosting a cancelled session", Method: http.MethodPost, Path: "/api/video/host", Stream: true,
			Body: map[string]string{"appointment": cancelled.Id}},
		// The join link is the credential, as it is for the portal's Join button.
		{Name: "joining with Ada's link", Method: http.MethodPost, Path: "/api/video/join", Stream: true,
			Body: map[string]string{"token": token, "name": "A guest"}, Marker: `"admitted":false`, Allowed: everyone, Never: []string{"ada@example.com"}},
		{Name: "joining with a cancelled session's link", Method: http.MethodPost, Path: "/api/video/join", Stream: true,
			Body: map[string]string{"token": cancelledToken}},
		{Name: "joining with a made-up link", Method: http.MethodPost, Path: "/api/video/join", Stream: true,
			Body: map[string]string{"token": "A" + token[1:]}},
		{Name: "letting Ada in with Ada's own key", Method: http.MethodPost, Path: "/api/video/admit",
			Body: map[string]any{"key": guest["key"], "participant": guest["id"]}},
		{Name: "letting Bob in with the key of Ada's clinician", Method: http.MethodPost, Path: "/api/video/admit",
			Body: map[string]any{"key": hostKey, "participant": bobs["id"]}},
		{Name: "ending Ada's session with Ada's key", Method: http.MethodPost, Path: "/api/video/end",
			Body: map[string]any{"key": guest["key"]}},
		{Name: "signalling to Bob from Ada's session", Method: http.MethodPost, Path: "/api/video/signal",
			Body: map[string]any{"key": hostKey, "to": bobs["id"], "message": map[string]string{"candidate": ""}}},
		{Name: "signalling to Ada before she is let in", Method: http.MethodPost, Path: "/api/video/signal",
			Body: map[string]any{"key": hostKey, "to": guest["id"], "message": map[string]string{"candidate": ""}}},
		{Name: "signalling with no key", Method: http.MethodPost, Path: "/api/video/signal",
			Body: map[string]any{"to": guest["id"], "message": map[string]string{"candidate": ""}}},
		{Name: "leaving with a made-up key", Method: http.MethodPost, Path: "/api/video/leave",
			Body: map[string]any{"key": "not-a-key"}},
	})

	// None of it let anyone in or ended anything: once the six hosts the
	// matrix let in have left again, the clinician and Ada are as they were.
	for range 6 {
		select {
		case <-left:
		case <-time.After(wait):
			t.Fatal("a host the matrix let in never left the call")
		}
	}
	present := env.Do(http.MethodGet, "/api/video/present/"+appointment.Id, nil, "Authorization", clinician)
	if waiting, _ := present.JSON["waiting"].([]any); len(waiting) != 1 || len(present.JSON["inCall"].([]any)) != 1 {
		t.Errorf("after every caller tried every route, Ada's session is %s; want the clinician in it and Ada waiting", present)
	}
}
