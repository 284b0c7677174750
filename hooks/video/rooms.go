package video

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/pocketbase/pocketbase/core"
)

// Roles of the people in a call.
const (
	RoleClient    = "client"
	RoleClinician = "clinician"
)

// MaxInCall is how many people one call holds: a couple or a family and
// the clinician. Every browser sends its media to every other one, so each
// more person costs every phone another upload.
const MaxInCall = 4

// maxWaiting bounds the waiting room, so a leaked link cannot fill memory.
const maxWaiting = 8

var (
	errCallFull    = errors.New("The call already has 4 people: someone has to leave before anyone else can come in.")
	errWaitingFull = errors.New("Too many people are waiting for this session. Please try again in a minute.")
	errNotInCall   = errors.New("That person is not in this call.")
)

// How someone left a call, as PresenceEvent.How says it.
const (
	LeftByChoice       = "left"            // pressed Leave or closed the page
	LeftConnectionLost = "connection lost" // the browser's signalling stayed gone for the grace period
	LeftCallEnded      = "call ended"      // the clinician ended it, the appointment closed or its window did
	LeftPorticoStopped = "Portico stopped" // the server shut down; the browsers enter again once it is back
)

// event is one message down a participant's stream.
type event struct {
	name string
	data any
}

// arrival is who a browser entering a call is, as its request says.
type arrival struct {
	role      string
	name      string
	auth      *core.Record // the clinician's staff (or superuser) record; nil for a client
	iceHost   string       // the host name the browser reached Portico by, for its TURN URLs
	ip        string
	userAgent string
}

// participant is one browser in a call, from entering the waiting room
// until it leaves.
type participant struct {
	arrival
	id       string // shown to the others in the call
	key      string // the participant's secret for its signalling requests
	admitted bool
	since    time.Time
	room     *room
	events   chan event  // the open stream's; nil while the browser reconnects
	removal  *time.Timer // set while disconnected: the participant leaves when it fires
}

// person is what the others in a call know of a participant.
type person struct {
	ID    string    `json:"id"`
	Name  string    `json:"name"`
	Role  string    `json:"role"`
	Since time.Time `json:"since"`
}

func (p *participant) person() person {
	return person{ID: p.id, Name: p.name, Role: p.role, Since: p.since}
}

// room is one appointment's call.
type room struct {
	call   Call
	people []*participant // in order of arrival
}

func (r *room) admitted() []*participant {
	return slices.DeleteFunc(slices.Clone(r.people), func(p *participant) bool { return !p.admitted })
}

func (r *room) waiting() []person {
	waiting := []person{}
	for _, p := range r.people {
		if !p.admitted {
			waiting = append(waiting, p.person())
		}
	}
	return waiting
}

// rooms holds every call in progress. It lives in memory only: a restart
// ends every call, and the browsers enter again by themselves.
type rooms struct {
	mu            sync.Mutex
	byAppointment map[string]*room
	byKey         map[string]*participant
	byID          map[string]*participant
	grace         time.Duration // how long a dropped stream keeps its place
	now           func() time.Time

	// admittedEvent is what a participant is told on admission: the
	// others already in the call and its relay credentials.
	admittedEvent func(p *participant, peers []person) any
	// joined and left run, under the lock, as a participant enters and
	// leaves the call itself (not the waiting room); how is one of Left*.
	joined func(p *participant)
	left   func(p *participant, how string)
}

func newRooms(grace time.Duration, now func() time.Time) *rooms {
	return &rooms{
		byAppointment: map[string]*room{},
		byKey:         map[string]*participant{},
		byID:          map[string]*participant{},
		grace:         grace,
		now:           now,
		admittedEvent: func(_ *participant, peers []person) any { return map[string]any{"peers": peers} },
		joined:        func(*participant) {},
		left:          func(*participant, string) {},
	}
}

func randomID(bytes int) string {
	raw := make([]byte, bytes)
	_, _ = rand.Read(raw) // crypto/rand never fails on the platforms Go supports
	return base64.RawURLEncoding.EncodeToString(raw)
}

// enter puts a browser into the call's waiting room, or straight into the
// call for a clinician, and returns the stream of its events. A resume key
// of a participant that lost its stream gives the browser its place back,
// admitted if it was.
func (r *rooms) enter(call Call, who arrival, resume string) (*participant, <-chan event, error) {
	r.mu.Lock()
	defer r.mu.Unlock()

	events := make(chan event, 64)
	if p := r.byKey[resume]; p != nil && p.room.call.Appointment == call.Appointment && p.role == who.role {
		if p.removal != nil {
			p.removal.Stop()
			p.removal = nil
		}
		if p.events != nil {
			close(p.events) // the old stream, if the browser opened a new one before the old one broke
		}
		p.events, p.iceHost = events, who.iceHost
		r.send(p, "hello", p.hello(true))
		if p.admitted {
			r.send(p, "admitted", r.admittedEvent(p, r.peersOf(p)))
		}
		return p, events, nil
	}

	rm := r.byAppointment[call.Appointment]
	if rm == nil {
		rm = &room{call: call}
		r.byAppointment[call.Appointment] = rm
	}
	rm.call = call
	if who.role == RoleClinician && len(rm.admitted()) >= MaxInCall {
		return nil, nil, errCallFull
	}
	if who.role == RoleClient && len(rm.waiting()) >= maxWaiting {
		return nil, nil, errWaitingFull
	}
	p := &participant{
		arrival: who, id: randomID(9), key: randomID(32),
		since: r.now(), room: rm, events: events,
	}
	rm.people = append(rm.people, p)
	r.byKey[p.key], r.byID[p.id] = p, p
	r.send(p, "hello", p.hello(false))
	if who.role == RoleClinician {
		r.admit(p)
	} else {
		r.tellWaiting(rm)
	}
	return p, events, nil
}

