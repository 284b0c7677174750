package testenv

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pocketbase/dbx"
)

// SQLRecorder keeps every distinct statement Portico runs on data.db
// (PocketBase's own queries included) while it records.
type SQLRecorder struct {
	env *Env

	mu         sync.Mutex
	statements []string
	seen       map[string]bool
	log        []string
	rows       []int64 // per log entry: rows an Exec changed, -1 for a query
}

// RecordSQL starts recording the statements Portico runs, until the test ends.
func (env *Env) RecordSQL() *SQLRecorder {
	env.T.Helper()
	r := &SQLRecorder{env: env, seen: map[string]bool{}}
	for _, builder := range []dbx.Builder{env.App.ConcurrentDB(), env.App.NonconcurrentDB()} {
		db, ok := builder.(*dbx.DB)
		if !ok {
			env.T.Fatalf("data.db is a %T, not a *dbx.DB: cannot record its statements", builder)
		}
		query, exec := db.QueryLogFunc, db.ExecLogFunc
		db.QueryLogFunc = func(_ context.Context, _ time.Duration, statement string, _ *sql.Rows, _ error) {
			r.add(statement, -1)
		}
		db.ExecLogFunc = func(_ context.Context, _ time.Duration, statement string, result sql.Result, _ error) {
			changed := int64(0)
			if result != nil {
				changed, _ = result.RowsAffected()
			}
			r.add(statement, changed)
		}
		env.T.Cleanup(func() { db.QueryLogFunc, db.ExecLogFunc = query, exec })
	}
	return r
}

func (r *SQLRecorder) add(statement string, rows int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = append(r.log, statement)
	r.rows = append(r.rows, rows)
	if !r.seen[statement] {
		r.seen[statement] = true
		r.statements = append(r.statements, statement)
	}
}

// Statements are the statements recorded so far, in the order first run,
// with their values written in as dbx logs them.
func (r *SQLRecorder) Statements() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.statements)
}

// Log is every statement run so far, repeats included, in the order each
// finished.
func (r *SQLRecorder) Log() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.log)
}

// Step is one statement Portico ran: its shape (every string value a ?,
// so that two runs with other addresses, ids and times compare equal) and
// the rows it changed (-1 for a query, which changes none).
type Step struct {
	Shape   string
	Changed int64
}

// Describe lists steps one a line, with the rows each changed, for a
// failure that shows two runs' work side by side.
func Describe(steps []Step) string {
	lines := make([]string, len(steps))
	for i, step := range steps {
		lines[i] = fmt.Sprintf("  %d row(s): %s", step.Changed, step.Shape)
	}
	return strings.Join(lines, "\n")
}

// Mark is a place in the log, for Since.
func (r *SQLRecorder) Mark() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.log)
}

// Since is what ran after mark on the tables named, in order: the work of
// one request, with PocketBase's own reads of its settings left out.
func (r *SQLRecorder) Since(mark int, tables ...string) []Step {
	r.mu.Lock()
	defer r.mu.Unlock()
	var steps []Step
	for i := mark; i < len(r.log); i++ {
		if slices.ContainsFunc(tables, func(table string) bool { return strings.Contains(r.log[i], table) }) {
			steps = append(steps, Step{Shape: stringLiteral.ReplaceAllString(r.log[i], "?"), Changed: r.rows[i]})
		}
	}
	return steps
}

// WaitFor waits until a statement containing text has run, for work that
// Portico does after it has answered.
func (r *SQLRecorder) WaitFor(text string, timeout time.Duration) {
	r.env.T.Helper()
	deadline := time.Now().Add(timeout)
	for !slices.ContainsFunc(r.Statements(), func(s string) bool { return strings.Contains(s, text) }) {
		if time.Now().After(deadline) {
			r.env.T.Fatalf("no statement with %q ran within %s", text, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// stringLiteral is a quoted SQL string, as dbx writes a bound value into
// the statements it logs.
var stringLiteral = regexp.MustCompile(`'(?:[^']|'')*'`)

// unquotedName is a table or column name dbx has not quoted yet in a
// logged statement: {{table}} or [[table.column]].
var unquotedName = regexp.MustCompile(`\{\{([^{}]+)\}\}|\[\[([^\[\]]+)\]\]`)

func quoteName(name string) string {
	name = strings.Trim(name, "{}[]")
	return "`" + strings.ReplaceAll(name, ".", "`.`") + "`"
}

// QueryPlan is SQLite's EXPLAIN QUERY PLAN of a recorded statement, one
// detail line per step ("SEARCH clients USING INDEX ...", "SCAN ...").
// Each string value goes back to being a bound parameter first: SQLite
// plans `email = 'a@b'` differently from `email = ?` (a literal can prove
// a partial index's WHERE, a parameter cannot), and Portico always binds.
func (env *Env) QueryPlan(statement string) []string {
	env.T.Helper()
	unbound := unquotedName.ReplaceAllStringFunc(stringLiteral.ReplaceAllString(statement, "?"), quoteName)
	args := make([]any, strings.Count(unbound, "?")) // all NULL: a plan does not depend on values
	rows, err := env.App.NonconcurrentDB().(*dbx.DB).DB().Query("EXPLAIN QUERY PLAN "+unbound, args...)
	if err != nil {
		env.T.Fatalf("EXPLAIN QUERY PLAN %s: %v", unbound, err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			env.T.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		env.T.Fatal(err)
	}
	return plan
}
