package backup_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/benbjohnson/litestream"
	"github.com/benbjohnson/litestream/file"
	"github.com/pocketbase/dbx"

	"portico/hooks"
	"portico/internal/testenv"
)

// TestOnlyLitestreamCheckpointsAReplicatedDatabase checks that SQLite's
// automatic checkpoint is off on every connection to a replicated data.db,
// and on where nothing replicates.
func TestOnlyLitestreamCheckpointsAReplicatedDatabase(t *testing.T) {
	replicating := testenv.Start(t, replicatingTo("file://"+filepath.Join(t.TempDir(), "replica")))
	plain := testenv.Start(t)
	for _, c := range []struct {
		name string
		db   dbx.Builder
		want int
	}{
		{"a replicated data.db's writer", replicating.App.NonconcurrentDB(), 0},
		{"a replicated data.db's readers", replicating.App.ConcurrentDB(), 0},
		{"auxiliary.db beside a replicated data.db", replicating.App.AuxNonconcurrentDB(), 1000},
		{"data.db without a replica", plain.App.NonconcurrentDB(), 1000},
	} {
		var got int
		if err := c.db.NewQuery("PRAGMA wal_autocheckpoint").Row(&got); err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%s checkpoints automatically every %d pages; want %d", c.name, got, c.want)
		}
	}
}

// TestRestartAfterAKillKeepsEveryTransaction is the cause of the corrupt
// restores after kill -9, replayed step by step with Litestream v0.5 and
// data.db opened as Portico opens it while replicating. Litestream has
// sent some transactions; more are committed when the process is killed.
// The restarted portal writes more than SQLite's automatic-checkpoint
// threshold (1,000 pages) before Litestream is back. Had SQLite
// checkpointed then, the next write would have started the WAL over in
// place, Litestream would have resumed from the new WAL as if nothing
// were missing, and the restore would fail its integrity check ("Page N:
// never used") with the killed process's last transactions gone.
func TestRestartAfterAKillKeepsEveryTransaction(t *testing.T) {
	root := t.TempDir()
	before, after := filepath.Join(root, "before"), filepath.Join(root, "after")
	if err := os.Mkdir(before, 0o700); err != nil {
		t.Fatal(err)
	}
	app := openReplicated(t, filepath.Join(before, "data.db"))
	if _, err := app.Exec(`CREATE TABLE notes (id INTEGER PRIMARY KEY, email TEXT, body TEXT); CREATE INDEX notes_email ON notes (email)`); err != nil {
		t.Fatal(err)
	}
	replica := startLitestream(t, filepath.Join(before, "data.db"))
	insertNotes(t, app, 0, 150)
	if err := replica.SyncAndWait(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Committed, not yet sent when the kill comes: new notes, and changes
	// to old ones, whose pages the restarted portal need not write again.
	insertNotes(t, app, 150, 80)
	if _, err := app.Exec(`UPDATE notes SET email = 'changed-' || email WHERE id <= 50`); err != nil {
		t.Fatal(err)
	}

	// What kill -9 leaves on disk: the files as they are, the shared
	// memory index rebuilt by the next process.
	if out, err := exec.Command("cp", "-a", before, after).CombinedOutput(); err != nil {
		t.Fatalf("copying the killed data dir: %v\n%s", err, out)
	}
	restarted := openReplicated(t, filepath.Join(after, "data.db"))
	insertNotes(t, restarted, 230, 70)
	if wal, err := os.Stat(filepath.Join(after, "data.db-wal")); err != nil || wal.Size() < 1000*4096 {
		t.Fatalf("the WAL should hold more than 1,000 pages before Litestream is back: %v", err)
	}
	resumed := startLitestream(t, filepath.Join(after, "data.db"))
	if err := resumed.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	restored := filepath.Join(root, "restored.db")
	opt := litestream.NewRestoreOptions()
	opt.OutputPath = restored
	if err := litestream.NewReplicaWithClient(nil, file.NewReplicaClient(filepath.Join(after, "replica"))).Restore(context.Background(), opt); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+restored+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	problems, err := testenv.IntegrityProblems(db)
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) > 0 {
		t.Errorf("the restored database fails SQLite's integrity check: %s", strings.Join(problems, "; "))
	}
	var notes, changed int
	if err := db.QueryRow(`SELECT count(*), count(*) FILTER (WHERE email LIKE 'changed-%') FROM notes`).Scan(&notes, &changed); err != nil {
		t.Fatal(err)
	}
	if notes != 300 || changed != 50 {
		t.Errorf("the restore holds %d of the 300 notes written and %d of the 50 changed, all committed before the replica was read", notes, changed)
	}
}

// openReplicated opens path as Portico opens a replicated data.db.
func openReplicated(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", hooks.ReplicatedDSN(path))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

func insertNotes(t *testing.T, db *sql.DB, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		if _, err := db.Exec(`INSERT INTO notes (email, body) VALUES (?, ?)`, fmt.Sprintf("note-%06d@example.com", i), strings.Repeat("n", 3000)); err != nil {
			t.Fatal(err)
		}
	}
}

// startLitestream replicates path to the folder replica beside it, as
// serve does, and returns once the first sync reached the replica.
func startLitestream(t *testing.T, path string) *litestream.DB {
	t.Helper()
	db := litestream.NewDB(path)
	db.Replica = litestream.NewReplicaWithClient(db, file.NewReplicaClient(filepath.Join(filepath.Dir(path), "replica")))
	db.MonitorInterval = 0 // syncs only when asked, so the kill lands where the test puts it
	if err := db.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(context.Background()) })
	if err := db.SyncAndWait(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}
