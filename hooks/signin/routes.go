// Package signin is the passwordless sign-in of clients: a token store
// that knows nothing of HTTP, the routes the portal's pages call, and
// MailLink, with which other capabilities (invites, intake) mail a client
// a link and code. Opening a link changes nothing; only the POST behind
// the landing page's button redeems.
package signin

import (
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/ozzo-validation/v4/is"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/search"
	"github.com/pocketbase/pocketbase/tools/types"

	"portico/hooks/letters"
	"portico/hooks/ratelimit"
	"portico/hooks/schema"
	"portico/hooks/web"
)

// LinkPath is where emailed sign-in links land; the token follows it.
const LinkPath = "/s/"

// codeAttemptsPerIP bounds how fast one address can try codes at all.
const codeAttemptsPerIP = 60

// Config is what sign-in needs from the operator's configuration.
type Config struct {
	Now             func() time.Time
	SignInTTL       time.Duration
	LinksPerAddress int
	LinksPerIP      int
	RateWindow      time.Duration
	// SessionLifetime is how long a client's session lasts after its
	// sign-in, refreshed or not.
	SessionLifetime time.Duration
	// FailedCodeFloor is the least time a failed login-code answer takes
	// (see FailedCodeFloor, the default); 0 answers at once.
	FailedCodeFloor time.Duration
}

// FailedCodeFloor is how long a login-code answer that signs no one in
// takes at least. A wrong code runs the same statements for a client's
// address as for a stranger's (TestSignInDoesTheSameWorkForAnyAddress),
// but those statements read a client's rows and none for a stranger: tens
// of microseconds in-process, 0.2 ms at the benchmark's median, which many
// samples tell apart. Every such answer leaves at the floor instead, which
// is well above that work's slow tail on a loaded machine and below what
// a person typing a code notices.
const FailedCodeFloor = 200 * time.Millisecond

// SignIn is the sign-in capability.
type SignIn struct {
	app      core.App
	config   Config
	store    *Store
	letters  *letters.Letters
	limits   *ratelimit.Limiter
	requests *Requests

	rulesMu sync.Mutex
	rules   map[*core.Collection]builtRule
}

// New returns sign-in for app.
func New(app core.App, config Config, mail *letters.Letters, limits *ratelimit.Limiter) *SignIn {
	s := &SignIn{
		app:     app,
		config:  config,
		store:   &Store{App: app, Now: config.Now},
		letters: mail,
		limits:  limits,
	}
	s.requests = newRequests(app, s.store, s.answerRequest, mail.Outbox.Wake)
	return s
}

// Requests is the worker that answers recorded sign-in requests.
func (s *SignIn) Requests() *Requests {
	return s.requests
}

// Register adds the sign-in routes under /api/portal and runs the worker
// that answers sign-in requests inside serve.
func (s *SignIn) Register() {
	// A sign-in mail Portico gives up on takes its link and code with it.
	s.letters.Outbox.OnGiveUp(s.store.Void)
	s.registerSessions()
	s.requests.runWithServe()
	s.app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		e.Router.Bind(&hook.Handler[*core.RequestEvent]{
			Id:       "portico.clientSession",
			Func:     s.checkSession,
			Priority: apis.DefaultLoadAuthTokenMiddlewarePriority + 1, // right after PocketBase reads the token
		})
		portal := e.Router.Group("/api/portal")
		portal.Bind(apis.BodyLimit(web.PortalBodyLimit))
		portal.BindFunc(web.NoStore)
		// A sign-in leaves its record in the token's row (when, from
		// where, with what); a success row in PocketBase's request log
		// too would be most of the log and a write of its own per sign-in.
		// Failures are still logged.
		portal.Bind(apis.SkipSuccessActivityLog())
		portal.POST("/login-link", s.handleLoginLink)
		portal.POST("/link-status", s.handleLinkStatus)
		portal.POST("/redeem", s.handleRedeem)
		portal.POST("/resend", s.handleResend)
		portal.POST("/login-code", s.handleLoginCode).Bind(&hook.Handler[*core.RequestEvent]{
			Id:   "portico.failedCodeFloor",
			Func: s.failedCodesAtTheFloor,
			// Before the audit trail's middleware (priority 0), so that the
			// entry of the failure is written inside the floor too.
			Priority: -1,
		})
		portal.GET("/practice", s.handlePractice)
		portal.POST("/sign-out", s.handleSignOut).Bind(apis.RequireAuth(schema.Clients))
		return e.Next()
	})
}

type codeForm struct {
	Email string `json:"email" form:"email"`
	// Token, in place of the address, is a link of the client's: the page
	// after "Email me a new link" knows no address, only the link it
	// came from.
	Token string `json:"token" form:"token"`
	Code  string `json:"code" form:"code"`
}

