package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
	"github.com/pocketbase/pocketbase/tools/types"
)

// Staff read and answer clients' requests for another time as they reach
// the appointment: the owner and the front desk (who keep the schedule)
// every request, a clinician those of their own clients and their own
// appointments. Answering changes only status and answer; what the client
// asked stays as they asked it. Nobody creates a request but a client,
// through /api/portal/actions; only the owner deletes one. Clients keep no
// records access: they read their own through /api/portal/actions.
func init() {
	m.Register(func(app core.App) error {
		requests, err := app.FindCollectionByNameOrId("appointment_requests")
		if err != nil {
			return err
		}
		readers := anyOf(ruleOwner, ruleFrontDesk, assignedVia("appointment.client.clinicians"),
			"("+ruleClinician+" && appointment.clinician = @request.auth.clinician)")
		requests.ListRule = types.Pointer(readers)
		requests.ViewRule = types.Pointer(readers)
		requests.CreateRule = nil
		requests.UpdateRule = types.Pointer(readers + " && " + notSet("appointment", "client", "preferred_times", "note", "answered"))
		requests.DeleteRule = types.Pointer(ruleOwner)
		return app.Save(requests)
	}, func(app core.App) error {
		requests, err := app.FindCollectionByNameOrId("appointment_requests")
		if err != nil {
			return err
		}
		requests.ListRule, requests.ViewRule, requests.UpdateRule, requests.DeleteRule = nil, nil, nil, nil
		return app.Save(requests)
	})
}
