package hooks_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"portico/internal/testenv"
)

// routeHeading is how docs/api.md names a route: a heading such as
// ### `POST /api/portal/redeem`.
var routeHeading = regexp.MustCompile("(?m)^#+ `((?:ANY|GET|HEAD|POST|PUT|PATCH|DELETE) /[^`]*)`")

// TestEveryRouteIsInTheAPIDocument keeps docs/api.md and the router in
// step: every route Portico serves has its own heading there, and every
// route heading there is served.
func TestEveryRouteIsInTheAPIDocument(t *testing.T) {
	env := testenv.Start(t)
	var served []string
	for _, route := range env.Routes() {
		served = append(served, route.String())
	}
	if len(served) == 0 {
		t.Fatal("the router serves no Portico route at all; the app did not register its hooks")
	}

	doc, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "docs", "api.md"))
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	for _, match := range routeHeading.FindAllStringSubmatch(string(doc), -1) {
		documented = append(documented, match[1])
	}

	for _, route := range served {
		if !slices.Contains(documented, route) {
			t.Errorf("the router serves %s, but docs/api.md has no heading ### `%s`: "+
				"an integrator would not know it exists; add it with its request, answers and status codes", route, route)
		}
	}
	for _, route := range documented {
		if !slices.Contains(served, route) {
			t.Errorf("docs/api.md documents %s, but the router serves no such route: "+
				"an integrator calling it would get 404; correct or remove the heading", route)
		}
	}
	if t.Failed() {
		t.Logf("served: %q", served)
	}
}
