package web

import "github.com/pocketbase/pocketbase/core"

// concernsKey is where a request keeps the records it read or changed.
const concernsKey = "portico.concerns"

// Concerns notes the records a request read, or changed on a client's
// behalf, for the middleware over every route that says who did what to
// which record (the audit trail). A request that changed nothing (an
// action already done, a refusal) notes nothing.
func Concerns(e *core.RequestEvent, records ...*core.Record) {
	e.Set(concernsKey, append(Concerned(e), records...))
}

// Concerned is what Concerns noted for the request, in order.
func Concerned(e *core.RequestEvent) []*core.Record {
	noted, _ := e.Get(concernsKey).([]*core.Record)
	return noted
}
