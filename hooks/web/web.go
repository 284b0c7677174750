// Package web holds the HTTP helpers every Portico route shares: reading a
// form with one plain line of error, keeping secrets out of caches and
// logs, the 429 answer, the security headers, and the answer to a write
// a full disk refused. It knows no capability.
package web

import (
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/ozzo-validation/v4/is"
	"github.com/pocketbase/pocketbase/core"
)

// PortalBodyLimit is far above any honest sign-in or join request.
const PortalBodyLimit = 4 << 10

// Form is a request body that can check itself.
type Form interface{ Validate() error }

// BindForm reads a JSON (or form) body into form and validates it, with
// one plain line saying what is wrong.
func BindForm(e *core.RequestEvent, form Form) error {
	if err := e.BindBody(form); err != nil {
		return e.BadRequestError("The request body is not valid JSON of the expected shape.", err)
	}
	if err := form.Validate(); err != nil {
		return e.BadRequestError("Please check the highlighted fields.", err)
	}
	return nil
}

// EmailForm is a body naming one email address.
type EmailForm struct {
	Email string `json:"email" form:"email"`
}

// Validate normalises the address and checks it looks like one.
func (f *EmailForm) Validate() error {
	f.Email = NormalizeEmail(f.Email)
	return validation.ValidateStruct(f,
		validation.Field(&f.Email, validation.Required, validation.Length(3, 254), is.EmailFormat),
	)
}

// NormalizeEmail is the form in which Portico compares addresses.
func NormalizeEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// TokenForm is a body carrying an emailed token (a sign-in or join link's).
type TokenForm struct {
	Token string `json:"token" form:"token"`
}

// Validate trims the token and checks its length.
func (f *TokenForm) Validate() error {
	f.Token = strings.TrimSpace(f.Token)
	return validation.ValidateStruct(f,
		validation.Field(&f.Token, validation.Required, validation.Length(20, 100)),
	)
}

// NoStore keeps auth responses and token pages out of caches and Referer headers.
func NoStore(e *core.RequestEvent) error {
	e.Response.Header().Set("Cache-Control", "no-store")
	e.Response.Header().Set("Referrer-Policy", "no-referrer")
	return e.Next()
}

// TooManyRequests answers 429 with Retry-After and the wait in minutes.
func TooManyRequests(e *core.RequestEvent, wait time.Duration) error {
	seconds := int(wait.Seconds()) + 1
	e.Response.Header().Set("Retry-After", strconv.Itoa(seconds))
	minutes := (seconds + 59) / 60
	return e.TooManyRequestsError(fmt.Sprintf("Too many tries. Please wait %d minute(s) and try again.", minutes), nil)
}

// RedactTokenPaths keeps the token of every link under prefix (such as
// "/s/") out of the request log, in any letter case, with any slashes, on
// routes that do not exist, and in the Referer of the request after a
// redirect: a token must never rest in a log, and a mistyped link is still
// a live one. Bind it to the whole router.
func RedactTokenPaths(prefix string) func(*core.RequestEvent) error {
	redacted := prefix + "[token]"
	under := func(p string) bool {
		return strings.HasPrefix(strings.ToLower(path.Clean("/"+p)), prefix)
	}
	return func(e *core.RequestEvent) error {
		// Deferred, so that a panicking handler cannot log the token either.
		defer func() {
			if under(e.Request.URL.Path) {
				e.Request.URL = &url.URL{Path: redacted, RawPath: redacted}
			}
			if referer, err := url.Parse(e.Request.Referer()); err == nil && under(referer.Path) {
				e.Request.Header.Set("Referer", (&url.URL{Scheme: referer.Scheme, Host: referer.Host, Path: redacted, RawPath: redacted}).String())
			}
		}()
		return e.Next()
	}
}

// contentSecurityPolicy allows Portico's pages nothing from other origins
// and no inline script.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"

// framedPreview is the one page another page may frame: the form
// builder's preview of a form at a phone's width, framed by the builder
// on the same origin. It holds no data of its own (the builder posts it
// the questions) and takes no input anywhere.
const framedPreview = "/staff/preview.html"

// SecurityHeaders applies to everything outside the dashboard, which sets
// its own policy.
func SecurityHeaders(e *core.RequestEvent) error {
	h := e.Response.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	switch path := e.Request.URL.Path; {
	case path == framedPreview:
		h.Set("X-Frame-Options", "SAMEORIGIN")
		h.Set("Content-Security-Policy", strings.Replace(contentSecurityPolicy, "frame-ancestors 'none'", "frame-ancestors 'self'", 1))
	case strings.HasPrefix(path, "/_/"):
		h.Set("X-Frame-Options", "DENY")
	default:
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", contentSecurityPolicy)
	}
	return e.Next()
}

// Truncate cuts s to at most n bytes, for user agents and the like.
func Truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// RequestToken is the auth token as PocketBase reads it from the request.
func RequestToken(e *core.RequestEvent) string {
	token := e.Request.Header.Get("Authorization")
	if len(token) > 7 && strings.EqualFold(token[:7], "Bearer ") {
		return token[7:]
	}
	return token
}

// Refuse answers status in PocketBase's error shape with the reason a
// page explains to the person (a link used, a session ended).
func Refuse(e *core.RequestEvent, status int, reason, message string) error {
	return e.JSON(status, map[string]any{
		"status":  status,
		"message": message,
		"reason":  reason,
	})
}

// SessionLimit is why a session ended at its time limit, a staff
// member's or a client's.
const SessionLimit = "limit"

// SessionEnded answers 401 for a session that has ended, saying why in
// plain words: words[why], or what every session's end says.
func SessionEnded(e *core.RequestEvent, why string, words map[string]string) error {
	message := words[why]
	switch {
	case message != "":
	case why == SessionLimit:
		message = "Your session reached its time limit. Please sign in again."
	default:
		message = "Your session has ended. Please sign in again."
	}
	return Refuse(e, http.StatusUnauthorized, why, message)
}
