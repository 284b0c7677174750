package video

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/turn/v5"
)

// turnRealm names Portico's relay in the TURN handshake.
const turnRealm = "portico"

// relay is the TURN server embedded in Portico, on one port for UDP and TCP.
type relay struct {
	server   *turn.Server
	port     int
	secret   []byte // signs credentials; new at every start, as calls are
	now      func() time.Time
	inCall   func(participant string) (Call, bool)
	overrun  time.Duration
	publicIP func() (net.IP, error)

	mu      sync.Mutex
	conns   map[string][]*countingConn // open relayed ports by participant
	relayed atomic.Uint64
}

// RelayStats is what the embedded TURN server is doing now.
type RelayStats struct {
	Allocations  int    // relayed ports held open for browsers
	BytesRelayed uint64 // media bytes through those ports since start
}

// startRelay listens on listen (host:port, port 0 for any) for TURN over
// UDP and TCP and relays through ports in [minPort, maxPort] (0, 0: any).
func startRelay(listen string, minPort, maxPort uint16, r *relay) error {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("TURN listen address %q: %w", listen, err)
	}
	r.secret = []byte(randomID(32))
	r.conns = map[string][]*countingConn{}

	udp, tcp, err := listenBoth(listen)
	if err != nil {
		return err
	}
	r.port = udp.LocalAddr().(*net.UDPAddr).Port
	ports := &relayPorts{relay: r, listenHost: host, minPort: minPort, maxPort: maxPort}
	r.server, err = turn.NewServer(turn.ServerConfig{
		Realm:       turnRealm,
		AuthHandler: r.authenticate,
		PacketConnConfigs: []turn.PacketConnConfig{{
			PacketConn: udp, RelayAddressGenerator: ports, PermissionHandler: ports.permitted,
		}},
		ListenerConfigs: []turn.ListenerConfig{{
			Listener: tcp, RelayAddressGenerator: ports, PermissionHandler: ports.permitted,
		}},
	})
	if err != nil {
		udp.Close()
		tcp.Close()
		return fmt.Errorf("starting the TURN server: %w", err)
	}
	return nil
}

// listenBoth opens UDP and TCP on the same port; with port 0 it retries
// until the port UDP got is free for TCP too.
func listenBoth(listen string) (net.PacketConn, net.Listener, error) {
	for range 10 {
		udp, err := net.ListenPacket("udp4", listen)
		if err != nil {
			return nil, nil, fmt.Errorf("TURN over UDP on %s: %w", listen, err)
		}
		tcp, err := net.Listen("tcp4", udp.LocalAddr().String())
		if err == nil {
			roomForBursts(udp)
			return udp, tcp, nil
		}
		udp.Close()
		if !strings.HasSuffix(listen, ":0") {
			return nil, nil, fmt.Errorf("TURN over TCP on %s: %w", listen, err)
		}
	}
	return nil, nil, fmt.Errorf("TURN on %s: found no port free for both UDP and TCP", listen)
}

// socketBuffer holds about a second of a few calls' video: a key frame
// arrives as a burst, and the kernel's default buffer (about 200 KB) drops
// its tail whenever the relay is a moment late reading.
const socketBuffer = 4 << 20

func roomForBursts(conn net.PacketConn) {
	if udp, ok := conn.(*net.UDPConn); ok {
		_ = udp.SetReadBuffer(socketBuffer) // the kernel caps it at net.core.rmem_max; any gain helps
		_ = udp.SetWriteBuffer(socketBuffer)
	}
}

func (r *relay) close() error {
	if r.server == nil {
		return nil
	}
	return r.server.Close()
}

func (r *relay) stats() RelayStats {
	return RelayStats{Allocations: r.server.AllocationCount(), BytesRelayed: r.relayed.Load()}
}

// credentials are a participant's TURN username and password: the
// username carries the participant and the moment they stop working.
func (r *relay) credentials(participant string, call Call) (username, password string) {
	expires := call.Ends.Add(r.overrun)
	username = strconv.FormatInt(expires.Unix(), 10) + ":" + participant
	return username, r.password(username)
}

func (r *relay) password(username string) string {
	mac := hmac.New(sha256.New, r.secret)
	mac.Write([]byte(username))
	return base64.RawStdEncoding.EncodeToString(mac.Sum(nil))
}

// authenticate accepts a TURN request only from a participant who is in a
// call now, within the call's window: one who left, was never admitted,
// or whose appointment was cancelled or is over is refused.
func (r *relay) authenticate(request *turn.RequestAttributes) (string, []byte, bool) {
	expiresText, participant, ok := strings.Cut(request.Username, ":")
	if !ok {
		return "", nil, false
	}
	expires, err := strconv.ParseInt(expiresText, 10, 64)
	if err != nil || !r.now().Before(time.Unix(expires, 0)) {
		return "", nil, false
	}
	call, inCall := r.inCall(participant)
	if !inCall || call.Cancelled || !r.now().Before(call.Ends.Add(r.overrun)) {
		return "", nil, false
	}
	return participant, turn.GenerateAuthKey(request.Username, turnRealm, r.password(request.Username)), true
}

