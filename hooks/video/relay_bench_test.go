package video_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"portico/internal/testenv"
)

// The relay benchmark: Portico runs in this process as a practice runs it;
// a second process, this test binary again, plays the browsers of each
// call, relay to relay as two browsers with iceTransportPolicy "relay"
// do, sending about 1.5 Mbit/s each way. This process's processor time
// over the window, less an idle window with the same allocations held,
// is what relaying costs Portico.
//
//	go test ./hooks/video/ -run '^$' -bench RelayedCalls -benchtime 1x -count 5

const (
	callBitrate   = 1_500_000 // bits per second, each way
	packetBytes   = 1250      // a full RTP packet of video
	loadWindow    = 10 * time.Second
	loadSpecEnv   = "PORTICO_RELAY_LOAD"
	loadReadyLine = "sending"
)

// turnLogin is one browser's relay credentials.
type turnLogin struct {
	Username, Password string
}

// loadSpec tells the load process what to send.
type loadSpec struct {
	Server  string
	Calls   [][2]turnLogin
	Bitrate int // 0: hold the allocations and send nothing, for the idle window
	Window  time.Duration
}

// loadResult is what the load process measured.
type loadResult struct {
	Sent, Received uint64
}

// credentials takes a participant's relay login from its admitted event.
func credentials(event testenv.CallEvent) turnLogin {
	server := event.Data["iceServers"].([]any)[0].(map[string]any)
	return turnLogin{server["username"].(string), server["credential"].(string)}
}

// callStreams are a clinician and a client in one call, by API.
type callStreams struct {
	host, guest           *testenv.CallStream
	guestKey, guestID     string
	hostLogin, guestLogin turnLogin
}

// admittedStreams opens an appointment's call as its clinician and lets
// its client in.
func admittedStreams(tb testing.TB, env *testenv.Env, appointment, token, staff string) callStreams {
	tb.Helper()
	var c callStreams
	c.host = env.OpenCall("/api/video/host", map[string]string{"appointment": appointment}, "Authorization", staff)
	hostKey := next(tb, c.host, "hello", "the clinician").Data["key"].(string)
	c.hostLogin = credentials(next(tb, c.host, "admitted", "the clinician"))
	c.guest = env.OpenCall("/api/video/join", map[string]string{"token": token})
	hello := next(tb, c.guest, "hello", "the client").Data
	c.guestKey, c.guestID = hello["key"].(string), hello["id"].(string)
	if r := env.Post("/api/video/admit", map[string]string{"key": hostKey, "participant": c.guestID}); r.Status != 204 {
		tb.Fatalf("admitting the client: %s", r)
	}
	c.guestLogin = credentials(next(tb, c.guest, "admitted", "the client"))
	next(tb, c.host, "peer-joined", "the clinician")
	return c
}

// runLoad starts the load process and returns Portico's processor time
// while it sent, and what it measured.
func runLoad(b *testing.B, spec loadSpec) (time.Duration, loadResult) {
	b.Helper()
	encoded, _ := json.Marshal(spec)
	cmd := exec.Command(os.Args[0], "-test.run=^TestRelayLoadProcess$", "-test.v")
	cmd.Env = append(os.Environ(), loadSpecEnv+"="+string(encoded))
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer cmd.Wait()
	var started time.Duration
	var result loadResult
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		line := lines.Text()
		switch {
		case line == loadReadyLine:
			started = testenv.ProcessCPU()
		case strings.HasPrefix(line, "result "):
			used := testenv.ProcessCPU() - started
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "result ")), &result); err != nil {
				b.Fatal(err)
			}
			return used, result
		}
	}
	b.Fatalf("the load process ended without a result")
	return 0, result
}

