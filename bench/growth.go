package main

import (
	"fmt"
	"io/fs"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"portico/hooks"
	"portico/hooks/schema"
	"portico/internal/testenv"
)

// sizedPractice is a copy of the prepared data dir grown to size
// clients, with a Portico of its own serving it.
type sizedPractice struct {
	size    int
	dir     string
	portico target
}

// growPractices copies the prepared data dir once for each of
// sizes.practices and grows each copy to that many clients (rows written
// straight into clients): the same clients sign in, the others are the
// rest of the practice's records. It runs before any Portico opens the
// data dir, so each copy is a closed database.
func (b *bench) growPractices(dir string) []*sizedPractice {
	var grown []*sizedPractice
	have := b.sizes.clients
	for _, size := range b.sizes.practices {
		log.Printf("copying the practice and growing it to %d clients", size)
		copied := b.copyDir(dir)
		db, err := hooks.DBConnect(filepath.Join(copied, "data.db"))
		must(b.tb, err)
		prefix := fmt.Sprintf("g%d", size) // ids and addresses unique per size
		must(b.tb, testenv.Fill(db, schema.Clients, size-have, testenv.AuthColumns(prefix, "printf('"+prefix+"-%06d@example.test', i)", false, map[string]string{
			"name":          "printf('Client " + prefix + "-%d', i)",
			"phone":         "''",
			"timezone":      "'America/New_York'",
			"portal_access": "1",
		})))
		must(b.tb, db.Close())
		grown = append(grown, &sizedPractice{size: size, dir: copied})
	}
	return grown
}

// copyDir copies the data dir dir, which no process is writing, into a
// directory of the benchmark's own and returns it.
func (b *bench) copyDir(dir string) string {
	copied := b.tb.TempDir()
	must(b.tb, os.CopyFS(copied, os.DirFS(dir)))
	return copied
}

// baselineDir copies the prepared data dir for the baseline build, as
// that build's own migrations would leave it: without this tree's
// trigger that appends a client's sign-in to the audit trail
// (1764_000051), which calls functions only this tree's binary
// registers, so that a baseline from before it can sign clients in.
// The copy is the baseline's alone, so that neither build's outbox
// delivers the other's links.
func (b *bench) baselineDir(dir string) string {
	copied := b.copyDir(dir)
	db, err := hooks.DBConnect(filepath.Join(copied, "data.db"))
	must(b.tb, err)
	for _, statement := range []string{
		"DROP TRIGGER IF EXISTS login_tokens_audit_sign_in",
		"DELETE FROM _migrations WHERE file LIKE '1764_000051_%'",
	} {
		_, err := db.NewQuery(statement).Execute()
		must(b.tb, err)
	}
	must(b.tb, db.Close())
	return copied
}

// issuer is who mails the links t redeems: the baseline its own, on its
// own data dir; this tree's Portico everyone else's.
func (b *bench) issuer(t target) target {
	if t.name == b.baseline.name && b.baseline.load != nil {
		return b.baseline
	}
	return b.portico
}

// practiceSizes measures code sign-ins (the route that looks a client up
// by address) at every practice size in the same rounds: each round
// signs the same clients in once at each size, the sizes taking turns
// in an order that rotates from round to round, so that every size sees
// the same machine. Each size is its own Portico on its own copy, and its
// peak memory is read over its rounds.
func (b *bench) practiceSizes(practice *practice, grown []*sizedPractice) {
	sized := []*sizedPractice{{size: b.sizes.clients, portico: b.portico}}
	for _, g := range grown {
		sized = append(sized, g)
	}
	peaks := map[int]int64{}
	for run := range b.sizes.sizeRuns {
		log.Printf("practice sizes: round %d of %d", run+1, b.sizes.sizeRuns)
		for i := range sized {
			s := sized[(i+run)%len(sized)]
			t := target{name: fmt.Sprintf("size/%d/", s.size), load: s.portico.load, pid: s.portico.pid}
			peak := peakRSS(s.portico.pid)
			b.loginCodes(t, 32, b.loginLinks(t, practice.clients))
			peaks[s.size] = max(peaks[s.size], peak())
		}
	}
	for size, peak := range peaks {
		b.figures.add(fmt.Sprintf("rss/size/%d", size), float64(peak)/(1<<20))
	}
}

// retentionPeriod is how old a row must be for `portico retention run` in
// the growth rounds: a second, so every round's tokens and mail can go.
const retentionPeriod = "1s"

// dataDirGrowth signs every client in, round after round, measuring the
// data dir after each round: first without pruning (what 1,000 sign-ins
// add), then with `portico retention run` after each round, as the
// server's job would prune a retention period later.
func (b *bench) dataDirGrowth(practice *practice, binary string) {
	dir := practice.env.Dir
	growth := target{name: "growth/", load: b.portico.load, pid: b.portico.pid}
	round := func() {
		b.redeem(growth, 32, b.loginLinks(growth, practice.clients))
	}
	prune := func() {
		time.Sleep(1100 * time.Millisecond) // the round's rows pass the 1 s period
		cmd := exec.Command(binary, "retention", "run", "--dir="+dir)
		// A spent token is also its client's session, kept while that
		// could be open: the benchmark's sessions end with the period.
		cmd.Env = append(os.Environ(), "PORTICO_RETENTION="+retentionPeriod, "PORTICO_SESSION_LIFETIME="+retentionPeriod)
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.tb.Fatalf("portico retention run: %v\n%s", err, out)
		}
	}

	prune() // start from what the earlier figures left behind, pruned
	before := dirMB(b.tb, dir)
	round()
	b.figures.add("datadir/per-1000", (dirMB(b.tb, dir)-before)*1000/float64(len(practice.clients)))
	for range b.sizes.retentionRounds {
		prune()
		round()
		b.figures.add("datadir/rounds", dirMB(b.tb, dir))
	}
	b.figures.add("datadir/start", before)
}

// litestreamState is what Litestream keeps beside data.db while it
// replicates; the benchmark's replicated runs leave it behind (hundreds of
// MB of not yet compacted transactions), and it is not what the practice
// keeps.
const litestreamState = ".data.db-litestream"

// dirMB is the size of everything in the data dir but Litestream's state,
// after a checkpoint has moved each WAL file's pages into its database:
// the data kept, not how far SQLite's log happens to have run since the
// last checkpoint.
func dirMB(tb *benchTB, dir string) float64 {
	for _, name := range []string{"data.db", "auxiliary.db"} {
		db, err := hooks.DBConnect(filepath.Join(dir, name))
		must(tb, err)
		_, err = db.NewQuery("PRAGMA wal_checkpoint(TRUNCATE)").Execute()
		must(tb, err)
		must(tb, db.Close())
	}
	var total int64
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && d.Name() == litestreamState {
			return fs.SkipDir
		}
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err == nil {
			total += info.Size()
		}
		return err
	})
	must(tb, err)
	return float64(total) / (1 << 20)
}
