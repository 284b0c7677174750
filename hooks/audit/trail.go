package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"portico/hooks/schema"
	"portico/hooks/web"
)

// routes adds the client's GET /api/portal/audit ("Who has seen my
// record") and the owner's /api/audit/{entries,export,verify}.
func (t *Trail) routes(e *core.ServeEvent) {
	e.Router.GET("/api/portal/audit", t.handleSeen).Bind(apis.RequireAuth(schema.Clients)).BindFunc(web.NoStore)

	owner := e.Router.Group("/api/audit")
	owner.BindFunc(requireOwner, web.NoStore)
	owner.GET("/entries", t.handleEntries)
	owner.GET("/export", t.handleExport)
	owner.GET("/verify", t.handleVerify)
}

// requireOwner lets through the practice's owner and superusers: no other
// role reads the trail.
func requireOwner(e *core.RequestEvent) error {
	switch {
	case e.Auth == nil:
		return e.UnauthorizedError("Please sign in as the practice's owner.", nil)
	case e.HasSuperuserAuth(),
		e.Auth.Collection().Name == StaffCollection && e.Auth.GetString("role") == RoleOwner:
		return e.Next()
	}
	return e.ForbiddenError("Only the practice's owner reads the audit trail.", nil)
}

// seenEntry is one line of "Who has seen my record", in plain words.
type seenEntry struct {
	At   string `json:"at"`
	Who  string `json:"who"`
	Role string `json:"role"`
	What string `json:"what"`
}

// handleSeen lists the entries about the signed-in client, newest first,
// in three groups: the practice's people, the system, and the client's
// own actions. Nothing about anyone else, and no addresses, leaves.
func (t *Trail) handleSeen(e *core.RequestEvent) error {
	client := e.Auth.Id
	var entries []Entry
	err := e.App.DB().NewQuery("SELECT " + columns + " FROM " + Table +
		" WHERE (client = {:client} OR shown LIKE {:shown}) AND action != {:checkpoint} ORDER BY " + chainOrder + " DESC LIMIT 500").
		Bind(dbx.Params{"client": client, "shown": `%"` + client + `"%`, "checkpoint": ActionCheckpoint}).All(&entries)
	if err != nil {
		return e.InternalServerError("", err)
	}
	out := map[string][]seenEntry{"staff": {}, "system": {}, "yours": {}}
	for _, entry := range entries {
		line := seenEntry{At: entry.At, Who: entry.ActorName, Role: roleWords[entry.Role], What: describe(entry)}
		switch {
		case entry.ActorType == ActorClient && entry.ActorId == client:
			line.Who, line.Role = "You", ""
			out["yours"] = append(out["yours"], line)
		case entry.ActorType == ActorSystem:
			line.Who = "Portico"
			out["system"] = append(out["system"], line)
		case entry.ActorType == ActorStaff || entry.ActorType == ActorSuperuser:
			if entry.ActorType == ActorSuperuser {
				line.Who = "The practice's administrator"
			}
			out["staff"] = append(out["staff"], line)
		}
	}
	return e.JSON(http.StatusOK, out)
}

// roleWords are the roles as a client reads them.
var roleWords = map[string]string{
	"owner": "Practice owner", "clinician": "Clinician", "front_desk": "Front desk", ActorSuperuser: "Administrator",
}

// subjects are a client's records as the client calls them.
var subjects = map[string]string{
	schema.Clients: "your details", schema.Appointments: "your appointments",
	schema.IntakeAssignments: "your intake form", schema.IntakeResponses: "your intake answers",
	schema.MessageThreads: "your messages", schema.Messages: "an attachment to your messages",
	schema.Documents:           "your documents",
	schema.AppointmentRequests: "your request for another time",
}

// verbs are the actions as a sentence says them.
var verbs = map[string]string{
	ActionView: "viewed", ActionList: "saw you in a list of clients", ActionPrint: "printed",
	ActionCreate: "added", ActionUpdate: "changed", ActionDelete: "removed",
	ActionDraftSaved: "saved a draft of", ActionPacketSubmit: "sent",
	ActionSignIn: "signed in", ActionSignInFailed: "could not sign in", ActionExport: "exported the audit trail of",
	ActionTrailViewed: "looked at the audit trail of", ActionPacketReopen: "reopened",
	ActionCallJoined: "joined your video session", ActionCallLeft: "left your video session",
	ActionMessageSent: "wrote in", ActionDownload: "downloaded",
	ActionDocumentAdded: "added a document to", ActionDocumentAcknowledged: "acknowledged a document in", ActionDocumentSigned: "signed a document in",
	ActionInvite:    "sent you an invite to the portal",
	ActionConfirmed: "confirmed an appointment", ActionCancelled: "cancelled an appointment",
	ActionTimeRequested: "asked for another time for an appointment", ActionRequestDeclined: "answered your request for another time",
}

