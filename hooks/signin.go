package hooks

import (
	"crypto/hmac"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/ozzo-validation/v4/is"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"

	"portico/hooks/outbox"
)

// Sign-in token purposes.
const (
	purposeSignIn = "sign_in"
	purposeInvite = "invite"
	// purposeIntake is the link in the mail about a newly assigned form.
	purposeIntake = "intake"
)

const (
	// maxFailedCodes wrong codes kill a token: with the per-address send
	// cap this bounds guessing to a few tries in a million per window.
	maxFailedCodes = 5

	// codeAttemptsPerIP bounds how fast one address can try codes at all.
	codeAttemptsPerIP = 60

	// portalBodyLimit is far above any honest sign-in request.
	portalBodyLimit = 4 << 10

	signInLinkPath = "/s/"
)

// registerSignIn adds the passwordless sign-in routes. Opening a link
// changes nothing; only the POST behind the landing page's button redeems.
func (p *Portal) registerSignIn() {
	p.App.OnServe().BindFunc(func(e *core.ServeEvent) error {
		portal := e.Router.Group("/api/portal")
		portal.Bind(apis.BodyLimit(portalBodyLimit))
		portal.BindFunc(noStore)
		portal.POST("/login-link", p.handleLoginLink)
		portal.POST("/link-status", p.handleLinkStatus)
		portal.POST("/redeem", p.handleRedeem)
		portal.POST("/resend", p.handleResend)
		portal.POST("/login-code", p.handleLoginCode)
		portal.GET("/practice", p.handlePractice)
		return e.Next()
	})

	// PocketBase's own verification mail would reach clients as a second,
	// confusing kind of email that anyone can trigger. It answers 204 as
	// PocketBase does for any address, so nobody learns who is a client.
	p.App.OnRecordRequestVerificationRequest("clients").BindFunc(func(e *core.RecordRequestVerificationRequestEvent) error {
		return e.NoContent(http.StatusNoContent)
	})
	// The practice keeps each client's address: sign-in links go there.
	p.App.OnRecordRequestEmailChangeRequest("clients").BindFunc(func(e *core.RecordRequestEmailChangeRequestEvent) error {
		return e.ForbiddenError("Your practice keeps your email address. Please ask them to change it.", nil)
	})
}

// noStore keeps auth responses and token pages out of caches and Referer headers.
func noStore(e *core.RequestEvent) error {
	e.Response.Header().Set("Cache-Control", "no-store")
	e.Response.Header().Set("Referrer-Policy", "no-referrer")
	return e.Next()
}

type emailForm struct {
	Email string `json:"email" form:"email"`
}

func (f *emailForm) validate() error {
	f.Email = strings.ToLower(strings.TrimSpace(f.Email))
	return validation.ValidateStruct(f,
		validation.Field(&f.Email, validation.Required, validation.Length(3, 254), is.EmailFormat),
	)
}

type tokenForm struct {
	Token string `json:"token" form:"token"`
}

func (f *tokenForm) validate() error {
	f.Token = strings.TrimSpace(f.Token)
	return validation.ValidateStruct(f,
		validation.Field(&f.Token, validation.Required, validation.Length(20, 100)),
	)
}

type codeForm struct {
	Email string `json:"email" form:"email"`
	Code  string `json:"code" form:"code"`
}

func (f *codeForm) validate() error {
	f.Email = strings.ToLower(strings.TrimSpace(f.Email))
	f.Code = strings.Join(strings.Fields(f.Code), "")
	return validation.ValidateStruct(f,
		validation.Field(&f.Email, validation.Required, validation.Length(3, 254), is.EmailFormat),
		validation.Field(&f.Code, validation.Required, validation.Length(6, 6), is.Digit),
	)
}

// bindForm reads a JSON (or form) body into form and validates it, with
// one plain line saying what is wrong.
func bindForm(e *core.RequestEvent, form interface{ validate() error }) error {
	if err := e.BindBody(form); err != nil {
		return e.BadRequestError("The request body is not valid JSON of the expected shape.", err)
	}
	if err := form.validate(); err != nil {
		return e.BadRequestError("Please check the highlighted fields.", err)
	}
	return nil
}

