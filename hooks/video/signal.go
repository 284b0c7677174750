package video

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"

	"portico/hooks/web"
)

// signalBodyLimit fits a session description of four tracks with room to spare.
const signalBodyLimit = 64 << 10

// Why a call does not open now, as the pages explain it.
const (
	refusedCancelled = "cancelled"
	refusedEarly     = "early"
	refusedEnded     = "ended"
)

// routes binds the signalling API. Secrets (the join token, a
// participant's key) travel only in request bodies, never in a URL that a
// log or a proxy would keep.
func (s *Service) routes(e *core.ServeEvent) {
	api := e.Router.Group("/api/video")
	api.Bind(apis.BodyLimit(signalBodyLimit))
	api.BindFunc(web.NoStore)
	api.POST("/join", s.handleJoin)
	api.POST("/host", s.handleHost)
	api.POST("/signal", s.handleSignal)
	api.POST("/admit", s.handleAdmit)
	api.POST("/leave", s.handleLeave)
	api.POST("/end", s.handleEnd)
	api.GET("/present/{appointment}", s.handlePresent)
}

type joinForm struct {
	Token  string `json:"token"`
	Name   string `json:"name"`
	Resume string `json:"resume"`
}

func (f *joinForm) Validate() error {
	f.Name = strings.TrimSpace(f.Name)
	return validation.ValidateStruct(f,
		validation.Field(&f.Token, validation.Required, validation.Length(1, 100)),
		validation.Field(&f.Name, validation.Length(0, 60)),
		validation.Field(&f.Resume, validation.Length(0, 100)),
	)
}

type hostForm struct {
	Appointment string `json:"appointment"`
	Resume      string `json:"resume"`
}

func (f *hostForm) Validate() error {
	return validation.ValidateStruct(f,
		validation.Field(&f.Appointment, validation.Required, validation.Length(1, 50)),
		validation.Field(&f.Resume, validation.Length(0, 100)),
	)
}

type keyForm struct {
	Key         string          `json:"key"`
	To          string          `json:"to"`          // signal: the participant the message is for
	Participant string          `json:"participant"` // admit: the participant let in
	Message     json.RawMessage `json:"message"`     // signal: a description, a candidate or a restart request
}

func (f *keyForm) Validate() error {
	return validation.ValidateStruct(f, validation.Field(&f.Key, validation.Required, validation.Length(1, 100)))
}

// refusal says why a call cannot be entered now; "" when it can. A
// clinician may open the call from its window's start until the overrun
// ends; a client may join only until the booked end, or come back within
// the overrun if they had been in it.
func (s *Service) refusal(call Call, latest time.Time) string {
	now := s.config.Now()
	switch {
	case call.Cancelled:
		return refusedCancelled
	case now.Before(call.Opens):
		return refusedEarly
	case !now.Before(latest):
		return refusedEnded
	}
	return ""
}

func refuse(e *core.RequestEvent, reason string) error {
	messages := map[string]string{
		refusedCancelled: "This appointment was cancelled, so its call does not open.",
		refusedEarly:     "This call is not open yet.",
		refusedEnded:     "This call has ended.",
	}
	return e.JSON(http.StatusForbidden, map[string]any{"status": http.StatusForbidden, "message": messages[reason], "reason": reason})
}

// handleJoin puts a client with the join link into the waiting room and
// streams the call's events to them until they leave.
func (s *Service) handleJoin(e *core.RequestEvent) error {
	form := &joinForm{}
	if err := web.BindForm(e, form); err != nil {
		return err
	}
	call, err := s.calls.ForJoinToken(form.Token)
	if errors.Is(err, ErrUnknownCall) {
		return e.NotFoundError("This join link is not one we know.", nil)
	}
	if err != nil {
		return e.InternalServerError("", err)
	}
	latest := call.Ends
	if form.Resume != "" {
		latest = call.Ends.Add(s.config.Overrun)
	}
	if reason := s.refusal(call, latest); reason != "" {
		return refuse(e, reason)
	}
	name := form.Name
	if name == "" {
		name = call.Client
	}
	p, events, err := s.rooms.enter(call, arrivalOf(e, RoleClient, name, nil), form.Resume)
	if err != nil {
		return e.TooManyRequestsError(err.Error(), nil)
	}
	return s.stream(e, p, events)
}

// handleHost opens the call for the clinician and streams its events,
// the waiting room among them.
func (s *Service) handleHost(e *core.RequestEvent) error {
	form := &hostForm{}
	if err := web.BindForm(e, form); err != nil {
		return err
	}
	call, host, err := s.calls.ForHost(e, form.Appointment)
	switch {
	case errors.Is(err, ErrUnknownCall):
		return e.NotFoundError("We could not find that appointment's call.", nil)
	case errors.Is(err, ErrNotHost):
		return e.ForbiddenError("Only the appointment's clinician or the practice's owner can host this call.", nil)
	case err != nil:
		return e.InternalServerError("", err)
	}
	if reason := s.refusal(call, call.Ends.Add(s.config.Overrun)); reason != "" {
		return refuse(e, reason)
	}
	p, events, err := s.rooms.enter(call, arrivalOf(e, RoleClinician, host.Name, e.Auth), form.Resume)
	if err != nil {
		return e.Error(http.StatusConflict, err.Error(), nil)
	}
	return s.stream(e, p, events)
}