// revoke closes every relayed port a participant holds: their media stops
// at once rather than at the allocation's next refresh.
func (r *relay) revoke(participant string) {
	r.mu.Lock()
	conns := r.conns[participant]
	delete(r.conns, participant)
	r.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

// relayPorts opens the relayed ports, announcing the public address.
type relayPorts struct {
	relay            *relay
	listenHost       string
	minPort, maxPort uint16
}

var errNoTCPRelay = errors.New("Portico's relay carries UDP only, as browsers use")

func (g *relayPorts) Validate() error { return nil }

func (g *relayPorts) AllocatePacketConn(config turn.AllocateListenerConfig) (net.PacketConn, net.Addr, error) {
	public, err := g.relay.publicIP()
	if err != nil {
		return nil, nil, err
	}
	var conn net.PacketConn
	for try := 0; ; try++ {
		port := 0
		if g.maxPort > 0 {
			port = int(g.minPort) + rand.IntN(int(g.maxPort-g.minPort)+1)
		}
		conn, err = net.ListenPacket("udp4", net.JoinHostPort(g.listenHost, strconv.Itoa(port)))
		if err == nil {
			break
		}
		if port == 0 || try == 20 {
			return nil, nil, fmt.Errorf("no free relay port: %w", err)
		}
	}
	roomForBursts(conn)
	counted := &countingConn{PacketConn: conn, relay: g.relay, participant: config.UserID}
	g.relay.mu.Lock()
	g.relay.conns[config.UserID] = append(g.relay.conns[config.UserID], counted)
	g.relay.mu.Unlock()
	return counted, &net.UDPAddr{IP: public, Port: conn.LocalAddr().(*net.UDPAddr).Port}, nil
}

func (g *relayPorts) AllocateListener(turn.AllocateListenerConfig) (net.Listener, net.Addr, error) {
	return nil, nil, errNoTCPRelay
}

func (g *relayPorts) AllocateConn(turn.AllocateConnConfig) (net.Conn, error) {
	return nil, errNoTCPRelay
}

// permitted keeps the relay from being a way into the server's own
// network: browsers reach one another's relayed or public addresses, never
// a private, loopback or link-local one other than the relay's own.
func (g *relayPorts) permitted(_ net.Addr, peer net.IP) bool {
	addr, ok := netip.AddrFromSlice(peer)
	if !ok {
		return false
	}
	addr = addr.Unmap()
	if public, err := g.relay.publicIP(); err == nil {
		if own, ok := netip.AddrFromSlice(public); ok && own.Unmap() == addr {
			return true
		}
	}
	return addr.IsGlobalUnicast() && !addr.IsPrivate()
}

// countingConn is one relayed port, counting the bytes through it.
type countingConn struct {
	net.PacketConn
	relay       *relay
	participant string
	closed      sync.Once // revoke and the allocation's own end may both close it
}

func (c *countingConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, addr, err := c.PacketConn.ReadFrom(b)
	c.relay.relayed.Add(uint64(n))
	return n, addr, err
}

func (c *countingConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	n, err := c.PacketConn.WriteTo(b, addr)
	c.relay.relayed.Add(uint64(n))
	return n, err
}

func (c *countingConn) Close() error {
	var err error
	c.closed.Do(func() {
		c.relay.mu.Lock()
		conns := slices.DeleteFunc(c.relay.conns[c.participant], func(other *countingConn) bool { return other == c })
		if len(conns) == 0 {
			delete(c.relay.conns, c.participant)
		} else {
			c.relay.conns[c.participant] = conns
		}
		c.relay.mu.Unlock()
		err = c.PacketConn.Close()
	})
	return err
}

// publicAddress resolves the address the relay announces: the configured
// one, else the Application URL's host (set from --domain), resolved once
// per host name.
type publicAddress struct {
	configured net.IP
	appURLHost func() string

	mu     sync.Mutex
	host   string
	cached net.IP
}

func (a *publicAddress) ip() (net.IP, error) {
	if a.configured != nil {
		return a.configured, nil
	}
	host := a.appURLHost()
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cached != nil && a.host == host {
		return a.cached, nil
	}
	var ip net.IP
	if parsed := net.ParseIP(host); parsed != nil {
		ip = parsed
	} else if host == "localhost" {
		ip = net.IPv4(127, 0, 0, 1)
	} else {
		ips, err := net.LookupIP(host)
		if err != nil {
			return nil, fmt.Errorf("finding the relay's public address from %q (set PORTICO_TURN_PUBLIC_IP): %w", host, err)
		}
		for _, candidate := range ips {
			if candidate.To4() != nil {
				ip = candidate
				break
			}
		}
		if ip == nil {
			return nil, fmt.Errorf("%q has no IPv4 address for the relay (set PORTICO_TURN_PUBLIC_IP)", host)
		}
	}
	a.host, a.cached = host, ip.To4()
	return a.cached, nil
}
