package workspace

import (
	"net/http"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"portico/hooks/schema"
	"portico/hooks/staff"
	"portico/hooks/web"
)

// clientSummary is one row of the client list.
type clientSummary struct {
	Id           string `json:"id"`
	Name         string `json:"name"`
	Email        string `json:"email"`
	Phone        string `json:"phone"`
	PortalAccess bool   `json:"portalAccess"`
}

func summary(client *core.Record) clientSummary {
	return clientSummary{
		Id: client.Id, Name: client.GetString("name"), Email: client.Email(),
		Phone: client.GetString("phone"), PortalAccess: client.GetBool("portal_access"),
	}
}

// handleClients lists the clients the caller may see, by name, matching
// ?q= against the name, email or phone.
func (w *Workspace) handleClients(e *core.RequestEvent) error {
	filter, params := "id != ''", dbx.Params{}
	if q := strings.TrimSpace(e.Request.URL.Query().Get("q")); q != "" {
		filter += " && (name ~ {:q} || email ~ {:q} || phone ~ {:q})"
		params["q"] = q
	}
	if role(e.Auth) == staff.RoleClinician {
		filter += " && clinicians.id ?= {:me}"
		params["me"] = e.Auth.GetString("clinician")
	}
	records, err := e.App.FindRecordsByFilter(schema.Clients, filter, "name", 100, 0, params)
	if err != nil {
		return e.InternalServerError("", err)
	}
	list := make([]clientSummary, 0, len(records))
	for _, client := range records {
		if seesClient(e.Auth, client) {
			list = append(list, summary(client))
		}
	}
	return e.JSON(http.StatusOK, list)
}

// portalState is where the client stands with the portal: "off" (no
// access), "never-invited", "invited" or "signed-in".
type portalState struct {
	State        string    `json:"state"`
	Invited      time.Time `json:"invited,omitzero"`
	LastSignedIn time.Time `json:"lastSignedIn,omitzero"`
}

// mailView is one mail to the client: what it was about and whether it
// arrived, never what it said.
type mailView struct {
	Subject string    `json:"subject"`
	Kind    string    `json:"kind"`
	State   string    `json:"state"` // sent, pending, failed
	Reason  string    `json:"reason,omitzero"`
	Queued  time.Time `json:"queued"`
	Sent    time.Time `json:"sent,omitzero"`
}

// packetView is one intake packet: its title and where it stands.
type packetView struct {
	Id       string    `json:"id"`
	Title    string    `json:"title"`
	Status   string    `json:"status"`
	Assigned time.Time `json:"assigned"`
	Due      string    `json:"due,omitzero"`
}

// handleClient is a client's page: contact details, portal state,
// appointments, packets, and for the owner and front desk the mail log;
// can says which actions the caller's role allows (the routes check again).
func (w *Workspace) handleClient(e *core.RequestEvent) error {
	client, err := findClient(e)
	if err != nil {
		return err
	}
	settings, err := w.practice.Get()
	if err != nil {
		return e.InternalServerError("", err)
	}
	portal := w.portal(client)

	records, err := e.App.FindRecordsByFilter(schema.Appointments, "client = {:client}", "-starts", 200, 0, dbx.Params{"client": client.Id})
	if err != nil {
		return e.InternalServerError("", err)
	}
	appointments, err := w.views(e.Auth, settings, records)
	if err != nil {
		return e.InternalServerError("", err)
	}
	now := w.now()
	upcoming, past := []appointmentView{}, []appointmentView{}
	for i := len(appointments) - 1; i >= 0; i-- { // soonest first
		if appointments[i].Ends.After(now) {
			upcoming = append(upcoming, appointments[i])
		}
	}
	for _, v := range appointments { // latest first
		if !v.Ends.After(now) {
			past = append(past, v)
		}
	}

	packets := []packetView{}
	assignments, err := e.App.FindRecordsByFilter(schema.IntakeAssignments, "client = {:client}", "-created", 100, 0, dbx.Params{"client": client.Id})
	if err != nil {
		return e.InternalServerError("", err)
	}
	for _, packet := range assignments {
		packets = append(packets, packetView{
			Id: packet.Id, Title: packet.GetString("title"), Status: packet.GetString("status"),
			Assigned: packet.GetDateTime("created").Time(), Due: packet.GetString("due"),
		})
	}

	answer := map[string]any{
		"client":       summary(client),
		"portal":       portal,
		"upcoming":     upcoming,
		"past":         past,
		"packets":      packets,
		"clinicianIds": client.GetStringSlice("clinicians"),
		"can": map[string]bool{
			"book":        true,
			"invite":      managesAccess(e.Auth),
			"portal":      managesAccess(e.Auth),
			"assign":      true,
			"readPackets": staff.CanReadClient(e.Auth, client),
			"seeMail":     managesAccess(e.Auth),
		},
	}
	if managesAccess(e.Auth) {
		if answer["mail"], err = mailTo(e.App, client); err != nil {
			return e.InternalServerError("", err)
		}
	}
	return e.JSON(http.StatusOK, answer)
}

