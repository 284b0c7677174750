package audit_test

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"portico/hooks/audit"
	"portico/hooks/schema"
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
			return []string{fmt.Sprintf("UPDATE audit_entries SET actor_name = 'Someone else' WHERE id = '%s'", e[2].Id)}
		}, func(e []audit.Entry) audit.Entry { return e[2] }, "does not match its hash"},
		{"a deleted row", func(e []audit.Entry) []string {
			return []string{fmt.Sprintf("DELETE FROM audit_entries WHERE id = '%s'", e[1].Id)}
		}, func(e []audit.Entry) audit.Entry { return e[2] }, "entries #2 to #2 are missing"},
		// The chain's order is the table's rowid order: renumbering two
		// entries breaks the first of them in that order, and moving a row
		// to the end leaves a gap where it was.
		{"two rows renumbered", func(e []audit.Entry) []string {
			return []string{
				fmt.Sprintf("UPDATE audit_entries SET seq = 4 WHERE id = '%s'", e[2].Id),
				fmt.Sprintf("UPDATE audit_entries SET seq = 3 WHERE id = '%s'", e[3].Id),
			}
		}, func(e []audit.Entry) audit.Entry { return audit.Entry{Seq: 4, Id: e[2].Id} }, "does not match its hash"},
		{"a row moved to the end", func(e []audit.Entry) []string {
			return []string{fmt.Sprintf("UPDATE audit_entries SET rowid = (SELECT MAX(rowid) + 1 FROM audit_entries) WHERE id = '%s'", e[1].Id)}
		}, func(e []audit.Entry) audit.Entry { return e[2] }, "entries #2 to #2 are missing"},
		{"the first rows removed", func(e []audit.Entry) []string {
			return []string{"DELETE FROM audit_entries WHERE seq <= 2"}
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

// TestAuditCommandsWorkOnADataDirServeNeverOpened: verify and export
// make the data dir's tables first, as the other commands do, instead of
// failing on "no such table".
func TestAuditCommandsWorkOnADataDirServeNeverOpened(t *testing.T) {
	binary := testenv.BuildPortico(t)
	dir := t.TempDir()
	if out, code := testenv.RunPortico(t, binary, dir, "audit", "verify"); code != 0 || !strings.Contains(out, "audit log intact: no entries yet") {
		t.Fatalf("verify on a new data dir exited %d:\n%s\nwant 0 and an empty, intact log", code, out)
	}
	out, code := testenv.RunPortico(t, binary, dir, "audit", "export", "--from", "2026-01-01", "--to", "2026-12-31")
	if code != 0 || !strings.HasPrefix(out, "id,seq,at,") {
		t.Fatalf("export on a new data dir exited %d:\n%s\nwant 0 and a CSV", code, out)
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

// TestCSVExportCannotCarryAFormula sends user agents a spreadsheet would
// run as formulas, exports the trail as the owner and opens it as a
// spreadsheet would: every such cell must read as text, and the export
// must still check against its hashes.
func TestCSVExportCannotCarryAFormula(t *testing.T) {
	env := testenv.Start(t)
	ada, token := clientSeenByAdmin(t, env)
	agents := []string{`=HYPERLINK("http://evil.example","click")`, "+1+1", "-2+3", "@SUM(A1:A9)", "'=already marked"}
	for _, agent := range agents {
		if r := env.Do(http.MethodGet, "/api/collections/clients/records/"+ada.Id, nil, "Authorization", token, "User-Agent", agent); r.Status != http.StatusOK {
			t.Fatalf("opening Ada's page as %q: %s", agent, r)
		}
	}
	r := env.Do(http.MethodGet, "/api/audit/export?format=csv&client="+ada.Id, nil, "Authorization", token)
	if r.Status != http.StatusOK {
		t.Fatalf("exporting Ada's trail: %s", r)
	}
	written := string(r.Body)

	// Tabs and carriage returns cannot come in a header; an entry can still hold them.
	tabbed := audit.Entry{Seq: 1, At: "2026-12-01 10:00:00.000Z", ActorName: "\tLee", Detail: "\r=1+1", Shown: "[]", Fields: "[]"}
	tabbed.Hash = tabbed.ContentHash()
	var direct strings.Builder
	if err := audit.WriteEntries(&direct, audit.FormatCSV, []audit.Entry{tabbed}); err != nil {
		t.Fatal(err)
	}

	for _, export := range []string{written, direct.String()} {
		rows, err := csv.NewReader(strings.NewReader(export)).ReadAll()
		if err != nil {
			t.Fatalf("the export is not CSV: %v", err)
		}
		for _, row := range rows[1:] {
			for _, cell := range row {
				if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
					t.Errorf("a spreadsheet opening the export would run the cell %q as a formula", cell)
				}
			}
		}
		entries, err := audit.ReadEntries(strings.NewReader(export), audit.FormatCSV)
		if err != nil {
			t.Fatalf("reading the export back: %v", err)
		}
		if err := audit.VerifyEntries(entries); err != nil {
			t.Errorf("the neutralised export does not check against its hashes: %v", err)
		}
	}
	entries, _ := audit.ReadEntries(strings.NewReader(written), audit.FormatCSV)
	var read []string
	for _, entry := range entries {
		if entry.Action == audit.ActionView {
			read = append(read, entry.UserAgent)
		}
	}
	if !slices.Equal(read[1:], agents) {
		t.Errorf("the export reads back the user agents %q; want exactly %q", read[1:], agents)
	}
}

// TestCommandsAndJobsAreRecordedAsTheSystem runs the built binary's
// commands on a stopped Portico's data dir, as an operator would over
// SSH: each run is one entry by the system named after the command, each
// record it changes one more, and nothing it was given (a password) is
// kept. A scheduled job's run that wrote is on the trail too.
func TestCommandsAndJobsAreRecordedAsTheSystem(t *testing.T) {
	binary := testenv.BuildPortico(t)
	env := testenv.Start(t)
	env.Stop()

	// The first command on a data dir serve never opened sets it up, log included.
	fresh := filepath.Join(t.TempDir(), "pb_data")
	if out, code := testenv.RunPortico(t, binary, fresh, "superuser", "upsert", "first@harbor.test", "a first long password"); code != 0 {
		t.Fatalf("the first superuser on a new data dir: exited %d:\n%s", code, out)
	}
	if out, code := testenv.RunPortico(t, binary, fresh, "audit", "verify"); code != 0 || !strings.Contains(out, "2 entries") {
		t.Errorf("after the first superuser, audit verify exited %d:\n%s\nwant the superuser's creation and the command on the trail", code, out)
	}

	runs := []struct {
		args    []string
		command string
	}{
		{[]string{"invite", "new@example.com", "--name", "New Client"}, "portico invite"},
		{[]string{"staff", "add", "lee@harbor.test", "--role", "owner", "--name", "Dr. Lee"}, "portico staff add"},
		{[]string{"staff", "unlock", "lee@harbor.test"}, "portico staff unlock"},
		{[]string{"reminders", "run"}, "portico reminders run"},
		{[]string{"retention", "run"}, "portico retention run"},
		{[]string{"superuser", "upsert", "admin@harbor.test", "a secret password 1"}, "portico superuser upsert"},
		{[]string{"staff", "unlock", "nobody@harbor.test"}, "portico staff unlock"},
	}
	for _, run := range runs {
		out, code := testenv.RunPortico(t, binary, env.Dir, run.args...)
		if code != 0 && run.args[len(run.args)-1] != "nobody@harbor.test" {
			t.Fatalf("portico %v exited %d:\n%s", run.args, code, out)
		}
	}
	env.Restart()
	entries := env.AuditEntries()
	var commands []string
	for _, entry := range entries {
		if entry.ActorType != audit.ActorSystem {
			t.Errorf("a command recorded %+v; want the system as its actor", entry)
		}
		if entry.Action == audit.ActionCommand {
			commands = append(commands, entry.ActorName)
		}
		if strings.Contains(entry.Detail, "a secret password") {
			t.Errorf("the trail keeps the password given to superuser upsert: %+v", entry)
		}
	}
	want := make([]string, len(runs))
	for i, run := range runs {
		want[i] = run.command
	}
	if !slices.Equal(commands, want) {
		t.Errorf("the commands on the trail are %q; want one entry per run: %q", commands, want)
	}
	last := entries[len(entries)-1]
	if last.Action != audit.ActionCommand || !strings.HasPrefix(last.Detail, "failed: no staff member has the address nobody@harbor.test") {
		t.Errorf("the failed unlock recorded %+v; want its failure", last)
	}

	client, err := env.App.FindAuthRecordByEmail("clients", "new@example.com")
	if err != nil {
		t.Fatal(err)
	}
	created := env.AuditEntriesFor(audit.ActionCreate, client.Id)
	if len(created) != 1 || created[0].ActorName != "portico invite" || !strings.Contains(created[0].Fields, `"portal_access"`) {
		t.Errorf("portico invite --name recorded %+v; want one create of the client by portico invite, naming its fields", created)
	}
	staff := 0
	for _, entry := range env.AuditEntriesFor(audit.ActionCreate, "") {
		if entry.RecordCollection == "staff" && entry.ActorName == "portico staff add" {
			staff++
		}
	}
	if staff != 1 {
		t.Errorf("portico staff add recorded %d creates of a staff member; want 1", staff)
	}
	if _, err := audit.Verify(env.App); err != nil {
		t.Errorf("after the commands: %v", err)
	}

	// The server's reminder job, run as its schedule runs it, with a reminder due.
	ada, _ := env.NewClient("Ada Client", "ada@example.com", true)
	env.Book(ada, env.NewClinician(), env.Clock.Now().Add(24*time.Hour), schema.KindInPerson)
	before := len(env.AuditEntriesFor(audit.ActionJob, ""))
	for _, job := range env.App.Cron().Jobs() {
		if job.Id() == "portico_reminders" {
			job.Run()
		}
	}
	jobs := env.AuditEntriesFor(audit.ActionJob, "")
	if len(jobs) <= before || jobs[len(jobs)-1].ActorName != "scheduled job portico_reminders" {
		t.Errorf("a reminder sweep that queued a reminder left the job entries %+v; want its run on the trail", jobs)
	}
}

// TestCommandsBesideServeKeepTheChainALine runs the built binary's
// commands on the data dir of a serving Portico while staff open a
// client's page, 8 at a time, until the last command is done: each
// process appends after the tip it reads inside its own write, so the
// chain stays one line, with every view and every command on it.
func TestCommandsBesideServeKeepTheChainALine(t *testing.T) {
	binary := testenv.BuildPortico(t)
	env := testenv.Start(t)
	ada, token := clientSeenByAdmin(t, env)
	const workers, commands = 8, 3
	done := make(chan struct{})
	var viewed atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				viewClient(t, env, token, ada.Id)
				viewed.Add(1)
			}
		})
	}
	for i := range commands {
		out, code := testenv.RunPortico(t, binary, env.Dir, "invite", fmt.Sprintf("new%d@example.com", i), "--name", fmt.Sprintf("New Client %d", i))
		if code != 0 {
			close(done)
			wg.Wait()
			t.Fatalf("portico invite beside serve exited %d:\n%s", code, out)
		}
	}
	close(done)
	wg.Wait()
	t.Logf("%d views beside %d commands", viewed.Load(), commands)
	summary, err := audit.Verify(env.App)
	if err != nil {
		t.Fatalf("after %d views and %d commands beside them: %v", viewed.Load(), commands, err)
	}
	views, invited := len(env.AuditEntriesFor(audit.ActionView, ada.Id)), len(env.AuditEntriesFor(audit.ActionCommand, ""))
	if int64(views) != viewed.Load()+1 || invited != commands || summary.TipSeq != summary.Entries {
		t.Errorf("the chain holds %d entries up to #%d, %d views of Ada and %d commands; want one line with %d views and %d commands",
			summary.Entries, summary.TipSeq, views, invited, viewed.Load()+1, commands)
	}
}
