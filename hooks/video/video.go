package video

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
)

// Call is what the video service needs to know of one appointment.
type Call struct {
	Appointment string    // the appointment's id: one call per appointment
	Clinician   string    // the clinician's name, as the client reads it
	Client      string    // the client's name, as the clinician reads it
	Opens       time.Time // when the join link starts opening the call
	Ends        time.Time // the booked end: no one joins after it
	Cancelled   bool
}

// Host is the staff member hosting a call.
type Host struct {
	ID   string
	Name string
}

// Errors a Calls implementation returns.
var (
	ErrUnknownCall = errors.New("video: no call for this link or appointment")
	ErrNotHost     = errors.New("video: this staff member may not host this call")
)

// Calls finds calls for the video service; the application implements it
// over its appointments and staff.
type Calls interface {
	// ForJoinToken finds the call a client's join link opens, or ErrUnknownCall.
	ForJoinToken(token string) (Call, error)
	// ForHost finds an appointment's call for the staff member signed in
	// on the request: ErrUnknownCall, or ErrNotHost when they may not host it.
	ForHost(e *core.RequestEvent, appointment string) (Call, Host, error)
}

// Config is how an operator runs the video service.
type Config struct {
	// Now is the clock that judges call windows and credentials.
	Now func() time.Time

	// TURNListen is where the relay listens, on UDP and TCP (host:port).
	TURNListen string
	// RelayMinPort and RelayMaxPort bound the UDP ports relayed media
	// uses (both 0: any free port).
	RelayMinPort, RelayMaxPort uint16
	// PublicIP is the address the relay announces; empty means the
	// Application URL's host (from --domain), resolved.
	PublicIP string
	// RelayOnly sends every call through the relay, so neither side
	// learns the other's IP address, at the cost of the server's bandwidth.
	RelayOnly bool

	// Overrun is how long a call may run past its booked end: no one new
	// joins then, but the people in it are not cut off mid-sentence.
	Overrun time.Duration
	// Grace is how long a browser whose signalling dropped (a phone
	// moving from Wi-Fi to mobile data) keeps its place in the call.
	Grace time.Duration
	// Ping is how often an idle signalling stream is kept alive and the
	// call's window checked.
	Ping time.Duration
}

// DefaultConfig is the video service as a practice runs it.
func DefaultConfig() Config {
	return Config{
		Now:          time.Now,
		TURNListen:   "0.0.0.0:3478",
		RelayMinPort: 49152,
		RelayMaxPort: 49407,
		Overrun:      30 * time.Minute,
		Grace:        30 * time.Second,
		Ping:         15 * time.Second,
	}
}

// ConfigFromEnv reads the PORTICO_TURN_* and PORTICO_VIDEO_* variables into config.
func ConfigFromEnv(config *Config) error {
	if raw := os.Getenv("PORTICO_TURN_LISTEN_IP"); raw != "" {
		if ip := net.ParseIP(raw); ip == nil || ip.To4() == nil {
			return fmt.Errorf("PORTICO_TURN_LISTEN_IP=%q: want an IPv4 address of this server, such as 0.0.0.0 (every one)", raw)
		}
		_, port, _ := net.SplitHostPort(config.TURNListen)
		config.TURNListen = net.JoinHostPort(raw, port)
	}
	if raw := os.Getenv("PORTICO_TURN_PORT"); raw != "" {
		port, err := strconv.ParseUint(raw, 10, 16)
		if err != nil || port == 0 {
			return fmt.Errorf("PORTICO_TURN_PORT=%q: want a port number such as 3478", raw)
		}
		host, _, _ := net.SplitHostPort(config.TURNListen)
		config.TURNListen = net.JoinHostPort(host, raw)
	}
	if raw := os.Getenv("PORTICO_TURN_RELAY_PORTS"); raw != "" {
		low, high, _ := strings.Cut(raw, "-")
		minPort, errMin := strconv.ParseUint(low, 10, 16)
		maxPort, errMax := strconv.ParseUint(high, 10, 16)
		if errMin != nil || errMax != nil || minPort == 0 || maxPort < minPort {
			return fmt.Errorf("PORTICO_TURN_RELAY_PORTS=%q: want a range such as 49152-49407", raw)
		}
		config.RelayMinPort, config.RelayMaxPort = uint16(minPort), uint16(maxPort)
	}
	if raw := os.Getenv("PORTICO_TURN_PUBLIC_IP"); raw != "" {
		if ip := net.ParseIP(raw); ip == nil || ip.To4() == nil {
			return fmt.Errorf("PORTICO_TURN_PUBLIC_IP=%q: want the server's public IPv4 address", raw)
		}
		config.PublicIP = raw
	}
	if raw := os.Getenv("PORTICO_VIDEO_RELAY_ONLY"); raw != "" {
		relayOnly, err := strconv.ParseBool(raw)
		if err != nil {
			return fmt.Errorf("PORTICO_VIDEO_RELAY_ONLY=%q: want true or false", raw)
		}
		config.RelayOnly = relayOnly
	}
	return nil
}

