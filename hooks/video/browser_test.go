package video_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	. "github.com/chromedp/chromedp" // the browser steps read as a script

	"github.com/pocketbase/pocketbase/core"

	"portico/hooks"
	"portico/internal/testenv"
)

// received is what one page receives from one other person in the call.
type received struct {
	ID            string  `json:"id"`
	FramesDecoded float64 `json:"framesDecoded"`
	AudioEnergy   float64 `json:"audioEnergy"`
	Relayed       bool    `json:"relayed"`
	ICEUfrag      string  `json:"iceUfrag"`
}

// browserWait bounds one step of a call page (a redraw after the server
// answered, a status line): the browsers of a call share two cores with
// the server, and a step that takes a second alone can take most of a
// minute then. Only a failing step waits this long.
const browserWait = time.Minute

// until polls the page until js is true, for at most limit, and says
// whether it came true, with the poll's error if it did not. A poll cut
// short by an error is started again: under load a poll can start in the
// document the tab just left, and that document is destroyed under it.
func until(tab context.Context, js string, limit time.Duration, options ...PollOption) (bool, error) {
	deadline := time.Now().Add(limit)
	for {
		ok, err := Run(tab, Poll[bool](js, append(options, WithPollingTimeout(time.Until(deadline)))...))
		if err == nil || errors.Is(err, ErrPollingTimeout) || tab.Err() != nil || time.Until(deadline) <= 0 {
			return ok, err
		}
	}
}

// receiving waits until the page receives moving video and sound from
// want other people: frames decoded and audio energy both rising between
// two looks. It returns the last look.
func receiving(t *testing.T, tab context.Context, module, who string, want int) []received {
	t.Helper()
	stats, err := receive(tab, module, who, want)
	if err != nil {
		t.Fatal(err)
	}
	return stats
}

// everyoneReceiving is receiving for several pages at once: each one
// waits in its own browser, so the wait is the slowest page's, not their sum.
func everyoneReceiving(t *testing.T, pages []callPage, want int) {
	t.Helper()
	failures := make(chan error, len(pages))
	for _, page := range pages {
		go func() {
			_, err := receive(page.tab, page.module, page.who, want)
			failures <- err
		}()
	}
	failed := false
	for range pages {
		if err := <-failures; err != nil {
			t.Error(err)
			failed = true
		}
	}
	if failed {
		t.FailNow()
	}
}

// callPage is one person's call page in a test.
type callPage struct {
	tab         context.Context
	module, who string
}

// receive is receiving's wait, with what went wrong as an error.
func receive(tab context.Context, module, who string, want int) ([]received, error) {
	// A call of five browsers on two cores decodes slowly: give it time, not
	// a verdict, but stop well before the tab's own limit so that a
	// failure can still read what the page received.
	limit := time.Duration(90*want) * time.Second
	if deadline, ok := tab.Deadline(); ok && time.Until(deadline)-30*time.Second < limit {
		limit = time.Until(deadline) - 30*time.Second
	}
	key := fmt.Sprintf("receiving%d", time.Now().UnixNano()) // this wait's own first look
	// The page looks at its own counters every half second: getStats has no event to wait on.
	look := fmt.Sprintf(lookAtStats, module, want, key)
	flowing, err := until(tab, look, limit, WithPollingInterval(500*time.Millisecond))
	last, _ := Run(tab, Evaluate[[]received](fmt.Sprintf("window[%q] || []", key+"last")))
	if !flowing {
		return last, fmt.Errorf("%s never saw and heard %d other people within %s (%v): last stats %+v", who, want, limit.Round(time.Second), err, last)
	}
	return last, nil
}

// lookAtStats is one look of receiving, in the page: true once every one
// of want people's frames and audio energy rose since the first look that
// had some of both (kept in window[key]; the last look in window[key+"last"]).
const lookAtStats = `import(%q).then((page) => page.stats()).then((stats) => {
  const want = %d, key = %q, first = window[key];
  window[key + "last"] = stats;
  if (stats.length !== want || !stats.every((s) => s.framesDecoded > 0 && s.audioEnergy > 0)) return false;
  if (!first) {
    window[key] = stats;
    return false;
  }
  return stats.every((s) => first.some((f) => f.id === s.id && s.framesDecoded > f.framesDecoded && s.audioEnergy > f.audioEnergy));
}).catch(() => false)`

// browser starts a Chromium with a fake camera: testenv.CallBrowser or testenv.SmallCameraBrowser.
type browser func(testing.TB) context.Context

// openAsClient opens the join link in a new browser and waits for the camera check.
func openAsClient(t testing.TB, start browser, link, who string) context.Context {
	t.Helper()
	tab := start(t)
	if err := Do(tab, Navigate(link), WaitVisible(CSS(`body[data-ready="true"]`))); err != nil {
		t.Fatalf("%s opening the join link: the camera check never showed: %v", who, err)
	}
	return tab
}

