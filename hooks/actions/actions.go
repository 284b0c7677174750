// Package actions lets a client confirm, cancel or ask to move an
// appointment, from the links in each reminder and from the portal, within
// the practice's cancellation policy.
//
// The links work like sign-in links: opening one (by a person, a link
// preview or a mail scanner) changes nothing; it opens a page for that
// appointment with one button, and only the button's POST acts. Their
// token is derived per appointment (schema.LinkToken), so every reminder
// carries the same links while the database keeps only a salt and a hash,
// and it acts only until the start. A request for another time is an
// appointment_requests record that staff answer by moving the appointment
// or by declining with a line for the client. The practice's notification
// address hears of each cancellation and request in a mail that says
// nothing about the client; nothing a client writes goes into any mail.
package actions

import (
	"time"

	"github.com/pocketbase/pocketbase/core"

	"portico/hooks/appointments"
	"portico/hooks/letters"
	"portico/hooks/practice"
	"portico/hooks/ratelimit"
	"portico/hooks/schema"
)

// LinkPath is where action links land; the token follows it, and
// ?do=confirm|cancel|reschedule says which button the page shows.
const LinkPath = "/a/"

// actionToken is the token of an appointment's action links.
var actionToken = schema.LinkToken{Purpose: "portico appointment actions", Salt: "action_salt", Hash: "action_hash"}

// Config is what the actions need from the operator's configuration.
type Config struct {
	Now        func() time.Time
	RateWindow time.Duration
}

// Actions is the appointment actions capability.
type Actions struct {
	app          core.App
	config       Config
	practice     *practice.Settings
	letters      *letters.Letters
	limits       *ratelimit.Limiter
	appointments *appointments.Appointments
}

// New returns the actions on app's appointments.
func New(app core.App, config Config, settings *practice.Settings, mail *letters.Letters, booked *appointments.Appointments) *Actions {
	return &Actions{app: app, config: config, practice: settings, letters: mail, limits: ratelimit.New(config.Now), appointments: booked}
}

// Register gives every appointment its action token, puts the links in
// its confirmation, new-time notices and reminders, keeps the client's answers true as staff move or cancel,
// mails a declined request's answer, and serves the page and the routes.
func (a *Actions) Register() {
	a.appointments.OfferInMail(a.actionLinks)

	a.app.OnRecordCreate(schema.Appointments).BindFunc(func(e *core.RecordEvent) error {
		if err := actionToken.Issue(e.App, e.Record); err != nil {
			return err
		}
		return e.Next()
	})
	// Bound after the appointments capability, so this runs inside the
	// transaction in which a change is saved and its notice queued.
	a.app.OnRecordUpdate(schema.Appointments).BindFunc(func(e *core.RecordEvent) error {
		if e.Record.GetString("action_hash") == "" {
			if err := actionToken.Issue(e.App, e.Record); err != nil {
				return err
			}
		}
		if err := a.settleAnswers(e.App, e.Record); err != nil {
			return err
		}
		return e.Next()
	})

	a.app.OnRecordUpdate(schema.AppointmentRequests).BindFunc(a.answerRequest)

	// Rotating the clients collection's token secret voids every action
	// link; the stored hashes follow at once, so the next reminder's links work.
	a.app.OnCollectionAfterUpdateSuccess(schema.Clients).BindFunc(func(e *core.CollectionEvent) error {
		if err := actionToken.Rehash(e.App, ""); err != nil {
			e.App.Logger().Error("appointment actions: storing hashes for the new secret", "error", err)
		}
		return e.Next()
	})

	a.app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		// Appointments booked before actions existed got a salt from the
		// migration; their hashes are stored here, once.
		if err := actionToken.Rehash(e.App, "action_hash = ''"); err != nil {
			return err
		}
		a.bindRoutes(e)
		return e.Next()
	})
}

// settleAnswers keeps what the client said true to a change staff made: a
// new time needs a new confirmation and answers an open request, and a
// cancellation withdraws it.
func (a *Actions) settleAnswers(app core.App, record *core.Record) error {
	switch appointments.Change(record) {
	case appointments.ChangeMoved:
		record.Set("confirmed", "")
		record.Set("cancelled_by", "")
		record.Set("late_cancellation", false)
		return settleOpenRequest(app, record.Id, schema.RequestRescheduled, a.config.Now())
	case appointments.ChangeCancelled:
		return settleOpenRequest(app, record.Id, schema.RequestWithdrawn, a.config.Now())
	}
	return nil
}

// actionLinks are the actions a mail about an appointment offers, each
// opening the appointment's page with its button; none before the token's
// hash is stored.
func (a *Actions) actionLinks(app core.App, appointment *schema.Appointment) ([]letters.Link, error) {
	if appointment.GetString("action_hash") == "" {
		return nil, nil
	}
	settings, err := a.practice.Get()
	if err != nil {
		return nil, err
	}
	token, err := actionToken.Token(app, appointment.Record)
	if err != nil {
		return nil, err
	}
	labels := map[string]string{Confirm: "Confirm", Cancel: "Cancel", Reschedule: "Ask for another time"}
	var links []letters.Link
	for _, action := range Offered(StateScheduled, settings.ClientActionsOff) {
		links = append(links, letters.Link{Label: labels[action], URL: a.letters.PortalURL(LinkPath + token + "?do=" + action)})
	}
	return links, nil
}