// describe says what an entry records, as "viewed your intake form".
func describe(entry Entry) string {
	verb, ok := verbs[entry.Action]
	if !ok {
		verb = strings.ReplaceAll(entry.Action, "_", " ")
	}
	switch entry.Action {
	case ActionList, ActionSignIn, ActionInvite, ActionConfirmed, ActionCancelled, ActionTimeRequested, ActionRequestDeclined,
		ActionCallJoined, ActionCallLeft:
		return verb
	case ActionSignInFailed:
		return verb + " (" + entry.Detail + ")"
	case ActionExport, ActionTrailViewed:
		return verb + " your record"
	}
	if subject, ok := subjects[entry.RecordCollection]; ok {
		return verb + " " + subject
	}
	return verb
}

// trailFilter is what the owner narrows the trail to.
type trailFilter struct {
	Client, Actor, Action, From, To string
}

// filterOf reads the filter of the owner's request, its days in the
// practice's zone, which it returns too. Its error is the answer to give.
func (t *Trail) filterOf(e *core.RequestEvent) (trailFilter, *time.Location, error) {
	zone, err := t.zone()
	if err != nil {
		return trailFilter{}, nil, e.InternalServerError("", err)
	}
	q := e.Request.URL.Query()
	f := trailFilter{Client: q.Get("client"), Actor: q.Get("actor"), Action: q.Get("action")}
	if f.From, err = dayBound(q.Get("from"), false, zone); err == nil {
		f.To, err = dayBound(q.Get("to"), true, zone)
	}
	if err != nil {
		return f, zone, e.BadRequestError(err.Error(), err)
	}
	return f, zone, nil
}

// where is the SQL condition and parameters of the filter.
func (f trailFilter) where() (string, dbx.Params) {
	conditions := []string{"1 = 1"}
	params := dbx.Params{}
	if f.Client != "" {
		conditions = append(conditions, "(client = {:client} OR shown LIKE {:shown})")
		params["client"], params["shown"] = f.Client, `%"`+f.Client+`"%`
	}
	for _, bound := range []struct{ value, condition, param string }{
		{f.Actor, "actor_id = {:actor}", "actor"},
		{f.Action, "action = {:action}", "action"},
		{f.From, "at >= {:from}", "from"},
		{f.To, "at < {:to}", "to"},
	} {
		if bound.value != "" {
			conditions = append(conditions, bound.condition)
			params[bound.param] = bound.value
		}
	}
	return strings.Join(conditions, " AND "), params
}

// find returns the entries the filter selects, oldest first, at most limit
// of them (0 for all).
func find(app core.App, f trailFilter, limit int) ([]Entry, error) {
	where, params := f.where()
	query := "SELECT " + columns + " FROM " + Table + " WHERE " + where + " ORDER BY " + chainOrder
	if limit > 0 {
		query = fmt.Sprintf("SELECT * FROM (SELECT %s FROM %s WHERE %s ORDER BY %s DESC LIMIT %d) ORDER BY seq", columns, Table, where, chainOrder, limit)
	}
	entries := []Entry{}
	err := app.DB().NewQuery(query).Bind(params).All(&entries)
	return entries, err
}

// trailPageSize is how many entries one answer of the owner's trail holds.
const trailPageSize = 500

// person is someone the owner can narrow the trail to.
type person struct {
	Id   string `db:"id" json:"id"`
	Name string `db:"name" json:"name"`
	Role string `db:"role" json:"role"`
}

// handleEntries is the owner's trail: per client with ?client=, by person
// (?actor=), action and days in the practice's zone, the newest 500 that
// match, with the names of the clients they concern and of the people the
// owner can filter by.
func (t *Trail) handleEntries(e *core.RequestEvent) error {
	filter, zone, err := t.filterOf(e)
	if err != nil {
		return err
	}
	entries, err := find(e.App, filter, trailPageSize+1)
	if err != nil {
		return e.InternalServerError("", err)
	}
	more := len(entries) > trailPageSize
	if more {
		entries = entries[1:]
	}
	clients, err := clientNames(e.App, entries)
	if err != nil {
		return e.InternalServerError("", err)
	}
	people := []person{}
	err = e.App.DB().NewQuery("SELECT id, name, role FROM " + StaffCollection +
		" UNION ALL SELECT id, email, 'superuser' FROM " + core.CollectionNameSuperusers + " ORDER BY name").All(&people)
	if err != nil {
		return e.InternalServerError("", err)
	}
	viewed := request(e, ActionTrailViewed)
	viewed.Client, viewed.Detail = filter.Client, filterDetail(filter)
	if err := t.append(e.App, viewed); err != nil {
		return e.InternalServerError("", err)
	}
	return e.JSON(http.StatusOK, map[string]any{
		"entries": entries, "more": more, "timeZone": zone.String(), "clients": clients, "people": people,
	})
}

