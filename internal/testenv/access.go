package testenv

import (
	"slices"
	"strings"
	"testing"
)

// Access is one row of an access matrix: a request, and which callers
// must reach what it names. In the spirit of PocketBase's
// tests.ApiScenario, but one row is tried as every caller, so a matrix
// reads as "who may do this" rather than as one expectation per caller.
type Access struct {
	Name   string
	Method string
	Path   string
	// Body is the request body: a value sent as JSON, or a func() any
	// called for each caller (for rows that create, so each gets its own).
	Body any
	// ContentType replaces JSON's for a Body of bytes: a multipart form
	// with its boundary (Multipart), for rows that upload files.
	ContentType string
	// Marker is text in an answer that shows the caller reached the
	// record (its id, a note). Empty: any 2xx answer counts as reaching.
	Marker string
	// Allowed must each get a 2xx answer containing Marker. Every other
	// caller must get an error, or a 2xx answer without Marker (an empty
	// list, for instance).
	Allowed []string
	// Never are texts no caller may see in any answer, allowed or not,
	// such as a hidden field's value.
	Never []string
	// Status names callers that must get exactly this status, where the
	// kind of answer matters as well as the refusal: a 404 rather than a
	// 403, so that a record's existence does not show.
	Status map[string]int
	// Before runs before each caller's request, to put back what an
	// earlier caller changed (a deleted record, say); After runs after
	// each, so that later rows find the state they expect.
	Before func()
	After  func()
	// Stream is for a POST answered with a stream of server-sent events
	// (a call's signalling): a caller reaches it when the stream opens
	// and its first event arrives, which Marker is looked for in; the
	// stream is dropped then.
	Stream bool
}

// Callers maps each caller's name to the Authorization header it sends;
// "" sends none.
type Callers map[string]string

// CheckAccess tries every row as every caller, refused callers first so
// that an allowed delete cannot hide a refusal, and reports each
// mismatch as what that person would have seen.
func (env *Env) CheckAccess(t *testing.T, callers Callers, rows []Access) {
	t.Helper()
	names := make([]string, 0, len(callers))
	for name := range callers {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, row := range rows {
		for _, name := range names {
			if slices.Contains(row.Allowed, name) {
				continue
			}
			env.tryAccess(t, row, name, callers[name], false)
		}
		for _, name := range row.Allowed {
			if _, ok := callers[name]; !ok {
				t.Fatalf("%s: allowed caller %q is not among the callers", row.Name, name)
			}
			env.tryAccess(t, row, name, callers[name], true)
		}
	}
}

func (env *Env) tryAccess(t *testing.T, row Access, caller, token string, allowed bool) {
	t.Helper()
	if row.Before != nil {
		row.Before()
	}
	body := row.Body
	if each, ok := body.(func() any); ok {
		body = each()
	}
	var headers []string
	if token != "" {
		headers = []string{"Authorization", token}
	}
	if row.ContentType != "" {
		headers = append(headers, "Content-Type", row.ContentType)
	}
	var r Response
	if row.Stream {
		r = env.As(t).firstEvent(row.Path, body, headers...)
	} else {
		r = env.As(t).Do(row.Method, row.Path, body, headers...)
	}
	if row.After != nil {
		row.After()
	}
	text := string(r.Body)
	ok2xx := r.Status >= 200 && r.Status < 300
	reached := ok2xx && (row.Marker == "" || strings.Contains(text, row.Marker))
	switch {
	case allowed && !reached:
		t.Errorf("%s as %s: %s %s answered %s; want it allowed", row.Name, caller, row.Method, row.Path, r)
	case !allowed && reached:
		t.Errorf("%s as %s: %s %s answered %s; want it refused", row.Name, caller, row.Method, row.Path, r)
	}
	if want, ok := row.Status[caller]; ok && r.Status != want {
		t.Errorf("%s as %s: %s %s answered %s; want %d", row.Name, caller, row.Method, row.Path, r, want)
	}
	for _, secret := range row.Never {
		if strings.Contains(text, secret) {
			t.Errorf("%s as %s: %s %s shows %q: %s", row.Name, caller, row.Method, row.Path, secret, r)
		}
	}
}