func (f *codeForm) Validate() error {
	f.Email = web.NormalizeEmail(f.Email)
	f.Token = strings.TrimSpace(f.Token)
	f.Code = strings.Join(strings.Fields(f.Code), "")
	return validation.ValidateStruct(f,
		validation.Field(&f.Email, validation.When(f.Token == "", validation.Required), validation.Length(3, 254), is.EmailFormat),
		validation.Field(&f.Token, validation.When(f.Email == "", validation.Required), validation.Length(20, 100)),
		validation.Field(&f.Code, validation.Required, validation.Length(6, 6), is.Digit),
	)
}

func requester(e *core.RequestEvent) Requester {
	return Requester{IP: e.RealIP(), Agent: e.Request.UserAgent()}
}

// handleLoginLink records a request for a sign-in link and code and
// answers 202, the same for every address, a client's or not: the row is
// the same for both, and the lookup and the mail are the worker's, from
// the row, once the answer has been sent. So neither body nor timing
// tells, and a request answered 202 outlives a crash. A request that
// cannot be recorded is a 503, never a 202.
func (s *SignIn) handleLoginLink(e *core.RequestEvent) error {
	form := &web.EmailForm{}
	if err := web.BindForm(e, form); err != nil {
		return err
	}

	from := requester(e)
	limits := s.requestLimits()
	recorded, err := s.store.RecordRequest(form.Email, from, limits)
	if err != nil {
		return e.Error(http.StatusServiceUnavailable, "Your request could not be recorded just now, so no sign-in link is on its way. Please try again in a few minutes.", err)
	}
	if !recorded {
		wait, err := s.store.RequestWait(form.Email, from, limits)
		if err != nil {
			return e.InternalServerError("", err)
		}
		return web.TooManyRequests(e, wait)
	}

	if err := e.JSON(http.StatusAccepted, map[string]string{
		"message": "If this address belongs to a client of the practice, a sign-in link and code are on their way.",
	}); err != nil {
		return err
	}
	// The answer leaves before the worker starts on the row: the lookup
	// cannot delay it, for a client's address or anyone's.
	_ = e.Flush()
	s.requests.Wake()
	return nil
}

// requestLimits are the caps on sign-in mail requests.
func (s *SignIn) requestLimits() RequestLimits {
	return RequestLimits{PerAddress: s.config.LinksPerAddress, PerNetwork: s.config.LinksPerIP, Window: s.config.RateWindow}
}

// answerRequest looks a recorded request's address up and, for a
// client's, issues the token and queues the mail, using tx, the
// transaction that marks the request processed.
func (s *SignIn) answerRequest(tx core.App, request signInRequest) error {
	client, err := tx.FindAuthRecordByEmail(schema.Clients, request.Email)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // not a client: nothing is sent, and nobody is told
	}
	if err != nil {
		return err
	}
	return s.MailLinkIn(tx, client, s.signInLetter(), Requester{IP: request.IP, Agent: request.Agent})
}

// requestedToken reads the login token a request body names: a made-up
// token is a 404, a database failure a 500 that is logged.
func (s *SignIn) requestedToken(e *core.RequestEvent) (Token, error) {
	form := &web.TokenForm{}
	if err := web.BindForm(e, form); err != nil {
		return Token{}, err
	}
	row, err := s.store.Find(form.Token)
	if errors.Is(err, sql.ErrNoRows) {
		return Token{}, unknownLink(e)
	}
	if err != nil {
		return Token{}, e.InternalServerError("", err)
	}
	return row, nil
}

func unknownLink(e *core.RequestEvent) error {
	return e.NotFoundError("This sign-in link is not one we know. Please ask for a new one.", nil)
}

// handleLinkStatus tells the landing page what a link can do before the
// client presses anything. It reads; it never consumes.
func (s *SignIn) handleLinkStatus(e *core.RequestEvent) error {
	row, err := s.requestedToken(e)
	if err != nil {
		return err
	}
	return e.JSON(http.StatusOK, map[string]string{
		"state":    row.State(s.config.Now()),
		"purpose":  row.Purpose,
		"practice": s.letters.PracticeName(),
	})
}

// handleRedeem signs the client in with a link token, once.
func (s *SignIn) handleRedeem(e *core.RequestEvent) error {
	form := &web.TokenForm{}
	if err := web.BindForm(e, form); err != nil {
		return err
	}
	eligible, err := s.eligible(e)
	if err != nil {
		return err
	}

	session, client, err := s.store.ConsumeLink(form.Token, requester(e), eligible.Eligible)
	if err != nil {
		return e.InternalServerError("", err)
	}
	if client != nil {
		return s.signIn(e, eligible, session, client)
	}
	row, err := s.store.Find(form.Token)
	if errors.Is(err, sql.ErrNoRows) {
		return unknownLink(e)
	}
	if err != nil {
		return e.InternalServerError("", err)
	}
	return notSignedIn(e, row.State(s.config.Now()))
}

