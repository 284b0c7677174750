package testenv

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pocketbase/pocketbase/core"

	"portico/hooks"
)

// CallBrowser is Browser with a fake camera and microphone that need no
// permission prompt, for pages that hold a call: Chromium's fake camera
// draws a moving 640×480 picture and its fake microphone beeps.
func CallBrowser(t testing.TB) context.Context {
	t.Helper()
	// Ten frames a second: the browsers of a call encode and decode on two cores.
	return callBrowser(t, chromedp.Flag("use-fake-device-for-media-stream", "fps=10"))
}

// SmallCameraBrowser is CallBrowser with a fake camera that films a
// 160×120 picture, a bar crossing the frame ten times a second, for a call
// of four or five browsers on two cores: each browser encodes one copy of
// its picture per person and decodes everyone's, and at 640×480 that is
// more than two shared cores do in a test's time. What the call proves
// (every browser receives every other's video and sound) does not depend
// on the picture's size.
func SmallCameraBrowser(t testing.TB) context.Context {
	t.Helper()
	film := filepath.Join(t.TempDir(), "camera.y4m")
	if err := os.WriteFile(film, smallFilm(), 0o600); err != nil {
		t.Fatal(err)
	}
	tab := callBrowser(t,
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-video-capture", film), // Chromium plays it in a loop
	)
	// A phone's width at one device pixel per CSS pixel: drawn without a
	// GPU, the call's pictures at three pixels per CSS pixel cost nine
	// times as much to paint, every frame, in every browser.
	if err := chromedp.Do(tab, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(1), chromedp.EmulateMobile, chromedp.EmulateTouch)); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return tab
}

// smallFilm is one second of 160×120 video at 10 frames a second in the
// YUV4MPEG2 format Chromium's fake camera reads: a white bar moving
// across grey, so every frame differs from the one before.
func smallFilm() []byte {
	const width, height, frames = 160, 120, 10
	var film bytes.Buffer
	fmt.Fprintf(&film, "YUV4MPEG2 W%d H%d F10:1 Ip A1:1 C420jpeg\n", width, height)
	for frame := range frames {
		film.WriteString("FRAME\n")
		luma := bytes.Repeat([]byte{128}, width*height)
		for y := range height {
			for x := frame * width / frames; x < (frame+1)*width/frames; x++ {
				luma[y*width+x] = 235
			}
		}
		film.Write(luma)
		film.Write(bytes.Repeat([]byte{128}, width*height/2)) // the two chroma planes, grey
	}
	return film.Bytes()
}

// callBrowser is Browser for a call page: media without a prompt, a tab
// that may take eight minutes (a call of several browsers on two shared cores
// takes longer than a page), with camera the fake camera's flags.
func callBrowser(t testing.TB, camera ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	return startBrowser(t, 8*time.Minute, append(camera,
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		// Every browser runs on this machine: let WebRTC use loopback addresses.
		chromedp.Flag("allow-loopback-in-peer-connection", true),
	)...)
}

// DroppedLeaveAtOnce is a Start option: a browser whose signalling stream
// drops leaves its call at once instead of after the grace period that
// lets a phone change networks, so a test sees the leave without waiting.
func DroppedLeaveAtOnce(c *hooks.Config) {
	c.Video.Grace = time.Millisecond
}

// Freeze stops every process of tab's browser, as a phone that goes into
// a tunnel stops answering: the others in the call hear nothing from it,
// while its signalling stream stays open. The returned thaw (also run when
// the test ends) lets it go on where it stopped.
func Freeze(t testing.TB, tab context.Context) (thaw func()) {
	t.Helper()
	c := chromedp.FromContext(tab)
	if c == nil || c.Browser == nil || c.Browser.Process() == nil {
		t.Fatal("Freeze: the tab has no browser process of its own")
	}
	pids := descendants(c.Browser.Process().Pid)
	signal := func(sig syscall.Signal) {
		for _, pid := range pids {
			syscall.Kill(pid, sig) // a process that already ended has nothing to stop
		}
	}
	signal(syscall.SIGSTOP)
	var once sync.Once
	thaw = func() { once.Do(func() { signal(syscall.SIGCONT) }) }
	t.Cleanup(thaw)
	return thaw
}

// descendants is pid and every process below it, read from /proc.
func descendants(pid int) []int {
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, entry := range entries {
		child, err := strconv.Atoi(entry.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + entry.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so read after its ")".
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) < 2 {
			continue
		}
		if parent, err := strconv.Atoi(fields[1]); err == nil {
			children[parent] = append(children[parent], child)
		}
	}
	all := []int{pid}
	for i := 0; i < len(all); i++ {
		all = append(all, children[all[i]]...)
	}
	return all
}