// openAsClinician signs the appointment's clinician in to the staff
// workspace, opens the schedule on the appointment's day and the session
// from there. With waiting, the schedule must first say that they wait,
// and is checked with axe.
func openAsClinician(t testing.TB, start browser, env *testenv.Env, appointment *core.Record, waiting string) context.Context {
	t.Helper()
	tab := start(t)
	settings, err := env.Portal.Practice.Get()
	if err != nil {
		t.Fatal(err)
	}
	day := appointment.GetDateTime("starts").Time().In(settings.TimeZone).Format("2006-01-02")
	session := fmt.Sprintf(`localStorage.setItem("portico.staff", JSON.stringify({token: %q}))`, env.HostOf(appointment))
	if err := Do(tab, Navigate(env.URL+"/app.css"), Evaluate[Void](session), Navigate(env.URL+"/staff/schedule.html?date="+day)); err != nil {
		t.Fatalf("the clinician opening the schedule: %v", err)
	}
	if waiting != "" {
		says := waiting + " is waiting to be let in."
		if shown, err := until(tab, fmt.Sprintf(`document.getElementById("days").textContent.includes(%q)`, says), browserWait); !shown {
			text, _ := Run(tab, Text(ID("days")))
			t.Fatalf("the schedule does not say %q; it shows %q (%v)", says, text, err)
		}
		testenv.Accessible(t, tab, "schedule with a session open")
	}
	err = Do(tab,
		Click(CSS(`a[href^="/staff/call.html"]`)),
		WaitVisible(CSS(`body[data-ready="true"]`)),
		Click(ID("join")),
		WaitVisible(ID("waiting-room")),
	)
	if err != nil {
		t.Fatalf("the clinician opening the session from the schedule: %v", err)
	}
	return tab
}

func joinAndWait(t *testing.T, tab context.Context, name, who string) {
	t.Helper()
	err := Do(tab, SendKeys(ID("name"), name), Click(ID("join")), WaitVisible(ID("waiting")))
	if err != nil {
		t.Fatalf("%s pressing Join: the waiting room never showed: %v", who, err)
	}
}

func admit(t *testing.T, clinician context.Context, name string) {
	t.Helper()
	label := "Let " + name + " in"
	if err := Do(clinician, Click(fmt.Sprintf(`//button[text()=%q]`, label))); err != nil {
		t.Fatalf("the clinician letting %s in: %v", name, err)
	}
	// The waiting list redraws once the server says they are in. Until
	// then the next click could land on a list that moves under it (and
	// let in the wrong person), so wait for that redraw: the pressed
	// button's own disabled state says nothing about the server.
	settled := fmt.Sprintf(`![...document.querySelectorAll("#waiting-list button")].some((b) => b.textContent === %q) || document.getElementById("status").textContent.includes("already has 4 people")`, label)
	if done, _ := until(clinician, settled, browserWait); !done {
		t.Fatalf("after the clinician let %s in, the waiting room still lists them", name)
	}
}

// waitingListShows waits until the clinician's waiting room lists n people.
func waitingListShows(t *testing.T, clinician context.Context, n int) {
	t.Helper()
	shows := fmt.Sprintf(`document.querySelectorAll("#waiting-list button").length === %d`, n)
	if done, _ := until(clinician, shows, browserWait); !done {
		listed, _ := Run(clinician, Text(ID("waiting-list")))
		t.Fatalf("the clinician's waiting room never listed %d people: it shows %q", n, listed)
	}
}