func BenchmarkRelayedCalls(b *testing.B) {
	for _, calls := range []int{1, 10, 20, 40} {
		b.Run(fmt.Sprintf("calls=%d", calls), func(b *testing.B) {
			env := testenv.Start(b)
			staff := env.ClinicianToken() // a dashboard superuser hosts every call here
			spec := loadSpec{Server: fmt.Sprintf("127.0.0.1:%d", env.Portal.Video.TURNPort()), Window: loadWindow}
			for i := range calls {
				client, _ := env.NewClient(fmt.Sprintf("Client %d", i), fmt.Sprintf("client%d@example.com", i), true)
				appointment, _, token := env.PorticoCall(client, env.Clock.Now().Add(5*time.Minute))
				pair := admittedStreams(b, env, appointment.Id, token, staff)
				spec.Calls = append(spec.Calls, [2]turnLogin{pair.hostLogin, pair.guestLogin})
			}
			for b.Loop() {
				idle, _ := runLoad(b, spec)
				spec.Bitrate = callBitrate
				busy, result := runLoad(b, spec)
				spec.Bitrate = 0

				perCall := (busy - idle).Seconds() / loadWindow.Seconds() / float64(calls)
				b.ReportMetric(100*perCall, "core%/call")
				b.ReportMetric(2/perCall, "calls/2cores")
				b.ReportMetric(100*(1-float64(result.Received)/float64(result.Sent)), "loss%")
				b.ReportMetric(float64(result.Received)*8/loadWindow.Seconds()/float64(2*calls)/1e6, "Mbit/s/direction")
			}
		})
	}
}

// TestRelayLoadProcess is the benchmark's second process: it runs only
// when the benchmark starts it with a load to send.
func TestRelayLoadProcess(t *testing.T) {
	raw := os.Getenv(loadSpecEnv)
	if raw == "" {
		t.Skip("the relay benchmark's load process; BenchmarkRelayedCalls starts it")
	}
	var spec loadSpec
	if err := json.Unmarshal([]byte(raw), &spec); err != nil {
		t.Fatal(err)
	}
	type side struct {
		conn    net.PacketConn
		relayed net.Addr
	}
	var sides [][2]side
	for _, call := range spec.Calls {
		var pair [2]side
		for i, login := range call {
			relayed, err := relayedPort(t, spec.Server, login.Username, login.Password)
			if err != nil {
				t.Fatalf("allocating: %v", err)
			}
			defer relayed.Close()
			pair[i] = side{relayed, relayed.LocalAddr()}
		}
		sides = append(sides, pair)
	}

	var sent, received atomic.Uint64
	for _, pair := range sides {
		for _, s := range pair {
			go func() {
				buf := make([]byte, 1500)
				for {
					n, _, err := s.conn.ReadFrom(buf)
					if err != nil {
						return
					}
					received.Add(uint64(n))
				}
			}()
		}
	}

	// Permissions first, as ICE's checks make them, so no media is lost
	// to their absence: every side says hello until every hello arrived.
	hellos := uint64(5 * 2 * len(sides))
	for attempt := 0; received.Load() < hellos; attempt++ {
		if attempt == 100 {
			t.Fatalf("the relay passed %d of %d hello bytes", received.Load(), hellos)
		}
		received.Store(0)
		for _, pair := range sides {
			for i, s := range pair {
				if _, err := s.conn.WriteTo([]byte("hello"), pair[1-i].relayed); err != nil {
					t.Fatal(err)
				}
			}
		}
		<-time.After(50 * time.Millisecond)
	}
	received.Store(0)

	fmt.Println(loadReadyLine)
	const tick = 20 * time.Millisecond
	perTick := spec.Bitrate / 8 * int(tick/time.Millisecond) / 1000
	payload := make([]byte, packetBytes)
	ticker := time.NewTicker(tick)
	deadline := time.Now().Add(spec.Window)
	for now := range ticker.C {
		if now.After(deadline) {
			break
		}
		for _, pair := range sides {
			for i, s := range pair {
				for bytes := 0; bytes < perTick; bytes += packetBytes {
					if _, err := s.conn.WriteTo(payload, pair[1-i].relayed); err == nil {
						sent.Add(packetBytes)
					}
				}
			}
		}
	}
	ticker.Stop()
	time.Sleep(200 * time.Millisecond) // the last packets' way through the relay
	result, _ := json.Marshal(loadResult{Sent: sent.Load(), Received: received.Load()})
	fmt.Println("result " + string(result))
}
