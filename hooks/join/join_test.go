package join_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"portico/internal/testenv"
)

var joinLinkPattern = regexp.MustCompile(`https?://[^\s"<>]+/join/([A-Za-z0-9_-]{43})`)

// joinLinkFrom is the join link in a reminder, and its token.
func joinLinkFrom(t *testing.T, msg testenv.Mail) (link, token string) {
	t.Helper()
	match := joinLinkPattern.FindStringSubmatch(msg.Text)
	if match == nil {
		t.Fatalf("the reminder has no join link:\n%s", msg.Text)
	}
	return match[0], match[1]
}

// open requests a join link as a phone, or a mail scanner, would, without following redirects.
func open(t *testing.T, method, link string) *http.Response {
	t.Helper()
	return testenv.Open(t, method, link, "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X)")
}

func TestJoinLinkBeforeInAndAfterTheWindow(t *testing.T) {
	env := testenv.Start(t)
	client, _ := env.NewClient("Ada Client", "ada@example.com", true)
	clinician := env.NewClinician()
	starts := env.Clock.Now().Add(90 * time.Minute).Truncate(time.Minute)
	env.Book(client, clinician, starts, "telehealth")
	env.Book(client, clinician, starts.Add(24*time.Hour), "telehealth") // another appointment, another room
	env.Sweep()
	link, token := joinLinkFrom(t, env.Mail.Next("ada@example.com", testenv.Wait))

	cases := []struct {
		name   string
		at     time.Time
		status int
		state  string
	}{
		{"an hour before", starts.Add(-time.Hour), http.StatusOK, "early"},
		{"a second before the window", starts.Add(-15*time.Minute - time.Second), http.StatusOK, "early"},
		{"as the window opens", starts.Add(-15 * time.Minute), http.StatusFound, "open"},
		{"during the session", starts.Add(30 * time.Minute), http.StatusFound, "open"},
		{"at the end", starts.Add(50 * time.Minute), http.StatusOK, "ended"},
		{"the next day", starts.Add(24 * time.Hour), http.StatusOK, "ended"},
	}
	var room string
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env.Clock.Set(c.at)
			// Scanners open links with HEAD and GET; the link works every time.
			for _, method := range []string{http.MethodHead, http.MethodGet, http.MethodGet} {
				resp := open(t, method, link)
				if resp.StatusCode != c.status {
					t.Fatalf("%s %s: %d; want %d", method, c.name, resp.StatusCode, c.status)
				}
				if c.status == http.StatusFound {
					location := resp.Header.Get("Location")
					if !strings.HasPrefix(location, "https://video.example/portico-") || (room != "" && location != room) {
						t.Fatalf("the link sends the client to %q; want this appointment's room", location)
					}
					room = location
				}
				if resp.Header.Get("Cache-Control") != "no-store" {
					t.Errorf("the join page may be cached")
				}
			}
			status := env.Post("/api/portal/join-status", map[string]string{"token": token})
			if status.Status != http.StatusOK || status.JSON["state"] != c.state {
				t.Fatalf("join-status %s: %s; want state %s", c.name, status, c.state)
			}
			testenv.MustNotLeak(t, "the join status", string(status.Body))
		})
	}

	// The other appointment's window opens its own room, not this one.
	env.Clock.Set(starts.Add(24*time.Hour - 10*time.Minute))
	env.Sweep()
	otherLink, _ := joinLinkFrom(t, env.Mail.Next("ada@example.com", testenv.Wait))
	if otherRoom := open(t, http.MethodGet, otherLink).Header.Get("Location"); otherRoom == "" || otherRoom == room {
		t.Errorf("two appointments share the room %q", room)
	}
}

func TestJoinLinkOfCancelledAppointmentExplainsAndGivesContact(t *testing.T) {
	env := testenv.Start(t)
	client, _ := env.NewClient("Ada Client", "ada@example.com", true)
	env.SetPractice("phone", "+1 212 555 0100")
	starts := env.Clock.Now().Add(time.Hour)
	appointment := env.Book(client, env.NewClinician(), starts, "telehealth")
	env.Sweep()
	link, token := joinLinkFrom(t, env.Mail.Next("ada@example.com", testenv.Wait))
	env.Change(appointment, "status", "cancelled")

	env.Clock.Set(starts) // inside what was the window
	if resp := open(t, http.MethodGet, link); resp.StatusCode != http.StatusOK {
		t.Fatalf("a cancelled appointment's link answered %d; want the explaining page", resp.StatusCode)
	}
	status := env.Post("/api/portal/join-status", map[string]string{"token": token})
	practiceContact, _ := status.JSON["practice"].(map[string]any)
	if status.JSON["state"] != "cancelled" || practiceContact["phone"] != "+1 212 555 0100" {
		t.Fatalf("join-status for a cancelled appointment: %s; want cancelled with the practice's phone", status)
	}
}

func TestUnknownJoinLinkAndTokenNeverInTheLog(t *testing.T) {
	env := testenv.Start(t)
	client, _ := env.NewClient("Ada Client", "ada@example.com", true)
	env.Book(client, env.NewClinician(), env.Clock.Now().Add(time.Hour), "telehealth")
	env.Sweep()
	link, token := joinLinkFrom(t, env.Mail.Next("ada@example.com", testenv.Wait))

	madeUp := strings.Repeat("A", 43)
	if resp := open(t, http.MethodGet, env.URL+"/join/"+madeUp); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a made-up join link answered %d; want 404", resp.StatusCode)
	}
	if r := env.Post("/api/portal/join-status", map[string]string{"token": madeUp}); r.Status != http.StatusNotFound {
		t.Errorf("join-status of a made-up link: %s; want 404", r)
	}
	if r := env.Post("/api/portal/join-status", map[string]string{"token": ""}); r.Status != http.StatusBadRequest {
		t.Errorf("join-status with no token: %s; want 400", r)
	}
	open(t, http.MethodGet, link)

	for _, entry := range env.Logged("the requests", "%/join/%", 2) {
		if strings.Contains(entry, token) || strings.Contains(entry, madeUp) {
			t.Fatalf("the request log holds a join token: %s", entry)
		}
	}
}