func TestClientAndClinicianSeeAndHearEachOther(t *testing.T) {
	for _, relayOnly := range []bool{false, true} {
		name := "direct"
		if relayOnly {
			name = "through Portico's relay"
		}
		t.Run(name, func(t *testing.T) {
			env := testenv.Start(t, func(c *hooks.Config) { c.Video.RelayOnly = relayOnly })
			client, _ := env.NewClient("Ada Client", "ada@example.com", true)
			appointment, link, _ := env.PorticoCall(client, env.Clock.Now().Add(5*time.Minute))

			ada := openAsClient(t, testenv.CallBrowser, link, "the client")
			testenv.Accessible(t, ada, "camera check")
			testenv.Screenshot(t, ada, "call-check")
			joinAndWait(t, ada, "Ada", "the client")
			testenv.Accessible(t, ada, "waiting room")
			if title, _ := Run(ada, Text(ID("waiting-title"))); title != "Dr. Maya Lin will let you in" {
				t.Errorf("the waiting room says %q", title)
			}
			testenv.Screenshot(t, ada, "call-waiting")

			waiting := "Ada"
			if relayOnly {
				waiting = "" // the schedule is checked once
			}
			clinician := openAsClinician(t, testenv.CallBrowser, env, appointment, waiting)
			// Not in the call until admitted: the client still waits.
			if visible, _ := Run(ada, Evaluate[bool](`!document.getElementById("incall").hidden`)); visible {
				t.Fatalf("the client was in the call before the clinician let them in")
			}
			admit(t, clinician, "Ada")
			if err := Do(ada, WaitVisible(ID("incall"))); err != nil {
				t.Fatalf("the admitted client never saw the call: %v", err)
			}

			fromClinician := receiving(t, ada, "/js/call.js", "the client", 1)
			fromClient := receiving(t, clinician, "/js/staff-call.js", "the clinician", 1)
			testenv.Screenshot(t, ada, "call-in-call")
			if relayOnly {
				if !fromClinician[0].Relayed || !fromClient[0].Relayed {
					t.Errorf("with relay only, media did not go through a relay candidate: %+v %+v", fromClinician, fromClient)
				}
				stats := env.Portal.Video.Relay()
				if stats.Allocations < 2 || stats.BytesRelayed < 100_000 {
					t.Errorf("Portico's relay carried %+v; want both browsers' media through it", stats)
				}
			}

			// The phone changes networks: ICE restarts with new credentials and the media keeps flowing.
			if err := Do(ada, Evaluate[Void](`dispatchEvent(new Event("online"))`)); err != nil {
				t.Fatal(err)
			}
			restarted, _ := until(ada, fmt.Sprintf(`import("/js/call.js").then((page) => page.stats()).then((s) => s.length === 1 && s[0].iceUfrag !== "" && s[0].iceUfrag !== %q)`, fromClinician[0].ICEUfrag), browserWait, WithPollingInterval(100*time.Millisecond))
			if !restarted {
				t.Errorf("after a network change the client's connection kept its old ICE credentials: no ICE restart")
			}
			receiving(t, ada, "/js/call.js", "the client, after the network change", 1)

			// The client leaves: the clinician is told in plain words.
			if err := Do(ada, Click(ID("leave")), WaitVisible(ID("over"))); err != nil {
				t.Fatalf("leaving: %v", err)
			}
			told, _ := until(clinician, `document.getElementById("status").textContent.includes("Ada left the session")`, browserWait)
			if !told {
				status, _ := Run(clinician, Text(ID("status")))
				t.Errorf("after the client left the clinician's page says %q", status)
			}
		})
	}
}

