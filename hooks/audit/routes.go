package audit

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"

	"portico/hooks/schema"
	"portico/hooks/web"
)

// watchedRoute is what the middleware records for one of Portico's own
// routes (or one of PocketBase's that no record hook reaches).
type watchedRoute struct {
	action string
	// collection holds the record the {id} path value names, whose client
	// the entry concerns; "" for a route that names no record.
	collection string
	// byClient routes are the client's own actions; the others are reads
	// by staff, recorded for anyone but a client. byAnyone routes are
	// actions either side takes (writing a message), recorded for both.
	byClient bool
	byAnyone bool
	// byLink routes are the client's own actions that a link from their
	// mail also reaches, with no session. The entry is about the record
	// the route noted (web.Concerns), by the person signed in or else by
	// that record's client; a route that noted nothing changed nothing.
	byLink bool
	// listed routes show staff a list: the entry names the clients of
	// every record the route noted.
	listed bool
	fields []string
	// failedWith are the statuses that mean a refused sign-in, and
	// reason what the entry says of it; a watched sign-in route records
	// only its failures (record hooks record its successes).
	failedWith []int
	reason     string
	// shown is where a list's answer names the clients it showed, as a
	// path into its JSON ("[].id": the id of each element); recordIn is
	// where the answer names the record a route created.
	shown    string
	recordIn string
}

// watchedRoutes is every route pattern the trail watches, as the router
// names them. A capability adding a route that reads or changes client
// data adds its line here.
var watchedRoutes = map[string]watchedRoute{
	"GET /api/portal/intake/{id}/print":   {action: ActionPrint, collection: schema.IntakeAssignments},
	"GET /api/staff/packets/{id}":         {action: ActionView, collection: schema.IntakeAssignments},
	"POST /api/staff/packets/{id}/reopen": {action: ActionPacketReopen, collection: schema.IntakeAssignments},
	"POST /api/staff/members/{id}/unlock": {action: ActionStaffUnlock, collection: StaffCollection},
	"POST /api/staff/invites":             {action: ActionStaffInvite},
	"POST /api/staff/sign-out":            {action: ActionSignOut},

	"GET /api/staff/clients":                   {action: ActionList, shown: "[].id"},
	"GET /api/staff/schedule":                  {action: ActionList, shown: "appointments.[].client.id"},
	"GET /api/staff/clients/{id}":              {action: ActionView, collection: schema.Clients},
	"POST /api/staff/clients/{id}/invite":      {action: ActionInvite, collection: schema.Clients},
	"POST /api/staff/clients/{id}/portal":      {action: ActionUpdate, collection: schema.Clients, fields: []string{"portal_access"}},
	"POST /api/staff/appointments":             {action: ActionCreate, collection: schema.Appointments, recordIn: "appointment.id"},
	"POST /api/staff/appointments/{id}/move":   {action: ActionUpdate, collection: schema.Appointments, fields: []string{"starts", "duration_minutes"}},
	"POST /api/staff/appointments/{id}/status": {action: ActionUpdate, collection: schema.Appointments, fields: []string{"status"}},
	"PUT /api/portal/intake/{id}":              {action: ActionDraftSaved, collection: schema.IntakeAssignments, byClient: true, fields: []string{"answers"}},
	"POST /api/portal/intake/{id}/submit":      {action: ActionPacketSubmit, collection: schema.IntakeAssignments, byClient: true, fields: []string{"answers", "state"}},

	"POST /api/portal/actions/confirm":      {action: ActionConfirmed, byLink: true, fields: []string{"confirmed"}},
	"POST /api/portal/actions/cancel":       {action: ActionCancelled, byLink: true, fields: []string{"status", "cancelled_by", "late_cancellation"}},
	"POST /api/portal/actions/reschedule":   {action: ActionTimeRequested, byLink: true, fields: []string{"preferred_times", "note"}},
	"GET /api/staff/requests":               {action: ActionList, listed: true},
	"POST /api/staff/requests/{id}/decline": {action: ActionRequestDeclined, collection: schema.AppointmentRequests, fields: []string{"status", "answer"}},

	"GET /api/messages/threads":                {action: ActionList, shown: "threads.[].client"},
	"GET /api/messages/threads/{id}":           {action: ActionView, collection: schema.MessageThreads},
	"POST /api/messages/threads":               {action: ActionMessageSent, collection: schema.MessageThreads, byAnyone: true, recordIn: "id", fields: []string{"body", "attachments"}},
	"POST /api/messages/threads/{id}/messages": {action: ActionMessageSent, collection: schema.MessageThreads, byAnyone: true, fields: []string{"body", "attachments"}},

	"GET /api/documents":                   {action: ActionList, shown: "documents.[].client"},
	"POST /api/documents":                  {action: ActionDocumentAdded, collection: schema.Documents, byAnyone: true, recordIn: "id", fields: []string{"title", "file"}},
	"POST /api/documents/{id}/acknowledge": {action: ActionDocumentAcknowledged, collection: schema.Documents, byClient: true, fields: []string{"acknowledged"}},
	"POST /api/documents/{id}/sign":        {action: ActionDocumentSigned, collection: schema.Documents, byClient: true, fields: []string{"signed", "signed_name"}},

	"POST /api/portal/login-code": {failedWith: []int{http.StatusBadRequest}, reason: "wrong code"},
	"POST /api/portal/redeem":     {failedWith: []int{http.StatusGone}, reason: "used or expired link"},
	"POST /api/collections/{collection}/auth-with-otp": {failedWith: []int{http.StatusBadRequest, http.StatusTooManyRequests},
		reason: "wrong code"},
}

