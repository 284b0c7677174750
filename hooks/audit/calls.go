package audit

import (
	"fmt"

	"portico/hooks/schema"
	"portico/hooks/video"
)

// Actions of a video call held on Portico.
const (
	ActionCallJoined = "call_joined"
	ActionCallLeft   = "call_left"
)

// RecordCalls records who joined and left each appointment's call held on
// Portico, and when: the appointment, the person (the clinician's staff
// account, or the client whose join link was used, with the name typed
// at the camera check), the browser's id in the call that pairs a join
// with its leave, and how the person left. Nothing said or shown in the
// call is known to Portico, and nothing of the appointment but its id is
// written here.
func (t *Trail) RecordCalls(calls *video.Service) {
	if !recording {
		return
	}
	calls.OnPresence().BindFunc(func(e *video.PresenceEvent) error {
		entry, err := t.presenceEntry(e)
		if err == nil {
			err = t.append(t.app, entry)
		}
		if err != nil {
			return fmt.Errorf("audit: recording that %s %s the call of appointment %s: %w", e.Participant, presenceWord(e), e.Appointment, err)
		}
		return e.Next()
	})
}

func presenceWord(e *video.PresenceEvent) string {
	if e.Joined {
		return "joined"
	}
	return "left"
}

// presenceEntry is the entry of one join or leave.
func (t *Trail) presenceEntry(e *video.PresenceEvent) (Entry, error) {
	appointment, err := t.app.FindRecordById(schema.Appointments, e.Appointment)
	if err != nil {
		return Entry{}, err
	}
	who := e.Auth
	if e.Role != video.RoleClinician {
		if who, err = t.app.FindRecordById(schema.Clients, appointment.GetString("client")); err != nil {
			return Entry{}, err
		}
	}
	person := actorOf(who)
	entry := Entry{
		ActorType: person.kind, ActorId: person.id, ActorName: person.name, Role: person.role,
		Action: ActionCallLeft, IP: e.IP, UserAgent: e.UserAgent,
	}.about(appointment)
	entry.Detail = fmt.Sprintf("as %q, participant %s", e.Name, e.Participant)
	if e.Joined {
		entry.Action = ActionCallJoined
	} else {
		entry.Detail += ": " + e.How
	}
	return entry, nil
}