func TestFourPeopleInOneCall(t *testing.T) {
	env := testenv.Start(t)
	client, _ := env.NewClient("Ada Client", "ada@example.com", true)
	appointment, link, token := env.PorticoCall(client, env.Clock.Now().Add(5*time.Minute))

	staff := env.ClinicianToken()
	began := time.Now()
	stage := func(what string) { t.Logf("%5.1f s: %s", time.Since(began).Seconds(), what) }
	clinician := openAsClinician(t, testenv.SmallCameraBrowser, env, appointment, "")
	stage("the clinician is in the call")
	names := []string{"Ada", "Ben", "Cleo"}
	var family []context.Context
	for _, name := range names {
		tab := openAsClient(t, testenv.SmallCameraBrowser, link, name)
		joinAndWait(t, tab, name, name)
		family = append(family, tab)
		stage(name + " waits")
	}
	// A fifth holder of the link waits, and stays waiting when the call is full.
	fifth := env.OpenCall("/api/video/join", map[string]string{"token": token, "name": "Dee"})
	next(t, fifth, "hello", "a fifth person")
	waitingListShows(t, clinician, 4)
	for _, name := range names {
		admit(t, clinician, name)
	}
	for i, tab := range family {
		if err := Do(tab, WaitVisible(ID("incall"))); err != nil {
			t.Fatalf("%s never got into the call: %v", names[i], err)
		}
	}
	stage("all four are in the call")
	pages := []callPage{{clinician, "/js/staff-call.js", "the clinician"}}
	for i, tab := range family {
		pages = append(pages, callPage{tab, "/js/call.js", names[i]})
	}
	everyoneReceiving(t, pages, 3)
	stage("each of the four sees and hears the three others")

	admit(t, clinician, "Dee")
	const full = `document.getElementById("status").textContent.includes("already has 4 people")`
	if told, _ := until(clinician, full, browserWait); !told {
		t.Errorf("the clinician was not told the call is full")
	}
	stage("the clinician is told the call is full")

	// Cleo's phone stops answering, as in a tunnel: the clinician is told
	// the connection is poor, and told again when it recovers, each on the
	// quality line: the news that the call is full stays on its own line.
	thaw := testenv.Freeze(t, family[2])
	if told, _ := until(clinician, `document.getElementById("quality").textContent.includes("The connection is poor")`, browserWait); !told {
		quality, _ := Run(clinician, Text(ID("quality")))
		t.Errorf("with Cleo's phone silent, the clinician's page says %q about the connection; want that it is poor", quality)
	}
	stage("Cleo's phone is silent: the clinician is told the connection is poor")
	fullStill := func(when string) {
		t.Helper()
		if still, _ := Run(clinician, Evaluate[bool](full)); !still {
			status, _ := Run(clinician, Text(ID("status")))
			t.Errorf("%s the status line no longer says the call is full: it says %q", when, status)
		}
	}
	fullStill("told the connection is poor,")
	thaw()
	if recovered, _ := until(clinician, `document.getElementById("quality").textContent === "" && !document.querySelector(".stage figure.poor")`, browserWait); !recovered {
		quality, _ := Run(clinician, Text(ID("quality")))
		t.Errorf("after Cleo's phone answered again the clinician's page still says %q", quality)
	}
	stage("Cleo's phone answers again")
	fullStill("told the connection recovered,")
	present := env.Do(http.MethodGet, "/api/video/present/"+appointment.Id, nil, "Authorization", staff)
	if waiting, _ := present.JSON["waiting"].([]any); len(waiting) != 1 || len(present.JSON["inCall"].([]any)) != 4 {
		t.Errorf("in a full call a fifth person is not left waiting: %s", present)
	}

	// Ending the call ends it for everyone, the waiting room too.
	if err := Do(clinician, Click(ID("end")), WaitVisible(ID("over"))); err != nil {
		t.Fatalf("ending the session: %v", err)
	}
	stage("the clinician ended the session")
	for i, tab := range family {
		if err := Do(tab, WaitVisible(ID("over"))); err != nil {
			t.Fatalf("%s was not told the session ended: %v", names[i], err)
		}
		stage(names[i] + " is told the session ended")
	}
	if _, told := fifth.Next("ended", wait); !told {
		t.Errorf("the person in the waiting room was not told the session ended")
	}
	stage("the session ended for everyone")
	if title, _ := Run(family[0], Text(ID("over-title"))); title != "The session has ended" {
		t.Errorf("after the clinician ended it the client reads %q", title)
	}
}

// TestScannerOpeningTheLinkStartsNoCall opens the join link the way a
// mail scanner that runs JavaScript would: the page loads, even gets the
// camera, and nobody enters the waiting room or touches the relay.
func TestScannerOpeningTheLinkStartsNoCall(t *testing.T) {
	env := testenv.Start(t)
	client, _ := env.NewClient("Ada Client", "ada@example.com", true)
	appointment, link, _ := env.PorticoCall(client, env.Clock.Now().Add(5*time.Minute))
	staff := env.ClinicianToken()

	for _, method := range []string{http.MethodHead, http.MethodGet} {
		req, _ := http.NewRequest(method, link, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s of the join link: %d, Cache-Control %q; want 200, no-store", method, resp.StatusCode, resp.Header.Get("Cache-Control"))
		}
	}
	openAsClient(t, testenv.CallBrowser, link, "the scanner")
	present := env.Do(http.MethodGet, "/api/video/present/"+appointment.Id, nil, "Authorization", staff)
	if waiting, _ := present.JSON["waiting"].([]any); len(waiting) != 0 || present.Status != http.StatusOK {
		t.Errorf("opening the link put someone in the waiting room: %s", present)
	}
	if stats := env.Portal.Video.Relay(); stats.Allocations != 0 {
		t.Errorf("opening the link used the relay: %+v", stats)
	}
}

// TestBlockedCameraExplainsHowToAllowIt is a browser that refuses the
// camera: the page says so in plain words and offers to try again.
func TestBlockedCameraExplainsHowToAllowIt(t *testing.T) {
	env := testenv.Start(t)
	client, _ := env.NewClient("Ada Client", "ada@example.com", true)
	_, link, _ := env.PorticoCall(client, env.Clock.Now().Add(5*time.Minute))

	tab := testenv.ScannerBrowser(t)
	if err := Do(tab, Navigate(link)); err != nil {
		t.Fatal(err)
	}
	explained, _ := until(tab, `!document.getElementById("blocked").hidden || !document.getElementById("nodevice").hidden`, browserWait)
	if !explained {
		t.Fatalf("with the camera refused the page explained nothing")
	}
	text, _ := Run(tab, Text(CSS("main")))
	if !strings.Contains(text, "Try again") {
		t.Errorf("the blocked-camera page offers no way forward: %q", text)
	}
	testenv.Accessible(t, tab, "camera blocked")
	testenv.Screenshot(t, tab, "call-blocked")
}
