package hooks

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // a static binary still knows every client's time zone

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"

	"portico/hooks/outbox"
)

// Appointment kinds and states, as the dashboard's select fields name them.
const (
	kindTelehealth  = "telehealth"
	statusScheduled = "scheduled"
	statusCancelled = "cancelled"
	statusCompleted = "completed"
)

// Changes to an appointment that the client is told of.
const (
	changeNone      = ""
	changeDetails   = "details"   // duration, kind, place or clinician: the next mail carries them
	changeMoved     = "moved"     // a new start, or booked again after a cancellation
	changeCancelled = "cancelled" // one cancellation notice, and no more reminders
)

// appointment is an appointments record with the client and clinician it
// names, as mail, pages and the portal read it.
type appointment struct {
	*core.Record
	client    *core.Record
	clinician *core.Record
}

func (a appointment) starts() time.Time { return a.GetDateTime("starts").Time() }

func (a appointment) ends() time.Time {
	return a.starts().Add(time.Duration(a.GetInt("duration_minutes")) * time.Minute)
}

func (a appointment) telehealth() bool { return a.GetString("kind") == kindTelehealth }

func (a appointment) clinicianName() string {
	name := a.clinician.GetString("name")
	if credentials := a.clinician.GetString("credentials"); credentials != "" {
		name += ", " + credentials
	}
	return name
}

// place is where an in-person appointment happens: its own location or the practice's address.
func (a appointment) place(practice Practice) string {
	if location := a.GetString("location"); location != "" {
		return location
	}
	return practice.Address
}

// registerAppointments keeps appointments consistent as clinicians book,
// move and cancel them in the dashboard, and adds reminders, join links
// and the portal's list.
func (p *Portal) registerAppointments(app *pocketbase.PocketBase) {
	p.App.OnRecordCreate("appointments").BindFunc(func(e *core.RecordEvent) error {
		if err := p.syncStart(e.Record); err != nil {
			return err
		}
		if err := p.prepareAppointment(e.App, e.Record, changeMoved); err != nil {
			return err
		}
		return e.Next()
	})

	p.App.OnRecordUpdate("appointments").BindFunc(func(e *core.RecordEvent) error {
		if err := p.syncStart(e.Record); err != nil {
			return err
		}
		change := appointmentChange(e.Record)
		if err := p.prepareAppointment(e.App, e.Record, change); err != nil {
			return err
		}
		if change == changeNone {
			return e.Next()
		}
		// The new row, the withdrawn reminders and the notice commit together.
		return e.App.RunInTransaction(func(tx core.App) error {
			e.App = tx
			if err := e.Next(); err != nil {
				return err
			}
			return p.tellClientOfChange(tx, e.Record, change)
		})
	})

	// Booking reads the practice's time zone: refuse one Go does not know.
	p.App.OnRecordValidate("practice").BindFunc(func(e *core.RecordEvent) error {
		if _, err := time.LoadLocation(e.Record.GetString("timezone")); err != nil {
			return validation.Errors{"timezone": errUnknownZone}
		}
		return e.Next()
	})

	p.App.OnServe().BindFunc(func(e *core.ServeEvent) error {
		portal := e.Router.Group("/api/portal/appointments")
		portal.Bind(apis.RequireAuth("clients"))
		portal.BindFunc(noStore)
		portal.GET("", p.handleUpcomingAppointments)
		portal.GET("/{id}/calendar", p.handleAppointmentCalendar)
		return e.Next()
	})

	p.registerReminders(app)
	p.registerJoinLinks()
}

var errUnknownZone = validation.NewError("validation_time_zone",
	"Not a time zone we know: use a name such as America/New_York or Europe/London.")

// localStartLayout is how clinicians type a start in the practice's time zone.
const localStartLayout = "2006-01-02 15:04"

