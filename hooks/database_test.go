package hooks_test

import (
	"path/filepath"
	"testing"

	"portico/hooks"
)

// TestOpeningAReaderDoesNotBreakTheWritersTransaction: the pool opens a
// reader whenever requests need one. If connecting wrote to data.db (as
// PRAGMA auto_vacuum does), a transaction of the writer that had read
// before it would fail at its first write with "database is locked
// (517)": a client's press or a staff member's save refused for nothing.
func TestOpeningAReaderDoesNotBreakTheWritersTransaction(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.db")
	writer, err := hooks.DBConnect(path)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	writer.DB().SetMaxOpenConns(1)
	if _, err := writer.NewQuery("CREATE TABLE appointments (id TEXT)").Execute(); err != nil {
		t.Fatal(err)
	}
	var mode int
	if err := writer.NewQuery("PRAGMA auto_vacuum").Row(&mode); err != nil || mode != 2 {
		t.Fatalf("a new data.db has auto_vacuum %d (%v); want 2, incremental", mode, err)
	}

	tx, err := writer.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.NewQuery("SELECT count(*) FROM appointments").Row(&n); err != nil {
		t.Fatal(err)
	}
	reader, err := hooks.DBConnect(path)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	if err := reader.NewQuery("SELECT count(*) FROM appointments").Row(&n); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.NewQuery("INSERT INTO appointments VALUES ('a')").Execute(); err != nil {
		t.Fatalf("the writer's transaction, after a reader connected: %v; want the insert to go through", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}
