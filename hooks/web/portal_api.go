package web

import (
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
)

// PortalAPIPath is the prefix of every route the portal's pages call.
const PortalAPIPath = "/api/portal/"

// PortalAPIGuard keeps other web sites from driving the portal API from
// their visitors' browsers (sign-in mail, code guesses, reading answers):
// a request that names another origin is refused, preflight included, and
// a body must be JSON, which no plain HTML form can send. appURL is the
// Application URL, whose origin is the portal's beside the one the request
// itself was sent to. It runs before PocketBase's CORS middleware, which
// would allow every origin.
func PortalAPIGuard(appURL func() string) *hook.Handler[*core.RequestEvent] {
	return &hook.Handler[*core.RequestEvent]{
		Priority: apis.DefaultCorsMiddlewarePriority - 1,
		Func: func(e *core.RequestEvent) error {
			if !strings.HasPrefix(e.Request.URL.Path, PortalAPIPath) {
				return e.Next()
			}
			if origin := e.Request.Header.Get("Origin"); origin != "" && !portalOrigin(origin, e.Request.Host, appURL()) {
				if e.Request.Method == http.MethodOptions {
					return e.NoContent(http.StatusNoContent) // no CORS headers: the browser stops here
				}
				return e.ForbiddenError("The portal answers only its own pages.", nil)
			}
			if hasBody(e.Request) {
				mediaType, _, _ := mime.ParseMediaType(e.Request.Header.Get("Content-Type"))
				if mediaType != "application/json" {
					return e.Error(http.StatusUnsupportedMediaType, "Send the request as application/json.", nil)
				}
			}
			return e.Next()
		},
	}
}

// portalOrigin tells whether origin is the portal's own: the host the
// request was sent to, or the Application URL's.
func portalOrigin(origin, requestHost, appURL string) bool {
	o, err := url.Parse(origin)
	if err != nil || o.Host == "" {
		return false
	}
	if strings.EqualFold(o.Host, requestHost) {
		return true
	}
	app, err := url.Parse(appURL)
	return err == nil && strings.EqualFold(o.Scheme, app.Scheme) && strings.EqualFold(o.Host, app.Host)
}

func hasBody(r *http.Request) bool {
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return r.ContentLength != 0
	}
	return false
}