// arrivalOf is who the browser behind e is. Its TURN URLs name the host
// the browser used to reach Portico: the relay listens on the same host.
func arrivalOf(e *core.RequestEvent, role, name string, auth *core.Record) arrival {
	host := e.Request.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return arrival{role: role, name: name, auth: auth, iceHost: host, ip: e.RealIP(), userAgent: web.Truncate(e.Request.UserAgent(), 500)}
}

// stream writes p's events as server-sent events until p leaves or the
// browser goes away; then p keeps its place for the grace period.
func (s *Service) stream(e *core.RequestEvent, p *participant, events <-chan event) error {
	// The server's write timeout would cut a session off after five minutes.
	if err := http.NewResponseController(e.Response).SetWriteDeadline(time.Time{}); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return e.InternalServerError("", err)
	}
	header := e.Response.Header()
	header.Set("Content-Type", "text/event-stream")
	header.Set("X-Accel-Buffering", "no") // nginx in front must not hold events back
	e.Response.WriteHeader(http.StatusOK)

	ping := time.NewTicker(s.config.Ping)
	defer ping.Stop()
	for {
		var err error
		select {
		case ev, open := <-events:
			if !open {
				return nil
			}
			data, marshalErr := json.Marshal(ev.data)
			if marshalErr != nil {
				return marshalErr
			}
			_, err = fmt.Fprintf(e.Response, "event: %s\ndata: %s\n\n", ev.name, data)
		case <-ping.C:
			if !s.config.Now().Before(p.room.call.Ends.Add(s.config.Overrun)) {
				s.rooms.end(p.room.call.Appointment, refusedEnded)
				continue
			}
			_, err = fmt.Fprint(e.Response, ": still here\n\n")
		case <-e.Request.Context().Done():
			err = e.Request.Context().Err()
		}
		if err == nil {
			err = e.Flush()
		}
		if err != nil {
			s.rooms.disconnected(p, events)
			return nil
		}
	}
}

// participant finds the sender of a signalling request by its key.
func (s *Service) participant(e *core.RequestEvent, form *keyForm) (*participant, error) {
	if err := web.BindForm(e, form); err != nil {
		return nil, err
	}
	p := s.rooms.participantByKey(form.Key)
	if p == nil {
		return nil, e.NotFoundError("You are not in this call any more: open the link again to rejoin.", nil)
	}
	return p, nil
}

// handleSignal passes a WebRTC description or candidate to another person in the call.
func (s *Service) handleSignal(e *core.RequestEvent) error {
	form := &keyForm{}
	p, err := s.participant(e, form)
	if err != nil {
		return err
	}
	if len(form.Message) == 0 || !json.Valid(form.Message) {
		return e.BadRequestError("A signal needs a message.", nil)
	}
	if err := s.rooms.relay(p, form.To, form.Message); err != nil {
		return e.NotFoundError(err.Error(), nil)
	}
	return e.NoContent(http.StatusNoContent)
}

// clinician finds the sender of a request only a clinician in the call may make.
func (s *Service) clinician(e *core.RequestEvent, form *keyForm) (*participant, error) {
	p, err := s.participant(e, form)
	if err != nil {
		return nil, err
	}
	if p.role != RoleClinician {
		return nil, e.ForbiddenError("Only the clinician can do that.", nil)
	}
	return p, nil
}

// handleAdmit lets someone in from the waiting room.
func (s *Service) handleAdmit(e *core.RequestEvent) error {
	form := &keyForm{}
	p, err := s.clinician(e, form)
	if err != nil {
		return err
	}
	switch err := s.rooms.admitByClinician(p, form.Participant); {
	case errors.Is(err, errCallFull):
		return e.Error(http.StatusConflict, err.Error(), nil)
	case err != nil:
		return e.NotFoundError("That person is no longer waiting.", nil)
	}
	return e.NoContent(http.StatusNoContent)
}

// handleLeave takes the sender out of the call at once.
func (s *Service) handleLeave(e *core.RequestEvent) error {
	form := &keyForm{}
	p, err := s.participant(e, form)
	if err != nil {
		return err
	}
	s.rooms.leave(p)
	return e.NoContent(http.StatusNoContent)
}

// handleEnd ends the call for everyone, the waiting room too.
func (s *Service) handleEnd(e *core.RequestEvent) error {
	form := &keyForm{}
	p, err := s.clinician(e, form)
	if err != nil {
		return err
	}
	s.rooms.end(p.room.call.Appointment, "ended")
	return e.NoContent(http.StatusNoContent)
}

// handlePresent tells a clinician who is in an appointment's call and who
// is waiting, for the schedule.
func (s *Service) handlePresent(e *core.RequestEvent) error {
	appointment := e.Request.PathValue("appointment")
	call, _, err := s.calls.ForHost(e, appointment)
	switch {
	case errors.Is(err, ErrUnknownCall):
		return e.NotFoundError("We could not find that appointment's call.", nil)
	case errors.Is(err, ErrNotHost):
		return e.ForbiddenError("Only the appointment's clinician or the practice's owner can see this call.", nil)
	case err != nil:
		return e.InternalServerError("", err)
	}
	inCall, waiting := s.rooms.present(appointment)
	return e.JSON(http.StatusOK, map[string]any{
		"client": call.Client, "clinician": call.Clinician, "inCall": inCall, "waiting": waiting,
	})
}
