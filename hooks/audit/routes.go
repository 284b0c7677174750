package audit

import (
	"bytes"
	"net/http"
	"slices"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"

	"portico/hooks/schema"
)

// watchedRoute is what the middleware records for one of Portico's own
// routes (or one of PocketBase's that no record hook reaches).
type watchedRoute struct {
	action string
	// collection holds the record the {id} path value names, whose client
	// the entry concerns; "" for a route that names no record.
	collection string
	// byClient routes are the client's own actions; the others are reads
	// by staff, recorded for anyone but a client.
	byClient bool
	fields   []string
	// failedWith are the statuses that mean a refused sign-in, and
	// reason what the entry says of it; a watched sign-in route records
	// only its failures (record hooks record its successes).
	failedWith []int
	reason     string
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
	"PUT /api/portal/intake/{id}":         {action: ActionDraftSaved, collection: schema.IntakeAssignments, byClient: true, fields: []string{"answers"}},
	"POST /api/portal/intake/{id}/submit": {action: ActionPacketSubmit, collection: schema.IntakeAssignments, byClient: true, fields: []string{"answers", "state"}},

	"POST /api/portal/login-code": {failedWith: []int{http.StatusBadRequest}, reason: "wrong code"},
	"POST /api/portal/redeem":     {failedWith: []int{http.StatusGone}, reason: "used or expired link"},
	"POST /api/collections/{collection}/auth-with-otp": {failedWith: []int{http.StatusBadRequest, http.StatusTooManyRequests},
		reason: "wrong code"},
}

// recordRoutes is the one middleware on every route: it records the
// watched routes and refuses emptying the log through PocketBase's
// truncate route, which no record hook sees.
func (t *Trail) recordRoutes(e *core.RequestEvent) error {
	if e.Request.Pattern == "DELETE /api/collections/{collection}/truncate" {
		if collection, err := e.App.FindCachedCollectionByNameOrId(e.Request.PathValue("collection")); err == nil && collection.Name == Collection {
			return e.ForbiddenError(errAppendOnly.Error(), nil)
		}
	}
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
	case e.Auth == nil || isClient(e.Auth) != route.byClient:
		return e.Next()
	}
	return t.beforeSend(e, e.Next, func(status int, err error) (Entry, bool) {
		if err != nil || status >= http.StatusBadRequest {
			return Entry{}, false
		}
		entry := request(e, route.action)
		if route.collection != "" {
			record, findErr := e.App.FindRecordById(route.collection, e.Request.PathValue("id"))
			if findErr != nil {
				return Entry{}, false
			}
			entry = entry.about(record)
		}
		entry.Fields = jsonList(route.fields)
		return entry, true
	})
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
	var account *core.Record
	if body.OTPId != "" {
		if otp, err := e.App.FindOTPById(body.OTPId); err == nil {
			account, _ = e.App.FindRecordById(otp.CollectionRef(), otp.RecordRef())
		}
	} else if body.Email != "" {
		account, _ = e.App.FindAuthRecordByEmail(schema.Clients, body.Email)
	}
	if account != nil {
		return actorOf(account)
	}
	if collection := e.Request.PathValue("collection"); collection != "" {
		if found, err := e.App.FindCachedCollectionByNameOrId(collection); err == nil {
			return actor{kind: actorKind(found)}
		}
	}
	return actor{kind: ActorClient}
}

// beforeSend runs next with the response held back, asks entry whether
// what happened is to be recorded, appends it, and only then sends the
// response: an access the log does not hold is answered 500 instead.
func (t *Trail) beforeSend(e *core.RequestEvent, next func() error, entry func(status int, err error) (Entry, bool)) error {
	sent := e.Response
	held := &heldResponse{header: sent.Header()}
	e.Response = held
	err := next()
	e.Response = sent
	if record, ok := entry(held.Status(), err); ok {
		if appendErr := t.append(e.App, record); appendErr != nil {
			return e.InternalServerError("", appendErr)
		}
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