// ScannerBrowser is Browser with the camera and microphone refused, as a
// mail scanner running the page, or a person who said no, would have it.
func ScannerBrowser(t testing.TB) context.Context {
	t.Helper()
	return Browser(t, chromedp.Flag("use-fake-ui-for-media-stream", false), chromedp.Flag("deny-permission-prompts", true))
}

var joinLinkPattern = regexp.MustCompile(`https?://[^\s"<>]+/join/([A-Za-z0-9_-]{43})`)

// PorticoCall books a 50-minute telehealth appointment for client with a
// clinician who holds sessions on Portico's own video (no external room), and returns it with
// its join link, taken from the reminder the client is mailed.
func (env *Env) PorticoCall(client *core.Record, starts time.Time) (appointment *core.Record, link, token string) {
	env.T.Helper()
	clinician := env.NewClinician()
	clinician.Set("credentials", "")
	clinician.Set("video_room", "")
	if err := env.App.Save(clinician); err != nil {
		env.T.Fatalf("taking the clinician's external room away: %v", err)
	}
	appointment = env.Book(client, clinician, starts, "telehealth")
	env.Sweep()
	reminder := env.Mail.Next(client.Email(), 15*time.Second)
	match := joinLinkPattern.FindStringSubmatch(reminder.Text)
	if match == nil {
		env.T.Fatalf("the reminder has no join link:\n%s", reminder.Text)
	}
	return appointment, match[0], match[1]
}

// CallEvent is one server-sent event of a call's signalling stream.
type CallEvent struct {
	Name string
	Data map[string]any
}

// CallStream is a call's signalling stream as a browser holds it.
type CallStream struct {
	Status int
	Body   []byte // the refusal, when Status is not 200
	events chan CallEvent
	cancel context.CancelFunc
}

// OpenCall posts body to a signalling stream route (/api/video/join or
// /api/video/host) and reads its events until the test ends or Close.
func (env *Env) OpenCall(path string, body any, headers ...string) *CallStream {
	env.T.Helper()
	encoded, err := json.Marshal(body)
	if err != nil {
		env.T.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, env.URL+path, bytes.NewReader(encoded))
	if err != nil {
		env.T.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		env.T.Fatalf("POST %s: %v", path, err)
	}
	stream := &CallStream{Status: resp.StatusCode, events: make(chan CallEvent, 64), cancel: cancel}
	env.T.Cleanup(stream.Close)
	if resp.StatusCode != http.StatusOK {
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(resp.Body)
		resp.Body.Close()
		stream.Body = buf.Bytes()
		close(stream.events)
		return stream
	}
	go func() {
		defer resp.Body.Close()
		defer close(stream.events)
		scanner := bufio.NewScanner(resp.Body)
		scanner.Buffer(make([]byte, 64<<10), 1<<20)
		var event CallEvent
		for scanner.Scan() {
			line := scanner.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event.Name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				_ = json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &event.Data)
			case line == "" && event.Name != "":
				stream.events <- event
				event = CallEvent{}
			}
		}
	}()
	return stream
}

// Next waits for the next event named name (any event when name is ""),
// skipping others; ok is false when the stream ended or nothing came
// within timeout.
func (s *CallStream) Next(name string, timeout time.Duration) (event CallEvent, ok bool) {
	deadline := time.After(timeout)
	for {
		select {
		case event, open := <-s.events:
			if !open {
				return CallEvent{}, false
			}
			if name == "" || event.Name == name {
				return event, true
			}
		case <-deadline:
			return CallEvent{}, false
		}
	}
}

// firstEvent opens a signalling stream and answers with its status and
// either its refusal or its first event, as "event: NAME" and the event's
// JSON; then it drops the stream.
func (env *Env) firstEvent(path string, body any, headers ...string) Response {
	env.T.Helper()
	stream := env.OpenCall(path, body, headers...)
	defer stream.Close()
	if stream.Status != http.StatusOK {
		return Response{Status: stream.Status, Body: stream.Body}
	}
	event, ok := stream.Next("", Wait)
	if !ok {
		return Response{Status: http.StatusGatewayTimeout, Body: []byte("the stream opened but sent no event")}
	}
	data, _ := json.Marshal(event.Data)
	return Response{Status: stream.Status, Body: append([]byte("event: "+event.Name+"\n"), data...)}
}

// Close drops the stream, as a browser losing its connection would.
func (s *CallStream) Close() {
	s.cancel()
}

// HostOf signs in, as staff, the clinician of appointment and returns the
// session token the workspace would hold.
func (env *Env) HostOf(appointment *core.Record) string {
	env.T.Helper()
	clinician, err := env.App.FindRecordById("clinicians", appointment.GetString("clinician"))
	if err != nil {
		env.T.Fatal(err)
	}
	return env.SignIn(env.NewStaff("clinician", clinician))
}
