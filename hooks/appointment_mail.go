package hooks

import (
	"fmt"
	"net/url"
	"strings"

	ics "github.com/arran4/golang-ical"
	"github.com/pocketbase/pocketbase/core"

	"portico/hooks/outbox"
)

// appointmentNotice is one kind of appointment mail: a reminder, a move
// or a cancellation, queued once under its dedupe key.
type appointmentNotice struct {
	kind   string
	dedupe string
}

// mailAppointment queues a notice about a to its client with an RFC 5545
// calendar file. It reports false when the notice was queued before.
// Nothing from the clinician's notes goes into it: the mail names the
// time, the place or the join link, and the clinician.
func (p *Portal) mailAppointment(app core.App, practice Practice, a appointment, notice appointmentNotice) (bool, error) {
	zone := a.GetString("timezone")
	when := localTime(a.starts(), zone)
	short := a.starts().In(zoneLocation(zone)).Format("Mon 2 Jan at 3:04 PM MST")
	portal := p.portalURL("/portal/")

	letter := Letter{
		Greeting:    "Hello " + a.client.GetString("name") + ",",
		ButtonLabel: "See your appointments",
		ButtonURL:   portal,
		Details: []string{
			"When: " + when,
			fmt.Sprintf("Length: %d minutes", a.GetInt("duration_minutes")),
			"With: " + a.clinicianName(),
		},
	}
	var subject string
	method := ics.MethodRequest
	switch notice.kind {
	case "appointment_cancelled":
		subject = "Cancelled: your appointment on " + short
		method = ics.MethodCancel
		letter.Paragraphs = []string{"Your appointment with " + a.clinicianName() + " is cancelled. The calendar file attached removes it from your calendar."}
		letter.Details = letter.Details[:1]
		letter.Footer = contactLine(practice, "If you did not expect this, please get in touch")
	case "appointment_moved":
		subject = "New time: your appointment on " + short
		letter.Paragraphs = []string{"Your appointment with " + a.clinicianName() + " has a new time. The calendar file attached updates your calendar."}
	default:
		subject = "Reminder: your appointment on " + short
		letter.Paragraphs = []string{"This is a reminder of your appointment with " + a.clinicianName() + "."}
	}

	if method == ics.MethodRequest {
		if a.telehealth() {
			join, err := p.joinLink(app, a.Record)
			if err != nil {
				return false, err
			}
			letter.Details = append(letter.Details, fmt.Sprintf("Where: online, by video. The link opens %s before the start.", humanDuration(practice.JoinOpensBefore)))
			letter.ButtonLabel, letter.ButtonURL = "Join your session", join
			letter.Footer = "The join link works in any phone or computer browser, with nothing to install. Your appointments are also in your client portal: " + portal
		} else {
			letter.Details = append(letter.Details, "Where: "+a.place(practice))
			letter.Footer = contactLine(practice, "If you need to change it, please get in touch")
		}
	}

	calendar, err := p.calendarFileFor(app, practice, a, method)
	if err != nil {
		return false, err
	}
	return p.sendLetter(app, a.client, notice.kind, subject, letter, outbox.Message{
		Sensitive: true, // a therapy appointment is health information, and the link opens the session
		DedupeKey: notice.dedupe,
		Attachments: []outbox.Attachment{{
			Name:        "appointment.ics",
			ContentType: "text/calendar; charset=utf-8; method=" + string(method),
			Content:     calendar,
		}},
	})
}

// contactLine invites the client to call or write, with what the practice gave.
func contactLine(practice Practice, lead string) string {
	var ways []string
	if practice.Phone != "" {
		ways = append(ways, "call "+practice.Phone)
	}
	if practice.ContactEmail != "" {
		ways = append(ways, "write to "+practice.ContactEmail)
	}
	if len(ways) == 0 {
		return lead + "."
	}
	return lead + ": " + strings.Join(ways, " or ") + "."
}

// calendarFile is the appointment's .ics as the portal offers it for download.
func (p *Portal) calendarFile(a appointment) ([]byte, error) {
	method := ics.MethodPublish
	if a.GetString("status") == statusCancelled {
		method = ics.MethodCancel
	}
	return p.calendarFileFor(p.App, p.Practice(), a, method)
}

// calendarFileFor builds the appointment's RFC 5545 event: one UID for
// the appointment's whole life, so a calendar updates the event it has,
// and a SEQUENCE that rises with each change.
func (p *Portal) calendarFileFor(app core.App, practice Practice, a appointment, method ics.Method) ([]byte, error) {
	host := "portico"
	if u, err := url.Parse(p.App.Settings().Meta.AppURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}

	calendar := ics.NewCalendarFor("Portico")
	calendar.SetMethod(method)
	event := calendar.AddEvent(a.Id + "@" + host)
	event.SetDtStampTime(p.Config.Now())
	event.SetSequence(a.GetInt("sequence"))
	event.SetStartAt(a.starts())
	event.SetEndAt(a.ends())
	event.SetSummary(practice.Name + ": appointment with " + a.clinicianName())
	event.SetOrganizer(p.App.Settings().Meta.SenderAddress, ics.WithCN(practice.Name))
	event.AddAttendee(a.client.Email(), ics.WithCN(a.client.GetString("name")))

	switch {
	case method == ics.MethodCancel:
		event.SetStatus(ics.ObjectStatusCancelled)
	case a.telehealth():
		join, err := p.joinLink(app, a.Record)
		if err != nil {
			return nil, err
		}
		event.SetStatus(ics.ObjectStatusConfirmed)
		event.SetLocation("Online: " + join)
		event.SetURL(join)
		event.SetDescription("Join the video session from this link, from " + humanDuration(practice.JoinOpensBefore) + " before the start: " + join)
	default:
		event.SetStatus(ics.ObjectStatusConfirmed)
		event.SetLocation(a.place(practice))
	}
	return []byte(calendar.Serialize()), nil
}
