package testenv

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pocketbase/pocketbase/core"
)

// CallBrowser is Browser with a fake camera and microphone that need no
// permission prompt, for pages that hold a call: Chromium's fake camera
// draws a moving picture and its fake microphone beeps. A call of several
// browsers on two cores takes longer than a page, so its tab has longer.
func CallBrowser(t testing.TB) context.Context {
	t.Helper()
	return startBrowser(t, 5*time.Minute,
		// Ten frames a second: five browsers encoding and decoding on two cores.
		chromedp.Flag("use-fake-device-for-media-stream", "fps=10"),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		// Both browsers run on this machine: let WebRTC use loopback addresses.
		chromedp.Flag("allow-loopback-in-peer-connection", true),
	)
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

// Next waits for the next event named name, skipping others; ok is false
// when the stream ended or nothing came within timeout.
func (s *CallStream) Next(name string, timeout time.Duration) (event CallEvent, ok bool) {
	deadline := time.After(timeout)
	for {
		select {
		case event, open := <-s.events:
			if !open {
				return CallEvent{}, false
			}
			if event.Name == name {
				return event, true
			}
		case <-deadline:
			return CallEvent{}, false
		}
	}
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
