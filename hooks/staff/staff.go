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

	"github.com/pocketbase/pocketbase/core"

	"portico/hooks/letters"
	"portico/hooks/practice"
	"portico/hooks/ratelimit"
	"portico/hooks/schema"
	"portico/hooks/signin"
)

// Staff roles, as the staff collection's role field names them.
const (
	RoleOwner     = "owner"
	RoleClinician = "clinician"
	RoleFrontDesk = "front_desk"
)

// Staff is the staff capability with exactly what it needs: the clock,
// the login-token store staff invites share with clients' links, the
// letters, a rate limiter, the practice's session times and how long an
// invite works.
type Staff struct {
	app       core.App
	now       func() time.Time
	tokens    *signin.Store
	letters   *letters.Letters
	limits    *ratelimit.Limiter
	settings  *practice.Settings
	inviteTTL time.Duration
}

// New returns the staff capability for app.
func New(app core.App, now func() time.Time, settings *practice.Settings, mail *letters.Letters, limits *ratelimit.Limiter, inviteTTL time.Duration) *Staff {
	return &Staff{
		app:       app,
		now:       now,
		tokens:    &signin.Store{App: app, Now: now},
		letters:   mail,
		limits:    limits,
		settings:  settings,
		inviteTTL: inviteTTL,
	}
}

// Register hangs staff sign-in, sessions, invites and the packet rules on
// the app.
func (s *Staff) Register() {
	s.registerSessions()
	s.registerLockout()
	s.registerInvites()
	s.registerOwners()
	s.registerPackets()
}

// role is the staff role of auth, or "" for anyone else.
func role(auth *core.Record) string {
	if auth == nil || auth.Collection().Name != schema.Staff {
		return ""
	}
	return auth.GetString("role")
}
