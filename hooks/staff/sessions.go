package staff

import (
	"database/sql"
	"errors"
	"net/http"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/security"

	"portico/hooks/schema"
	"portico/hooks/web"
)

// Sessions: each completed sign-in (password and emailed code) gets a
// staff_sessions row, and its auth token carries the row's id in a "sid"
// claim, signed with the same key as any PocketBase token. PocketBase
// checks the signature as usual; a middleware right after it checks the
// row. So signing out ends this token on the server at once, idle time and
// the practice's limit are measured by Portico's clock, and the person's
// other devices stay signed in. Rotating the member's tokenKey (a password
// change does) still ends every session, as PocketBase intends.

const (
	sessionClaim = "sid"
	// sessionKey is where the middleware leaves the checked session id.
	sessionKey = "portico.staffSession"
	// seenEvery bounds writes: last_seen moves at most twice a minute.
	seenEvery = 30 * time.Second
)

// Reasons a session ended, as the sign-in page explains them.
const (
	endedIdle      = "idle"
	endedLimit     = web.SessionLimit
	endedSignOut   = "signed-out"
	endedNoSession = "no-session"
)

func (s *Staff) registerSessions() {
	s.app.OnRecordAuthRequest(schema.Staff).BindFunc(s.startSession)

	// A realtime connection outlives the request that subscribed it: it
	// keeps the session's id, and closes once that session has ended.
	s.app.OnRealtimeSubscribeRequest().BindFunc(func(e *core.RealtimeSubscribeRequestEvent) error {
		if id := sessionOf(e.RequestEvent); id != "" {
			e.Client.Set(sessionKey, id)
		}
		return e.Next()
	})
	s.app.OnRealtimeMessageSend().BindFunc(func(e *core.RealtimeMessageEvent) error {
		id, _ := e.Client.Get(sessionKey).(string)
		auth, _ := e.Client.Get(apis.RealtimeClientAuthKey).(*core.Record)
		if id == "" || auth == nil {
			return e.Next()
		}
		_, why, err := s.verdict(e.App, id, auth.Id)
		if err != nil {
			return err
		}
		if why != "" {
			e.Client.Unset(apis.RealtimeClientAuthKey)
			return errSessionEnded
		}
		return e.Next()
	})

	s.app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		se.Router.Bind(&hook.Handler[*core.RequestEvent]{
			Id:       "portico.staffSession",
			Func:     s.checkSession,
			Priority: apis.DefaultLoadAuthTokenMiddlewarePriority + 1, // right after PocketBase reads the token
		})
		group := se.Router.Group("/api/staff")
		group.BindFunc(web.NoStore)
		group.GET("/session", s.handleSession).Bind(apis.RequireAuth(schema.Staff))
		group.POST("/sign-out", s.handleSignOut).Bind(apis.RequireAuth(schema.Staff))
		return se.Next()
	})
}

// sessionLimits are the practice's idle time and session limit.
func (s *Staff) sessionLimits() (idle, limit time.Duration, err error) {
	practice, err := s.settings.Get()
	return practice.StaffIdle, practice.StaffSessionLimit, err
}

// startSession gives each sign-in its own session row and a token naming
// it. The first factor's answer (asking for the code) writes no token, so
// its row is removed again; auth-refresh, with no method, keeps the token.
func (s *Staff) startSession(e *core.RecordAuthRequestEvent) error {
	if e.AuthMethod == "" {
		return e.Next()
	}
	collection, err := e.App.FindCachedCollectionByNameOrId(schema.StaffSessions)
	if err != nil {
		return err
	}
	now := s.now()
	session := core.NewRecord(collection)
	session.Set("staff", e.Record.Id)
	session.Set("started", now)
	session.Set("last_seen", now)
	session.Set("ip", e.RealIP())
	session.Set("user_agent", web.Truncate(e.Request.UserAgent(), 500))
	if err := e.App.Save(session); err != nil {
		return err
	}
	_, limit, err := s.sessionLimits()
	if err != nil {
		return err
	}
	if e.Token, err = sessionToken(e.Record, session.Id, limit); err != nil {
		return err
	}
	if err := e.Next(); err != nil {
		if deleteErr := e.App.Delete(session); deleteErr != nil {
			e.App.Logger().Warn("staff session: removing an unfinished sign-in", "error", deleteErr)
		}
		return err
	}
	return nil
}

