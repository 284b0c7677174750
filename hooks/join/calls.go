package join

import (
	"database/sql"
	"errors"

	"github.com/pocketbase/pocketbase/core"

	"portico/hooks/schema"
	"portico/hooks/video"
)

// Calls finds the calls held on Portico itself: those of telehealth
// appointments whose clinician keeps no external room.
func (l *Links) Calls() video.Calls {
	return calls{l}
}

// EndCallsWhenClosed ends an appointment's call for everyone in it as soon
// as the appointment is cancelled or marked completed.
func (l *Links) EndCallsWhenClosed(service *video.Service) {
	l.app.OnRecordAfterUpdateSuccess(schema.Appointments).BindFunc(func(e *core.RecordEvent) error {
		if status := e.Record.GetString("status"); status == schema.StatusCancelled || status == schema.StatusCompleted {
			service.End(e.Record.Id)
		}
		return e.Next()
	})
}

type calls struct{ links *Links }

func (c calls) call(a *schema.Appointment) (video.Call, error) {
	settings, err := c.links.practice.Get()
	if err != nil {
		return video.Call{}, err
	}
	call := video.Call{
		Appointment: a.Id,
		Clinician:   a.ClinicianName(),
		Client:      a.Client.GetString("name"),
		Opens:       a.Starts().Add(-settings.JoinOpensBefore),
		Ends:        a.Ends(),
		Cancelled:   a.Status() == schema.StatusCancelled,
	}
	if a.Status() == schema.StatusCompleted {
		call.Ends = call.Opens // marked done: the call is over, however long was booked
	}
	return call, nil
}

// ForJoinToken finds the call a join link opens.
func (c calls) ForJoinToken(token string) (video.Call, error) {
	a, err := c.links.find(token)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && videoRoom(a) != "") {
		return video.Call{}, video.ErrUnknownCall
	}
	if err != nil {
		return video.Call{}, err
	}
	return c.call(a)
}

// ForHost lets a clinician host the calls of their own appointments, and
// the practice's owner (or a dashboard superuser) any; the front desk,
// clients and nobody host none.
func (c calls) ForHost(e *core.RequestEvent, id string) (video.Call, video.Host, error) {
	staff := e.Auth != nil && e.Auth.Collection().Name == schema.Staff
	role := ""
	if staff {
		role = e.Auth.GetString("role")
	}
	if !(e.Auth != nil && e.Auth.IsSuperuser()) && role != "owner" && role != "clinician" {
		return video.Call{}, video.Host{}, video.ErrNotHost
	}
	record, err := c.links.app.FindRecordById(schema.Appointments, id)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && record.GetString("kind") != schema.KindTelehealth) {
		return video.Call{}, video.Host{}, video.ErrUnknownCall
	}
	if err != nil {
		return video.Call{}, video.Host{}, err
	}
	a, err := schema.LoadAppointment(c.links.app, record)
	if err != nil {
		return video.Call{}, video.Host{}, err
	}
	if videoRoom(a) != "" {
		return video.Call{}, video.Host{}, video.ErrUnknownCall
	}
	host := video.Host{ID: e.Auth.Id, Name: a.ClinicianName()}
	switch {
	case role == "clinician" && e.Auth.GetString("clinician") != a.Clinician.Id:
		return video.Call{}, video.Host{}, video.ErrNotHost // another clinician's session
	case role == "owner" && e.Auth.GetString("clinician") != a.Clinician.Id:
		host.Name = e.Auth.GetString("name")
	}
	call, err := c.call(a)
	return call, host, err
}
