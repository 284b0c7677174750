package audit

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// Command is `portico audit verify|export|prune`.
func (t *Trail) Command() *cobra.Command {
	root := &cobra.Command{
		Use:   "audit",
		Short: "Verify, export and prune the audit trail",
		// A data dir serve never opened has no trail yet: making it first
		// gives an empty trail's answer instead of "no such table".
		PersistentPreRunE: func(*cobra.Command, []string) error {
			if err := t.app.RunAllMigrations(); err != nil {
				return fmt.Errorf("preparing the data dir: %w", err)
			}
			return nil
		},
	}

	var file, fileFormat string
	verify := &cobra.Command{
		Use:          "verify",
		Short:        "Walk the audit trail's hash chain; exit non-zero naming the first broken entry",
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if file != "" {
				return verifyFile(cmd, file, fileFormat)
			}
			summary, err := Verify(t.app)
			if err != nil {
				return err
			}
			if err := t.append(t.app, Entry{ActorType: ActorSystem, Action: ActionTrailVerified, Detail: "intact (portico audit verify)"}); err != nil {
				return err
			}
			if summary.Entries == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "audit log intact: no entries yet")
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "audit log intact: %d entries (#%d to #%d), tip hash %s\n",
				summary.Entries, summary.FirstSeq, summary.TipSeq, summary.TipHash)
			return nil
		},
	}
	verify.Flags().StringVar(&file, "file", "", "check an export file instead of the database")
	verify.Flags().StringVar(&fileFormat, "format", FormatCSV, "the export file's format: csv or json")

	var filter trailFilter
	var format, out string
	export := &cobra.Command{
		Use:          "export",
		Short:        "Write the audit entries between --from and --to (for --client) as CSV or JSON",
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != FormatCSV && format != FormatJSON {
				return fmt.Errorf("--format %q: want csv or json", format)
			}
			bounded := filter
			zone, err := t.zone()
			if err != nil {
				return err
			}
			if bounded.From, err = dayBound(filter.From, false, zone); err != nil {
				return fmt.Errorf("--from: %w", err)
			}
			if bounded.To, err = dayBound(filter.To, true, zone); err != nil {
				return fmt.Errorf("--to: %w", err)
			}
			entries, err := find(t.app, bounded, 0)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if out != "" {
				f, err := os.Create(out)
				if err != nil {
					return err
				}
				defer f.Close()
				w = f
			}
			if err := WriteEntries(w, format, entries); err != nil {
				return err
			}
			return t.append(t.app, Entry{ActorType: ActorSystem, Action: ActionExport, Client: bounded.Client,
				Detail: filterDetail(bounded) + fmt.Sprintf(" format=%s entries=%d (portico audit export)", format, len(entries))})
		},
	}
	export.Flags().StringVar(&filter.From, "from", "", "first day (2026-01-31, in the practice's time zone) or time (RFC 3339) to include")
	export.Flags().StringVar(&filter.To, "to", "", "last day or time to include")
	export.Flags().StringVar(&filter.Client, "client", "", "only entries about this client id")
	export.Flags().StringVar(&format, "format", FormatCSV, "csv or json")
	export.Flags().StringVar(&out, "out", "", "write to this file instead of standard output")

	prune := &cobra.Command{
		Use:          "prune",
		Short:        "Remove entries older than the retention, leaving a checkpoint so the chain still verifies",
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			pruned, err := t.Prune()
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "pruned %d entries older than %s\n", pruned, t.config.Retention)
			return nil
		},
	}

	root.AddCommand(verify, export, prune)
	return root
}

func verifyFile(cmd *cobra.Command, path, format string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	entries, err := ReadEntries(f, format)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := VerifyEntries(entries); err != nil {
		var broken *Broken
		if errors.As(err, &broken) {
			return fmt.Errorf("%s: %w", path, err)
		}
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s: %d entries, each matching its hash\n", path, len(entries))
	return nil
}
