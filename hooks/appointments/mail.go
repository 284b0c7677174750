package appointments

import (
	"fmt"
	"net/url"

	ics "github.com/arran4/golang-ical"
	"github.com/pocketbase/pocketbase/core"

	"portico/hooks/letters"
	"portico/hooks/outbox"
	"portico/hooks/practice"
	"portico/hooks/schema"
)

// Kinds of appointment mail, as the outbox records them.
const (
	NoticeBooked    = "appointment_booked"
	NoticeReminder  = "appointment_reminder"
	NoticeMoved     = "appointment_moved"
	NoticeCancelled = "appointment_cancelled"
)

// Notice is one appointment mail: a confirmation, a reminder, a move or a cancellation,
// queued once under its dedupe key.
type Notice struct {
	Kind      string
	DedupeKey string
}

// Notify queues a notice about appointment to its client with an RFC 5545
// calendar file, in app (the transaction of the change it tells of). It
// reports false when the notice was queued before. Nothing from the
// clinician's notes goes into it: the mail names the time, the place or
// the join link, and the clinician.
func (a *Appointments) Notify(app core.App, appointment *schema.Appointment, notice Notice) (bool, error) {
	settings, err := a.practice.Get()
	if err != nil {
		return false, err
	}
	zone := appointment.GetString("timezone")
	when := practice.LocalTime(appointment.Starts(), zone)
	short := appointment.Starts().In(practice.ZoneLocation(zone)).Format("Mon 2 Jan at 3:04 PM MST")
	portal := a.letters.PortalURL("/portal/")
	clinician := appointment.ClinicianName()

	letter := letters.Letter{
		Greeting:    "Hello " + appointment.Client.GetString("name") + ",",
		ButtonLabel: "See your appointments",
		ButtonURL:   portal,
		Details: []string{
			"When: " + when,
			fmt.Sprintf("Length: %d minutes", appointment.GetInt("duration_minutes")),
			"With: " + clinician,
		},
	}
	var subject string
	method := ics.MethodRequest
	switch notice.Kind {
	case NoticeCancelled:
		subject = "Cancelled: your appointment on " + short
		method = ics.MethodCancel
		letter.Paragraphs = []string{"Your appointment with " + clinician + " is cancelled. The calendar file attached removes it from your calendar."}
		letter.Details = letter.Details[:1]
		letter.Footer = settings.ContactLine("If you did not expect this, please get in touch")
	case NoticeBooked:
		subject = "Booked: your appointment on " + short
		letter.Paragraphs = []string{"Your appointment with " + clinician + " is booked. The calendar file attached adds it to your calendar."}
	case NoticeMoved:
		subject = "New time: your appointment on " + short
		letter.Paragraphs = []string{"Your appointment with " + clinician + " has a new time. The calendar file attached updates your calendar."}
	default:
		subject = "Reminder: your appointment on " + short
		letter.Paragraphs = []string{"This is a reminder of your appointment with " + clinician + "."}
	}
	// Every mail about an appointment still to come (the booking, a new
	// time, which needs confirming again, and each reminder) lets the
	// client confirm, cancel or ask for another time.
	if a.actionLinks != nil && method == ics.MethodRequest {
		if letter.Links, err = a.actionLinks(app, appointment); err != nil {
			return false, err
		}
	}

	join := ""
	if method == ics.MethodRequest {
		if appointment.Telehealth() {
			if join, err = a.join.Link(app, appointment.Record); err != nil {
				return false, err
			}
			letter.Details = append(letter.Details, fmt.Sprintf("Where: online, by video. The link opens %s before the start.", practice.HumanDuration(settings.JoinOpensBefore)))
			letter.ButtonLabel, letter.ButtonURL = "Join your session", join
			letter.Footer = "The join link works in any phone or computer browser, with nothing to install. Your appointments are also in your client portal: " + portal
		} else {
			letter.Details = append(letter.Details, "Where: "+appointment.Place(settings.Address))
			letter.Footer = settings.ContactLine("If you need to change it, please get in touch")
		}
	}

	return a.letters.ToClient(app, appointment.Client, notice.Kind, subject, letter, outbox.Message{
		Sensitive: true, // a therapy appointment is health information, and the link opens the session
		DedupeKey: notice.DedupeKey,
		Attachments: []outbox.Attachment{{
			Name:        "appointment.ics",
			ContentType: "text/calendar; charset=utf-8; method=" + string(method),
			Content:     a.calendarFile(settings, appointment, method, join),
		}},
	})
}

// calendarFile builds the appointment's RFC 5545 event: one UID for the
// appointment's whole life, so a calendar updates the event it has, and a
// SEQUENCE that rises with each change. join is the telehealth link, or
// "" for a cancellation or an in-person visit.
func (a *Appointments) calendarFile(settings practice.Practice, appointment *schema.Appointment, method ics.Method, join string) []byte {
	meta := a.app.Settings().Meta
	host := "portico"
	if u, err := url.Parse(meta.AppURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}

	calendar := ics.NewCalendarFor("Portico")
	calendar.SetMethod(method)
	event := calendar.AddEvent(appointment.Id + "@" + host)
	event.SetDtStampTime(a.now())
	event.SetSequence(appointment.GetInt("sequence"))
	event.SetStartAt(appointment.Starts())
	event.SetEndAt(appointment.Ends())
	event.SetSummary(settings.Name + ": appointment with " + appointment.ClinicianName())
	event.SetOrganizer(a.letters.Outbox.SenderAddress(), ics.WithCN(settings.Name))
	event.AddAttendee(appointment.Client.Email(), ics.WithCN(appointment.Client.GetString("name")))

	switch {
	case method == ics.MethodCancel:
		event.SetStatus(ics.ObjectStatusCancelled)
	case appointment.Telehealth():
		event.SetStatus(ics.ObjectStatusConfirmed)
		event.SetLocation("Online: " + join)
		event.SetURL(join)
		event.SetDescription("Join the video session from this link, from " + practice.HumanDuration(settings.JoinOpensBefore) + " before the start: " + join)
	default:
		event.SetStatus(ics.ObjectStatusConfirmed)
		event.SetLocation(appointment.Place(settings.Address))
	}
	// RFC 5545 section 3.1: content lines end with CRLF, whatever the OS.
	return []byte(calendar.Serialize(ics.WithNewLineWindows))
}