// syncStart keeps starts (UTC, which everything else reads) and
// local_start (what a clinician types, in the practice's time zone) in
// step: the one the clinician changed sets the other.
func (p *Portal) syncStart(record *core.Record) error {
	zone := p.Practice().TimeZone
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

// appointmentChange says what an update means to the client.
func appointmentChange(record *core.Record) string {
	original := record.Original()
	status, was := record.GetString("status"), original.GetString("status")
	switch {
	case status == statusCancelled && was != statusCancelled:
		return changeCancelled
	case status == statusCancelled || status == statusCompleted:
		return changeNone
	case was == statusCancelled || !record.GetDateTime("starts").Equal(original.GetDateTime("starts")):
		return changeMoved
	}
	for _, field := range []string{"duration_minutes", "kind", "location", "clinician"} {
		if record.GetString(field) != original.GetString(field) {
			return changeDetails
		}
	}
	return changeNone
}

// prepareAppointment fills what the clinician may leave empty, checks the
// time zone and video room, and resets the reminders of a new start.
func (p *Portal) prepareAppointment(app core.App, record *core.Record, change string) error {
	if record.GetString("status") == "" {
		record.Set("status", statusScheduled)
	}
	if record.GetString("timezone") == "" {
		if client, err := app.FindRecordById("clients", record.GetString("client")); err == nil {
			record.Set("timezone", client.GetString("timezone"))
		}
	}
	if record.GetString("timezone") == "" {
		record.Set("timezone", "UTC")
	}
	if _, err := time.LoadLocation(record.GetString("timezone")); err != nil {
		return validation.Errors{"timezone": errUnknownZone}
	}

	if record.GetString("kind") == kindTelehealth {
		// A clinician with no external room holds the session on Portico itself.
		if record.GetString("join_salt") == "" {
			salt := make([]byte, 16)
			if _, err := rand.Read(salt); err != nil {
				return err
			}
			record.Set("join_salt", base64.RawURLEncoding.EncodeToString(salt))
		}
		token, err := p.joinToken(app, record)
		if err != nil {
			return err
		}
		record.Set("join_hash", hashToken(token))
	} else {
		record.Set("join_salt", "")
		record.Set("join_hash", "")
	}

	if record.GetString("status") != statusScheduled {
		record.Set("next_reminder", "")
	}
	if change == changeNone {
		return nil
	}
	if !record.IsNew() {
		record.Set("sequence", record.GetInt("sequence")+1)
	}
	if change == changeMoved {
		record.Set("reminders_queued", map[string]string{})
		record.Set("next_reminder", "")
		if leads := p.Practice().ReminderLeads; len(leads) > 0 && record.GetString("status") == statusScheduled {
			// A start already closer than the longest lead is due at the
			// next sweep, which then sends only the nearest reminder.
			record.Set("next_reminder", record.GetDateTime("starts").Time().Add(-slices.Max(leads)))
		}
	}
	return nil
}

// tellClientOfChange withdraws reminders that still carry the old details
// and mails the client a notice with an updated calendar file.
func (p *Portal) tellClientOfChange(app core.App, record *core.Record, change string) error {
	err := p.Outbox.Withdraw(app, "reminder:"+record.Id+":", "Not sent: the appointment changed before it went out.")
	if err != nil {
		return err
	}

	if change != changeMoved && change != changeCancelled {
		return nil
	}
	a, err := loadAppointment(app, record)
	if err != nil {
		return err
	}
	if !a.starts().After(p.Config.Now()) {
		return nil // a correction to the record of a past visit is no news to the client
	}
	notice := appointmentNotice{kind: "appointment_moved", dedupe: fmt.Sprintf("moved:%s:%d", a.Id, a.GetInt("sequence"))}
	if change == changeCancelled {
		notice = appointmentNotice{kind: "appointment_cancelled", dedupe: fmt.Sprintf("cancelled:%s:%d", a.Id, a.starts().Unix())}
	}
	_, err = p.mailAppointment(app, p.Practice(), a, notice)
	return err
}

// loadAppointment reads the client and clinician of record.
func loadAppointment(app core.App, record *core.Record) (appointment, error) {
	loaded, err := loadAppointments(app, []*core.Record{record})
	if err != nil {
		return appointment{}, err
	}
	return loaded[0], nil
}

// upcomingAppointment is what a client may know of one appointment.
type upcomingAppointment struct {
	Id              string    `json:"id"`
	Starts          time.Time `json:"starts"`
	Ends            time.Time `json:"ends"`
	DurationMinutes int       `json:"durationMinutes"`
	Kind            string    `json:"kind"`
	Clinician       string    `json:"clinician"`
	Place           string    `json:"place,omitzero"`
	TimeZone        string    `json:"timeZone"`
	JoinURL         string    `json:"joinURL,omitzero"`
	JoinOpens       time.Time `json:"joinOpens,omitzero"`
	JoinOpen        bool      `json:"joinOpen"`
	OpensInSeconds  int       `json:"opensInSeconds"`
}

// handleUpcomingAppointments lists the signed-in client's scheduled
// appointments that have not ended, soonest first, with client-safe
// fields only.
func (p *Portal) handleUpcomingAppointments(e *core.RequestEvent) error {
	now := p.Config.Now()
	records, err := p.App.FindRecordsByFilter("appointments",
		"client = {:client} && status = 'scheduled' && starts > {:since}", "starts", 50, 0,
		dbx.Params{"client": e.Auth.Id, "since": outbox.DBTime(now.Add(-24 * time.Hour))})
	if err != nil {
		return e.InternalServerError("", err)
	}

	appointments, err := loadAppointments(p.App, records)
	if err != nil {
		return e.InternalServerError("", err)
	}

	practice := p.Practice()
	upcoming := []upcomingAppointment{}
	for _, a := range appointments {
		if !a.ends().After(now) {
			continue
		}
		item := upcomingAppointment{
			Id:              a.Id,
			Starts:          a.starts(),
			Ends:            a.ends(),
			DurationMinutes: a.GetInt("duration_minutes"),
			Kind:            a.GetString("kind"),
			Clinician:       a.clinicianName(),
			TimeZone:        a.GetString("timezone"),
		}
		if a.telehealth() {
			if item.JoinURL, err = p.joinLink(p.App, a.Record); err != nil {
				return e.InternalServerError("", err)
			}
			item.JoinOpens = a.starts().Add(-practice.JoinOpensBefore)
			item.JoinOpen = !now.Before(item.JoinOpens)
			item.OpensInSeconds = max(0, int(item.JoinOpens.Sub(now).Seconds()))
		} else {
			item.Place = a.place(practice)
		}
		upcoming = append(upcoming, item)
	}
	return e.JSON(http.StatusOK, upcoming)
}

// handleAppointmentCalendar downloads the .ics of one of the client's own
// appointments; another client's is as unknown as a made-up id.
func (p *Portal) handleAppointmentCalendar(e *core.RequestEvent) error {
	record, err := p.App.FindFirstRecordByFilter("appointments", "id = {:id} && client = {:client}",
		dbx.Params{"id": e.Request.PathValue("id"), "client": e.Auth.Id})
	if err != nil {
		return e.NotFoundError("We could not find that appointment.", nil)
	}
	a, err := loadAppointment(p.App, record)
	if err != nil {
		return e.InternalServerError("", err)
	}
	calendar, err := p.calendarFile(a)
	if err != nil {
		return e.InternalServerError("", err)
	}
	e.Response.Header().Set("Content-Disposition", `attachment; filename="appointment.ics"`)
	return e.Blob(http.StatusOK, "text/calendar; charset=utf-8", calendar)
}

// zoneLocation is a time zone by its IANA name, or UTC for an empty or unknown one.
func zoneLocation(name string) *time.Location {
	location, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	return location
}

// localTime writes t as the client reads it: in their zone, with the
// zone's abbreviation and place, so "10:00 AM EDT (New York time)".
func localTime(t time.Time, zone string) string {
	location := zoneLocation(zone)
	place := strings.ReplaceAll(location.String()[strings.LastIndex(location.String(), "/")+1:], "_", " ")
	return t.In(location).Format("Monday, 2 January 2006 at 3:04 PM MST") + " (" + place + " time)"
}
