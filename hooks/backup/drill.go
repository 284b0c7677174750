package backup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/superfly/ltx"

	"portico/hooks/outbox"
	"portico/hooks/schema"
	"portico/hooks/staff"
)

// DrillReport is the outcome of one restore drill.
type DrillReport struct {
	At      time.Time `json:"at"`
	Passed  bool      `json:"passed"`
	Summary string    `json:"summary"` // the line the owner reads
	Records int       `json:"records,omitzero"`
	Tables  int       `json:"tables,omitzero"`
	Files   int       `json:"files,omitzero"`
	AsOf    time.Time `json:"asOf,omitzero"`
	Took    float64   `json:"tookSeconds,omitzero"`
}

// markAttempts bounds the drill's tries at a quiet moment: writes that do
// not go through PocketBase's single writer (the outbox's own updates) can
// slip between the count and the copy.
const markAttempts = 3

// Drill restores the replica into a scratch folder beside the data, runs
// SQLite's integrity check on it, compares its row counts with the live
// database at the same transaction, and mails the owner what it found.
func (s *Service) Drill(ctx context.Context) (DrillReport, error) {
	report, err := s.drill(ctx)
	report.At = s.cfg.Now().UTC()
	report.Passed = err == nil
	if err != nil {
		report.Summary = "The restore drill failed: " + err.Error()
	}
	s.mu.Lock()
	s.lastDrill = &report
	s.mu.Unlock()
	s.writeStatus()
	if merr := s.mailOwner(report); merr != nil {
		err = errors.Join(err, fmt.Errorf("mailing the drill's report: %w", merr))
	}
	return report, err
}

func (s *Service) drill(ctx context.Context) (DrillReport, error) {
	var report DrillReport
	if err := s.started(ctx); err != nil {
		return report, err
	}
	s.mu.Lock()
	client, k := s.client, s.key
	s.mu.Unlock()
	if client == nil {
		return report, errors.New("replication is not running, so there is no copy to restore (see portico backup status)")
	}
	scratch := filepath.Join(s.app.DataDir(), drillDirName)
	defer os.RemoveAll(scratch)

	var mismatch error
	for range markAttempts {
		live, txid, err := s.mark(ctx)
		if err != nil {
			return report, err
		}
		if err := os.RemoveAll(scratch); err != nil {
			return report, err
		}
		restored, err := restore(ctx, s.cfg.ReplicaURL, k, client, scratch, time.Time{}, txid)
		if err != nil {
			return report, err
		}
		counts, err := checkRestored(ctx, scratch)
		if err != nil {
			return report, err
		}
		if mismatch = compareCounts(counts, live); mismatch != nil {
			continue
		}
		report = DrillReport{
			Records: counts.total(), Tables: len(counts), Files: restored.Files,
			AsOf: restored.AsOf, Took: restored.Took.Seconds(),
		}
		report.Summary = fmt.Sprintf("Restored %s records as of %s in %.1f s; checks passed.",
			thousands(report.Records), report.AsOf.Format("Mon 2 Jan 15:04 MST"), report.Took)
		return report, nil
	}
	return report, mismatch
}

// mark counts the live rows and sends the replica everything up to them,
// inside one transaction on PocketBase's single writer, so that no record
// saved meanwhile makes the copy differ from the count.
func (s *Service) mark(ctx context.Context) (tableCounts, ltx.TXID, error) {
	var counts tableCounts
	var txid ltx.TXID
	err := s.app.RunInTransaction(func(tx core.App) error {
		var err error
		counts, err = countRows(func(q string, dest ...any) error {
			return tx.DB().NewQuery(q).Row(dest...)
		})
		if err != nil {
			return err
		}
		if err := s.db.SyncAndWait(ctx); err != nil {
			return fmt.Errorf("sending the latest changes: %w", err)
		}
		txid = s.db.Replica.Pos().TXID
		return nil
	})
	return counts, txid, err
}

// compareCounts says which tables differ between the copy and the live
// database.
func compareCounts(restored, live tableCounts) error {
	var diffs []string
	for name, want := range live {
		if got, ok := restored[name]; !ok {
			diffs = append(diffs, name+" is missing")
		} else if got != want {
			diffs = append(diffs, fmt.Sprintf("%s has %d rows, the live database %d", name, got, want))
		}
	}
	if len(diffs) == 0 {
		return nil
	}
	slices.Sort(diffs)
	return errors.New("the restored copy differs from the live database: " + strings.Join(diffs, "; "))
}

// mailOwner sends the report to the practice's owner: the first staff
// member with the owner role, else the first superuser, who installed
// Portico.
func (s *Service) mailOwner(report DrillReport) error {
	if s.mail == nil {
		return nil
	}
	owners, err := s.app.FindRecordsByFilter(schema.Staff, "role = {:owner}", "created", 1, 0, map[string]any{"owner": staff.RoleOwner})
	if err != nil || len(owners) == 0 {
		owners, err = s.app.FindRecordsByFilter(core.CollectionNameSuperusers,
			"email != {:installer}", "created", 1, 0, map[string]any{"installer": core.DefaultInstallerEmail})
	}
	if err != nil {
		return err
	}
	if len(owners) == 0 {
		return errors.New("no owner to mail: add a staff member with the owner role")
	}
	subject := "Backup drill passed"
	text := "This week Portico restored the practice's off-site copy into a scratch folder and checked it.\n\n" +
		report.Summary + "\n\n" +
		fmt.Sprintf("- SQLite's integrity check found nothing wrong.\n- The row counts of all %d tables match the live database.\n- %d uploaded files came back.\n\n", report.Tables, report.Files) +
		"There is nothing to do. The scratch copy has been deleted.\n"
	if !report.Passed {
		subject = "Backup drill FAILED: the off-site copy did not restore"
		text = "This week Portico tried to restore the practice's off-site copy into a scratch folder, and could not.\n\n" +
			report.Summary + "\n\n" +
			"The portal itself is running and nothing was changed. Until this is fixed, a lost disk may not be recoverable:\n" +
			"run `portico backup status` on the server, or pass this mail to whoever looks after it (see docs/backups.md).\n"
	}
	_, err = s.mail.Enqueue(s.app, outbox.Message{
		To:        owners[0].Email(),
		Kind:      "backup_drill",
		Subject:   subject,
		Text:      text,
		DedupeKey: "backup_drill:" + report.At.Format(time.RFC3339Nano),
	})
	return err
}

// thousands writes n with thousands separators, as the owner reads numbers.
func thousands(n int) string {
	digits := fmt.Sprint(n)
	var b strings.Builder
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	return b.String()
}
