// Package staff is the practice's own accounts: the staff auth collection's
// sign-in (password, then a code PocketBase emails through Portico's
// outbox), lockout after wrong passwords, server-side sessions that end
// when idle, at a limit or at sign-out, the owner's invites, and the rule
// that a submitted intake response never changes. The collection, its
// roles and every collection's API rules are in pb_migrations
// (1764_00004x); this package adds what rules cannot say.
package staff

import (
	"time"

	"github.com/pocketbase/pocketbase"
	"github.com/pocketbase/pocketbase/core"
)

// Staff roles, as the staff collection's role field names them.
const (
	RoleOwner     = "owner"
	RoleClinician = "clinician"
	RoleFrontDesk = "front_desk"
)

// Collection is the staff auth collection's name.
const Collection = "staff"

// Invites is the login-token machinery staff invites share with the
// clients' links: hashed, single use, consumed once by the database.
type Invites interface {
	// IssueInvite stores a new invite token for member and returns the raw
	// token, which from then on exists only in the email.
	IssueInvite(member *core.Record, ip, agent string) (string, error)
	// RedeemInvite consumes token once and returns the staff id it was
	// for, or "" when this call did not win (used, expired or unknown).
	RedeemInvite(e *core.RequestEvent, token string) (string, error)
	// InviteState is "valid", "used" or "expired", or "" for a token that
	// is not a staff invite.
	InviteState(token string) string
	// MailInvite queues the invite letter with link to member.
	MailInvite(app core.App, member *core.Record, link string) error
}

// Deps is what the staff capability borrows from the rest of Portico.
type Deps struct {
	// Now is Portico's clock: session idle time and locks read it.
	Now func() time.Time
	// Allow records one event for key unless limit happened within window,
	// and says how long to wait when it refuses.
	Allow   func(key string, limit int, window time.Duration) (bool, time.Duration)
	Invites Invites
}

// service is the staff capability with exactly what it needs.
type service struct {
	app  core.App
	deps Deps
}

// Register hangs staff sign-in, sessions, invites, the packet rules and the
// `staff` command on app.
func Register(app *pocketbase.PocketBase, deps Deps) {
	s := &service{app: app, deps: deps}
	s.registerSessions()
	s.registerLockout()
	s.registerInvites()
	s.registerOwners()
	s.registerPackets()
	s.registerCommands(app)
}

// role is the staff role of auth, or "" for anyone else.
func role(auth *core.Record) string {
	if auth == nil || auth.Collection().Name != Collection {
		return ""
	}
	return auth.GetString("role")
}
