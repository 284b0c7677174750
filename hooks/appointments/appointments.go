// Package appointments keeps appointments consistent as clinicians book,
// move and cancel them, tells the client of each change by mail with a
// calendar file, and serves the portal's list of upcoming appointments.
// Reminders and join links are their own capabilities; Notify is how
// reminders mail a client about an appointment.
package appointments

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"

	"portico/hooks/join"
	"portico/hooks/letters"
	"portico/hooks/practice"
	"portico/hooks/schema"
	"portico/hooks/web"
)

// Changes to an appointment that the client is told of.
const (
	ChangeNone      = ""
	ChangeDetails   = "details"   // duration, kind, place or clinician: the next mail carries them
	ChangeMoved     = "moved"     // a new start, or booked again after a cancellation
	ChangeCancelled = "cancelled" // one cancellation notice, and no more reminders
)

// Appointments is the appointments capability.
type Appointments struct {
	app      core.App
	now      func() time.Time
	practice *practice.Settings
	letters  *letters.Letters
	join     *join.Links

	actionLinks LinksFunc
}

// LinksFunc gives the further links a mail about appointment carries.
type LinksFunc func(app core.App, appointment *schema.Appointment) ([]letters.Link, error)

// OfferInMail makes every mail about an appointment still to come (its
// confirmation, a new time, each reminder) carry the links that links
// gives: the client's actions on it. The capability that owns them calls
// it once, when it registers.
func (a *Appointments) OfferInMail(links LinksFunc) {
	a.actionLinks = links
}

// New returns the appointments capability.
func New(app core.App, now func() time.Time, settings *practice.Settings, mail *letters.Letters, links *join.Links) *Appointments {
	return &Appointments{app: app, now: now, practice: settings, letters: mail, join: links}
}

// Register binds the record hooks and the portal's routes.
func (a *Appointments) Register() {
	// The overlap check and the write are one transaction that holds the
	// write lock from its first statement (schema.WriteLocked), so two bookings
	// of one hour cannot both pass the check; the confirmation, the
	// reminders planned by later hooks and the notice commit with the row.
	a.app.OnRecordCreate(schema.Appointments).BindFunc(func(e *core.RecordEvent) error {
		return schema.WriteLocked(e.App, func(tx core.App) error {
			e.App = tx
			if err := a.prepare(tx, e.Record); err != nil {
				return err
			}
			if err := e.Next(); err != nil {
				return err
			}
			if err := a.confirm(tx, e.Record); err != nil {
				// The appointment stands either way; the schedule can resend by moving it.
				tx.Logger().Error("appointments: queueing the confirmation", "appointment", e.Record.Id, "error", err)
			}
			return nil
		})
	})

	a.app.OnRecordUpdate(schema.Appointments).BindFunc(func(e *core.RecordEvent) error {
		return schema.WriteLocked(e.App, func(tx core.App) error {
			e.App = tx
			if err := a.prepare(tx, e.Record); err != nil {
				return err
			}
			change := Change(e.Record)
			if change != ChangeNone {
				e.Record.Set("sequence", e.Record.GetInt("sequence")+1)
			}
			// The new row, the withdrawn reminders and the notice commit together.
			if err := e.Next(); err != nil {
				return err
			}
			return a.tellClientOfChange(tx, e.Record, change)
		})
	})

	a.app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		portal := e.Router.Group("/api/portal/appointments")
		portal.Bind(apis.RequireAuth(schema.Clients))
		portal.BindFunc(web.NoStore)
		portal.GET("", a.handleUpcoming)
		portal.GET("/{id}/calendar", a.handleCalendar)
		return e.Next()
	})
}

// localStartLayout is how clinicians type a start in the practice's time zone.
const localStartLayout = "2006-01-02 15:04"

