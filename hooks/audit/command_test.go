package audit_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"portico/hooks/audit"
	"portico/internal/testenv"
)

// trailOnDisk leaves a stopped Portico whose log holds five views of
// Ada's client page and returns it with its entries.
func trailOnDisk(t *testing.T) (*testenv.Env, []audit.Entry) {
	t.Helper()
	env := testenv.Start(t)
	ada, token := clientSeenByAdmin(t, env)
	for range 4 {
		viewClient(t, env, token, ada.Id)
	}
	entries := env.AuditEntries()
	env.Stop()
	return env, entries
}

// TestVerifyNamesTheEntryEditedOnDisk edits, deletes and reorders rows
// with SQL on the data file, as someone with sqlite3 and a shell could,
// and runs the built binary's `portico audit verify`.
func TestVerifyNamesTheEntryEditedOnDisk(t *testing.T) {
	binary := testenv.BuildPortico(t)

	t.Run("untouched", func(t *testing.T) {
		env, entries := trailOnDisk(t)
		out, code := testenv.RunPortico(t, binary, env.Dir, "audit", "verify")
		if code != 0 || !strings.Contains(out, "intact: 5 entries") || !strings.Contains(out, entries[4].Hash) {
			t.Fatalf("verify of an untouched log exited %d:\n%s\nwant 0, 5 entries and the tip hash", code, out)
		}
	})

	tampering := []struct {
		name   string
		edit   func(entries []audit.Entry) []string
		broken func(entries []audit.Entry) audit.Entry
		reason string
	}{
		{"an edited row", func(e []audit.Entry) []string {
			return []string{fmt.Sprintf("UPDATE audit_log SET actor_name = 'Someone else' WHERE id = '%s'", e[2].Id)}
		}, func(e []audit.Entry) audit.Entry { return e[2] }, "does not match its hash"},
		{"a deleted row", func(e []audit.Entry) []string {
			return []string{fmt.Sprintf("DELETE FROM audit_log WHERE id = '%s'", e[1].Id)}
		}, func(e []audit.Entry) audit.Entry { return e[2] }, "entries #2 to #2 are missing"},
		{"two rows swapped", func(e []audit.Entry) []string {
			return []string{
				fmt.Sprintf("UPDATE audit_log SET seq = -1 WHERE id = '%s'", e[3].Id),
				fmt.Sprintf("UPDATE audit_log SET seq = 4 WHERE id = '%s'", e[2].Id),
				fmt.Sprintf("UPDATE audit_log SET seq = 3 WHERE id = '%s'", e[3].Id),
			}
		}, func(e []audit.Entry) audit.Entry { return audit.Entry{Seq: 3, Id: e[3].Id} }, "does not match its hash"},
		{"the first rows removed", func(e []audit.Entry) []string {
			return []string{"DELETE FROM audit_log WHERE seq <= 2"}
		}, func(e []audit.Entry) audit.Entry { return e[2] }, "removed without a checkpoint"},
	}
	for _, tamper := range tampering {
		t.Run(tamper.name, func(t *testing.T) {
			env, entries := trailOnDisk(t)
			env.EditDatabase(tamper.edit(entries)...)
			out, code := testenv.RunPortico(t, binary, env.Dir, "audit", "verify")
			broken := tamper.broken(entries)
			name := fmt.Sprintf("entry #%d (id %s)", broken.Seq, broken.Id)
			if code == 0 || !strings.Contains(out, name) || !strings.Contains(out, tamper.reason) {
				t.Fatalf("verify after %s exited %d:\n%s\nwant non-zero naming %s: %s", tamper.name, code, out, name, tamper.reason)
			}
		})
	}
}

func TestExportRoundTrips(t *testing.T) {
	binary := testenv.BuildPortico(t)
	env := testenv.Start(t)
	ada, token := clientSeenByAdmin(t, env)
	bob, _ := env.NewClient("Bob Client", "bob@example.com", true)
	viewClient(t, env, token, bob.Id)
	viewClient(t, env, token, ada.Id)
	stored := env.AuditEntries()
	env.Stop()
	today := env.Clock.Now().UTC().Format("2006-01-02")

	for _, format := range []string{audit.FormatCSV, audit.FormatJSON} {
		t.Run(format, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "trail."+format)
			out, code := testenv.RunPortico(t, binary, env.Dir, "audit", "export", "--from", today, "--to", today,
				"--client", ada.Id, "--format", format, "--out", file)
			if code != 0 {
				t.Fatalf("export exited %d:\n%s", code, out)
			}
			raw, err := os.Open(file)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			exported, err := audit.ReadEntries(raw, format)
			if err != nil {
				t.Fatalf("reading the export back: %v", err)
			}
			// Ada's views as stored, then the exports before this one (of her trail too).
			want := slices.DeleteFunc(slices.Clone(stored), func(e audit.Entry) bool { return e.Client != ada.Id })
			earlier := exported[min(len(want), len(exported)):]
			if !slices.Equal(exported[:len(exported)-len(earlier)], want) ||
				slices.ContainsFunc(earlier, func(e audit.Entry) bool { return e.Action != audit.ActionExport }) {
				t.Fatalf("the %s export holds %+v; want Ada's entries exactly as stored: %+v", format, exported, want)
			}
			if err := audit.VerifyEntries(exported); err != nil {
				t.Errorf("the export does not check against its own hashes: %v", err)
			}
			out, code = testenv.RunPortico(t, binary, env.Dir, "audit", "verify", "--file", file, "--format", format)
			if code != 0 || !strings.Contains(out, fmt.Sprintf("%d entries, each matching its hash", len(exported))) {
				t.Errorf("verify --file exited %d:\n%s", code, out)
			}
		})
	}

	// The exports are themselves on record, and the chain still holds.
	env.Restart()
	if n := len(env.AuditEntriesFor(audit.ActionExport, ada.Id)); n != 2 {
		t.Errorf("the log holds %d exports of Ada's trail; want 2", n)
	}
	if _, err := audit.Verify(env.App); err != nil {
		t.Errorf("after the exports: %v", err)
	}
	if out, code := testenv.RunPortico(t, binary, env.Dir, "audit", "export", "--from", "yesterday"); code == 0 || !strings.Contains(out, `"yesterday" is not a date`) {
		t.Errorf("export --from yesterday exited %d:\n%s\nwant one line saying it is not a date", code, out)
	}
}
