package workspace

import (
	"cmp"
	"net/http"
	"slices"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"portico/hooks/audit"
	"portico/hooks/intake"
	"portico/hooks/schema"
	"portico/hooks/staff"
	"portico/hooks/web"
)

// inboxPacket is one line of the Packets page: whose packet, which form
// (and which version of it), where it stands. Never an answer.
type inboxPacket struct {
	Id          string        `json:"id"`
	Title       string        `json:"title"`
	Status      string        `json:"status"`
	Client      clientSummary `json:"client"`
	Assigned    time.Time     `json:"assigned"`
	Submitted   time.Time     `json:"submitted,omitzero"`
	Due         string        `json:"due,omitzero"`
	FormVersion int           `json:"formVersion,omitzero"`
	// FormNow is the form's version today, when it has moved on since
	// this packet was sent: the packet keeps the questions it was sent with.
	FormNow int    `json:"formNow,omitzero"`
	Reopens string `json:"reopens,omitzero"`
	// Readable says whether the caller may open the answers (the front
	// desk sees that a packet exists and its status, never its answers).
	Readable bool `json:"readable"`
	// Unread is a submitted packet no one in the practice has opened
	// since it was submitted.
	Unread bool `json:"unread"`
}

// statusOrder puts submitted packets first (newest first), then those in
// progress, then those not started.
var statusOrder = map[string]int{schema.PacketSubmitted: 0, schema.PacketInProgress: 1, schema.PacketAssigned: 2}

// handlePackets is the Packets page's inbox: the packets of the clients
// the caller sees, ?status= one state, ?client= one client.
func (w *Workspace) handlePackets(e *core.RequestEvent) error {
	query := e.Request.URL.Query()
	filter, params := "id != ''", dbx.Params{}
	if status := query.Get("status"); status != "" {
		if _, ok := statusOrder[status]; !ok {
			return e.BadRequestError("Choose a status: assigned, in_progress or submitted.", nil)
		}
		filter += " && status = {:status}"
		params["status"] = status
	}
	if client := query.Get("client"); client != "" {
		filter += " && client = {:client}"
		params["client"] = client
	}
	if role(e.Auth) == staff.RoleClinician {
		filter += " && client.clinicians.id ?= {:me}"
		params["me"] = e.Auth.GetString("clinician")
	}
	records, err := e.App.FindRecordsByFilter(schema.IntakeAssignments, filter, "-created", 500, 0, params)
	if err != nil {
		return e.InternalServerError("", err)
	}
	clients, err := byId(e.App, schema.Clients, records, "client")
	if err != nil {
		return e.InternalServerError("", err)
	}
	forms, err := byId(e.App, schema.IntakeForms, records, "form")
	if err != nil {
		return e.InternalServerError("", err)
	}
	ids := make([]string, len(records))
	for i, packet := range records {
		ids[i] = packet.Id
	}
	opened, err := audit.LastViewed(e.App, schema.IntakeAssignments, ids)
	if err != nil {
		return e.InternalServerError("", err)
	}

	list := make([]inboxPacket, 0, len(records))
	for _, packet := range records {
		client := clients[packet.GetString("client")]
		if client == nil || !seesClient(e.Auth, client) {
			continue
		}
		line := inboxPacket{
			Id: packet.Id, Title: packet.GetString("title"), Status: packet.GetString("status"),
			Client: summary(client), Assigned: packet.GetDateTime("created").Time(),
			Submitted: packet.GetDateTime("submitted").Time(), Due: packet.GetString("due"),
			FormVersion: packet.GetInt("form_version"), Reopens: packet.GetString("reopens"),
			Readable: staff.CanReadClient(e.Auth, client),
		}
		line.Unread = line.Status == schema.PacketSubmitted && opened[packet.Id].Before(line.Submitted)
		if form := forms[packet.GetString("form")]; form != nil && line.FormVersion > 0 && form.GetInt("version") != line.FormVersion {
			line.FormNow = form.GetInt("version")
		}
		list = append(list, line)
	}
	slices.SortStableFunc(list, func(a, b inboxPacket) int {
		if order := cmp.Compare(statusOrder[a.Status], statusOrder[b.Status]); order != 0 {
			return order
		}
		return b.Submitted.Compare(a.Submitted) // newest first; the rest stay newest assigned first
	})
	settings, err := w.practice.Get()
	if err != nil {
		return e.InternalServerError("", err)
	}
	return e.JSON(http.StatusOK, map[string]any{"packets": list, "timeZone": settings.TimeZone.String()})
}

// byId loads, in one query, the records of collection that field names
// in records.
func byId(app core.App, collection string, records []*core.Record, field string) (map[string]*core.Record, error) {
	ids := []string{}
	for _, record := range records {
		if id := record.GetString(field); id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	found := map[string]*core.Record{}
	if len(ids) == 0 {
		return found, nil
	}
	loaded, err := app.FindRecordsByIds(collection, ids)
	for _, record := range loaded {
		found[record.Id] = record
	}
	return found, err
}

// checkForm is the form builder's question list, as it stands.
type checkForm struct {
	Questions types.JSONRaw `json:"questions"`
}

// Validate leaves the checking to intake.CheckQuestions.
func (f *checkForm) Validate() error { return nil }

// writesForms reports whether auth may build and edit forms: the owner
// and clinicians (the collection's write rule says the same).
func writesForms(auth *core.Record) bool {
	return slices.Contains([]string{staff.RoleOwner, staff.RoleClinician}, role(auth))
}

// handleCheckForm is the form builder's check as you type: every problem
// of the question list at once, each with its question's place, by the
// same rules the save goes through.
func (w *Workspace) handleCheckForm(e *core.RequestEvent) error {
	if !writesForms(e.Auth) {
		return e.ForbiddenError("Forms are built by clinicians and the practice owner.", nil)
	}
	form := &checkForm{}
	if err := web.BindForm(e, form); err != nil {
		return err
	}
	_, problems := intake.CheckQuestions(form.Questions)
	if problems == nil {
		problems = []intake.Problem{}
	}
	return e.JSON(http.StatusOK, map[string]any{"problems": problems})
}
