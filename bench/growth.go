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

// largerPractices grows the practice to each of sizes.practices clients
// and measures code sign-ins (the route that looks a client up by
// address) and Portico's peak memory at each size. The same 1,000 clients
// sign in; the others are the rest of the practice's records.
func (b *bench) largerPractices(practice *practice) {
	db, err := hooks.DBConnect(filepath.Join(practice.env.Dir, "data.db"))
	must(b.tb, err)
	defer db.Close()
	have := len(practice.clients)
	for _, size := range b.sizes.practices {
		log.Printf("growing the practice to %d clients", size)
		prefix := fmt.Sprintf("g%d", size) // ids and addresses unique per step
		must(b.tb, testenv.Fill(db, schema.Clients, size-have, map[string]string{
			"id":              "printf('" + prefix + "%013d', i)",
			"email":           "printf('" + prefix + "-%06d@example.test', i)",
			"emailVisibility": "0",
			"verified":        "0",
			"password":        "''",
			"tokenKey":        "printf('" + prefix + "%047d', i)",
			"name":            "printf('Client " + prefix + "-%d', i)",
			"phone":           "''",
			"timezone":        "'America/New_York'",
			"portal_access":   "1",
			"created":         "strftime('%Y-%m-%d %H:%M:%fZ', 'now')",
			"updated":         "strftime('%Y-%m-%d %H:%M:%fZ', 'now')",
		}))
		have = size
		peak := peakRSS(b.portico.pid)
		for range b.sizes.runs {
			b.loginCodes(target{name: fmt.Sprintf("size/%d/", size), load: b.portico.load, pid: b.portico.pid}, 32, b.loginLinks(practice.clients))
		}
		b.figures.add(fmt.Sprintf("rss/size/%d", size), float64(peak())/(1<<20))
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
	portico := b.portico
	round := func() {
		b.redeem(target{name: "growth/", load: portico.load, pid: portico.pid}, 32, b.loginLinks(practice.clients))
	}
	prune := func() {
		time.Sleep(1100 * time.Millisecond) // the round's rows pass the 1 s period
		cmd := exec.Command(binary, "retention", "run", "--dir="+dir)
		cmd.Env = append(os.Environ(), "PORTICO_RETENTION="+retentionPeriod)
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

// dirMB is the size of everything in the data dir, after a checkpoint
// has moved each WAL file's pages into its database: the data kept, not
// how far SQLite's log happens to have run since the last checkpoint.
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