// recordRoutes is the one middleware on every route: it counts the
// requests in flight and records the watched routes.
func (t *Trail) recordRoutes(e *core.RequestEvent) error {
	t.inFlight.Add(1)
	defer t.inFlight.Add(-1)
	route, ok := watchedRoutes[e.Request.Pattern]
	switch {
	case !ok:
		return e.Next()
	case route.failedWith != nil:
		err := e.Next()
		if slices.Contains(route.failedWith, statusOf(e, err)) {
			entry := requestBy(e, t.failedSignInActor(e), ActionSignInFailed)
			entry.Detail = route.reason
			if appendErr := t.append(e.App, entry); appendErr != nil {
				return e.InternalServerError("", appendErr)
			}
		}
		return err
	case route.byLink:
		return t.hold(e, e.Next, func(held *heldResponse, err error) (Entry, bool) {
			return linkEntry(e, route, held.Status(), err)
		}, true)
	case e.Auth == nil || !route.byAnyone && isClient(e.Auth) != route.byClient:
		return e.Next()
	}
	return t.hold(e, e.Next, func(held *heldResponse, err error) (Entry, bool) {
		if err != nil || held.Status() >= http.StatusBadRequest {
			return Entry{}, false
		}
		entry := request(e, route.action)
		if route.listed {
			entry = entry.listing(web.Concerned(e))
		}
		if route.collection != "" {
			id := e.Request.PathValue("id")
			if route.recordIn != "" {
				id = first(idsAt(held, route.recordIn))
			}
			record, findErr := e.App.FindRecordById(route.collection, id)
			if findErr != nil {
				return Entry{}, false
			}
			entry = entry.about(record)
		}
		if route.shown != "" {
			entry = entry.showing(idsAt(held, route.shown))
		}
		entry.Fields = jsonList(route.fields)
		return entry, true
	}, e.Request.Method != http.MethodGet)
}

// idsAt is the ids a held JSON answer holds at path, each once, in order.
func idsAt(held *heldResponse, path string) []string {
	var answer any
	if json.Unmarshal(held.body.Bytes(), &answer) != nil {
		return nil
	}
	var ids []string
	var walk func(value any, steps []string)
	walk = func(value any, steps []string) {
		if len(steps) == 0 {
			if id, ok := value.(string); ok && id != "" && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
			return
		}
		switch node := value.(type) {
		case []any:
			if steps[0] == "[]" {
				for _, item := range node {
					walk(item, steps[1:])
				}
			}
		case map[string]any:
			walk(node[steps[0]], steps[1:])
		}
	}
	walk(answer, strings.Split(path, "."))
	return ids
}

func first(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}

// linkEntry is the entry of a client's action on the record the route
// noted, by the person signed in or, with no session, by the record's
// client: whoever opens the link in their mail acts as them.
func linkEntry(e *core.RequestEvent, route watchedRoute, status int, err error) (Entry, bool) {
	acted := web.Concerned(e)
	if err != nil || status >= http.StatusBadRequest || len(acted) == 0 {
		return Entry{}, false
	}
	record := acted[0]
	who, details := actorOf(e.Auth), []string{}
	if e.Auth == nil {
		client := Entry{}.about(record).Client
		who = actor{kind: ActorClient, id: client, role: ActorClient}
		if found, findErr := e.App.FindRecordById(schema.Clients, client); findErr == nil {
			who = actorOf(found)
		}
		details = append(details, "by the link in an email")
	}
	if record.GetBool("late_cancellation") {
		details = append(details, "late cancellation")
	}
	entry := requestBy(e, who, route.action).about(record)
	entry.Fields = jsonList(route.fields)
	entry.Detail = strings.Join(details, "; ")
	return entry, true
}

