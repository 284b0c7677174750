package signin

import (
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"portico/hooks/schema"
	"portico/hooks/web"
)

// A client's session is the login token that started it (migration
// 1764_000039): its row already says when (used), from where and with
// what, so a sign-in writes nothing for its session but the consume it
// always did, and ending a session is one column on that row.

// Why a session ended, as the row and the 401 answer name it.
const (
	EndedSignOut   = "signed-out"
	EndedAccessOff = "access-off"
	endedLimit     = web.SessionLimit
	endedNoSession = "no-session"
)

// Session is a client's session as its row says.
type Session struct {
	Started  string `db:"used"`
	EndedWhy string `db:"session_ended_why"`
	// Eligible says whether the client may still sign in by the clients
	// collection's auth rule (portal access, as the dashboard shows it).
	Eligible bool `db:"eligible"`
}

// Session reads the session id of client, checking eligible in the same
// statement; sql.ErrNoRows when id names no session of client's.
func (s *Store) Session(id, client string, eligible Eligible) (Session, error) {
	params := dbx.Params{"id": id, "client": client}
	for name, value := range eligible.params {
		params[name] = value
	}
	var session Session
	err := s.statements.run(s.App.ConcurrentDB(),
		"SELECT used, session_ended_why, EXISTS ("+eligible.exists+") AS eligible FROM login_tokens WHERE id = {:id} AND client = {:client} AND used != ''",
		params, func(q *dbx.Query) error { return q.One(&session) })
	return session, err
}

// EndSession ends the session id, for the reason why; a session already
// ended keeps its first reason.
func (s *Store) EndSession(id, why string) error {
	_, err := s.App.NonconcurrentDB().NewQuery("UPDATE login_tokens SET session_ended = {:now}, session_ended_why = {:why} WHERE id = {:id} AND used != '' AND session_ended = ''").
		Bind(dbx.Params{"id": id, "why": why, "now": schema.DateTime(s.Now())}).Execute()
	return err
}

// EndClient ends every session of client using app, which may be a
// transaction. The client's open links are left as they are: while
// access is off they cannot sign in (the consume checks the auth rule),
// and their page says access is off, where a voided link would offer a
// new one that never comes.
func (s *Store) EndClient(app core.App, client string) error {
	_, err := app.DB().NewQuery("UPDATE login_tokens SET session_ended = {:now}, session_ended_why = {:why} WHERE client = {:client} AND used != '' AND session_ended = ''").
		Bind(dbx.Params{"client": client, "why": EndedAccessOff, "now": schema.DateTime(s.Now())}).Execute()
	return err
}