// notSignedIn answers a consume that did not win: the token is spent, or,
// still open, its client may not sign in (portal access switched off).
func notSignedIn(e *core.RequestEvent, state string) error {
	if state == StateValid {
		return e.ForbiddenError("Your portal access is switched off. Please contact the practice.", nil)
	}
	return linkGone(e, state)
}

// linkGone answers 410 with the reason the landing page explains.
func linkGone(e *core.RequestEvent, state string) error {
	message := "This sign-in link has expired."
	switch state {
	case StateUsed:
		message = "This sign-in link was already used."
	case StateSuperseded:
		message = "You have signed in since this link was sent, so it no longer works."
	}
	return gone(e, state, message)
}

// gone answers 410 with reason state and message. It returns an error
// after the answer so that the request log, which keeps only the sign-in
// routes' failures, records it.
func gone(e *core.RequestEvent, state, message string) error {
	if err := web.Refuse(e, http.StatusGone, state, message); err != nil {
		return err
	}
	return fmt.Errorf("sign-in link %s", state)
}

// eligibility is who may sign in, as the store checks it in the
// statement that consumes a token, and the clients collection as the
// auth response is to see it.
type eligibility struct {
	Eligible
	clients *core.Collection
}

// builtRule is the auth rule of one version of the clients collection
// (PocketBase caches a new one on every change), built into SQL once.
type builtRule struct {
	rule        string
	eligibility eligibility
}

// eligible turns the clients collection's auth rule into the query the
// consume statement checks, built as PocketBase's CanAccessRecord builds
// it (the same resolver and request info), so the rule the dashboard
// shows is the rule that applies. A rule that names nothing of the
// request or the moment (no @request, @now and the like) builds to the
// same SQL every time, so it is built once per version of the collection.
func (s *SignIn) eligible(e *core.RequestEvent) (eligibility, error) {
	clients, err := s.app.FindCachedCollectionByNameOrId(schema.Clients)
	if err != nil {
		return eligibility{}, e.InternalServerError("", err)
	}
	if clients.AuthRule == nil {
		return eligibility{}, e.ForbiddenError("Clients cannot sign in: the clients collection's auth rule allows only superusers.", nil)
	}
	rule := *clients.AuthRule
	s.rulesMu.Lock()
	built, ok := s.rules[clients]
	s.rulesMu.Unlock()
	if ok && built.rule == rule {
		return built.eligibility, nil
	}

	allowed := s.app.ConcurrentDB().Select("(1)").From(schema.Clients)
	if rule != "" {
		info, err := e.RequestInfo()
		if err != nil {
			return eligibility{}, err
		}
		resolver := core.NewRecordFieldResolver(s.app, clients, info, true)
		expr, err := search.FilterData(rule).BuildExpr(resolver)
		if err != nil {
			return eligibility{}, e.InternalServerError("", err)
		}
		if err := resolver.UpdateQuery(allowed); err != nil {
			return eligibility{}, e.InternalServerError("", err)
		}
		allowed.AndWhere(expr)
	}
	result := eligibility{Eligible: NewEligible(allowed, clients.Fields.FieldNames()), clients: clients}
	if !strings.Contains(rule, "@") {
		s.rulesMu.Lock()
		// Only the newest version is kept: older ones are never asked for again.
		s.rules = map[*core.Collection]builtRule{clients: {rule: rule, eligibility: result}}
		s.rulesMu.Unlock()
	}
	return result, nil
}

// signIn answers with PocketBase's auth response for the client whose row
// the consume statement read. That statement has applied the auth rule
// already, so the response gets a view of the collection whose rule is
// the public one, which PocketBase passes without querying the client a
// second time; hooks and enrichment are PocketBase's as ever, and the
// token names session, the spent login token (sessionToken).
func (s *SignIn) signIn(e *core.RequestEvent, eligible eligibility, session string, row ClientRow) error {
	if wrong, _ := row["wrong_codes"].(string); wrong != "0" {
		id, _ := row["id"].(string)
		if err := s.store.ResetWrongCodes(id); err != nil {
			return e.InternalServerError("", err)
		}
	}
	view := *eligible.clients
	view.AuthRule = types.Pointer("")
	client := core.NewRecord(&view)
	for _, field := range view.Fields {
		value, err := field.PrepareValue(client, row[field.GetName()])
		if err != nil {
			return e.InternalServerError("", err)
		}
		client.SetRaw(field.GetName(), value)
	}
	if err := client.PostScan(); err != nil {
		return e.InternalServerError("", err)
	}
	e.Set(sessionKey, current{id: session, client: client.Id, started: s.config.Now()})
	return apis.RecordAuthResponse(e, client, schema.LoginTokenAuth, nil)
}

