package pb_migrations

import (
	"github.com/pocketbase/pocketbase/core"
	m "github.com/pocketbase/pocketbase/migrations"
)

// A sign-in request is a row before it is answered 202: the lookup of the
// address and the mail are done from the row by a worker, so a crash or a
// restart right after a burst of requests loses none of them. Every
// address is recorded alike, a client's or not, so the answer costs the
// same for both. The rows are also the per-address and per-network counts
// behind the sign-in mail caps, which so survive a restart; processed
// rows go after the retention period. Superusers only: the rows hold
// addresses that may be no client's.
func init() {
	m.Register(func(app core.App) error {
		requests := core.NewBaseCollection("signin_requests")
		requests.Fields.Add(
			&core.TextField{Name: "email", Required: true, Max: 254},
			&core.TextField{Name: "network", Max: 64, Help: "The IPv4 address, or the IPv6 /64, the request came from: what the per-network cap counts."},
			&core.TextField{Name: "requested_ip", Max: 64},
			&core.TextField{Name: "requested_ua", Max: 500},
			&core.DateField{Name: "processed", Help: "When the address was looked up and any mail queued; empty while waiting."},
			&core.AutodateField{Name: "created", OnCreate: true},
			&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
		)
		requests.AddIndex("idx_signin_requests_email", false, "email, created", "")
		requests.AddIndex("idx_signin_requests_network", false, "network, created", "")
		requests.AddIndex("idx_signin_requests_processed", false, "processed", "")
		return app.Save(requests)
	}, func(app core.App) error {
		requests, err := app.FindCollectionByNameOrId("signin_requests")
		if err != nil {
			return err
		}
		return app.Delete(requests)
	})
}
