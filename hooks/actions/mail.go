package actions

import (
	"strings"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"

	"portico/hooks/letters"
	"portico/hooks/outbox"
	"portico/hooks/practice"
	"portico/hooks/schema"
)

// Kinds of mail, as the outbox records them.
const (
	MailClientCancelled = "appointment_cancelled_by_client"
	MailTimeRequested   = "appointment_time_requested"
	MailRequestDeclined = "appointment_request_declined"
)

// requestsPage is the workspace page where staff see and answer what
// clients did with their appointments.
const requestsPage = "/staff/requests.html"

// tellPractice mails the practice's notification address that something
// needs a look, in app (the action's transaction). The mail says nothing
// about the client or what they wrote: it points to the workspace.
func (a *Actions) tellPractice(app core.App, kind, subject, line, dedupeKey string) error {
	settings, err := a.practice.Get()
	if err != nil || settings.NotificationEmail == "" {
		return err
	}
	letter := letters.Letter{
		Greeting:    "Hello,",
		Paragraphs:  []string{line},
		ButtonLabel: "Open it in the workspace",
		ButtonURL:   a.letters.PortalURL(requestsPage),
	}
	_, err = a.letters.ToAddress(app, kind, subject, letter, outbox.Message{To: settings.NotificationEmail, DedupeKey: dedupeKey})
	return err
}

func (a *Actions) tellPracticeOfCancellation(app core.App, ap *schema.Appointment, isLate bool) error {
	subject, line := "A client cancelled an appointment", "A client cancelled an appointment from the portal; the time is free again. See the workspace."
	if isLate {
		subject, line = "A client cancelled late", "A client cancelled an appointment inside your cancellation policy window; it is marked a late cancellation. See the workspace."
	}
	return a.tellPractice(app, MailClientCancelled, subject, line, "client-cancelled:"+ap.Id+":"+ap.GetDateTime("starts").String())
}

func (a *Actions) tellPracticeOfRequest(app core.App, request *core.Record) error {
	return a.tellPractice(app, MailTimeRequested, "A client asked to move an appointment",
		"A client asked to move an appointment; see the workspace. What they asked for is there, not in this email.",
		"time-requested:"+request.Id)
}

// errNoAnswer asks staff for the line a declined client reads.
var errNoAnswer = validation.Errors{"answer": validation.NewError("validation_required",
	"Write one line for the client: they read it by email and in the portal.")}

// answerRequest mails the client the practice's answer when staff decline
// a request, in the transaction that saves it. A request answered by
// moving the appointment needs no mail of its own: the move's notice is it.
func (a *Actions) answerRequest(e *core.RecordEvent) error {
	request := e.Record
	if request.GetString("status") != schema.RequestDeclined || request.Original().GetString("status") == schema.RequestDeclined {
		return e.Next()
	}
	request.Set("answer", strings.TrimSpace(request.GetString("answer")))
	if request.GetString("answer") == "" {
		return errNoAnswer
	}
	request.Set("answered", a.config.Now())
	return e.App.RunInTransaction(func(tx core.App) error {
		e.App = tx
		if err := e.Next(); err != nil {
			return err
		}
		record, err := tx.FindRecordById(schema.Appointments, request.GetString("appointment"))
		if err != nil {
			return err
		}
		ap, err := schema.LoadAppointment(tx, record)
		if err != nil {
			return err
		}
		settings, err := a.practice.Get()
		if err != nil {
			return err
		}
		letter := letters.Letter{
			Greeting: "Hello " + ap.Client.GetString("name") + ",",
			Paragraphs: []string{
				"You asked for another time for your appointment with " + ap.ClinicianName() + ". The practice could not move it, and wrote:",
				"“" + request.GetString("answer") + "”",
				"Your appointment stays as it was:",
			},
			Details:     []string{"When: " + practice.LocalTime(ap.Starts(), ap.GetString("timezone"))},
			ButtonLabel: "See your appointments",
			ButtonURL:   a.letters.PortalURL("/portal/"),
			Footer:      settings.ContactLine("To talk it over, please get in touch"),
		}
		_, err = a.letters.ToClient(tx, ap.Client, MailRequestDeclined, "About your request for another time", letter, outbox.Message{
			Sensitive: true,
			DedupeKey: "request-declined:" + request.Id,
		})
		return err
	})
}
