package hooks

import (
	"github.com/pocketbase/pocketbase/core"

	"portico/hooks/video"
	pbpublic "portico/pb_public"
)

// registerVideo holds telehealth calls on Portico itself for clinicians
// without an external room, and ends a call when its appointment is
// cancelled or completed.
func (p *Portal) registerVideo() *video.Service {
	config := p.Config.Video
	config.Now = p.Config.Now
	service := video.Register(p.App, config, videoCalls{p})
	p.App.OnRecordAfterUpdateSuccess("appointments").BindFunc(func(e *core.RecordEvent) error {
		if status := e.Record.GetString("status"); status == statusCancelled || status == statusCompleted {
			service.End(e.Record.Id)
		}
		return e.Next()
	})
	return service
}

// serveCall serves the call page of an appointment held on Portico.
func serveCall(e *core.RequestEvent) error {
	return e.FileFS(pbpublic.FS, "call.html")
}

// videoCalls finds calls among the appointments.
type videoCalls struct{ p *Portal }

func (c videoCalls) call(a appointment) video.Call {
	call := video.Call{
		Appointment: a.Id,
		Clinician:   a.clinicianName(),
		Client:      a.client.GetString("name"),
		Opens:       a.starts().Add(-c.p.Practice().JoinOpensBefore),
		Ends:        a.ends(),
		Cancelled:   a.GetString("status") == statusCancelled,
	}
	if a.GetString("status") == statusCompleted {
		call.Ends = call.Opens // marked done: the call is over, however long was booked
	}
	return call
}

// ForJoinToken finds the call of the telehealth appointment a join link
// opens, unless its clinician holds sessions in an external room.
func (c videoCalls) ForJoinToken(token string) (video.Call, error) {
	a, err := c.p.findJoin(token)
	if err != nil || videoRoom(a) != "" {
		return video.Call{}, video.ErrUnknownCall
	}
	return c.call(a), nil
}

// ForHost lets a PocketBase superuser host any appointment's call: until
// staff accounts exist, the dashboard's superusers are the practice's
// clinicians.
func (c videoCalls) ForHost(e *core.RequestEvent, id string) (video.Call, video.Host, error) {
	if e.Auth == nil || !e.Auth.IsSuperuser() {
		return video.Call{}, video.Host{}, video.ErrNotHost
	}
	record, err := c.p.App.FindRecordById("appointments", id)
	if err != nil || record.GetString("kind") != kindTelehealth {
		return video.Call{}, video.Host{}, video.ErrUnknownCall
	}
	a, err := loadAppointment(c.p.App, record)
	if err != nil {
		return video.Call{}, video.Host{}, err
	}
	if videoRoom(a) != "" {
		return video.Call{}, video.Host{}, video.ErrUnknownCall
	}
	return c.call(a), video.Host{ID: e.Auth.Id, Name: a.clinicianName()}, nil
}
