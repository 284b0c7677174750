package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"io/fs"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	_ "modernc.org/sqlite"

	"portico/internal/testenv"
)

// replicaEnv turns replication on for a release binary, to a local path:
// the cost measured is Portico's (Litestream, sealing), not a network's.
func replicaEnv(dir string) []string {
	return []string{
		"PORTICO_REPLICA_URL=file://" + filepath.Join(dir, "replica"),
		"PORTICO_BACKUP_KEY_FILE=" + filepath.Join(dir, "backup.key"),
	}
}

// replicatedSignInRun measures one sign-in run again with replication on,
// on the same data dir, right after the baseline run: the two figures
// come from the same machine moments apart.
func (b *bench) replicatedSignInRun(practice *practice, binary, addr string, run int) {
	b.release.stop()
	replicaDir := b.tb.TempDir()
	replicated, _, err := startPortico(binary, practice.env.Dir, addr, append(b.releaseEnv(), replicaEnv(replicaDir)...))
	must(b.tb, err)
	b.tb.Cleanup(replicated.stop)
	must(b.tb, waitReplicated(practice.env.Dir, 5*time.Minute))
	baseline := b.portico
	b.portico = target{name: "replicated/", load: baseline.load, pid: replicated.pid()}
	b.signInRun(practice, run, []target{b.portico})
	replicated.stop()
	b.figures.add("replicated/replica-bytes", float64(treeSize(filepath.Join(replicaDir, "replica"))))

	b.release, _, err = startPortico(binary, practice.env.Dir, addr, b.releaseEnv())
	must(b.tb, err)
	b.portico = target{load: baseline.load, pid: b.release.pid()}
}

// waitReplicated waits until serve on dataDir reports the replica holds its
// newest transaction.
func waitReplicated(dataDir string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		var st struct {
			LocalTXID   uint64 `json:"localTxid"`
			ReplicaTXID uint64 `json:"replicaTxid"`
			UpdatedAt   time.Time
		}
		raw, err := os.ReadFile(filepath.Join(dataDir, "backup_status.json"))
		if err == nil && json.Unmarshal(raw, &st) == nil && st.LocalTXID > 0 && st.ReplicaTXID >= st.LocalTXID && time.Since(st.UpdatedAt) < 10*time.Second {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the replica did not catch up within %v (status: %s)", limit, raw)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// treeSize is the bytes in the files under root.
func treeSize(root string) int64 {
	var size int64
	filepath.WalkDir(root, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				size += info.Size()
			}
		}
		return nil
	})
	return size
}

// killRuns measures the data a kill loses: the release binary replicating
// under a client load, killed with SIGKILL kills times, restored from the
// replica alone after each kill.
func (b *bench) killRuns(binary string, kills int) {
	root := b.tb.TempDir()
	dataDir := filepath.Join(root, "pb_data")
	env := append(replicaEnv(root), "PORTICO_SMTP_URL="+b.mail.URL())
	out, err := testenv.Command(binary, env, "superuser", "upsert", testenv.SuperuserEmail, testenv.SuperuserPassword, "--dir", dataDir)
	if err != nil {
		b.tb.Fatalf("superuser upsert: %v\n%s", err, out)
	}
	load := &testenv.ClientLoad{}
	log.Printf("killing a replicating portal %d times", kills)
	for kill := range kills {
		check, err := testenv.KillRound(b.tb, binary, env, dataDir, filepath.Join(root, fmt.Sprintf("restored-%d", kill)), load, nil)
		must(b.tb, err)
		if len(check.Problems) > 0 {
			b.tb.fail(fmt.Sprintf("kill %d: %s", kill+1, strings.Join(check.Problems, "; ")))
		}
		b.figures.add("rpo", ms(check.RPO))
		b.figures.add("rpo/lost", float64(check.Lost))
	}
}

// restoreTime measures `portico restore` of a replica of a database of
// about sizeMB megabytes: the data dir's size grown with intake-like rows,
// replicated by serve, restored with the full integrity check.
func (b *bench) restoreTime(binary string, sizeMB int) {
	root := b.tb.TempDir()
	dataDir := filepath.Join(root, "pb_data")
	env := replicaEnv(root)
	out, err := testenv.Command(binary, env, "superuser", "upsert", testenv.SuperuserEmail, testenv.SuperuserPassword, "--dir", dataDir)
	if err != nil {
		b.tb.Fatalf("superuser upsert: %v\n%s", err, out)
	}
	log.Printf("growing a data dir to %d MB", sizeMB)
	must(b.tb, growDatabase(filepath.Join(dataDir, "data.db"), int64(sizeMB)<<20))

	addr, err := freeAddr()
	must(b.tb, err)
	serve, _, err := startPortico(binary, dataDir, addr, env)
	must(b.tb, err)
	must(b.tb, waitReplicated(dataDir, 30*time.Minute))
	serve.stop()

	name := fmt.Sprintf("rto/%d", sizeMB)
	b.figures.add(name+"/replica", float64(treeSize(filepath.Join(root, "replica")))/(1<<20))
	for run := range b.sizes.runs {
		began := time.Now()
		out, err := testenv.Command(binary, env, "restore", "--to", filepath.Join(root, fmt.Sprintf("restored-%d", run)), "--dir", filepath.Join(root, "scratch"))
		if err != nil {
			b.tb.Fatalf("portico restore: %v\n%s", err, out)
		}
		b.figures.add(name, time.Since(began).Seconds())
		os.RemoveAll(filepath.Join(root, fmt.Sprintf("restored-%d", run)))
	}
}