// statusOf is the status a request ended with, or will once the router
// writes err.
func statusOf(e *core.RequestEvent, err error) int {
	if err != nil {
		if written, ok := e.Response.(interface{ Written() bool }); !ok || !written.Written() {
			return apis.ToApiError(err).Status
		}
	}
	if tracker, ok := e.Response.(interface{ Status() int }); ok {
		return tracker.Status()
	}
	return http.StatusOK
}

// failedSignInActor is who a refused sign-in claimed to be, when the
// request names an account: the address of a client's code, the account
// of a staff code. What was typed is never stored.
func (t *Trail) failedSignInActor(e *core.RequestEvent) actor {
	var body struct {
		Email string `json:"email"`
		OTPId string `json:"otpId"`
	}
	_ = e.BindBody(&body)
	switch {
	case body.OTPId != "":
		if otp, err := e.App.FindOTPById(body.OTPId); err == nil {
			if account, err := e.App.FindRecordById(otp.CollectionRef(), otp.RecordRef()); err == nil {
				return actorOf(account)
			}
		}
	case body.Email != "":
		return addressActor(e.App, body.Email)
	}
	if collection := e.Request.PathValue("collection"); collection != "" {
		if found, err := e.App.FindCachedCollectionByNameOrId(collection); err == nil {
			return actor{kind: actorKind(found)}
		}
	}
	return actor{kind: ActorClient}
}

// addressActor is the client whose address a wrong code was typed for,
// as actorOf names one, or a client nobody knows. It costs the same
// whether the address is a client's or not, lest the time of the answer
// tell which: one statement that returns one row either way (MAX over no
// row is NULL), and no record built. Loading the client's record when
// there was one made a client's wrong code 0.15 ms slower than a
// stranger's.
func addressActor(app core.App, email string) actor {
	who := actor{kind: ActorClient, role: ActorClient}
	_ = app.DB().NewQuery("SELECT COALESCE(MAX(id), '') AS id, COALESCE(MAX(CASE WHEN name != '' THEN name ELSE email END), '') AS name FROM "+
		schema.Clients+" WHERE email = {:email} COLLATE NOCASE").Bind(dbx.Params{"email": email}).Row(&who.id, &who.name)
	return who
}

// beforeSend runs next with the response held back, asks entry whether
// what happened is to be recorded, appends it, and only then sends the
// response: an access the log does not hold is answered 500 instead.
func (t *Trail) beforeSend(e *core.RequestEvent, next func() error, entry func(held *heldResponse, err error) (Entry, bool)) error {
	return t.hold(e, next, entry, false)
}

// hold is beforeSend, and for a route that changes data (inTransaction)
// it runs the handler inside a transaction (e.App is it) and appends the
// entry in the same one, so that the change and its entry commit
// together: a crash keeps both or neither. What the handler wrote commits
// even when it answers with an error, as it would without the trail; if
// the entry cannot be written, nothing is, and the answer is 500. The
// response goes out only after the commit.
func (t *Trail) hold(e *core.RequestEvent, next func() error, entry func(held *heldResponse, err error) (Entry, bool), inTransaction bool) error {
	sent := e.Response
	held := &heldResponse{header: sent.Header()}
	e.Response = held
	var err error
	run := func(app core.App) error {
		err = next()
		if record, ok := entry(held, err); ok {
			return t.append(app, record)
		}
		return nil
	}
	var appendErr error
	if inTransaction {
		app := e.App
		appendErr = app.RunInTransaction(func(tx core.App) error {
			e.App = tx
			defer func() { e.App = app }()
			return run(tx)
		})
	} else {
		appendErr = run(e.App)
	}
	e.Response = sent
	if appendErr != nil {
		return e.InternalServerError("", appendErr)
	}
	held.sendTo(sent)
	return err
}

// heldResponse keeps a response in memory until the log has its entry.
// It shares the real response's headers, which go out on the first write.
type heldResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (h *heldResponse) Header() http.Header { return h.header }

func (h *heldResponse) WriteHeader(status int) {
	if h.status == 0 {
		h.status = status
	}
}

func (h *heldResponse) Write(p []byte) (int, error) {
	h.WriteHeader(http.StatusOK)
	return h.body.Write(p)
}

// Status and Written answer PocketBase's router and logger as its own
// response writer would.
func (h *heldResponse) Status() int {
	if h.status == 0 {
		return http.StatusOK
	}
	return h.status
}

func (h *heldResponse) Written() bool { return h.status != 0 }

func (h *heldResponse) sendTo(w http.ResponseWriter) {
	if h.status == 0 {
		return
	}
	w.WriteHeader(h.status)
	_, _ = w.Write(h.body.Bytes())
}
