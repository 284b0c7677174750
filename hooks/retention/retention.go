// Package retention deletes what Portico no longer needs once a retention
// period has passed: login tokens that stopped working, mail that was
// delivered or given up, staff sessions that ended and sign-in requests
// that were processed. It deletes in small batches, each its own short
// write, so that sign-ins and the outbox wait for one batch at most, and
// then hands the freed pages back to the file system a few at a time.
// PocketBase prunes its own request log (Settings > Logs > Max days).
// What compliance needs to keep is the audit trail's, never these rows.
package retention

import (
	"fmt"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/cobra"

	"portico/hooks/schema"
)

// Batch is how many rows one delete removes: a few milliseconds of
// SQLite's single writer.
const Batch = 500

// vacuumStep is how many free pages one incremental vacuum hands back:
// 2 MB of 4 KB pages, again a few milliseconds of the writer.
const vacuumStep = 512

// autoVacuumIncremental is PRAGMA auto_vacuum's answer for INCREMENTAL.
const autoVacuumIncremental = 2

// prunable is, per table, what may go: rows that Portico and the practice
// no longer use once they are older than the cutoff. A pending or
// sending mail is never prunable, nor a token that still works.
var prunable = []struct{ table, where string }{
	// A token stops working when used or at its expiry, whichever is
	// first; it goes a retention period after either (the indexes on
	// expires and used find them).
	// A used token is also the client's session (hooks/signin), so it
	// stays while a session it started could still be open, however
	// short the retention period.
	{schema.LoginTokens, "(expires < {:cutoff} OR (used > '' AND used < {:cutoff})) AND (used = '' OR used < {:sessions})"},
	// "updated" is when the message reached its final state.
	{schema.MailOutbox, "state IN ('sent', 'captured', 'failed') AND updated < {:cutoff}"},
	// A staff session ends at sign-out, when idle or at the practice's
	// limit (hours, never weeks), each after it was last seen: one not
	// seen for a retention period is over, whether or not its end was
	// written. Sign-ins themselves are the audit trail's to keep.
	{schema.StaffSessions, "last_seen < {:cutoff} AND last_seen < {:idle}"},
	// A sign-in request goes a retention period after it was looked up
	// and mailed; one still waiting is never prunable. The retention
	// period is far longer than the rate window the rows also count for.
	{schema.SignInRequests, "processed > '' AND processed < {:cutoff}"},
	// An address's count of wrong codes goes a retention period after the
	// last wrong code (no token lives that long), unless codes stopped for
	// it after 100 in a row (signin.MaxWrongCodesInARow): only a sign-in
	// starts those again.
	{schema.CodeTries, "updated < {:cutoff} AND in_a_row < 100"},
}

// longestStaffIdle is the longest a staff session can sit unseen and
// still be open: the practice record's largest idle time (migration
// 1764_000044).
const longestStaffIdle = 4 * time.Hour

// Retention is the pruning job.
type Retention struct {
	app      core.App
	now      func() time.Time
	period   time.Duration
	sessions time.Duration // how long a client's session lasts
}

// New returns the pruning job for app, keeping rows for period, and a
// session's rows while it could still be open: a client's for
// clientSessions after its sign-in.
func New(app core.App, now func() time.Time, period, clientSessions time.Duration) *Retention {
	return &Retention{app: app, now: now, period: period, sessions: clientSessions}
}

// Pruned is what one run removed.
type Pruned struct {
	Rows    map[string]int // by table
	Batches int
	Pages   int // free pages handed back to the file system
}

// Register converts an older data dir to incremental auto-vacuum once,
// as serve starts and before it takes requests, and prunes every ten
// minutes inside serve.
func (r *Retention) Register() {
	r.app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		if err := r.convert(); err != nil {
			return fmt.Errorf("retention: converting data.db to incremental vacuum: %w", err)
		}
		return e.Next()
	})
	r.app.Cron().MustAdd("portico_retention", "*/10 * * * *", func() {
		if _, err := r.Run(); err != nil {
			r.app.Logger().Error("retention: pruning", "error", err)
		}
	})
}