// syncStart keeps starts (UTC, which everything else reads) and
// local_start (what a clinician types, in the practice's time zone) in
// step: the one the clinician changed sets the other.
func syncStart(record *core.Record, zone *time.Location) error {
	local := strings.TrimSpace(record.GetString("local_start"))
	if local != "" && (record.IsNew() || local != record.Original().GetString("local_start")) {
		starts, err := time.ParseInLocation(localStartLayout, local, zone)
		if err != nil {
			return validation.Errors{"local_start": validation.NewError("validation_local_start",
				"Write the date and time as 2026-03-09 10:00, in the practice's time zone.")}
		}
		record.Set("starts", starts)
	}
	starts := record.GetDateTime("starts")
	if starts.IsZero() {
		return validation.Errors{"local_start": validation.NewError("validation_required",
			"When is it? Type the date and time, such as 2026-03-09 10:00.")}
	}
	record.Set("local_start", starts.Time().In(zone).Format(localStartLayout))
	return nil
}

// Change says what an update of record means to the client; a new
// appointment counts as moved (to its first time).
func Change(record *core.Record) string {
	if record.IsNew() {
		return ChangeMoved
	}
	original := record.Original()
	status, was := record.GetString("status"), original.GetString("status")
	switch {
	case status == schema.StatusCancelled && was != schema.StatusCancelled:
		return ChangeCancelled
	case status != schema.StatusScheduled:
		return ChangeNone // completed or a no-show: the session is over
	case was == schema.StatusCancelled || !record.GetDateTime("starts").Equal(original.GetDateTime("starts")):
		return ChangeMoved
	}
	for _, field := range []string{"duration_minutes", "kind", "location", "clinician"} {
		if record.GetString(field) != original.GetString(field) {
			return ChangeDetails
		}
	}
	return ChangeNone
}

// prepare fills what the clinician may leave empty and checks the start,
// the time zone and the video room.
func (a *Appointments) prepare(app core.App, record *core.Record) error {
	settings, err := a.practice.Get()
	if err != nil {
		return err
	}
	if err := syncStart(record, settings.TimeZone); err != nil {
		return err
	}
	if record.GetString("status") == "" {
		record.Set("status", schema.StatusScheduled)
	}
	if record.GetString("timezone") == "" {
		if client, err := app.FindRecordById(schema.Clients, record.GetString("client")); err == nil {
			record.Set("timezone", client.GetString("timezone"))
		}
	}
	if record.GetString("timezone") == "" {
		record.Set("timezone", "UTC")
	}
	if _, err := time.LoadLocation(record.GetString("timezone")); err != nil {
		return validation.Errors{"timezone": practice.ErrUnknownZone}
	}

	if record.GetString("kind") == schema.KindTelehealth && record.GetString("status") == schema.StatusScheduled {
		// Only a session still to happen needs a room: cancelling must always work.
		// A clinician who keeps no external room holds the session on Portico itself;
		// one who keeps a fixed link for every client needs a waiting room on it.
		clinician, err := app.FindRecordById(schema.Clinicians, record.GetString("clinician"))
		if err == nil && schema.SharedRoom(clinician) {
			return validation.Errors{"clinician": validation.NewError("validation_shared_video_room",
				"This clinician's video room is one fixed link for every client: use a link with {room} in it, or, if the room has a waiting room where the clinician admits each client, tick waiting room on the clinician.")}
		}
	}
	if err := a.refuseOverlap(app, record); err != nil {
		return err
	}
	return join.Prepare(app, record)
}

// confirm mails the client of a new appointment still to come its
// confirmation with the calendar file.
func (a *Appointments) confirm(app core.App, record *core.Record) error {
	if record.GetString("status") != schema.StatusScheduled || !record.GetDateTime("starts").Time().After(a.now()) {
		return nil
	}
	loaded, err := schema.LoadAppointment(app, record)
	if err != nil {
		return err
	}
	_, err = a.Notify(app, loaded, Notice{Kind: NoticeBooked, DedupeKey: "booked:" + loaded.Id})
	return err
}

