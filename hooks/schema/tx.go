package schema

import "github.com/pocketbase/pocketbase/core"

// WriteLocked runs fn in a transaction that takes SQLite's write lock
// with its first statement, as BEGIN IMMEDIATE would. A transaction that
// reads first and writes later (an overlap check, then the insert) holds
// only a read snapshot until it writes; if another connection commits in
// between, its write fails at once with SQLITE_BUSY_SNAPSHOT ("database
// is locked (517)"), which no busy timeout retries. Writing first means
// waiting for the lock (the busy timeout) and then reading the newest
// data, so a second booking of the same hour waits for the first and
// sees it. Inside a transaction already, fn joins it.
func WriteLocked(app core.App, fn func(tx core.App) error) error {
	return app.RunInTransaction(func(tx core.App) error {
		// Changes nothing: an UPDATE takes the write lock before its WHERE.
		if _, err := tx.NonconcurrentDB().NewQuery("UPDATE _params SET id = id WHERE 0").Execute(); err != nil {
			return err
		}
		return fn(tx)
	})
}