// portal is where the client stands with the portal, from the client's
// own invited and last_signed_in (login tokens are pruned after a while;
// these stay).
func (w *Workspace) portal(client *core.Record) portalState {
	state := portalState{
		State:        "off",
		Invited:      client.GetDateTime("invited").Time(),
		LastSignedIn: client.GetDateTime("last_signed_in").Time(),
	}
	switch {
	case !client.GetBool("portal_access"):
	case !state.LastSignedIn.IsZero():
		state.State = "signed-in"
	case !state.Invited.IsZero():
		state.State = "invited"
	default:
		state.State = "never-invited"
	}
	return state
}

// mailTo is the client's 20 latest mails and their delivery state.
func mailTo(app core.App, client *core.Record) ([]mailView, error) {
	records, err := app.FindRecordsByFilter(schema.MailOutbox, "recipient = {:to}", "-created", 20, 0, dbx.Params{"to": client.Email()})
	if err != nil {
		return nil, err
	}
	list := make([]mailView, 0, len(records))
	for _, mail := range records {
		v := mailView{
			Subject: mail.GetString("subject"), Kind: mail.GetString("kind"), State: mail.GetString("state"),
			Queued: mail.GetDateTime("created").Time(), Sent: mail.GetDateTime("sent_at").Time(),
		}
		switch v.State {
		case "captured":
			v.State = "sent" // with no mail server, the console printed it
			v.Reason = "No mail server is set up: the server's console printed it."
		case "sending":
			v.State = "pending"
			v.Reason = "Being sent now."
		case "pending":
			v.Reason = "Waiting to be sent."
			if last := mail.GetString("last_error"); last != "" {
				v.Reason = "Will try again: " + last
			}
		case "failed":
			v.Reason = mail.GetString("last_error")
		}
		list = append(list, v)
	}
	return list, nil
}

// handleInvite mails the client an invite to the portal, turning their
// access on if it was off.
func (w *Workspace) handleInvite(e *core.RequestEvent) error {
	client, err := findClient(e)
	if err != nil {
		return err
	}
	if !managesAccess(e.Auth) {
		return e.ForbiddenError("Invites are sent by the front desk or the practice owner.", nil)
	}
	if !client.GetBool("portal_access") {
		client.Set("portal_access", true)
		if err := e.App.Save(client); err != nil {
			return e.BadRequestError("Portal access could not be turned on.", err)
		}
	}
	if err := w.clients.InviteIn(e.App, client, "workspace"); err != nil {
		return e.InternalServerError("", err)
	}
	return e.JSON(http.StatusAccepted, map[string]string{"message": "Invite sent to " + client.Email() + "."})
}

// accessForm turns portal access on or off.
type accessForm struct {
	Access bool `json:"access"`
}

// Validate accepts either.
func (f *accessForm) Validate() error { return nil }

// handlePortal turns the client's portal access on (which mails an
// invite) or off (which ends their sessions at once).
func (w *Workspace) handlePortal(e *core.RequestEvent) error {
	client, err := findClient(e)
	if err != nil {
		return err
	}
	if !managesAccess(e.Auth) {
		return e.ForbiddenError("Portal access is changed by the front desk or the practice owner.", nil)
	}
	form := &accessForm{}
	if err := web.BindForm(e, form); err != nil {
		return err
	}
	name := client.GetString("name")
	if form.Access == client.GetBool("portal_access") {
		state := map[bool]string{true: "on", false: "off"}[form.Access]
		return e.JSON(http.StatusOK, map[string]string{"message": "Portal access was already " + state + " for " + name + "."})
	}
	client.Set("portal_access", form.Access)
	if !form.Access {
		client.RefreshTokenKey() // signed-in devices are signed out now, not when their token runs out
	}
	if err := e.App.Save(client); err != nil {
		return e.BadRequestError("Portal access could not be changed.", err)
	}
	if !form.Access {
		return e.JSON(http.StatusOK, map[string]string{"message": "Portal access off: " + name + " can no longer sign in, and is signed out everywhere."})
	}
	if err := w.clients.InviteIn(e.App, client, "workspace"); err != nil {
		return e.InternalServerError("", err)
	}
	return e.JSON(http.StatusOK, map[string]string{"message": "Portal access on for " + name + ". Invite sent to " + client.Email() + "."})
}