// handleResend mails a fresh link to the owner of a used or expired one:
// the client has nothing to type, and the address is the one on file.
func (s *SignIn) handleResend(e *core.RequestEvent) error {
	row, err := s.requestedToken(e)
	if err != nil {
		return err
	}
	client, err := s.app.FindRecordById(schema.Clients, row.Client)
	if errors.Is(err, sql.ErrNoRows) {
		return unknownLink(e)
	}
	if err != nil {
		return e.InternalServerError("", err)
	}
	// The owner's own allowance, apart from the sign-in page's per-address
	// one: only someone holding one of the client's links can spend it, so
	// a stranger asking for the address cannot keep the client out.
	if ok, wait := s.limits.Allow("mail-network:"+ratelimit.Network(e.RealIP()), s.config.LinksPerIP, s.config.RateWindow); !ok {
		return web.TooManyRequests(e, wait)
	}
	if ok, wait := s.limits.Allow("resend-client:"+client.Id, s.config.LinksPerAddress, s.config.RateWindow); !ok {
		return web.TooManyRequests(e, wait)
	}
	if err := s.MailLink(client, s.signInLetter(), requester(e)); err != nil {
		return e.InternalServerError("", err)
	}
	return e.JSON(http.StatusAccepted, map[string]string{
		"message": "A new sign-in link is on its way to the address we have on file.",
	})
}

var errWrongCode = errors.New("wrong code")

// handleLoginCode signs in with the 6-digit code from the email, for a
// client whose mail opens on another device or in another browser.
func (s *SignIn) handleLoginCode(e *core.RequestEvent) error {
	form := &codeForm{}
	if err := web.BindForm(e, form); err != nil {
		return err
	}
	if ok, wait := s.limits.Allow("code-network:"+ratelimit.Network(e.RealIP()), codeAttemptsPerIP, s.config.RateWindow); !ok {
		return web.TooManyRequests(e, wait)
	}

	wrong := func() error {
		return e.BadRequestError("That code is not right, or it has expired. Check the newest email, or ask for a new code.", errWrongCode)
	}
	if form.Token != "" {
		email, err := s.emailOfLink(e, form.Token)
		if err != nil {
			return err
		}
		form.Email = email
	}

	eligible, err := s.eligible(e)
	if err != nil {
		return err
	}
	token, ok, err := s.store.MatchCode(eligible.clients, form.Email, form.Code)
	if errors.Is(err, ErrCodesOff) {
		return e.ForbiddenError("After many wrong codes, codes no longer work for this account. Please sign in with the link in your newest email; codes work again after that.", err)
	}
	if err != nil {
		return e.InternalServerError("", err)
	}
	if !ok {
		return wrong()
	}
	if token.Used != "" {
		return gone(e, StateUsed, "The link or code in that email was already used to sign in, perhaps on another device. To sign in here too, ask for a new code.")
	}
	session, client, err := s.store.ConsumeCode(token.Id, requester(e), eligible.Eligible)
	if err != nil {
		return e.InternalServerError("", err)
	}
	if client != nil {
		return s.signIn(e, eligible, session, client)
	}
	row, err := s.store.FindId(token.Id)
	if err != nil {
		return e.InternalServerError("", err)
	}
	if row.CodeState(s.config.Now()) == StateValid {
		return notSignedIn(e, StateValid)
	}
	return wrong()
}

// failedCodesAtTheFloor holds every login-code answer that is an error (a
// wrong code, above all) until FailedCodeFloor after the request reached
// it, unless the client hangs up first.
func (s *SignIn) failedCodesAtTheFloor(e *core.RequestEvent) error {
	began := time.Now()
	err := e.Next()
	if err == nil {
		return nil
	}
	if wait := time.Until(began.Add(s.config.FailedCodeFloor)); wait > 0 {
		timer := time.NewTimer(wait)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-e.Request.Context().Done():
		}
	}
	return err
}

// emailOfLink is the address of the client whose link carries token: a
// made-up token, or a staff invite's, is a 404.
func (s *SignIn) emailOfLink(e *core.RequestEvent, token string) (string, error) {
	row, err := s.store.Find(token)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && row.Client == "") {
		return "", unknownLink(e)
	}
	if err != nil {
		return "", e.InternalServerError("", err)
	}
	client, err := s.app.FindRecordById(schema.Clients, row.Client)
	if err != nil {
		return "", e.InternalServerError("", err)
	}
	return client.Email(), nil
}

// handlePractice gives the portal pages the practice's name.
func (s *SignIn) handlePractice(e *core.RequestEvent) error {
	return e.JSON(http.StatusOK, map[string]string{"name": s.letters.PracticeName()})
}