// handleLoginLink mails a sign-in link and code. It answers the same,
// immediately, whether or not the address is a client's: the lookup and
// the mail happen after the response, so neither body nor timing tells.
func (p *Portal) handleLoginLink(e *core.RequestEvent) error {
	form := &emailForm{}
	if err := bindForm(e, form); err != nil {
		return err
	}
	if err := p.limitSignInMail(e, form.Email); err != nil {
		return err
	}

	ip, agent := e.RealIP(), e.Request.UserAgent()
	p.afterResponse(func() {
		if err := p.mailSignInLinkTo(form.Email, ip, agent); err != nil {
			p.App.Logger().Error("sign-in link: queueing mail", "error", err)
		}
	})

	return e.JSON(http.StatusAccepted, map[string]string{
		"message": "If this address belongs to a client of the practice, a sign-in link and code are on their way.",
	})
}

// limitSignInMail applies the per-IP and per-address caps on sign-in mail.
func (p *Portal) limitSignInMail(e *core.RequestEvent, email string) error {
	if ok, wait := p.limits.allow("mail-ip:"+e.RealIP(), p.Config.LinksPerIP, p.Config.RateWindow); !ok {
		return tooManyRequests(e, wait)
	}
	if ok, wait := p.limits.allow("mail-address:"+email, p.Config.LinksPerAddress, p.Config.RateWindow); !ok {
		return tooManyRequests(e, wait)
	}
	return nil
}

func tooManyRequests(e *core.RequestEvent, wait time.Duration) error {
	seconds := int(wait.Seconds()) + 1
	e.Response.Header().Set("Retry-After", strconv.Itoa(seconds))
	minutes := (seconds + 59) / 60
	return e.TooManyRequestsError(fmt.Sprintf("Too many tries. Please wait %d minute(s) and try again.", minutes), nil)
}

func (p *Portal) mailSignInLinkTo(email, ip, agent string) error {
	client, err := p.App.FindAuthRecordByEmail("clients", email)
	if err != nil {
		return nil // not a client: nothing is sent, and nobody is told
	}
	return p.mailLink(client, purposeSignIn, ip, agent)
}

// mailLink issues a fresh token for client and queues the email carrying
// its link and code. A client without portal access gets nothing.
func (p *Portal) mailLink(client *core.Record, purpose, ip, agent string) error {
	if !client.GetBool("portal_access") {
		return nil
	}
	token, code, err := p.issueToken(client, purpose, ip, agent)
	if err != nil {
		return err
	}

	practice := p.practiceName()
	letter := Letter{
		Greeting:    "Hello " + client.GetString("name") + ",",
		ButtonLabel: "Sign in to " + practice,
		ButtonURL:   p.portalURL(signInLinkPath + token),
		Code:        code,
	}
	subject := "Your sign-in link for " + practice
	portalIntro := practice + " uses a secure client portal for forms and appointments. There is no password to remember: each time, we email you a link like this one."
	switch purpose {
	case purposeInvite:
		subject = practice + " invites you to your client portal"
		letter.Paragraphs = []string{portalIntro}
		letter.Footer = fmt.Sprintf("This invitation works for %s. If it runs out, the page it opens lets you ask for a new one.", humanDuration(p.Config.InviteTTL))
	case purposeIntake:
		// The form's title can name a condition, so the mail never carries it.
		subject = "A form from " + practice
		letter.ButtonLabel = "Open your form"
		letter.Paragraphs = []string{practice + " has asked you to fill in a form in your client portal. You can stop at any time and carry on later: your answers are kept.", portalIntro}
		letter.Footer = fmt.Sprintf("This link works for %s. If it runs out, the page it opens lets you ask for a new one.", humanDuration(p.Config.InviteTTL))
	default:
		letter.Paragraphs = []string{"Someone, hopefully you, asked to sign in to the client portal."}
		letter.Footer = fmt.Sprintf("The link and code work for %s. If you did not ask for them, you can ignore this email.", humanDuration(p.Config.SignInTTL))
	}

	_, err = p.sendLetter(p.App, client, purpose, subject, letter, outbox.Message{Sensitive: true})
	return err
}

// handleLinkStatus tells the landing page what a link can do before the
// client presses anything. It reads; it never consumes.
func (p *Portal) handleLinkStatus(e *core.RequestEvent) error {
	row, err := p.requestedToken(e)
	if err != nil {
		return err
	}
	return e.JSON(http.StatusOK, map[string]string{
		"state":    row.state(p.Config.Now()),
		"purpose":  row.Purpose,
		"practice": p.practiceName(),
	})
}

