package testenv

import (
	"cmp"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/router"
)

// Route is one method and path pattern the router serves.
type Route struct {
	Method string // "" serves every method
	Path   string // a net/http pattern path, wildcards as {name} and {name...}
}

// String is the route as docs/api.md names it: "GET /join/{token}".
func (r Route) String() string {
	if r.Method == "" {
		return "ANY " + r.Path
	}
	return r.Method + " " + r.Path
}

// Routes are the routes Portico adds to PocketBase's router: every route
// that an OnServe hook registered, except PocketBase's own dashboard under
// /_/. PocketBase's REST API is in the router before the first hook runs,
// so it is not among them.
func (env *Env) Routes() []Route {
	env.T.Helper()
	if env.routesErr != nil {
		env.T.Fatal(env.routesErr)
	}
	return env.routes
}

// recordRoutes notes which routes the OnServe hooks add: what the router
// holds before the first hook runs is PocketBase's alone, and what it holds
// after the last is what is served (PocketBase's final step then adds only
// its catch-all 404 for "/").
func (env *Env) recordRoutes(app core.App) {
	var before []Route
	app.OnServe().Bind(&hook.Handler[*core.ServeEvent]{
		Priority: math.MinInt,
		Func: func(e *core.ServeEvent) error {
			before, env.routesErr = listRoutes(e.Router)
			return e.Next()
		},
	})
	app.OnServe().Bind(&hook.Handler[*core.ServeEvent]{
		Priority: math.MaxInt,
		Func: func(e *core.ServeEvent) error {
			after, err := listRoutes(e.Router)
			env.routes = nil
			env.routesErr = cmp.Or(env.routesErr, err)
			for _, route := range after {
				if !slices.Contains(before, route) && !strings.HasPrefix(route.Path, "/_/") {
					env.routes = append(env.routes, route)
				}
			}
			return e.Next()
		},
	})
}

// listRoutes walks the router's groups. PocketBase keeps a group's routes
// and subgroups unexported (it only builds a ServeMux from them), so they
// are read by reflection; if PocketBase changes that, this says so.
func listRoutes(r *router.Router[*core.RequestEvent]) ([]Route, error) {
	var routes []Route
	groupType := reflect.TypeFor[*router.RouterGroup[*core.RequestEvent]]()
	routeType := reflect.TypeFor[*router.Route[*core.RequestEvent]]()

	var walk func(group reflect.Value, prefix string) error
	walk = func(group reflect.Value, prefix string) error {
		prefix += group.Elem().FieldByName("Prefix").String()
		children := group.Elem().FieldByName("children")
		if children.Kind() != reflect.Slice {
			return fmt.Errorf("PocketBase's router.RouterGroup no longer keeps its routes in children; update internal/testenv/routes.go")
		}
		for i := range children.Len() {
			child := children.Index(i).Elem()
			switch child.Type() {
			case groupType:
				if err := walk(child, prefix); err != nil {
					return err
				}
			case routeType:
				routes = append(routes, Route{
					Method: child.Elem().FieldByName("Method").String(),
					Path:   prefix + child.Elem().FieldByName("Path").String(),
				})
			default:
				return fmt.Errorf("PocketBase's router holds a %s among its routes; update internal/testenv/routes.go", child.Type())
			}
		}
		return nil
	}
	return routes, walk(reflect.ValueOf(r.RouterGroup), "")
}
