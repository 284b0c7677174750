package workspace

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"portico/hooks/practice"
	"portico/hooks/schema"
	"portico/hooks/staff"
	"portico/hooks/web"
)

const (
	dateLayout = "2006-01-02"
	timeLayout = "15:04"
	// maxScheduleRows bounds one answer: a week of a large group practice.
	maxScheduleRows = 5000
)

// person is a client or clinician as the schedule names them.
type person struct {
	Id   string `json:"id"`
	Name string `json:"name"`
}

// joinState is where a telehealth appointment's join link stands:
// "waiting" (it opens at Opens), "open", or "over". OnPortico is a session
// held on Portico's own video (the clinician keeps no external room): the
// schedule links to its call page and says who is waiting.
type joinState struct {
	State     string    `json:"state"`
	Opens     time.Time `json:"opens"`
	OnPortico bool      `json:"onPortico"`
}

// appointmentView is what the workspace shows of an appointment: never
// the notes, the join link's salt, the reminder plan or the sequence.
type appointmentView struct {
	Id              string     `json:"id"`
	Starts          time.Time  `json:"starts"`
	Ends            time.Time  `json:"ends"`
	Day             string     `json:"day"`   // the practice's date, 2026-03-09
	Start           string     `json:"start"` // the practice's time, 10:00
	When            string     `json:"when"`  // "Tuesday 9 March, 10:00-10:50"
	DurationMinutes int        `json:"durationMinutes"`
	Kind            string     `json:"kind"`
	Place           string     `json:"place,omitzero"`
	Status          string     `json:"status"`
	Client          person     `json:"client"`
	Clinician       person     `json:"clinician"`
	Join            *joinState `json:"join,omitzero"`
	// What the client said, from the reminder links or the portal.
	Confirmed         bool `json:"confirmed"`
	CancelledByClient bool `json:"cancelledByClient"`
	LateCancellation  bool `json:"lateCancellation"` // inside the practice's cancellation policy window
	TimeRequested     bool `json:"timeRequested"`    // an open request for another time waits on the Requests page
}

// view is appointment as the workspace shows it, in the practice's zone.
func (w *Workspace) view(settings practice.Practice, appointment *schema.Appointment) appointmentView {
	zone := settings.TimeZone
	starts, ends := appointment.Starts(), appointment.Ends()
	v := appointmentView{
		Id:              appointment.Id,
		Starts:          starts,
		Ends:            ends,
		Day:             starts.In(zone).Format(dateLayout),
		Start:           starts.In(zone).Format(timeLayout),
		When:            practice.Span(starts, ends, zone),
		DurationMinutes: appointment.GetInt("duration_minutes"),
		Kind:            appointment.GetString("kind"),
		Status:          appointment.Status(),
		Client:          person{Id: appointment.Client.Id, Name: appointment.Client.GetString("name")},
		Clinician:       person{Id: appointment.Clinician.Id, Name: appointment.Clinician.GetString("name")},

		Confirmed:         appointment.Status() == schema.StatusScheduled && !appointment.GetDateTime("confirmed").IsZero(),
		CancelledByClient: appointment.Status() == schema.StatusCancelled && appointment.GetString("cancelled_by") == schema.CancelledByClient,
		LateCancellation:  appointment.GetBool("late_cancellation"),
	}
	if !appointment.Telehealth() {
		v.Place = appointment.Place(settings.Address)
		return v
	}
	now := w.now()
	join := &joinState{State: "waiting", Opens: starts.Add(-settings.JoinOpensBefore), OnPortico: appointment.Clinician.GetString("video_room") == ""}
	switch {
	case !ends.After(now) || v.Status != schema.StatusScheduled:
		join.State = "over"
	case !now.Before(join.Opens):
		join.State = "open"
	}
	v.Join = join
	return v
}

// views loads the clients and clinicians of records and keeps the
// appointments auth may see.
func (w *Workspace) views(auth *core.Record, settings practice.Practice, records []*core.Record) ([]appointmentView, error) {
	loaded, err := schema.LoadAppointments(w.app, records)
	if err != nil {
		return nil, err
	}
	// Open requests are few, and their partial index holds just this column.
	var open []string
	if err := w.app.DB().Select("appointment").From(schema.AppointmentRequests).
		Where(dbx.HashExp{"status": schema.RequestOpen}).Column(&open); err != nil {
		return nil, err
	}
	list := make([]appointmentView, 0, len(loaded))
	for _, appointment := range loaded {
		if seesAppointment(auth, appointment) {
			v := w.view(settings, appointment)
			v.TimeRequested = slices.Contains(open, appointment.Id)
			list = append(list, v)
		}
	}
	return list, nil
}

