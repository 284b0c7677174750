package hooks

import (
	"net/url"
	"strings"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"

	pbpublic "portico/pb_public"
)

// contentSecurityPolicy allows the portal pages nothing from other origins
// and no inline script.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"

// registerPages serves the client portal's pages from the binary.
func (p *Portal) registerPages() {
	p.App.OnServe().Bind(&hook.Handler[*core.ServeEvent]{
		Func: func(e *core.ServeEvent) error {
			// Pages, styles and scripts go out gzipped, as PocketBase's own
			// dashboard does: less than half the bytes on a client's phone.
			e.Router.GET(signInLinkPath+"{token}", func(e *core.RequestEvent) error {
				return e.FileFS(pbpublic.FS, "link.html")
			}).BindFunc(redactPath(signInLinkPath+"[token]"), noStore).Bind(apis.Gzip())

			e.Router.GET("/{path...}", apis.Static(pbpublic.FS, false)).Bind(apis.Gzip())
			return e.Next()
		},
		Priority: 999, // after every other route, so the catch-all shadows none
	})

	p.App.OnServe().BindFunc(func(e *core.ServeEvent) error {
		e.Router.BindFunc(securityHeaders)
		return e.Next()
	})
}

// securityHeaders applies to everything outside the dashboard, which
// sets its own policy.
func securityHeaders(e *core.RequestEvent) error {
	h := e.Response.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	if !strings.HasPrefix(e.Request.URL.Path, "/_/") {
		h.Set("Content-Security-Policy", contentSecurityPolicy)
	}
	return e.Next()
}

// redactPath replaces a secret-bearing request path before the request log
// records it: a token must never rest in a log.
func redactPath(replacement string) func(*core.RequestEvent) error {
	return func(e *core.RequestEvent) error {
		err := e.Next()
		e.Request.URL = &url.URL{Path: replacement}
		return err
	}
}