// tellClientOfChange mails the client a notice of a move or cancellation
// with an updated calendar file.
func (a *Appointments) tellClientOfChange(app core.App, record *core.Record, change string) error {
	if change != ChangeMoved && change != ChangeCancelled {
		return nil
	}
	loaded, err := schema.LoadAppointment(app, record)
	if err != nil {
		return err
	}
	if !loaded.Starts().After(a.now()) {
		return nil // a correction to the record of a past visit is no news to the client
	}
	notice := Notice{Kind: NoticeMoved, DedupeKey: fmt.Sprintf("moved:%s:%d", loaded.Id, loaded.GetInt("sequence"))}
	if change == ChangeCancelled {
		notice = Notice{Kind: NoticeCancelled, DedupeKey: fmt.Sprintf("cancelled:%s:%d", loaded.Id, loaded.Starts().Unix())}
	}
	_, err = a.Notify(app, loaded, notice)
	return err
}

// upcoming is one appointment on the portal's list, with its join link.
type upcoming struct {
	schema.ClientView
	JoinURL        string    `json:"joinURL,omitzero"`
	JoinOpens      time.Time `json:"joinOpens,omitzero"`
	JoinOpen       bool      `json:"joinOpen"`
	OpensInSeconds int       `json:"opensInSeconds"`
}

// handleUpcoming lists the signed-in client's scheduled appointments that
// have not ended, soonest first, with client-safe fields only.
func (a *Appointments) handleUpcoming(e *core.RequestEvent) error {
	now := a.now()
	records, err := a.app.FindRecordsByFilter(schema.Appointments,
		"client = {:client} && status = 'scheduled' && starts > {:since}", "starts", 50, 0,
		dbx.Params{"client": e.Auth.Id, "since": schema.DateTime(now.Add(-24 * time.Hour))})
	if err != nil {
		return e.InternalServerError("", err)
	}
	loaded, err := schema.LoadAppointments(a.app, records)
	if err != nil {
		return e.InternalServerError("", err)
	}
	settings, err := a.practice.Get()
	if err != nil {
		return e.InternalServerError("", err)
	}

	list := []upcoming{}
	for _, appointment := range loaded {
		if !appointment.Ends().After(now) {
			continue
		}
		item := upcoming{ClientView: appointment.ForClient(settings.Address)}
		if appointment.Telehealth() {
			if item.JoinURL, err = a.join.Link(a.app, appointment.Record); err != nil {
				return e.InternalServerError("", err)
			}
			item.JoinOpens = appointment.Starts().Add(-settings.JoinOpensBefore)
			item.JoinOpen = !now.Before(item.JoinOpens)
			item.OpensInSeconds = max(0, int(item.JoinOpens.Sub(now).Seconds()))
		}
		list = append(list, item)
	}
	return e.JSON(http.StatusOK, list)
}

// handleCalendar downloads the .ics of one of the client's own
// appointments; another client's is as unknown as a made-up id.
func (a *Appointments) handleCalendar(e *core.RequestEvent) error {
	record, err := a.app.FindFirstRecordByFilter(schema.Appointments, "id = {:id} && client = {:client}",
		dbx.Params{"id": e.Request.PathValue("id"), "client": e.Auth.Id})
	if err != nil {
		return e.NotFoundError("We could not find that appointment.", nil)
	}
	loaded, err := schema.LoadAppointment(a.app, record)
	if err != nil {
		return e.InternalServerError("", err)
	}
	settings, err := a.practice.Get()
	if err != nil {
		return e.InternalServerError("", err)
	}
	method := ics.MethodPublish
	if loaded.Status() == schema.StatusCancelled {
		method = ics.MethodCancel
	}
	join := ""
	if loaded.Telehealth() && method != ics.MethodCancel {
		if join, err = a.join.Link(a.app, loaded.Record); err != nil {
			return e.InternalServerError("", err)
		}
	}
	calendar := a.calendarFile(settings, loaded, method, join)
	e.Response.Header().Set("Content-Disposition", `attachment; filename="appointment.ics"`)
	return e.Blob(http.StatusOK, "text/calendar; charset=utf-8", calendar)
}