// handleSchedule lists the appointments of one day or a week from a date
// (?date=2026-03-09&days=7, today and 1 by default), for the whole
// practice or one clinician (?clinician=ID), in the practice's zone. A
// clinician sees their own appointments and their clients'.
func (w *Workspace) handleSchedule(e *core.RequestEvent) error {
	settings, err := w.practice.Get()
	if err != nil {
		return e.InternalServerError("", err)
	}
	zone := settings.TimeZone
	query := e.Request.URL.Query()
	today := w.now().In(zone).Format(dateLayout)
	date := query.Get("date")
	if date == "" {
		date = today
	}
	from, err := time.ParseInLocation(dateLayout, date, zone)
	if err != nil {
		return e.BadRequestError("Give the date as 2026-03-09.", nil)
	}
	days := 1
	if raw := query.Get("days"); raw != "" {
		if days, err = strconv.Atoi(raw); err != nil || days < 1 || days > 7 {
			return e.BadRequestError("Ask for 1 to 7 days.", nil)
		}
	}
	to := from.AddDate(0, 0, days)

	filter := "starts >= {:from} && starts < {:to}"
	params := dbx.Params{"from": schema.DateTime(from), "to": schema.DateTime(to)}
	if clinician := query.Get("clinician"); clinician != "" {
		filter += " && clinician = {:clinician}"
		params["clinician"] = clinician
	}
	if role(e.Auth) == staff.RoleClinician {
		// The same as views' check, in SQL, so a busy practice's week is
		// not read to be thrown away.
		filter += " && (clinician = {:me} || client.clinicians.id ?= {:me})"
		params["me"] = e.Auth.GetString("clinician")
	}
	records, err := e.App.FindRecordsByFilter(schema.Appointments, filter, "starts", maxScheduleRows, 0, params)
	if err != nil {
		return e.InternalServerError("", err)
	}
	list, err := w.views(e.Auth, settings, records)
	if err != nil {
		return e.InternalServerError("", err)
	}
	clinicians, err := e.App.FindRecordsByFilter(schema.Clinicians, "", "name", 500, 0)
	if err != nil {
		return e.InternalServerError("", err)
	}
	people := make([]map[string]any, 0, len(clinicians))
	for _, c := range clinicians {
		people = append(people, map[string]any{"id": c.Id, "name": c.GetString("name"), "telehealth": c.GetString("video_room") != ""})
	}
	return e.JSON(http.StatusOK, map[string]any{
		"timeZone":     zone.String(),
		"today":        today,
		"date":         date,
		"days":         days,
		"clinicians":   people,
		"appointments": list,
		"mine":         e.Auth.GetString("clinician"),
		"canBook":      role(e.Auth) != staff.RoleClinician || e.Auth.GetString("clinician") != "",
	})
}

// whenForm is a date and time in the practice's zone and a length, as the
// schedule's pickers send them.
type whenForm struct {
	Date            string `json:"date"`
	Time            string `json:"time"`
	DurationMinutes int    `json:"durationMinutes"`
}

func (f *whenForm) rules() []*validation.FieldRules {
	return []*validation.FieldRules{
		validation.Field(&f.Date, validation.Required.Error("Choose a date."), validation.Date(dateLayout).Error("Choose a date from the calendar.")),
		validation.Field(&f.Time, validation.Required.Error("Choose a start time."), validation.Date(timeLayout).Error("Choose a start time, such as 10:00.")),
		validation.Field(&f.DurationMinutes, validation.Required.Error("Choose how long it lasts."), validation.Min(5).Error("An appointment lasts at least 5 minutes."), validation.Max(600).Error("An appointment lasts at most 10 hours.")),
	}
}

// localStart is the form's moment as appointments' local_start holds it.
func (f *whenForm) localStart() string { return f.Date + " " + f.Time }

// bookForm is a new appointment.
type bookForm struct {
	whenForm
	Client    string `json:"client"`
	Clinician string `json:"clinician"`
	Kind      string `json:"kind"`
	Location  string `json:"location"`
}

// Validate checks the booking's shape; the record hooks check the rest.
func (f *bookForm) Validate() error {
	rules := append(f.rules(),
		validation.Field(&f.Client, validation.Required.Error("Choose the client.")),
		validation.Field(&f.Clinician, validation.Required.Error("Choose the clinician.")),
		validation.Field(&f.Kind, validation.Required.Error("Choose in person or telehealth."), validation.In(schema.KindInPerson, schema.KindTelehealth).Error("Choose in person or telehealth.")),
		validation.Field(&f.Location, validation.Length(0, 500)),
	)
	return validation.ValidateStruct(f, rules...)
}

