package hooks

import (
	"database/sql"
	"os"
	"path/filepath"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase"
)

// Readers is how many connections read data.db, all kept open: more than
// the few cores of a practice's server only adds page caches, not speed
// (the writer is a connection of its own), and fewer idle than open would
// close and reopen connections under load, each reparsing the schema.
const Readers = 8

// Pragmas are PocketBase's own (core.DefaultDBConnect), busy_timeout
// first, with one change: a 2 MB page cache per connection instead of
// 32 MB. PocketBase's grows with the data on every reader (354 MB
// resident with 50,000 clients), while a sign-in's hot pages (two indexes
// and a few rows) fit many times over and the OS caches the file anyway.
//
// Every pragma here is per connection or a no-op on a database that has
// it already: each reader the pool opens runs them, and one that writes
// (auto_vacuum does, even when unchanged) commits under a transaction of
// the writer's that has read, which then fails with "database is locked
// (517)" (SQLITE_BUSY_SNAPSHOT), whatever the busy_timeout.
const Pragmas = "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
	"&_pragma=journal_size_limit(200000000)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(ON)" +
	"&_pragma=temp_store(MEMORY)&_pragma=cache_size(-2048)&_defensive=1"

// DBConnect opens data.db and auxiliary.db with Portico's Pragmas,
// creating a new one with incremental auto-vacuum first, so that the pages
// retention frees go back to the file system without a full VACUUM (an
// older data dir is converted once by the retention job).
func DBConnect(path string) (*dbx.DB, error) {
	if err := createIncremental(path); err != nil {
		return nil, err
	}
	return dbx.Open("sqlite", path+Pragmas)
}

// createIncremental makes the database at path, when there is none yet,
// as an empty file in incremental auto-vacuum mode, which SQLite can only
// set before the first table.
func createIncremental(path string) error {
	if info, err := os.Stat(path); err == nil && info.Size() > 0 {
		return nil
	}
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)&_pragma=auto_vacuum(INCREMENTAL)&_pragma=journal_mode(WAL)")
	if err != nil {
		return err
	}
	defer db.Close()
	// VACUUM writes the header of the empty database, and with it the mode.
	_, err = db.Exec("VACUUM")
	return err
}

// ReplicatedDSN is how data.db at path is opened while Litestream
// replicates it (PORTICO_REPLICA_URL set): Pragmas with SQLite's
// automatic checkpoint off, so that only Litestream checkpoints data.db.
//
// A checkpoint by anyone else at a moment Litestream holds no read
// transaction (after a restart, before Litestream's first sync) copies
// frames Litestream never read into the file and lets the next write
// start the WAL over them in place. Litestream v0.5.18 then resumes from
// the new WAL without noticing the gap, and the replica restores a
// database that fails its integrity check ("Page N: never used", "row N
// missing from index") with the missed transactions gone. Any commit
// with the WAL past 1,000 pages sets the automatic checkpoint off, as the
// first writes after a kill often do (and, while Pragmas held auto_vacuum,
// merely opening a connection did). See docs/backups.md.
func ReplicatedDSN(path string) string {
	return path + Pragmas + "&_pragma=wal_autocheckpoint(0)"
}

// replicatedConnect is DBConnect for a data dir whose data.db Litestream
// replicates; auxiliary.db (logs) is not replicated and keeps SQLite's
// automatic checkpoint.
func replicatedConnect(path string) (*dbx.DB, error) {
	if filepath.Base(path) != "data.db" {
		return DBConnect(path)
	}
	if err := createIncremental(path); err != nil {
		return nil, err
	}
	return dbx.Open("sqlite", ReplicatedDSN(path))
}

// PocketBaseConfig is base with Portico's database settings for config,
// for main and for everything that runs Portico as main does.
func PocketBaseConfig(base pocketbase.Config, config Config) pocketbase.Config {
	base.DBConnect = DBConnect
	if config.Backup.ReplicaURL != "" {
		base.DBConnect = replicatedConnect
	}
	base.DataMaxOpenConns = Readers
	base.DataMaxIdleConns = Readers
	return base
}
