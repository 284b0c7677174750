package signin

import (
	"database/sql"
	"errors"
	"net/http"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/security"
	"github.com/pocketbase/pocketbase/tools/types"

	"portico/hooks/schema"
	"portico/hooks/web"
)

// Sessions end on the server. A client's auth token carries, in a "sid"
// claim, the id of the login token that started its session, and is
// signed as PocketBase signs any (the collection's secret and the
// client's tokenKey). PocketBase checks the signature; a middleware right
// after it reads the session's row, with the clients collection's auth
// rule in the same statement, on every request. So signing out ends this
// device's token at once and leaves the client's other devices signed in
// (rotating the client's tokenKey, PocketBase's own way, would sign out
// all of them and still leave a stolen token working until it expires if
// nothing read the record); turning portal access off ends every session;
// and a session refreshes only until SessionLifetime after its sign-in.
// A client token without a session (one PocketBase made itself, such as
// a superuser's impersonation) opens nothing.

const (
	sessionClaim = "sid"
	// sessionKey is where a request keeps its checked session.
	sessionKey = "portico.clientSession"
	// eligibleKey is where a realtime connection keeps the auth rule it
	// was checked against when it subscribed.
	eligibleKey = "portico.clientEligible"
)

// current is the session a request carries, once checked.
type current struct {
	id, client string
	started    time.Time
}

func (s *SignIn) registerSessions() {
	s.app.OnRecordAuthRequest(schema.Clients).BindFunc(s.sessionToken)

	// A realtime connection outlives the request that subscribed it: it
	// keeps the session, and stops sending once that session has ended.
	s.app.OnRealtimeSubscribeRequest().BindFunc(func(e *core.RealtimeSubscribeRequestEvent) error {
		if session, ok := e.Get(sessionKey).(current); ok {
			eligible, err := s.eligible(e.RequestEvent)
			if err != nil {
				return err
			}
			e.Client.Set(sessionKey, session)
			e.Client.Set(eligibleKey, eligible.Eligible)
		}
		return e.Next()
	})
	s.app.OnRealtimeMessageSend().BindFunc(func(e *core.RealtimeMessageEvent) error {
		session, ok := e.Client.Get(sessionKey).(current)
		if !ok {
			return e.Next()
		}
		eligible, _ := e.Client.Get(eligibleKey).(Eligible)
		_, why, err := s.judge(session.id, session.client, eligible)
		if err != nil {
			return err
		}
		if why != "" {
			e.Client.Unset(apis.RealtimeClientAuthKey)
			e.Client.Unset(sessionKey)
			return errSessionEnded
		}
		return e.Next()
	})
}

// checkSession refuses a client token whose session has ended.
func (s *SignIn) checkSession(e *core.RequestEvent) error {
	if e.Auth == nil || e.Auth.Collection().Name != schema.Clients {
		return e.Next()
	}
	claims, _ := security.ParseUnverifiedJWT(web.RequestToken(e))
	id, _ := claims[sessionClaim].(string)
	eligible, err := s.eligible(e)
	if err != nil {
		return err
	}
	session, why, err := s.judge(id, e.Auth.Id, eligible.Eligible)
	if err != nil {
		return e.InternalServerError("", err)
	}
	if why != "" {
		return web.SessionEnded(e, why, endedWords)
	}
	e.Set(sessionKey, session)
	return e.Next()
}

// judge reads the session id of client and says why it has ended by now
// ("" while it is open).
func (s *SignIn) judge(id, client string, eligible Eligible) (current, string, error) {
	if id == "" {
		return current{}, endedNoSession, nil
	}
	row, err := s.store.Session(id, client, eligible)
	if errors.Is(err, sql.ErrNoRows) {
		return current{}, endedNoSession, nil // a made-up id, or a row the retention job pruned
	}
	if err != nil {
		return current{}, "", err
	}
	started, err := types.ParseDateTime(row.Started)
	if err != nil {
		return current{}, "", err
	}
	session := current{id: id, client: client, started: started.Time()}
	switch {
	case row.EndedWhy != "":
		return session, row.EndedWhy, nil
	case !row.Eligible:
		return session, EndedAccessOff, nil
	case !s.config.Now().Before(session.started.Add(s.config.SessionLifetime)):
		return session, endedLimit, nil
	}
	return session, "", nil
}

// sessionToken gives a client's sign-in, or the refresh of a session, an
// auth token naming the session, valid for the collection's token
// duration but never past the session's lifetime. It is not refreshable
// by PocketBase, which would mint a token without the session: refreshing
// comes back here.
func (s *SignIn) sessionToken(e *core.RecordAuthRequestEvent) error {
	session, ok := e.Get(sessionKey).(current)
	if !ok || session.client != e.Record.Id {
		return e.Next()
	}
	duration := time.Duration(e.Collection.AuthToken.Duration) * time.Second
	duration = min(duration, session.started.Add(s.config.SessionLifetime).Sub(s.config.Now()))
	token, err := security.NewJWT(jwt.MapClaims{
		core.TokenClaimType:         core.TokenTypeAuth,
		core.TokenClaimId:           e.Record.Id,
		core.TokenClaimCollectionId: e.Collection.Id,
		core.TokenClaimRefreshable:  false,
		sessionClaim:                session.id,
	}, e.Record.TokenKey()+e.Collection.AuthToken.Secret, duration)
	if err != nil {
		return e.InternalServerError("Failed to create auth token.", err)
	}
	e.Token = token
	return e.Next()
}

// errSessionEnded stops a realtime connection whose session has ended.
var errSessionEnded = errors.New("the client's session has ended")

// endedWords say why a client's session ended, on the 401 answer.
var endedWords = map[string]string{
	EndedSignOut:   "You signed out. Please sign in again.",
	EndedAccessOff: "Your portal access is switched off. Please contact the practice.",
}

// handleSignOut ends this device's session on the server.
func (s *SignIn) handleSignOut(e *core.RequestEvent) error {
	session, _ := e.Get(sessionKey).(current)
	if err := s.store.EndSession(session.id, EndedSignOut); err != nil {
		return e.InternalServerError("", err)
	}
	return e.NoContent(http.StatusNoContent)
}

// EndClientIn ends every session of client using app, which may be the
// transaction that turns the client's portal access off.
func (s *SignIn) EndClientIn(app core.App, client string) error {
	return s.store.EndClient(app, client)
}
