// Package pages serves the client portal's pages, styles and scripts from
// the binary, with the security headers every page carries.
package pages

import (
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"

	"portico/hooks/signin"
	"portico/hooks/web"
	pbpublic "portico/pb_public"
)

// Register serves the pages and binds the security headers globally.
func Register(app core.App) {
	app.OnServe().Bind(&hook.Handler[*core.ServeEvent]{
		Func: func(e *core.ServeEvent) error {
			// Pages, styles and scripts go out gzipped, as PocketBase's own
			// dashboard does: less than half the bytes on a client's phone.
			landing := func(e *core.RequestEvent) error {
				return e.FileFS(pbpublic.FS, "link.html")
			}
			// A mail app or a person may add the slash.
			for _, route := range []string{"{token}", "{token}/{$}"} {
				e.Router.GET(signin.LinkPath+route, landing).BindFunc(web.NoStore).Bind(apis.Gzip())
			}

			e.Router.GET("/{path...}", apis.Static(pbpublic.FS, false)).Bind(apis.Gzip())
			return e.Next()
		},
		Priority: 999, // after every other route, so the catch-all shadows none
	})

	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		e.Router.BindFunc(web.RedactTokenPaths(signin.LinkPath))
		e.Router.Bind(web.PortalAPIGuard(func() string { return app.Settings().Meta.AppURL }))
		e.Router.BindFunc(web.SecurityHeaders)
		return e.Next()
	})
}