// clientNames names the clients the entries concern or showed, by id; a
// client since removed has no name.
func clientNames(app core.App, entries []Entry) (map[string]string, error) {
	var ids []any
	seen := map[string]bool{"": true}
	for _, entry := range entries {
		var shown []string
		_ = json.Unmarshal([]byte(entry.Shown), &shown)
		for _, id := range append(shown, entry.Client) {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	names := map[string]string{}
	if len(ids) == 0 {
		return names, nil
	}
	var rows []struct {
		Id   string `db:"id"`
		Name string `db:"name"`
	}
	err := app.DB().Select("id", "name").From(schema.Clients).Where(dbx.In("id", ids...)).All(&rows)
	for _, row := range rows {
		names[row.Id] = row.Name
	}
	return names, err
}

// handleExport downloads what the filter selects as CSV or JSON.
func (t *Trail) handleExport(e *core.RequestEvent) error {
	filter, _, err := t.filterOf(e)
	if err != nil {
		return err
	}
	format := e.Request.URL.Query().Get("format")
	if format == "" {
		format = FormatCSV
	}
	if format != FormatCSV && format != FormatJSON {
		return e.BadRequestError("format must be csv or json.", nil)
	}
	entries, err := find(e.App, filter, 0)
	if err != nil {
		return e.InternalServerError("", err)
	}
	exported := request(e, ActionExport)
	exported.Client, exported.Detail = filter.Client, filterDetail(filter)+fmt.Sprintf(" format=%s entries=%d", format, len(entries))
	if err := t.append(e.App, exported); err != nil {
		return e.InternalServerError("", err)
	}
	e.Response.Header().Set("Content-Type", contentTypes[format])
	e.Response.Header().Set("Content-Disposition", `attachment; filename="portico-audit.`+format+`"`)
	e.Response.WriteHeader(http.StatusOK)
	return WriteEntries(e.Response, format, entries)
}

// handleVerify walks the chain for the owner's workspace.
func (t *Trail) handleVerify(e *core.RequestEvent) error {
	summary, err := Verify(e.App)
	var broken *Broken
	if err != nil && !errors.As(err, &broken) {
		return e.InternalServerError("", err)
	}
	verified := request(e, ActionTrailVerified)
	verified.Detail = "intact"
	if broken != nil {
		verified.Detail = broken.Error()
	}
	if err := t.append(e.App, verified); err != nil {
		return e.InternalServerError("", err)
	}
	if broken != nil {
		return e.JSON(http.StatusOK, map[string]any{"intact": false, "broken": map[string]any{
			"seq": broken.Seq, "id": broken.Id, "reason": broken.Reason, "message": broken.Error()}})
	}
	return e.JSON(http.StatusOK, map[string]any{"intact": true, "entries": summary.Entries, "tip": summary.TipHash})
}

// filterDetail is the filter as an entry's detail records it.
func filterDetail(f trailFilter) string {
	return fmt.Sprintf("client=%s actor=%s action=%s from=%s to=%s", f.Client, f.Actor, f.Action, f.From, f.To)
}

// LastViewed is, for each of ids in collection that staff or a superuser
// has opened, when it was last opened: the trail already says who read
// what, so "unread" needs no state of its own.
func LastViewed(app core.App, collection string, ids []string) (map[string]time.Time, error) {
	seen := map[string]time.Time{}
	if len(ids) == 0 {
		return seen, nil
	}
	values := make([]any, len(ids))
	for i, id := range ids {
		values[i] = id
	}
	var rows []struct {
		Id string         `db:"record_id"`
		At types.DateTime `db:"at"`
	}
	err := app.DB().Select("record_id", "MAX(at) AS at").From(Table).
		Where(dbx.HashExp{"record_collection": collection, "action": ActionView}).
		AndWhere(dbx.In("actor_type", ActorStaff, ActorSuperuser)).
		AndWhere(dbx.In("record_id", values...)).
		GroupBy("record_id").All(&rows)
	for _, row := range rows {
		seen[row.Id] = row.At.Time()
	}
	return seen, err
}