// PresenceEvent is someone joining or leaving a call (not its waiting room).
type PresenceEvent struct {
	hook.Event
	Appointment string
	Participant string // this browser's id in the call, the same in its join and its leave
	Role        string // RoleClient or RoleClinician
	// Name is the name the others saw: the one a client typed before
	// joining (a partner may join with the same link), or the clinician's.
	Name string
	// Auth is the clinician's staff or superuser record; nil for a
	// client, who came with the appointment's join link.
	Auth      *core.Record
	IP        string
	UserAgent string
	Joined    bool   // false: left
	How       string // of a leave: LeftByChoice, LeftConnectionLost or LeftCallEnded
	At        time.Time
}

// Service is the video capability: signalling, waiting rooms and the relay.
type Service struct {
	app      core.App
	config   Config
	calls    Calls
	rooms    *rooms
	relay    *relay
	presence *hook.Hook[*PresenceEvent]
	changes  chan *PresenceEvent
	// announced is closed once every change has been announced, after
	// changes is closed as Portico stops.
	announced chan struct{}
	stopping  sync.Once
}

// Register adds the video routes and the TURN server (started with serve) to app.
func Register(app core.App, config Config, calls Calls) *Service {
	s := &Service{
		app:       app,
		config:    config,
		calls:     calls,
		rooms:     newRooms(config.Grace, config.Now),
		presence:  &hook.Hook[*PresenceEvent]{},
		changes:   make(chan *PresenceEvent, 256),
		announced: make(chan struct{}),
	}
	public := &publicAddress{appURLHost: func() string {
		u, err := url.Parse(app.Settings().Meta.AppURL)
		if err != nil {
			return ""
		}
		return u.Hostname()
	}}
	if config.PublicIP != "" {
		public.configured = net.ParseIP(config.PublicIP).To4()
	}
	s.relay = &relay{now: config.Now, inCall: s.rooms.admittedByID, overrun: config.Overrun, publicIP: public.ip}

	s.rooms.admittedEvent = s.admittedEvent
	s.rooms.joined = func(p *participant) { s.changes <- s.presenceEvent(p, true, "") }
	s.rooms.left = func(p *participant, how string) {
		s.changes <- s.presenceEvent(p, false, how)
		go s.relay.revoke(p.id)
	}
	go s.announcePresence()

	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		if err := startRelay(config.TURNListen, config.RelayMinPort, config.RelayMaxPort, s.relay); err != nil {
			return err
		}
		s.routes(e)
		return e.Next()
	})
	// As Portico stops, everyone leaves and their leaving is announced
	// while the database is still open for the presence hook's handlers.
	app.OnTerminate().BindFunc(func(e *core.TerminateEvent) error {
		s.stopping.Do(func() {
			s.rooms.shutdown()
			close(s.changes)
		})
		<-s.announced
		if err := s.relay.close(); err != nil {
			app.Logger().Warn("stopping the TURN server", "error", err)
		}
		return e.Next()
	})
	return s
}

// OnPresence is the hook point for "joined the call" and "left the call":
// the audit trail binds here. Handlers run one at a time, in order.
func (s *Service) OnPresence() *hook.Hook[*PresenceEvent] {
	return s.presence
}

// End closes an appointment's call for everyone in it, as when the
// appointment is cancelled.
func (s *Service) End(appointment string) {
	s.rooms.end(appointment, "ended")
}

// Relay reports what the embedded TURN server is doing now.
func (s *Service) Relay() RelayStats {
	return s.relay.stats()
}

// TURNPort is the port the relay listens on, for UDP and TCP.
func (s *Service) TURNPort() int {
	return s.relay.port
}

func (s *Service) presenceEvent(p *participant, joined bool, how string) *PresenceEvent {
	return &PresenceEvent{
		Appointment: p.room.call.Appointment, Participant: p.id, Role: p.role, Name: p.name,
		Auth: p.auth, IP: p.ip, UserAgent: p.userAgent, Joined: joined, How: how, At: s.config.Now(),
	}
}

// announcePresence runs the presence hook outside the rooms' lock, so a
// handler may take its time or look at the call.
func (s *Service) announcePresence() {
	defer close(s.announced)
	for event := range s.changes {
		what := "Left the call"
		if event.Joined {
			what = "Joined the call"
		}
		s.app.Logger().Info(what, "appointment", event.Appointment, "role", event.Role, "participant", event.Participant)
		err := s.presence.Trigger(event, func(*PresenceEvent) error { return nil })
		if err != nil {
			s.app.Logger().Error("presence hook", "error", err)
		}
	}
}

// iceServer is one entry of RTCConfiguration.iceServers.
type iceServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username"`
	Credential string   `json:"credential"`
}

// admittedEvent tells a newly admitted participant who is in the call and
// how to reach the relay: the host the browser reached Portico by, on the
// TURN port, over UDP and TCP (for networks that block UDP).
func (s *Service) admittedEvent(p *participant, peers []person) any {
	username, password := s.relay.credentials(p.id, p.room.call)
	hostPort := net.JoinHostPort(p.iceHost, strconv.Itoa(s.relay.port))
	policy := "all"
	if s.config.RelayOnly {
		policy = "relay"
	}
	return map[string]any{
		"peers": peers,
		"iceServers": []iceServer{{
			URLs:     []string{"turn:" + hostPort + "?transport=udp", "turn:" + hostPort + "?transport=tcp"},
			Username: username, Credential: password,
		}},
		"iceTransportPolicy": policy,
	}
}
