package workspace

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"portico/hooks/practice"
	"portico/hooks/schema"
	"portico/hooks/web"
)

// The Requests page: what clients did with their appointments from the
// reminder links and the portal (hooks/actions), for the staff who see
// the appointment: requests for another time to answer, and
// cancellations, late ones marked. Staff answer a request by moving the
// appointment (the move route; hooks/actions marks the request
// rescheduled) or by declining it with a line the client reads.

const (
	// maxRequests bounds one answer: far more than a practice has open.
	maxRequests = 200
	// recentDays is how far back the page shows answered requests and
	// the appointments clients cancelled.
	recentDays = 14
	// maxAnswer keeps the answer to the line or two a client reads in a mail.
	maxAnswer = 300
)

// preferredTime is a time the client would like, in the practice's zone.
type preferredTime struct {
	At    time.Time `json:"at"`
	Day   string    `json:"day"`   // 2026-03-09
	Start string    `json:"start"` // 10:00
	Label string    `json:"label"` // Monday 9 March, 10:00
}

// requestView is a request for another time as staff see it.
type requestView struct {
	Id          string          `json:"id"`
	Status      string          `json:"status"`
	Asked       time.Time       `json:"asked"`
	Times       []preferredTime `json:"times"`
	Note        string          `json:"note"`
	Answer      string          `json:"answer"`
	Appointment appointmentView `json:"appointment"`
}

func (w *Workspace) requestView(settings practice.Practice, request *core.Record, appointment *schema.Appointment) requestView {
	v := requestView{
		Id:          request.Id,
		Status:      request.GetString("status"),
		Asked:       request.GetDateTime("created").Time(),
		Times:       []preferredTime{},
		Note:        request.GetString("note"),
		Answer:      request.GetString("answer"),
		Appointment: w.view(settings, appointment),
	}
	var times []time.Time
	_ = request.UnmarshalJSONField("preferred_times", &times)
	for _, at := range times {
		local := at.In(settings.TimeZone)
		v.Times = append(v.Times, preferredTime{At: at, Day: local.Format(dateLayout), Start: local.Format(timeLayout),
			Label: local.Format("Monday 2 January, 15:04")})
	}
	return v
}

// handleRequests lists, for the appointments the caller may see, the
// open requests for another time (longest waiting first), those answered
// lately, and the appointments clients cancelled from two weeks ago on.
func (w *Workspace) handleRequests(e *core.RequestEvent) error {
	settings, err := w.practice.Get()
	if err != nil {
		return e.InternalServerError("", err)
	}
	since := schema.DateTime(w.now().AddDate(0, 0, -recentDays))
	requests, err := e.App.FindRecordsByFilter(schema.AppointmentRequests, "status = 'open' || answered >= {:since}",
		"created", maxRequests, 0, dbx.Params{"since": since})
	if err != nil {
		return e.InternalServerError("", err)
	}
	ids := make([]string, 0, len(requests))
	for _, request := range requests {
		ids = append(ids, request.GetString("appointment"))
	}
	records, err := e.App.FindRecordsByIds(schema.Appointments, slices.Compact(slices.Sorted(slices.Values(ids))))
	if err != nil {
		return e.InternalServerError("", err)
	}
	cancelled, err := e.App.FindRecordsByFilter(schema.Appointments, "status = 'cancelled' && cancelled_by = {:client} && starts >= {:since}",
		"starts", maxRequests, 0, dbx.Params{"client": schema.CancelledByClient, "since": since})
	if err != nil {
		return e.InternalServerError("", err)
	}
	loaded, err := schema.LoadAppointments(e.App, append(records, cancelled...))
	if err != nil {
		return e.InternalServerError("", err)
	}
	byId := map[string]*schema.Appointment{}
	for _, appointment := range loaded {
		byId[appointment.Id] = appointment
	}

	open, answered, cancellations := []requestView{}, []requestView{}, []appointmentView{}
	var shown []*core.Record
	for _, request := range requests {
		appointment := byId[request.GetString("appointment")]
		if appointment == nil || !seesAppointment(e.Auth, appointment) {
			continue
		}
		shown = append(shown, request)
		if request.GetString("status") == schema.RequestOpen {
			open = append(open, w.requestView(settings, request, appointment))
		} else {
			answered = append([]requestView{w.requestView(settings, request, appointment)}, answered...)
		}
	}
	for _, record := range cancelled {
		if appointment := byId[record.Id]; seesAppointment(e.Auth, appointment) {
			shown = append(shown, record)
			cancellations = append(cancellations, w.view(settings, appointment))
		}
	}
	web.Concerns(e, shown...)
	return e.JSON(http.StatusOK, map[string]any{
		"timeZone":      settings.TimeZone.String(),
		"open":          open,
		"answered":      answered,
		"cancellations": cancellations,
	})
}

// declineForm is the line a declined client reads.
type declineForm struct {
	Answer string `json:"answer"`
}

// Validate trims the answer and keeps it to a line or two.
func (f *declineForm) Validate() error {
	f.Answer = strings.TrimSpace(f.Answer)
	return validation.ValidateStruct(f, validation.Field(&f.Answer,
		validation.Required.Error("Write one line for the client: they read it by email and in the portal."),
		validation.RuneLength(0, maxAnswer).Error("Keep the answer to a line or two (300 characters at most).")))
}

// requestWords say where an answered request stands.
var requestWords = map[string]string{
	schema.RequestDeclined:    "declined",
	schema.RequestRescheduled: "answered: the appointment was moved",
	schema.RequestWithdrawn:   "closed: the appointment was cancelled",
}

// handleDecline declines an open request with the caller's line, which
// hooks/actions mails to the client; the appointment stays as it was.
func (w *Workspace) handleDecline(e *core.RequestEvent) error {
	request, appointment, err := findRequest(e)
	if err != nil {
		return err
	}
	form := &declineForm{}
	if err := web.BindForm(e, form); err != nil {
		return err
	}
	if status := request.GetString("status"); status != schema.RequestOpen {
		return e.Error(http.StatusConflict, "This request is already "+requestWords[status]+".", nil)
	}
	request.Set("status", schema.RequestDeclined)
	request.Set("answer", form.Answer)
	if err := e.App.Save(request); err != nil {
		return saveError(e, err)
	}
	settings, err := w.practice.Get()
	if err != nil {
		return e.InternalServerError("", err)
	}
	return e.JSON(http.StatusOK, map[string]any{
		"message": "Declined. We emailed your answer to " + appointment.Client.Email() + "; it is in their portal too, and the appointment stays as it was.",
		"request": w.requestView(settings, request, appointment),
	})
}

// findRequest is the request named by the path's {id} and its
// appointment, if the caller may see the appointment; a 404 otherwise.
func findRequest(e *core.RequestEvent) (*core.Record, *schema.Appointment, error) {
	request, err := e.App.FindRecordById(schema.AppointmentRequests, e.Request.PathValue("id"))
	if err == nil {
		record, findErr := e.App.FindRecordById(schema.Appointments, request.GetString("appointment"))
		if findErr == nil {
			appointment, loadErr := schema.LoadAppointment(e.App, record)
			if loadErr == nil && seesAppointment(e.Auth, appointment) {
				return request, appointment, nil
			}
		}
	}
	return nil, nil, e.NotFoundError("We could not find that request.", nil)
}