// sessionToken is PocketBase's auth token for member with the session id
// added. It is not refreshable: the session row, not the token, lives on.
func sessionToken(member *core.Record, sessionId string, limit time.Duration) (string, error) {
	key := member.TokenKey() + member.Collection().AuthToken.Secret
	return security.NewJWT(jwt.MapClaims{
		core.TokenClaimType:         core.TokenTypeAuth,
		core.TokenClaimId:           member.Id,
		core.TokenClaimCollectionId: member.Collection().Id,
		core.TokenClaimRefreshable:  false,
		sessionClaim:                sessionId,
	}, key, limit)
}

// checkSession refuses a staff token whose session has ended, and notes
// activity on the ones still open.
func (s *Staff) checkSession(e *core.RequestEvent) error {
	if e.Auth == nil || e.Auth.Collection().Name != schema.Staff {
		return e.Next()
	}
	claims, _ := security.ParseUnverifiedJWT(web.RequestToken(e))
	sessionId, _ := claims[sessionClaim].(string)
	why, err := s.touch(e.App, sessionId, e.Auth.Id)
	if err != nil {
		return e.InternalServerError("", err)
	}
	if why != "" {
		return sessionEnded(e, why)
	}
	e.Set(sessionKey, sessionId)
	return e.Next()
}

// touch moves the session's last activity to now, or ends it and says why.
func (s *Staff) touch(app core.App, sessionId, staffId string) (string, error) {
	session, why, err := s.verdict(app, sessionId, staffId)
	if err != nil || why != "" || session == nil {
		return why, err
	}
	if s.now().Sub(session.GetDateTime("last_seen").Time()) < seenEvery {
		return "", nil
	}
	session.Set("last_seen", s.now())
	return "", app.Save(session)
}

// verdict reads the session and says why it has ended by now ("" while it
// is open), recording the end the first time it is seen. Reading is not
// activity: only touch moves last_seen.
func (s *Staff) verdict(app core.App, sessionId, staffId string) (*core.Record, string, error) {
	if sessionId == "" {
		return nil, endedNoSession, nil // a token PocketBase made elsewhere, such as impersonation
	}
	session, err := app.FindRecordById(schema.StaffSessions, sessionId)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && session.GetString("staff") != staffId) {
		return nil, endedNoSession, nil
	}
	if err != nil {
		return nil, "", err
	}
	if session.GetString("ended") != "" {
		return session, session.GetString("ended_why"), nil
	}
	idle, limit, err := s.sessionLimits()
	if err != nil {
		return nil, "", err
	}
	now := s.now()
	why := ""
	switch {
	case now.Sub(session.GetDateTime("started").Time()) >= limit:
		why = endedLimit
	case now.Sub(session.GetDateTime("last_seen").Time()) >= idle:
		why = endedIdle
	default:
		return session, "", nil
	}
	session.Set("ended", now)
	session.Set("ended_why", why)
	return session, why, app.Save(session)
}

// errSessionEnded closes a realtime connection whose session has ended.
var errSessionEnded = errors.New("the staff session has ended")

// endedWords say why a staff session ended, on the 401 answer.
var endedWords = map[string]string{
	endedIdle: "You were signed out after a while without activity, to keep client records safe. Please sign in again.",
}

// sessionEnded answers 401 with the reason in plain words.
func sessionEnded(e *core.RequestEvent, why string) error {
	return web.SessionEnded(e, why, endedWords)
}

// handleSession tells a workspace page who is signed in and how long the
// session may sit idle, and the practice's zone every page writes times
// in. Asking counts as activity.
func (s *Staff) handleSession(e *core.RequestEvent) error {
	practice, err := s.settings.Get()
	if err != nil {
		return e.InternalServerError("", err)
	}
	session, err := e.App.FindRecordById(schema.StaffSessions, sessionOf(e))
	if err != nil {
		return sessionEnded(e, endedNoSession)
	}
	e.Auth.IgnoreEmailVisibility(true)
	return e.JSON(http.StatusOK, map[string]any{
		"staff":       e.Auth,
		"idleMinutes": int(practice.StaffIdle.Minutes()),
		"ends":        session.GetDateTime("started").Add(practice.StaffSessionLimit),
		"timeZone":    practice.TimeZone.String(),
	})
}

// handleSignOut ends this session on the server.
func (s *Staff) handleSignOut(e *core.RequestEvent) error {
	session, err := e.App.FindRecordById(schema.StaffSessions, sessionOf(e))
	if err != nil {
		return e.NoContent(http.StatusNoContent)
	}
	session.Set("ended", s.now())
	session.Set("ended_why", endedSignOut)
	if err := e.App.Save(session); err != nil {
		return e.InternalServerError("", err)
	}
	return e.NoContent(http.StatusNoContent)
}

func sessionOf(e *core.RequestEvent) string {
	id, _ := e.Get(sessionKey).(string)
	return id
}
