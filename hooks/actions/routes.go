package actions

import (
	"database/sql"
	"errors"
	"io/fs"
	"net/http"
	"slices"
	"strings"
	"time"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"

	"portico/hooks/practice"
	"portico/hooks/ratelimit"
	"portico/hooks/schema"
	"portico/hooks/web"
	pbpublic "portico/pb_public"
)

// requestsPerIP bounds how often one address may ask about or act on
// appointments in a rate window; far above what a client's pages need.
const requestsPerIP = 120

// page is the one page every action link and portal button opens.
const page = "portal/appointment.html"

func (a *Actions) bindRoutes(e *core.ServeEvent) {
	e.Router.BindFunc(web.RedactTokenPaths(LinkPath))
	// A mail app or a person may add the slash.
	for _, route := range []string{"{token}", "{token}/{$}"} {
		e.Router.GET(LinkPath+route, a.handlePage).BindFunc(web.NoStore).Bind(apis.Gzip())
	}

	group := e.Router.Group("/api/portal/actions")
	group.Bind(apis.BodyLimit(web.PortalBodyLimit))
	group.BindFunc(web.NoStore, a.limit)
	group.GET("", a.handleList).Bind(apis.RequireAuth(schema.Clients))
	group.POST("/status", a.handleStatus)
	group.POST("/"+Confirm, a.handleConfirm)
	group.POST("/"+Cancel, a.handleCancel)
	group.POST("/"+Reschedule, a.handleReschedule)
}

func (a *Actions) limit(e *core.RequestEvent) error {
	if ok, wait := a.limits.Allow("actions-network:"+ratelimit.Network(e.RealIP()), requestsPerIP, a.config.RateWindow); !ok {
		return web.TooManyRequests(e, wait)
	}
	return e.Next()
}

// targetForm names the appointment: by an action link's token, or by id
// for the signed-in client.
type targetForm struct {
	Token       string `json:"token" form:"token"`
	Appointment string `json:"appointment" form:"appointment"`
}

func (f *targetForm) Validate() error {
	f.Token = strings.TrimSpace(f.Token)
	return validation.ValidateStruct(f,
		validation.Field(&f.Token, validation.Required.When(f.Appointment == ""), validation.Length(20, 100)),
		validation.Field(&f.Appointment, validation.Length(1, 30)),
	)
}

type cancelForm struct {
	targetForm
	// AcceptLate says the client was shown the policy: a page opened before
	// the window and pressed inside it must show the policy first.
	AcceptLate bool `json:"acceptLate" form:"acceptLate"`
}

type rescheduleForm struct {
	targetForm
	Times []string `json:"times" form:"times"`
	Note  string   `json:"note" form:"note"`

	now       time.Time
	preferred []time.Time
}

// maxNote keeps a note to a line or two: the request is for a time, not a message.
const maxNote = 500

func (f *rescheduleForm) Validate() error {
	if err := f.targetForm.Validate(); err != nil {
		return err
	}
	f.Note = strings.TrimSpace(f.Note)
	f.preferred = f.preferred[:0]
	return validation.ValidateStruct(f,
		validation.Field(&f.Times, validation.Length(0, 3).Error("Pick up to three times."),
			validation.Each(validation.By(func(value any) error {
				t, err := time.Parse(time.RFC3339, value.(string))
				if err != nil {
					return validation.NewError("validation_time", "Pick a date and a time.")
				}
				if !t.After(f.now) {
					return validation.NewError("validation_future", "Pick a time that is still to come.")
				}
				f.preferred = append(f.preferred, t.UTC())
				return nil
			}))),
		validation.Field(&f.Note, validation.Required.When(len(f.Times) == 0).Error("Pick a time or write a short note."),
			validation.RuneLength(0, maxNote)),
	)
}

// contact is how the client reaches the practice, as the pages show it.
type contact struct {
	Name    string `json:"name"`
	Phone   string `json:"phone"`
	Email   string `json:"email"`
	Address string `json:"address"`
}

func contactOf(settings practice.Practice) contact {
	return contact{Name: settings.Name, Phone: settings.Phone, Email: settings.ContactEmail, Address: settings.Address}
}

