package join_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	. "github.com/chromedp/chromedp" // the browser steps read as a script

	"github.com/pocketbase/pocketbase/core"

	"portico/internal/testenv"
)

// TestFixedRoomLinkNeedsAWaitingRoom: a clinician's fixed room link is
// the same URL for every client, so a client who comes early would walk
// into the previous client's session. It is refused for telehealth until
// the clinician's record says the room has a waiting room.
func TestFixedRoomLinkNeedsAWaitingRoom(t *testing.T) {
	env := testenv.Start(t)
	env.SetPractice("phone", "+1 212 555 0100")
	client, _ := env.NewClient("Ada Client", "ada@example.com", true)
	clinician := env.NewClinician()
	starts := env.Clock.Now().Add(90 * time.Minute).Truncate(time.Minute)
	env.Book(client, clinician, starts, "telehealth")
	env.Sweep()
	link, token := joinLinkFrom(t, env.Mail.Next("ada@example.com", testenv.Wait))

	// The clinician switches to one fixed link for every session.
	clinician.Set("video_room", "https://video.example/dr-lin")
	if err := env.App.Save(clinician); err != nil {
		t.Fatal(err)
	}
	collection, err := env.App.FindCollectionByNameOrId("appointments")
	if err != nil {
		t.Fatal(err)
	}
	booking := core.NewRecord(collection)
	booking.Load(map[string]any{"client": client.Id, "clinician": clinician.Id, "starts": starts.Add(24 * time.Hour), "duration_minutes": 50, "kind": "telehealth"})
	if err := env.App.Save(booking); err == nil || !strings.Contains(err.Error(), "waiting room") {
		t.Errorf("booking telehealth with a fixed room link and no waiting room: %v; want it refused, naming the waiting room", err)
	}

	env.Clock.Set(starts.Add(-5 * time.Minute))
	if resp := open(t, http.MethodGet, link); resp.StatusCode == http.StatusFound {
		t.Fatalf("the join link sends Ada into the fixed room %q, where the previous client may still be", resp.Header.Get("Location"))
	}
	if status := env.Post("/api/portal/join-status", map[string]string{"token": token}); status.JSON["state"] != "shared_room" {
		t.Errorf("join-status with a fixed room and no waiting room: %s; want state shared_room", status)
	}
	// On the phone: the page says why the link does not open the room,
	// and how to reach the practice instead.
	tab := testenv.Browser(t)
	if err := Do(tab, Navigate(link), WaitVisible(ID("shared-room")), WaitVisible(ID("contact"))); err != nil {
		text, _ := Run(tab, Text(CSS("main")))
		t.Fatalf("opening the join link of a fixed room without a waiting room: the page shows %q (%v)", text, err)
	}
	text, _ := Run(tab, Text(ID("shared-room")))
	if name := clinician.GetString("name"); !strings.Contains(text, "is not set up for private sessions") || !strings.Contains(text, name) {
		t.Errorf("the join page of a fixed room says %q; want that %s's room is not set up for private sessions", text, name)
	}
	if ways, _ := Run(tab, Text(ID("contact-ways"))); !strings.Contains(ways, "Phone") {
		t.Errorf("the join page of a fixed room gives no way to reach the practice: %q", ways)
	}
	testenv.Accessible(t, tab, "join link of a fixed room without a waiting room")

	clinician.Set("waiting_room", true)
	if err := env.App.Save(clinician); err != nil {
		t.Fatal(err)
	}
	if resp := open(t, http.MethodGet, link); resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "https://video.example/dr-lin" {
		t.Errorf("with the waiting room ticked, the join link answered %d to %q; want 302 to the fixed room", resp.StatusCode, resp.Header.Get("Location"))
	}
	if err := env.App.Save(booking); err != nil {
		t.Errorf("booking telehealth with a fixed room that has a waiting room: %v", err)
	}
}