// intakeWords make filler rows read like intake answers, so pages compress
// as a practice's do rather than as random bytes.
var intakeWords = strings.Fields(`sleep appetite mood anxiety work family partner
	medication dosage morning evening weekly therapy session goals progress
	stress panic relief walking journal breathing support school children`)

// growDatabase adds rows to the database file until it is size bytes.
func growDatabase(path string, size int64) error {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(wal)")
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS bench_answers (id INTEGER PRIMARY KEY, answer TEXT NOT NULL)`); err != nil {
		return err
	}
	for {
		info, err := os.Stat(path)
		if err != nil {
			return err
		}
		if info.Size() >= size {
			_, err := db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
			return err
		}
		tx, err := db.Begin()
		if err != nil {
			return err
		}
		for range 2000 {
			words := make([]string, 150)
			for i := range words {
				words[i] = intakeWords[rand.IntN(len(intakeWords))]
			}
			if _, err := tx.Exec(`INSERT INTO bench_answers (answer) VALUES (?)`, strings.Join(words, " ")); err != nil {
				tx.Rollback()
				return err
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
		if _, err := db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			return err
		}
	}
}

// backupRows are the benchmark's rows for replication.
func (b *bench) backupRows(t *table) {
	m := b.figures.median
	if !b.replication {
		t.row("Replication", "not measured: -inprocess, -trail, -signin-only and -baseline leave it out (-recovery measures the kill and restore rows alone)", "", nil)
		return
	}
	for _, route := range []string{"redeem", "login-code"} {
		name := route + "/32"
		t.row(fmt.Sprintf("Replication on, `%s` 32 concurrent: CPU per sign-in, replicating / not", route),
			fmt.Sprintf("%.2f× (%.2f vs %.2f ms)", m("replicated/"+name+"/cpu")/m(name+"/cpu"), m("replicated/"+name+"/cpu"), m(name+"/cpu")), "", nil)
		t.row(fmt.Sprintf("Replication on, `%s` 32 concurrent: rate, replicating / not", route),
			fmt.Sprintf("%.2f× (%.0f vs %.0f req/s)", m("replicated/"+name+"/rate")/m(name+"/rate"), m("replicated/"+name+"/rate"), m(name+"/rate")), "", nil)
		t.row(fmt.Sprintf("Replication on, `%s` 32 concurrent: disk bytes written per sign-in, replicating / not (replica on the same disk)", route),
			fmt.Sprintf("%.1f KB vs %.1f KB", m("replicated/"+name+"/written")/1024, m(name+"/written")/1024), "", nil)
	}
	t.row("Replica size after one replicated sign-in run (sealed LTX files, uploaded files)", fmt.Sprintf("%.1f MB", m("replicated/replica-bytes")/(1<<20)), "", nil)
	b.recoveryRows(t)
}

// recovery is `go run ./bench -recovery`: the kill rounds and the restore
// times alone, without the sign-in runs.
func (b *bench) recovery(module string) {
	log.Print("building the release binary")
	binary, err := buildRelease(module, b.tb.TempDir())
	must(b.tb, err)
	b.mail = testenv.StartMailServer(b.tb)
	b.killRuns(binary, b.sizes.kills)
	for _, size := range b.rtoSizes() {
		b.restoreTime(binary, size)
	}
	t := &table{}
	b.recoveryRows(t)
	fmt.Printf("Machine: %s\n\nCommand: `%s`\n\n| Figure | Measured | Target | |\n|---|---|---|---|\n%s\n", machine(), b.command, strings.Join(t.rows, "\n"))
}

// recoveryRows are what a kill loses and what a restore takes.
func (b *bench) recoveryRows(t *table) {
	m := b.figures.median
	rpo := slices.Sorted(slices.Values(b.figures["rpo"]))
	if len(rpo) > 0 {
		t.row(fmt.Sprintf("Data lost on `kill -9` under load (RPO: last acknowledged write - newest restored one), %d kills", len(rpo)),
			fmt.Sprintf("median %.0f ms · worst %.0f ms · %.0f writes lost at the median", m("rpo"), rpo[len(rpo)-1], m("rpo/lost")), "", nil)
	}
	for _, size := range b.rtoSizes() {
		name := fmt.Sprintf("rto/%d", size)
		t.row(fmt.Sprintf("Restore time (RTO), %d MB database, local replica (%.0f MB sealed), `portico restore` with the full integrity check", size, m(name+"/replica")),
			fmt.Sprintf("%.1f s", m(name)), "", nil)
	}
}