// handleRedeem signs the client in with a link token, once.
func (p *Portal) handleRedeem(e *core.RequestEvent) error {
	form := &tokenForm{}
	if err := bindForm(e, form); err != nil {
		return err
	}

	clientId, err := p.consume(e, "client", "token_hash = {:hash}", dbx.Params{"hash": hashToken(form.Token)})
	if err != nil {
		return e.InternalServerError("", err)
	}
	if clientId != "" {
		client, err := p.App.FindRecordById("clients", clientId)
		if err != nil {
			return e.NotFoundError("This client no longer exists.", err)
		}
		return p.signIn(e, client)
	}
	row, err := p.findToken(form.Token)
	if err != nil {
		return unknownLink(e)
	}
	return linkGone(e, row.state(p.Config.Now()))
}

// linkGone answers 410 with the reason the landing page explains.
func linkGone(e *core.RequestEvent, state string) error {
	message := "This sign-in link has expired."
	if state == "used" {
		message = "This sign-in link was already used."
	}
	return e.JSON(http.StatusGone, map[string]any{
		"status":  http.StatusGone,
		"message": message,
		"reason":  state,
	})
}

// signIn answers with PocketBase's auth response for client.
func (p *Portal) signIn(e *core.RequestEvent, client *core.Record) error {
	return apis.RecordAuthResponse(e, client, "portico", nil)
}

// handleResend mails a fresh link to the owner of a used or expired one:
// the client has nothing to type, and the address is the one on file.
func (p *Portal) handleResend(e *core.RequestEvent) error {
	row, err := p.requestedToken(e)
	if err != nil {
		return err
	}
	client, err := p.App.FindRecordById("clients", row.Client)
	if err != nil {
		return unknownLink(e)
	}
	if err := p.limitSignInMail(e, strings.ToLower(client.Email())); err != nil {
		return err
	}
	if err := p.mailLink(client, purposeSignIn, e.RealIP(), e.Request.UserAgent()); err != nil {
		return e.InternalServerError("", err)
	}
	return e.JSON(http.StatusAccepted, map[string]string{
		"message": "A new sign-in link is on its way to the address we have on file.",
	})
}

var errWrongCode = errors.New("wrong code")

// handleLoginCode signs in with the 6-digit code from the email, for a
// client whose mail opens on another device or in another browser.
func (p *Portal) handleLoginCode(e *core.RequestEvent) error {
	form := &codeForm{}
	if err := bindForm(e, form); err != nil {
		return err
	}
	if ok, wait := p.limits.allow("code-ip:"+e.RealIP(), codeAttemptsPerIP, p.Config.RateWindow); !ok {
		return tooManyRequests(e, wait)
	}

	wrong := func() error {
		return e.BadRequestError("That code is not right, or it has expired. Check the newest email, or ask for a new code.", errWrongCode)
	}

	client, err := p.App.FindAuthRecordByEmail("clients", form.Email)
	if err != nil {
		return wrong()
	}

	now := outbox.DBTime(p.Config.Now())
	var open []loginToken
	err = p.App.DB().NewQuery(
		"SELECT id, client, purpose, token_hash, code_hmac, expires, used, failed_codes FROM login_tokens " +
			"WHERE client = {:client} AND used = '' AND expires > {:now} AND failed_codes < {:max}",
	).Bind(dbx.Params{"client": client.Id, "now": now, "max": maxFailedCodes}).All(&open)
	if err != nil {
		return e.InternalServerError("", err)
	}

	for _, token := range open {
		if hmac.Equal([]byte(token.CodeHMAC), []byte(p.codeHMAC(client, token.TokenHash, form.Code))) {
			clientId, err := p.consume(e, "client", "id = {:id}", dbx.Params{"id": token.Id})
			if err != nil {
				return e.InternalServerError("", err)
			}
			if clientId == "" {
				return wrong()
			}
			return p.signIn(e, client)
		}
	}

	// A wrong code counts against every open token of the client, in a
	// statement of its own so that no rolled-back transaction can undo it.
	_, err = p.App.DB().NewQuery(
		"UPDATE login_tokens SET failed_codes = failed_codes + 1, updated = {:now} " +
			"WHERE client = {:client} AND used = '' AND expires > {:now} AND failed_codes < {:max}",
	).Bind(dbx.Params{"client": client.Id, "now": now, "max": maxFailedCodes}).Execute()
	if err != nil {
		return e.InternalServerError("", err)
	}
	return wrong()
}

// handlePractice gives the portal pages the practice's name.
func (p *Portal) handlePractice(e *core.RequestEvent) error {
	return e.JSON(http.StatusOK, map[string]string{"name": p.practiceName()})
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// humanDuration writes a link lifetime the way a person would say it.
func humanDuration(d time.Duration) string {
	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	case d >= 2*time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%d hours", d/time.Hour)
	default:
		return fmt.Sprintf("%d minutes", int(d.Minutes()))
	}
}
