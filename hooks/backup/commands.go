package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/benbjohnson/litestream"
	"github.com/spf13/cobra"
	"github.com/superfly/ltx"
)

// backupCommand is `portico backup status|key`.
func (s *Service) backupCommand() *cobra.Command {
	command := &cobra.Command{
		Use:   "backup",
		Short: "Shows the state of the off-site copy and the key that opens it",
	}
	command.AddCommand(&cobra.Command{
		Use:   "status",
		Short: "Shows the replica's position, how far behind it is, and the last error and drill",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return s.printStatus(c.Context(), c.OutOrStdout())
		},
	}, s.keyCommand())
	return command
}

// keyCommand is `portico backup key [--new FILE]`.
func (s *Service) keyCommand() *cobra.Command {
	var newKey string
	command := &cobra.Command{
		Use:   "key [--new FILE]",
		Short: "Shows the backup key's fingerprint and where it is kept (never the key); --new makes a key",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if newKey != "" {
				k, err := createKey(newKey, s.cfg.Now())
				if err != nil {
					return err
				}
				explainNewKey(c.OutOrStdout(), k)
				return nil
			}
			return s.printKey(c.OutOrStdout())
		},
	}
	command.Flags().StringVar(&newKey, "new", "", "make a new backup key in FILE (never over an existing file) and print it once, for a key kept outside the service's reach (systemd LoadCredential=, a container secret)")
	return command
}

// restoreCommand is `portico restore --to DIR [--at TIME]`.
func (s *Service) restoreCommand() *cobra.Command {
	var to, at string
	command := &cobra.Command{
		Use:   "restore --to DIR [--at TIME]",
		Short: "Restores the data dir from the replica into a new folder, as of now or of an earlier moment",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if to == "" {
				return errors.New("--to DIR is required: the new folder to restore the data dir into")
			}
			moment, err := parseMoment(at)
			if err != nil {
				return err
			}
			return s.restoreTo(c.Context(), c.OutOrStdout(), to, moment)
		},
	}
	command.Flags().StringVar(&to, "to", "", "new folder to restore the data dir into (absent or empty)")
	command.Flags().StringVar(&at, "at", "", "restore the state as of this moment, in UTC unless it says otherwise (2026-12-01T09:30:00Z, \"2026-12-01 09:30\"); default the newest")
	return command
}

// momentLayouts are the forms --at takes.
var momentLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02"}