// appointmentView is what the client may know of an appointment and what
// they can do with it now.
type appointmentView struct {
	schema.ClientView
	State       string    `json:"state"`
	Actions     []string  `json:"actions"`
	PolicyHours int       `json:"policyHours"`
	LateFrom    time.Time `json:"lateFrom,omitzero"`
	Late        bool      `json:"late"` // cancelling now counts as late
	// LateCancellation is whether the client's own cancellation was late.
	LateCancellation bool         `json:"lateCancellation"`
	Request          *requestView `json:"request,omitzero"`
}

// requestView is the newest request for another time. The note is shown
// only to the signed-in client: an action link may be opened by whoever
// holds the mail.
type requestView struct {
	Status  string      `json:"status"`
	Times   []time.Time `json:"times"`
	Note    string      `json:"note,omitzero"`
	Answer  string      `json:"answer,omitzero"`
	Created time.Time   `json:"created"`
}

func (a *Actions) view(ap *schema.Appointment, request *core.Record, settings practice.Practice, now time.Time, signedIn bool) appointmentView {
	state := State(ap, request, now)
	v := appointmentView{
		ClientView:       ap.ForClient(settings.Address),
		State:            state,
		Actions:          []string{},
		PolicyHours:      int(settings.CancellationPolicy / time.Hour),
		LateFrom:         LateFrom(ap.Starts(), settings.CancellationPolicy, settings.TimeZone),
		Late:             late(ap, settings, now),
		LateCancellation: ap.GetBool("late_cancellation"),
	}
	if state != StateStarted && state != StateCancelled && state != StateCancelledByYou {
		v.Actions = Offered(state, settings.ClientActionsOff)
	}
	if request != nil {
		r := &requestView{Status: request.GetString("status"), Answer: request.GetString("answer"), Created: request.GetDateTime("created").Time()}
		_ = request.UnmarshalJSONField("preferred_times", &r.Times)
		if signedIn {
			r.Note = request.GetString("note")
		}
		v.Request = r
	}
	return v
}

// handlePage serves the appointment page of an action link. Opening it
// changes nothing: only the button on it acts.
func (a *Actions) handlePage(e *core.RequestEvent) error {
	_, err := findByToken(a.app, e.Request.PathValue("token"))
	if errors.Is(err, sql.ErrNoRows) {
		html, readErr := fs.ReadFile(pbpublic.FS, page)
		if readErr != nil {
			return e.InternalServerError("", readErr)
		}
		return e.HTML(http.StatusNotFound, string(html))
	}
	if err != nil {
		return e.InternalServerError("", err)
	}
	return e.FileFS(pbpublic.FS, page)
}

// target finds the appointment a request names, and whether it was named
// by the signed-in client rather than by a link. When it finds none, the
// answer is already sent, or err is it.
func (a *Actions) target(e *core.RequestEvent, form *targetForm, settings practice.Practice) (*schema.Appointment, bool, error) {
	unknown := func(message string) error {
		return e.JSON(http.StatusNotFound, map[string]any{"status": http.StatusNotFound, "message": message, "practice": contactOf(settings)})
	}
	if form.Token != "" {
		found, err := findByToken(a.app, form.Token)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && form.Appointment != "" && found.Id != form.Appointment) {
			return nil, false, unknown("This appointment link is not one we know. Please use the newest email, or your client portal.")
		}
		if err != nil {
			return nil, false, e.InternalServerError("", err)
		}
		return found, false, nil
	}
	if e.Auth == nil {
		return nil, false, e.UnauthorizedError("Please sign in to your client portal, or use the link in your reminder email.", nil)
	}
	if e.Auth.Collection().Name != schema.Clients {
		return nil, false, e.ForbiddenError("Only the client can act on their appointment here; staff change it in the workspace.", nil)
	}
	found, err := findOwn(a.app, e.Auth.Id, form.Appointment)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, unknown("We could not find that appointment.")
	}
	if err != nil {
		return nil, false, e.InternalServerError("", err)
	}
	return found, true, nil
}

