package hooks

import (
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

// DBConnect opens data.db and auxiliary.db with Portico's Pragmas.
func DBConnect(path string) (*dbx.DB, error) {
	return dbx.Open("sqlite", path+Pragmas)
}

// PocketBaseConfig is base with Portico's database settings, for main
// and for everything that runs Portico as main does.
func PocketBaseConfig(base pocketbase.Config) pocketbase.Config {
	base.DBConnect = DBConnect
	base.DataMaxOpenConns = Readers
	base.DataMaxIdleConns = Readers
	return base
}