func parseMoment(raw string) (time.Time, error) {
	if raw == "" {
		return time.Time{}, nil
	}
	for _, layout := range momentLayouts {
		if t, err := time.Parse(layout, raw); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("--at %q: want a moment such as 2026-12-01T09:30:00Z or \"2026-12-01 09:30\" (UTC)", raw)
}

func (s *Service) restoreTo(ctx context.Context, out io.Writer, dir string, at time.Time) error {
	if s.cfg.ReplicaURL == "" {
		return errOff
	}
	// The key beside the new folder, else the one beside this data dir.
	k, client, err := s.openReplica(dir, false)
	if errors.Is(err, errNoKey) && s.cfg.KeyFile == "" {
		k, client, err = s.openReplica(s.app.DataDir(), false)
	}
	if err != nil {
		return err
	}
	restored, err := restore(ctx, s.cfg.ReplicaURL, k, client, dir, at, 0)
	if err != nil {
		return err
	}
	counts, err := checkRestored(ctx, dir)
	if err != nil {
		return fmt.Errorf("the restored database fails its check: %w", err)
	}
	fmt.Fprintf(out, "Restored %s records in %d tables and %d uploaded files into %s in %.1f s.\n",
		thousands(counts.total()), len(counts), restored.Files, dir, restored.Took.Seconds())
	fmt.Fprintf(out, "The data is as of %s (transaction %s). SQLite's integrity check passed.\n",
		restored.AsOf.Format(time.RFC3339), restored.TXID)
	fmt.Fprintf(out, "Start the portal on it with: portico serve --dir %s\n", dir)
	return nil
}

func (s *Service) printKey(out io.Writer) error {
	if s.cfg.ReplicaURL == "" {
		return errOff
	}
	path := s.cfg.keyPath(s.app.DataDir())
	k, err := loadKey(path)
	if errors.Is(err, errNoKey) {
		return fmt.Errorf("there is no backup key at %s yet: serve makes one on its first start with PORTICO_REPLICA_URL set, or put the practice's key there", path)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "fingerprint  %s\npublic key   %s\nkept in      %s\n", k.Fingerprint(), k.identity.Recipient(), path)
	fmt.Fprintln(out, "Keep a copy of that file away from this machine: without it no copy can be restored.")
	return nil
}

func (s *Service) printStatus(ctx context.Context, out io.Writer) error {
	if s.cfg.ReplicaURL == "" {
		return errOff
	}
	fmt.Fprintf(out, "replica      %s\n", redact(s.cfg.ReplicaURL))
	st, stErr := readStatus(s.app.DataDir())
	if k, err := loadKey(s.cfg.keyPath(s.app.DataDir())); err == nil {
		fmt.Fprintf(out, "key          fingerprint %s\n", k.Fingerprint())
	} else {
		fmt.Fprintf(out, "key          %v\n", err)
	}

	newest, err := newestCopy(ctx, s.cfg.ReplicaURL)
	if err != nil {
		fmt.Fprintf(out, "position     unknown: %v\n", err)
	} else if newest == nil {
		fmt.Fprintln(out, "position     the replica is empty")
	} else {
		fmt.Fprintf(out, "position     transaction %s, written %s (%s ago)\n",
			newest.MaxTXID, newest.CreatedAt.UTC().Format(time.RFC3339), time.Since(newest.CreatedAt).Round(time.Second))
	}

	switch {
	case errors.Is(stErr, fs.ErrNotExist):
		fmt.Fprintln(out, "serve        has not run with replication on this data dir")
	case stErr != nil:
		fmt.Fprintf(out, "serve        unreadable status: %v\n", stErr)
	default:
		printServeStatus(out, st)
	}
	if err != nil {
		return errors.New("the replica cannot be read")
	}
	return nil
}

// printServeStatus is the part of status that only serve knows.
func printServeStatus(out io.Writer, st status) {
	seen := time.Since(st.UpdatedAt)
	switch {
	case !st.Running:
		fmt.Fprintf(out, "serve        not replicating (last seen %s)\n", st.UpdatedAt.Format(time.RFC3339))
	case seen > time.Minute:
		fmt.Fprintf(out, "serve        not running since %s\n", st.UpdatedAt.Format(time.RFC3339))
	case st.LocalTXID > st.ReplicaTXID:
		fmt.Fprintf(out, "lag          %d transactions not sent yet; last sent %s\n", st.LocalTXID-st.ReplicaTXID, st.LastSync.Format(time.RFC3339))
	default:
		fmt.Fprintf(out, "lag          none: the replica has transaction %s, the newest\n", ltx.TXID(st.ReplicaTXID))
	}
	if st.FilesNote != "" {
		fmt.Fprintf(out, "files        %s\n", st.FilesNote)
	} else {
		fmt.Fprintf(out, "files        %d uploaded files copied\n", st.Files)
	}
	if st.Problem.Message == "" {
		fmt.Fprintln(out, "last error   none")
	} else {
		fmt.Fprintf(out, "last error   %s: %s\n", st.Problem.At.Format(time.RFC3339), st.Problem.Message)
	}
	if st.Drill == nil {
		fmt.Fprintln(out, "last drill   none yet (weekly, inside serve)")
	} else {
		verdict := "passed"
		if !st.Drill.Passed {
			verdict = "FAILED"
		}
		fmt.Fprintf(out, "last drill   %s %s: %s\n", verdict, st.Drill.At.Format(time.RFC3339), st.Drill.Summary)
	}
}

// newestCopy is the newest LTX file of the replica at any level, or nil.
func newestCopy(ctx context.Context, replicaURL string) (*ltx.FileInfo, error) {
	client, err := replicaClient(replicaURL)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := client.Init(ctx); err != nil {
		return nil, err
	}
	var newest *ltx.FileInfo
	for level := 0; level <= litestream.SnapshotLevel; level++ {
		files, err := litestream.FindLTXFiles(ctx, client, level, false, func(*ltx.FileInfo) (bool, error) { return true, nil })
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		for _, f := range files {
			if newest == nil || f.MaxTXID > newest.MaxTXID {
				newest = f
			}
		}
	}
	return newest, nil
}