// handleStatus tells the appointment page what to show. It reads; it never acts.
func (a *Actions) handleStatus(e *core.RequestEvent) error {
	form := &targetForm{}
	if err := web.BindForm(e, form); err != nil {
		return err
	}
	settings, err := a.practice.Get()
	if err != nil {
		return e.InternalServerError("", err)
	}
	ap, signedIn, err := a.target(e, form, settings)
	if ap == nil {
		return err
	}
	requests, err := newestRequests(a.app, ap.Id)
	if err != nil {
		return e.InternalServerError("", err)
	}
	return e.JSON(http.StatusOK, map[string]any{
		"appointment": a.view(ap, requests[ap.Id], settings, a.config.Now(), signedIn),
		"practice":    contactOf(settings),
	})
}

// handleList gives the portal home each upcoming appointment's state and
// actions, and the practice's contact details.
func (a *Actions) handleList(e *core.RequestEvent) error {
	settings, err := a.practice.Get()
	if err != nil {
		return e.InternalServerError("", err)
	}
	now := a.config.Now()
	upcoming, err := upcomingOf(a.app, e.Auth.Id, now)
	if err != nil {
		return e.InternalServerError("", err)
	}
	ids := make([]string, len(upcoming))
	for i, ap := range upcoming {
		ids[i] = ap.Id
	}
	requests, err := newestRequests(a.app, ids...)
	if err != nil {
		return e.InternalServerError("", err)
	}
	views := []appointmentView{}
	for _, ap := range upcoming {
		views = append(views, a.view(ap, requests[ap.Id], settings, now, true))
	}
	return e.JSON(http.StatusOK, map[string]any{"appointments": views, "practice": contactOf(settings)})
}

// refusal is an action the appointment's state does not allow, with the
// reason the page explains.
type refusal struct {
	status  int
	reason  string
	message string
}

// outcome is what an action did.
type outcome struct {
	message string
	already bool
	refused *refusal
	// changed is the record the action changed or made (the appointment,
	// or the new request for another time); nil when it changed nothing.
	changed *core.Record
}

// alreadyDone says, per action, the state in which pressing again
// answers what already happened.
var alreadyDone = map[string]outcome{
	Confirm:    {message: "You have already confirmed this appointment. Thank you.", already: true},
	Cancel:     {message: "You have already cancelled this appointment.", already: true},
	Reschedule: {message: "You have already asked for another time. The practice will get back to you.", already: true},
}

var alreadyState = map[string]string{Confirm: StateConfirmed, Cancel: StateCancelledByYou, Reschedule: StateRequested}

// check refuses an action the appointment's state or the practice does not allow.
func check(action, state string, settings practice.Practice) *outcome {
	switch {
	case state == alreadyState[action]:
		done := alreadyDone[action]
		return &done
	case state == StateCancelled || state == StateCancelledByYou:
		return &outcome{refused: &refusal{http.StatusConflict, "cancelled",
			"This appointment is cancelled, so there is nothing to change. To book again, please get in touch with the practice."}}
	case state == StateStarted:
		return &outcome{refused: &refusal{http.StatusGone, "started",
			"This appointment has already started or is over, so it can no longer be changed here. Please get in touch with the practice."}}
	case slices.Contains(settings.ClientActionsOff, action):
		return &outcome{refused: &refusal{http.StatusForbidden, "off",
			"The practice does not take this online. Please get in touch with them."}}
	}
	return nil
}