// handleBook books an appointment for a client the caller may book for.
// The record hooks refuse an overlap, naming the other appointment, and
// mail the client the confirmation.
func (w *Workspace) handleBook(e *core.RequestEvent) error {
	form := &bookForm{}
	if err := web.BindForm(e, form); err != nil {
		return err
	}
	client, err := e.App.FindRecordById(schema.Clients, form.Client)
	if err != nil || !seesClient(e.Auth, client) {
		return e.BadRequestError("We could not find that client.", nil)
	}
	clinician, err := e.App.FindRecordById(schema.Clinicians, form.Clinician)
	if err != nil {
		return e.BadRequestError("We could not find that clinician.", nil)
	}
	collection, err := e.App.FindCachedCollectionByNameOrId(schema.Appointments)
	if err != nil {
		return e.InternalServerError("", err)
	}
	record := core.NewRecord(collection)
	record.Set("client", client.Id)
	record.Set("clinician", clinician.Id)
	record.Set("local_start", form.localStart())
	record.Set("duration_minutes", form.DurationMinutes)
	record.Set("kind", form.Kind)
	if form.Kind == schema.KindInPerson {
		record.Set("location", form.Location)
	}
	if err := e.App.Save(record); err != nil {
		return saveError(e, err)
	}
	return w.answer(e, http.StatusCreated, record, func(v appointmentView) string {
		message := fmt.Sprintf("Booked: %s with %s.", v.When, v.Clinician.Name)
		if v.Starts.After(w.now()) {
			message += " Confirmation sent to " + client.Email() + "."
		}
		return message
	})
}

// answer reads record back as the workspace shows it, with message.
func (w *Workspace) answer(e *core.RequestEvent, status int, record *core.Record, message func(appointmentView) string) error {
	settings, err := w.practice.Get()
	if err != nil {
		return e.InternalServerError("", err)
	}
	loaded, err := schema.LoadAppointment(e.App, record)
	if err != nil {
		return e.InternalServerError("", err)
	}
	v := w.view(settings, loaded)
	return e.JSON(status, map[string]any{"message": message(v), "appointment": v})
}

// findAppointment is the appointment named by the path's {id} if the
// caller may change it (the same as booking for its client); a 404
// otherwise.
func findAppointment(e *core.RequestEvent) (*core.Record, *core.Record, error) {
	record, err := e.App.FindRecordById(schema.Appointments, e.Request.PathValue("id"))
	if err == nil {
		client, clientErr := e.App.FindRecordById(schema.Clients, record.GetString("client"))
		if clientErr == nil && seesClient(e.Auth, client) {
			return record, client, nil
		}
	}
	return nil, nil, e.NotFoundError("We could not find that appointment.", nil)
}

// moveForm is an appointment's new time.
type moveForm struct{ whenForm }

// Validate checks the new date, time and length.
func (f *moveForm) Validate() error { return validation.ValidateStruct(f, f.rules()...) }

// handleMove gives an appointment a new time (or length); the record
// hooks refuse an overlap and mail the client the new time.
func (w *Workspace) handleMove(e *core.RequestEvent) error {
	record, client, err := findAppointment(e)
	if err != nil {
		return err
	}
	form := &moveForm{}
	if err := web.BindForm(e, form); err != nil {
		return err
	}
	if record.GetString("status") != schema.StatusScheduled {
		return e.Error(http.StatusConflict, "Only a scheduled appointment can be moved: book a new one instead.", nil)
	}
	record.Set("local_start", form.localStart())
	record.Set("duration_minutes", form.DurationMinutes)
	if err := e.App.Save(record); err != nil {
		return saveError(e, err)
	}
	return w.answer(e, http.StatusOK, record, func(v appointmentView) string {
		message := fmt.Sprintf("Moved: now %s with %s.", v.When, v.Clinician.Name)
		if v.Starts.After(w.now()) {
			message += " We emailed the new time to " + client.Email() + "."
		}
		return message
	})
}

// statusForm is what became of an appointment.
type statusForm struct {
	Status string `json:"status"`
}

// Validate accepts the statuses the schedule sets.
func (f *statusForm) Validate() error {
	return validation.ValidateStruct(f, validation.Field(&f.Status, validation.Required,
		validation.In(schema.StatusCancelled, schema.StatusCompleted, schema.StatusNoShow).Error("Choose cancelled, completed or no_show.")))
}

// handleStatus cancels an appointment (the record hooks mail the client a
// cancellation), or marks it completed or a no-show.
func (w *Workspace) handleStatus(e *core.RequestEvent) error {
	record, client, err := findAppointment(e)
	if err != nil {
		return err
	}
	form := &statusForm{}
	if err := web.BindForm(e, form); err != nil {
		return err
	}
	if was := record.GetString("status"); was != schema.StatusScheduled && was != form.Status {
		return e.Error(http.StatusConflict, "This appointment is already "+statusWords[was]+".", nil)
	}
	record.Set("status", form.Status)
	if err := e.App.Save(record); err != nil {
		return saveError(e, err)
	}
	return w.answer(e, http.StatusOK, record, func(v appointmentView) string {
		message := fmt.Sprintf("%s: %s, %s with %s.", capitalized[form.Status], v.Client.Name, v.When, v.Clinician.Name)
		if form.Status == schema.StatusCancelled && v.Starts.After(w.now()) {
			message += " We emailed the cancellation to " + client.Email() + "."
		}
		return message
	})
}

var (
	statusWords = map[string]string{schema.StatusCancelled: "cancelled", schema.StatusCompleted: "marked completed", schema.StatusNoShow: "marked as a no-show"}
	capitalized = map[string]string{schema.StatusCancelled: "Cancelled", schema.StatusCompleted: "Completed", schema.StatusNoShow: "No-show"}
)
