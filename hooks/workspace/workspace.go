// Package workspace is the server side of the staff workspace's pages:
// the day and week schedule, booking, moving and closing appointments,
// the client list and a client's page, the invite and portal-access
// actions, clients' requests for another time and cancellations
// (hooks/actions) with the answers to them, the Packets page's inbox and
// the form builder's check. It reads across collections to make
// each page in one answer and checks every request against the staff
// roles (hooks/staff, docs/staff.md); what an appointment may be (no
// overlaps, the notices) stays with hooks/appointments' record hooks,
// which every route, the records API and the dashboard go through.
package workspace

import (
	"errors"
	"slices"
	"strings"
	"time"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"

	"portico/hooks/clients"
	"portico/hooks/practice"
	"portico/hooks/schema"
	"portico/hooks/staff"
	"portico/hooks/web"
)

// Workspace is the Schedule and Clients pages' server side, with what it
// needs: the clock, the practice's settings and the clients' invites.
type Workspace struct {
	app      core.App
	now      func() time.Time
	practice *practice.Settings
	clients  *clients.Clients
}

// New returns the workspace routes for app.
func New(app core.App, now func() time.Time, settings *practice.Settings, people *clients.Clients) *Workspace {
	return &Workspace{app: app, now: now, practice: settings, clients: people}
}

// Register binds the workspace's routes under /api/staff/, for signed-in
// staff only; each handler checks the role for the record it touches.
func (w *Workspace) Register() {
	w.app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		group := se.Router.Group("/api/staff")
		group.Bind(apis.RequireAuth(schema.Staff))
		group.BindFunc(web.NoStore)
		group.GET("/schedule", w.handleSchedule)
		group.POST("/appointments", w.handleBook)
		group.POST("/appointments/{id}/move", w.handleMove)
		group.POST("/appointments/{id}/status", w.handleStatus)
		group.GET("/clients", w.handleClients)
		group.GET("/clients/{id}", w.handleClient)
		group.POST("/clients/{id}/invite", w.handleInvite)
		group.POST("/clients/{id}/portal", w.handlePortal)
		group.GET("/requests", w.handleRequests)
		group.POST("/requests/{id}/decline", w.handleDecline)
		group.GET("/packets", w.handlePackets)
		// A form's questions fit in the packet body limit intake takes.
		group.POST("/forms/check", w.handleCheckForm).Bind(apis.BodyLimit(1 << 20))
		return se.Next()
	})
}

// role is the staff role of auth.
func role(auth *core.Record) string { return auth.GetString("role") }

// seesClient reports whether auth may see the client's contact details
// and schedule, and book for them: the owner and the front desk see every
// client, a clinician the clients assigned to them.
func seesClient(auth, client *core.Record) bool {
	switch role(auth) {
	case staff.RoleOwner, staff.RoleFrontDesk:
		return true
	}
	return staff.CanReadClient(auth, client)
}

// seesAppointment reports whether auth may see the appointment: its
// client's readers, and the clinician it is with.
func seesAppointment(auth *core.Record, appointment *schema.Appointment) bool {
	mine := auth.GetString("clinician")
	return seesClient(auth, appointment.Client) || (role(auth) == staff.RoleClinician && mine != "" && appointment.Clinician.Id == mine)
}

// managesAccess reports whether auth may invite clients and turn their
// portal access on or off: the owner and the front desk.
func managesAccess(auth *core.Record) bool {
	return slices.Contains([]string{staff.RoleOwner, staff.RoleFrontDesk}, role(auth))
}

// findClient is the client named by the path's {id}, or a 404 for anyone
// who may not see them: another clinician's client is as unknown as a
// made-up id.
func findClient(e *core.RequestEvent) (*core.Record, error) {
	client, err := e.App.FindRecordById(schema.Clients, e.Request.PathValue("id"))
	if err != nil || !seesClient(e.Auth, client) {
		return nil, e.NotFoundError("We could not find that client.", nil)
	}
	return client, nil
}

// saveError answers a refused save with the record hooks' own words
// ("Dr. Lee already has an appointment then: ...") as the message.
func saveError(e *core.RequestEvent, err error) error {
	var invalid validation.Errors
	if errors.As(err, &invalid) {
		messages := make([]string, 0, len(invalid))
		for _, fieldErr := range invalid {
			messages = append(messages, fieldErr.Error())
		}
		slices.Sort(messages)
		return e.BadRequestError(strings.Join(messages, " "), err)
	}
	return e.BadRequestError("The appointment could not be saved.", err)
}