func (p *participant) hello(resumed bool) map[string]any {
	return map[string]any{"id": p.id, "key": p.key, "role": p.role, "admitted": p.admitted, "resumed": resumed}
}

func (r *rooms) peersOf(p *participant) []person {
	peers := []person{}
	for _, other := range p.room.admitted() {
		if other != p {
			peers = append(peers, other.person())
		}
	}
	return peers
}

// admit moves p from the waiting room into the call.
func (r *rooms) admit(p *participant) {
	p.admitted = true
	r.send(p, "admitted", r.admittedEvent(p, r.peersOf(p)))
	for _, other := range p.room.admitted() {
		if other != p {
			r.send(other, "peer-joined", p.person())
		}
	}
	r.tellWaiting(p.room)
	r.joined(p)
}

// admitByClinician lets a waiting participant in, if the call has room.
func (r *rooms) admitByClinician(clinician *participant, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.byID[id]
	if p == nil || p.room != clinician.room {
		return errNotInCall
	}
	if p.admitted {
		return nil
	}
	if len(p.room.admitted()) >= MaxInCall {
		return errCallFull
	}
	r.admit(p)
	return nil
}

// tellWaiting gives the clinicians in the call the waiting room as it is now.
func (r *rooms) tellWaiting(rm *room) {
	waiting := map[string]any{"waiting": rm.waiting()}
	for _, p := range rm.admitted() {
		if p.role == RoleClinician {
			r.send(p, "waiting", waiting)
		}
	}
}

// send queues an event on p's stream. A browser that stops reading has
// its stream closed and reconnects, rather than holding up the call.
func (r *rooms) send(p *participant, name string, data any) {
	if p.events == nil {
		return
	}
	select {
	case p.events <- event{name: name, data: data}:
	default:
		close(p.events)
		p.events = nil
		r.scheduleRemoval(p)
	}
}

// relay passes a signalling message between two people in the same call.
func (r *rooms) relay(from *participant, to string, message any) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	target := r.byID[to]
	if target == nil || target.room != from.room || !target.admitted || !from.admitted {
		return errNotInCall
	}
	r.send(target, "signal", map[string]any{"from": from.id, "message": message})
	return nil
}

// participantByKey finds the participant a signalling request comes from.
func (r *rooms) participantByKey(key string) *participant {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.byKey[key]
}

// admittedByID reports whether id is a participant in a call (not the
// waiting room), for the relay's credential check, and the call.
func (r *rooms) admittedByID(id string) (Call, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.byID[id]
	if p == nil || !p.admitted {
		return Call{}, false
	}
	return p.room.call, true
}

// disconnected notes that p's stream ended; p keeps its place for the
// grace period, in which the browser may reconnect with its key.
func (r *rooms) disconnected(p *participant, events <-chan event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p.events == nil || (<-chan event)(p.events) != events {
		return // already replaced by a newer stream, or already gone
	}
	close(p.events)
	p.events = nil
	r.scheduleRemoval(p)
}

func (r *rooms) scheduleRemoval(p *participant) {
	if p.removal != nil {
		return
	}
	p.removal = time.AfterFunc(r.grace, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if p.events == nil && r.byKey[p.key] == p {
			r.remove(p, "", LeftConnectionLost)
		}
	})
}

// leave takes p out of the call at once.
func (r *rooms) leave(p *participant) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byKey[p.key] == p {
		r.remove(p, "", LeftByChoice)
	}
}

// end closes the appointment's call for everyone in it, saying why.
func (r *rooms) end(appointment, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rm := r.byAppointment[appointment]
	if rm == nil {
		return
	}
	for _, p := range slices.Clone(rm.people) {
		r.remove(p, reason, LeftCallEnded)
	}
}

// remove takes p out; a reason tells p itself why its call ended, and how
// (one of Left*) tells the presence hook.
func (r *rooms) remove(p *participant, reason, how string) {
	rm := p.room
	rm.people = slices.DeleteFunc(rm.people, func(other *participant) bool { return other == p })
	delete(r.byKey, p.key)
	delete(r.byID, p.id)
	if p.removal != nil {
		p.removal.Stop()
	}
	if reason != "" {
		r.send(p, "ended", map[string]string{"reason": reason})
	}
	if p.events != nil {
		close(p.events)
		p.events = nil
	}
	if p.admitted {
		for _, other := range rm.admitted() {
			r.send(other, "peer-left", p.person())
		}
		r.left(p, how)
	}
	r.tellWaiting(rm)
	if len(rm.people) == 0 {
		delete(r.byAppointment, rm.call.Appointment)
	}
}

// shutdown takes everyone out of every call as Portico stops, telling the
// presence hook, and then tells it nothing more: a grace timer or a stream
// that ends after this finds no one left. The browsers' streams end, and
// they enter again once Portico is back.
func (r *rooms) shutdown() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rm := range r.byAppointment {
		for _, p := range slices.Clone(rm.people) {
			r.remove(p, "", LeftPorticoStopped)
		}
	}
	r.joined, r.left = func(*participant) {}, func(*participant, string) {}
}

// present says who is in an appointment's call and who waits.
func (r *rooms) present(appointment string) (inCall, waiting []person) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rm := r.byAppointment[appointment]
	if rm == nil {
		return nil, nil
	}
	for _, p := range rm.admitted() {
		inCall = append(inCall, p.person())
	}
	return inCall, rm.waiting()
}
