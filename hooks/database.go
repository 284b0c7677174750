package hooks

import (
	"path/filepath"
	"strings"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase"
)

// Readers is how many connections read data.db, all kept open: more than
// the few cores of a practice's server only adds page caches, not speed
// (the writer is a connection of its own), and fewer idle than open would
// close and reopen connections under load, each reparsing the schema.
const Readers = 8

// Pragmas are PocketBase's own (core.DefaultDBConnect), busy_timeout
// first, with two changes. A 2 MB page cache per connection instead of
// 32 MB: PocketBase's grows with the data on every reader (354 MB resident
// with 50,000 clients), while a sign-in's hot pages (two indexes and a few
// rows) fit many times over and the OS caches the file anyway. And
// incremental auto-vacuum, so that the pages retention frees go back to
// the file system without a full VACUUM; it takes effect only in a
// database that has no tables yet, and an older data dir is converted once
// by the retention job.
const Pragmas = "?_pragma=busy_timeout(10000)&_pragma=auto_vacuum(INCREMENTAL)&_pragma=journal_mode(WAL)" +
	"&_pragma=journal_size_limit(200000000)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(ON)" +
	"&_pragma=temp_store(MEMORY)&_pragma=cache_size(-2048)&_defensive=1"

// ReplicatedDSN is how data.db at path is opened while Litestream
// replicates it (PORTICO_REPLICA_URL set): Pragmas with SQLite's
// automatic checkpoint off, so that only Litestream checkpoints data.db,
// and without auto_vacuum.
//
// A checkpoint by anyone else at a moment Litestream holds no read
// transaction (after a restart, before Litestream's first sync) copies
// frames Litestream never read into the file and lets the next write
// start the WAL over them in place. Litestream v0.5.18 then resumes from
// the new WAL without noticing the gap, and the replica restores a
// database that fails its integrity check ("Page N: never used", "row N
// missing from index") with the missed transactions gone.
//
// auto_vacuum goes because the driver runs it before every other pragma
// (modernc sorts them), and on a database already set to it, it still
// writes page 1: every new connection commits once, and that commit
// alone sets off an automatic checkpoint once the WAL holds 1,000 pages,
// as it does after a kill. The retention job still converts data.db to
// incremental vacuum as serve starts. See docs/backups.md.
func ReplicatedDSN(path string) string {
	return path + strings.Replace(Pragmas, "&_pragma=auto_vacuum(INCREMENTAL)", "", 1) + "&_pragma=wal_autocheckpoint(0)"
}

// DBConnect opens data.db and auxiliary.db with Portico's Pragmas.
func DBConnect(path string) (*dbx.DB, error) {
	return dbx.Open("sqlite", path+Pragmas)
}

// replicatedConnect is DBConnect for a data dir whose data.db Litestream
// replicates; auxiliary.db (logs) is not replicated and keeps SQLite's
// automatic checkpoint.
func replicatedConnect(path string) (*dbx.DB, error) {
	if filepath.Base(path) != "data.db" {
		return DBConnect(path)
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