// Command is `portico retention run`, which prunes now, beside a running
// server or without one.
func (r *Retention) Command() *cobra.Command {
	retention := &cobra.Command{
		Use:   "retention",
		Short: "Pruning of used tokens, delivered mail, ended staff sessions and processed sign-in requests",
	}
	retention.AddCommand(&cobra.Command{
		Use:   "run",
		Short: "Delete what is older than the retention period now (the server also does this every ten minutes)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			pruned, err := r.Run()
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d login token(s), %d mail(s), %d staff session(s) and %d sign-in request(s) deleted, %d free page(s) returned.\n",
				pruned.Rows[schema.LoginTokens], pruned.Rows[schema.MailOutbox], pruned.Rows[schema.StaffSessions], pruned.Rows[schema.SignInRequests], pruned.Pages)
			return nil
		},
	})
	return retention
}

// Run deletes everything prunable, one batch at a time, then returns the
// free pages. A batch is its own statement and transaction: between two,
// any waiting sign-in or mail write goes first.
func (r *Retention) Run() (Pruned, error) {
	pruned := Pruned{Rows: map[string]int{}}
	params := dbx.Params{"cutoff": schema.DateTime(r.now().Add(-r.period)), "sessions": schema.DateTime(r.now().Add(-r.sessions)),
		"idle": schema.DateTime(r.now().Add(-longestStaffIdle)), "batch": Batch}
	for _, p := range prunable {
		for {
			result, err := r.app.NonconcurrentDB().NewQuery(
				"DELETE FROM " + p.table + " WHERE id IN (SELECT id FROM " + p.table + " WHERE " + p.where + " LIMIT {:batch})",
			).Bind(params).Execute()
			if err != nil {
				return pruned, fmt.Errorf("%s: %w", p.table, err)
			}
			deleted, err := result.RowsAffected()
			if err != nil {
				return pruned, err
			}
			pruned.Batches++
			pruned.Rows[p.table] += int(deleted)
			if deleted < Batch {
				break
			}
		}
	}
	pages, err := r.returnFreePages()
	pruned.Pages = pages
	return pruned, err
}

// returnFreePages hands data.db's free pages back a step at a time. In a
// database not yet converted to incremental vacuum it does nothing: the
// pages stay in the file and SQLite reuses them for new rows.
func (r *Retention) returnFreePages() (int, error) {
	db := r.app.NonconcurrentDB()
	var mode int
	if err := db.NewQuery("PRAGMA auto_vacuum").Row(&mode); err != nil || mode != autoVacuumIncremental {
		return 0, err
	}
	returned, last := 0, -1
	for {
		var free int
		if err := db.NewQuery("PRAGMA freelist_count").Row(&free); err != nil {
			return returned, err
		}
		if free == 0 || free == last {
			return returned, nil // done, or nothing more can go now
		}
		last = free
		step := min(free, vacuumStep)
		if _, err := db.NewQuery(fmt.Sprintf("PRAGMA incremental_vacuum(%d)", step)).Execute(); err != nil {
			return returned, err
		}
		returned += step
	}
}

// convert switches a data.db made before Portico asked for incremental
// vacuum over to it. That takes one full VACUUM, which rewrites the file
// and holds the writer while it does: it runs before the server takes
// requests, once, and a new data dir never needs it.
func (r *Retention) convert() error {
	db := r.app.NonconcurrentDB()
	var mode int
	if err := db.NewQuery("PRAGMA auto_vacuum").Row(&mode); err != nil || mode == autoVacuumIncremental {
		return err
	}
	r.app.Logger().Info("retention: converting data.db to incremental vacuum (once; the file is rewritten)")
	if _, err := db.NewQuery(fmt.Sprintf("PRAGMA auto_vacuum = %d", autoVacuumIncremental)).Execute(); err != nil {
		return err
	}
	_, err := db.NewQuery("VACUUM").Execute()
	return err
}
