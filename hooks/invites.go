package hooks

import (
	"net/http"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/security"
)

// registerInvites mails an invite link whenever a clinician creates a
// client with portal access on, in the dashboard, the API or the CLI.
func (p *Portal) registerInvites() {
	p.App.OnRecordAfterCreateSuccess("clients").BindFunc(func(e *core.RecordEvent) error {
		if e.Record.GetBool("portal_access") {
			if err := p.mailLink(e.Record, purposeInvite, "", "dashboard"); err != nil {
				// The client is saved either way; the clinician can invite again.
				e.App.Logger().Error("invite: queueing mail", "client", e.Record.Id, "error", err)
			}
		}
		return e.Next()
	})

	// Clients never have a password, but an auth collection requires one:
	// each new client gets an unusable random one, whether it is saved by
	// Portico itself or through the records API the dashboard uses (whose
	// form asks for the password before any record hook runs).
	p.App.OnRecordCreate("clients").BindFunc(func(e *core.RecordEvent) error {
		if e.Record.GetString("password") == "" {
			e.Record.SetRandomPassword()
		}
		return e.Next()
	})
	p.App.OnServe().BindFunc(func(se *core.ServeEvent) error {
		se.Router.BindFunc(func(e *core.RequestEvent) error {
			creating := e.Request.Method == http.MethodPost && strings.HasSuffix(e.Request.URL.Path, "/records")
			if !creating || !p.isClientsCollection(e.Request.PathValue("collection")) {
				return e.Next()
			}
			info, err := e.RequestInfo()
			if err != nil {
				return e.BadRequestError("The request body is not valid.", err)
			}
			if _, ok := info.Body["password"]; !ok {
				password := security.RandomString(40)
				info.Body["password"] = password
				info.Body["passwordConfirm"] = password
			}
			return e.Next()
		})
		return se.Next()
	})
}

func (p *Portal) isClientsCollection(nameOrId string) bool {
	if nameOrId == "" {
		return false
	}
	collection, err := p.App.FindCachedCollectionByNameOrId(nameOrId)
	return err == nil && collection.Name == "clients"
}
