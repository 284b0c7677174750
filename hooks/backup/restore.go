package backup

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/benbjohnson/litestream"
	"github.com/superfly/ltx"
	_ "modernc.org/sqlite" // the driver PocketBase and Litestream share
)

// Restored says what a restore brought back.
type Restored struct {
	Dir   string        `json:"dir"`
	TXID  string        `json:"txid"`
	AsOf  time.Time     `json:"asOf"` // when the last restored transaction was written
	Files int           `json:"files"`
	Took  time.Duration `json:"took"`
}

// restore brings the replica back into the data dir dir, as of the last
// transaction before at (zero: the newest) or exactly at txid (non-zero).
// dir must be empty or absent: a restore never writes over a data dir.
func restore(ctx context.Context, replicaURL string, k *key, client *sealedClient, dir string, at time.Time, txid ltx.TXID) (Restored, error) {
	started := time.Now()
	out := Restored{Dir: dir}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return out, fmt.Errorf("%s is not empty: restore into a new folder, then move it in place while portico is stopped", dir)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return out, err
	}

	logger := slog.New(slog.DiscardHandler)
	plan, err := litestream.CalcRestorePlan(ctx, client, txid, at, logger)
	if errors.Is(err, litestream.ErrTxNotAvailable) || errors.Is(err, litestream.ErrNoSnapshots) {
		if at.IsZero() {
			return out, errors.New("the replica holds no copy yet: has serve run with PORTICO_REPLICA_URL set?")
		}
		return out, fmt.Errorf("the replica holds nothing as old as %s: the oldest copy kept is a week old at most", at.UTC().Format(time.RFC3339))
	}
	if err != nil {
		return out, fmt.Errorf("reading the replica: %w", err)
	}
	last := plan[len(plan)-1]
	out.TXID, out.AsOf = last.MaxTXID.String(), last.CreatedAt.UTC()

	replica := litestream.NewReplicaWithClient(nil, client)
	opt := litestream.NewRestoreOptions()
	opt.OutputPath = filepath.Join(dir, databaseFile)
	opt.TXID = last.MaxTXID
	opt.IntegrityCheck = litestream.IntegrityCheckFull
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return out, err
	}
	if err := replica.Restore(ctx, opt); err != nil {
		return out, fmt.Errorf("restoring the database: %w", err)
	}
	if out.Files, err = restoreFiles(replicaURL, k, dir); err != nil {
		return out, fmt.Errorf("restoring uploaded files: %w", err)
	}
	out.Took = time.Since(started)
	return out, nil
}

// tableCounts is the number of rows of every table of a database.
type tableCounts map[string]int

func (c tableCounts) total() int {
	n := 0
	for _, rows := range c {
		n += rows
	}
	return n
}

// countRows counts the rows of every table through query, which runs one
// statement and scans its single row.
func countRows(query func(sql string, dest ...any) error) (tableCounts, error) {
	var names []string
	var list string
	if err := query(`SELECT coalesce(json_group_array(name), '[]') FROM sqlite_master
		WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_litestream%'`, &list); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(list), &names); err != nil {
		return nil, err
	}
	counts := tableCounts{}
	for _, name := range names {
		var n int
		if err := query(`SELECT count(*) FROM "`+name+`"`, &n); err != nil {
			return nil, fmt.Errorf("counting %s: %w", name, err)
		}
		counts[name] = n
	}
	return counts, nil
}

// checkRestored runs SQLite's full integrity check on a restored data dir
// and counts its rows.
func checkRestored(ctx context.Context, dir string) (tableCounts, error) {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, databaseFile)+"?mode=ro")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var verdict string
	if err := db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&verdict); err != nil {
		return nil, fmt.Errorf("integrity check: %w", err)
	}
	if verdict != "ok" {
		return nil, fmt.Errorf("integrity check: %s", verdict)
	}
	return countRows(func(q string, dest ...any) error {
		return db.QueryRowContext(ctx, q).Scan(dest...)
	})
}