// act runs one action on the appointment form names, in one transaction
// that reads the appointment afresh, so that of two presses at once the
// second answers what the first did.
func (a *Actions) act(e *core.RequestEvent, action string, form *targetForm,
	run func(tx core.App, ap *schema.Appointment, settings practice.Practice, now time.Time) (outcome, error)) error {
	settings, err := a.practice.Get()
	if err != nil {
		return e.InternalServerError("", err)
	}
	found, signedIn, err := a.target(e, form, settings)
	if found == nil {
		return err
	}
	now := a.config.Now()

	var result outcome
	var ap *schema.Appointment
	var request *core.Record
	err = schema.RetryWhenLocked(func() error {
		return e.App.RunInTransaction(func(tx core.App) error {
			record, err := tx.FindRecordById(schema.Appointments, found.Id)
			if err != nil {
				return err
			}
			if ap, err = schema.LoadAppointment(tx, record); err != nil {
				return err
			}
			requests, err := newestRequests(tx, ap.Id)
			if err != nil {
				return err
			}
			if refused := check(action, State(ap, requests[ap.Id], now), settings); refused != nil {
				result = *refused
				request = requests[ap.Id]
				return nil
			}
			if result, err = run(tx, ap, settings, now); err != nil {
				return err
			}
			// What the client sees next is the appointment as it now stands.
			if record, err = tx.FindRecordById(schema.Appointments, ap.Id); err != nil {
				return err
			}
			if ap, err = schema.LoadAppointment(tx, record); err != nil {
				return err
			}
			requests, err = newestRequests(tx, ap.Id)
			request = requests[ap.Id]
			return err
		})
	})
	if err != nil {
		return e.InternalServerError("", err)
	}
	if result.changed != nil && result.refused == nil {
		web.Concerns(e, result.changed)
	}
	view := a.view(ap, request, settings, now, signedIn)
	if result.refused != nil {
		return e.JSON(result.refused.status, map[string]any{
			"status":      result.refused.status,
			"message":     result.refused.message,
			"reason":      result.refused.reason,
			"appointment": view,
			"practice":    contactOf(settings),
		})
	}
	return e.JSON(http.StatusOK, map[string]any{"message": result.message, "already": result.already, "appointment": view})
}

func (a *Actions) handleConfirm(e *core.RequestEvent) error {
	form := &targetForm{}
	if err := web.BindForm(e, form); err != nil {
		return err
	}
	return a.act(e, Confirm, form, func(tx core.App, ap *schema.Appointment, _ practice.Practice, now time.Time) (outcome, error) {
		confirmed, err := confirm(tx, ap.Id, now)
		if err != nil || !confirmed {
			return alreadyDone[Confirm], err
		}
		return outcome{message: "Thank you: your appointment is confirmed. We look forward to seeing you.", changed: ap.Record}, nil
	})
}

func (a *Actions) handleCancel(e *core.RequestEvent) error {
	form := &cancelForm{}
	if err := web.BindForm(e, form); err != nil {
		return err
	}
	return a.act(e, Cancel, &form.targetForm, func(tx core.App, ap *schema.Appointment, settings practice.Practice, now time.Time) (outcome, error) {
		isLate := late(ap, settings, now)
		if isLate && !form.AcceptLate {
			return outcome{refused: &refusal{http.StatusConflict, "late", policyLine(settings) + " Please read it and press Cancel again if you still want to cancel."}}, nil
		}
		ap.Set("status", schema.StatusCancelled)
		ap.Set("cancelled_by", schema.CancelledByClient)
		ap.Set("late_cancellation", isLate)
		// Saved with its hooks: the usual notice goes out and the reminders are withdrawn.
		if err := tx.Save(ap); err != nil {
			return outcome{}, err
		}
		if err := a.tellPracticeOfCancellation(tx, ap, isLate); err != nil {
			return outcome{}, err
		}
		message := "Your appointment is cancelled, and the time is free for someone else. We have emailed you a confirmation."
		if isLate {
			message = "Your appointment is cancelled. It counts as a late cancellation under the practice's policy. We have emailed you a confirmation."
		}
		return outcome{message: message, changed: ap.Record}, nil
	})
}

func (a *Actions) handleReschedule(e *core.RequestEvent) error {
	form := &rescheduleForm{now: a.config.Now()}
	if err := web.BindForm(e, form); err != nil {
		return err
	}
	return a.act(e, Reschedule, &form.targetForm, func(tx core.App, ap *schema.Appointment, _ practice.Practice, _ time.Time) (outcome, error) {
		request, err := saveRequest(tx, ap, form.preferred, form.Note)
		if err != nil {
			return outcome{}, err
		}
		if err := a.tellPracticeOfRequest(tx, request); err != nil {
			return outcome{}, err
		}
		return outcome{message: "Thank you: the practice has your request and will get back to you. Until then, your appointment stays as it is.", changed: request}, nil
	})
}

// policyLine says in plain words what the practice's policy means.
func policyLine(settings practice.Practice) string {
	return "The practice asks for " + practice.HumanDuration(settings.CancellationPolicy) +
		" notice to cancel. Cancelling now counts as a late cancellation, and the practice will see it marked so."
}
