package backup_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/filesystem"
	"github.com/spf13/pflag"

	"portico/hooks"
	"portico/hooks/backup"
	"portico/internal/testenv"
)

// canary is an address written into the database that must never appear
// in clear in the replica.
const canary = "canary.7f3a9c@harbor.test"

// replica is one kind of place a practice replicates to.
type replica struct {
	name string
	url  string
	read func() map[string][]byte // every object, as the bucket's holder reads it
}

// replicas returns a local path and a real S3 bucket on loopback.
func replicas(t *testing.T) []replica {
	dir := filepath.Join(t.TempDir(), "replica")
	s3 := testenv.StartS3(t)
	s3.SetEnv(t)
	bucket := "practice-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))
	s3.CreateBucket(bucket)
	return []replica{
		{name: "file", url: "file://" + dir, read: func() map[string][]byte { return readTree(t, dir) }},
		{name: "s3", url: s3.ReplicaURL(bucket, "portico"), read: func() map[string][]byte { return s3.Objects(bucket) }},
	}
}

func readTree(t *testing.T, root string) map[string][]byte {
	t.Helper()
	objects := map[string][]byte{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := os.ReadFile(path)
		objects[path] = raw
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return objects
}

func replicatingTo(url string) func(*hooks.Config) {
	return func(c *hooks.Config) { c.Backup.ReplicaURL = url }
}

// syncReplica waits until the replica has every committed transaction and file.
func syncReplica(t *testing.T, env *testenv.Env) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := env.Portal.Backup.Sync(ctx); err != nil {
		t.Fatalf("replicating: %v", err)
	}
}

// run runs a portico command of env's app and returns what it printed.
func run(t *testing.T, env *testenv.Env, args ...string) (string, error) {
	t.Helper()
	command, rest, err := env.App.RootCmd.Find(args)
	if err != nil {
		t.Fatal(err)
	}
	// A command keeps its flags between runs in one process: start afresh.
	command.Flags().VisitAll(func(f *pflag.Flag) {
		f.Value.Set(f.DefValue)
		f.Changed = false
	})
	if err := command.ParseFlags(rest); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	command.SetOut(&out)
	command.SetContext(context.Background())
	err = command.RunE(command, command.Flags().Args())
	return out.String(), err
}

// restoreInto runs `portico restore --to DIR` with extra args and starts
// Portico, replication off, on what came back.
func restoreInto(t *testing.T, env *testenv.Env, args ...string) *testenv.Env {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "restored")
	out, err := run(t, env, append([]string{"restore", "--to", dir}, args...)...)
	if err != nil {
		t.Fatalf("portico restore said: %v\n%s", err, out)
	}
	if !strings.Contains(out, "integrity check passed") {
		t.Errorf("portico restore said %q; want it to report the integrity check", out)
	}
	return testenv.StartOn(t, dir)
}

// TestBucketHoldsOnlyCiphertext replicates a client whose address is a
// canary, reads every byte of the replica as whoever holds the bucket
// would, and finds neither the address nor a readable database there;
// the practice's key still restores the client.
func TestBucketHoldsOnlyCiphertext(t *testing.T) {
	for _, r := range replicas(t) {
		t.Run(r.name, func(t *testing.T) {
			env := testenv.Start(t, replicatingTo(r.url))
			env.NewClient("Canary Client", canary, true)
			syncReplica(t, env)

			objects := r.read()
			if len(objects) == 0 {
				t.Fatal("the replica is empty after a sync")
			}
			for name, content := range objects {
				for _, clear := range []string{canary, "Canary Client", "SQLite format 3"} {
					if bytes.Contains(content, []byte(clear)) {
						t.Errorf("the replica's %s holds %q in clear", name, clear)
					}
				}
			}

			restored := restoreInto(t, env)
			found, err := restored.App.FindAuthRecordByEmail("clients", canary)
			if err != nil || found.GetString("name") != "Canary Client" {
				t.Errorf("the restored data dir has no client %s (%v)", canary, err)
			}
		})
	}
}

// TestRestoreAsOfAnEarlierMoment restores the data dir as it was before a
// client was added, and as it is now.
func TestRestoreAsOfAnEarlierMoment(t *testing.T) {
	env := testenv.Start(t, replicatingTo("file://"+filepath.Join(t.TempDir(), "replica")))
	env.NewClient("Ada Client", "ada@example.com", false)
	syncReplica(t, env)
	between := time.Now().UTC()
	time.Sleep(10 * time.Millisecond) // LTX timestamps are in milliseconds
	env.NewClient("Ben Client", "ben@example.com", false)
	syncReplica(t, env)

	before := restoreInto(t, env, "--at", between.Format(time.RFC3339Nano))
	if before.Count("clients", "") != 1 || before.Count("clients", "email = 'ada@example.com'") != 1 {
		t.Errorf("restored as of %s: %d clients; want Ada alone", between, before.Count("clients", ""))
	}
	now := restoreInto(t, env)
	if now.Count("clients", "") != 2 {
		t.Errorf("restored as of now: %d clients; want Ada and Ben", now.Count("clients", ""))
	}
}

// TestUsedSignInLinkStaysUsedAfterRestore signs a client in, restores, and
// redeems the same link on the restored portal: it must say "used".
func TestUsedSignInLinkStaysUsedAfterRestore(t *testing.T) {
	env := testenv.Start(t, replicatingTo("file://"+filepath.Join(t.TempDir(), "replica")))
	_, invite := env.NewClient("Ada Client", "ada@example.com", true)
	_, token := invite.SignInLink()
	if r := env.Post("/api/portal/redeem", map[string]string{"token": token}); r.Status != 200 {
		t.Fatalf("redeeming the invite: %s", r)
	}
	syncReplica(t, env)

	restored := restoreInto(t, env)
	if r := restored.Post("/api/portal/redeem", map[string]string{"token": token}); r.Status != 410 || r.JSON["reason"] != "used" {
		t.Errorf("redeeming the used invite on the restored portal: %s; want 410 used", r)
	}
}

// TestZipSchedulePausesWhileReplicating keeps PocketBase's scheduled zips,
// which lock writes, off the cron while replication runs, unless the
// operator asks for them.
func TestZipSchedulePausesWhileReplicating(t *testing.T) {
	for _, c := range []struct {
		name      string
		keep      bool
		scheduled bool
	}{
		{"replicating", false, false},
		{"replicating, PORTICO_ZIP_BACKUPS=scheduled", true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			replicaURL := "file://" + filepath.Join(t.TempDir(), "replica")
			env := testenv.Start(t, replicatingTo(replicaURL), func(config *hooks.Config) { config.Backup.ZipSchedule = c.keep })
			settings := env.App.Settings()
			settings.Backups.Cron = "0 2 * * *"
			if err := env.App.Save(settings); err != nil {
				t.Fatal(err)
			}
			if got := hasJob(env.App, "__pbAutoBackup__"); got != c.scheduled {
				t.Errorf("with a nightly zip schedule in the dashboard, the zip job is scheduled: %v; want %v", got, c.scheduled)
			}
		})
	}
}

func hasJob(app core.App, id string) bool {
	for _, job := range app.Cron().Jobs() {
		if job.Id() == id {
			return true
		}
	}
	return false
}

// TestWeeklyDrillMailsTheOwner runs the drill as its cron job would: the
// staff member with the owner role gets the record count and the checks, and, once the replica is
// gone, a mail that says the drill failed.
func TestWeeklyDrillMailsTheOwner(t *testing.T) {
	replicaDir := filepath.Join(t.TempDir(), "replica")
	env := testenv.Start(t, replicatingTo("file://"+replicaDir))
	newSuperuser(t, env, "installer@harbor.test")
	owner := env.NewStaff("owner", nil).Email
	for _, email := range []string{"ada@example.com", "ben@example.com", "cy@example.com"} {
		env.NewClient("Client "+email, email, true)
	}

	report, err := env.Portal.Backup.Drill(context.Background())
	if err != nil || !report.Passed {
		t.Fatalf("the drill failed on a healthy replica: %v", err)
	}
	if report.Records < 3 || report.Tables == 0 {
		t.Errorf("the drill restored %d records in %d tables; want at least the 3 clients", report.Records, report.Tables)
	}
	passed := env.Mail.Next(owner, 10*time.Second)
	if passed.Subject != "Backup drill passed" || !strings.Contains(passed.Text, "Restored ") || !strings.Contains(passed.Text, "checks passed") {
		t.Errorf("the owner's drill mail says %q:\n%s\nwant a pass with the records restored", passed.Subject, passed.Text)
	}
	for _, clear := range []string{"ada@example.com", "Client "} {
		if strings.Contains(passed.Text, clear) {
			t.Errorf("the drill mail names a client (%q): it must hold counts only", clear)
		}
	}

	// The replica is lost (renamed away in one step, as Litestream keeps
	// writing to it).
	if err := os.Rename(replicaDir, replicaDir+".lost"); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Portal.Backup.Drill(context.Background()); err == nil {
		t.Fatal("the drill passed with the replica gone")
	}
	failed := env.Mail.Next(owner, 10*time.Second)
	if !strings.Contains(failed.Subject, "FAILED") || !strings.Contains(failed.Text, "The portal itself is running") {
		t.Errorf("after a failed drill the owner's mail says %q:\n%s\nwant FAILED and that the portal runs on", failed.Subject, failed.Text)
	}
	if out, _ := run(t, env, "backup", "status"); !strings.Contains(out, "last drill   FAILED") {
		t.Errorf("backup status after a failed drill says:\n%s\nwant the failed drill", out)
	}
	if got := len(env.Mail.To("installer@harbor.test")); got != 0 {
		t.Errorf("the superuser got %d drill mails; want them all with the owner", got)
	}
}

func newSuperuser(t *testing.T, env *testenv.Env, email string) {
	t.Helper()
	superusers, err := env.App.FindCollectionByNameOrId(core.CollectionNameSuperusers)
	if err != nil {
		t.Fatal(err)
	}
	owner := core.NewRecord(superusers)
	owner.SetEmail(email)
	owner.SetRandomPassword()
	if err := env.App.Save(owner); err != nil {
		t.Fatal(err)
	}
}

// TestUploadedFilesAreRestored uploads a file whose name and bytes hold the
// canary, finds neither in the replica, and gets the same bytes back at
// the same place after a restore.
func TestUploadedFilesAreRestored(t *testing.T) {
	replicaDir := filepath.Join(t.TempDir(), "replica")
	env := testenv.Start(t, replicatingTo("file://"+replicaDir))
	documents := core.NewBaseCollection("test_documents")
	documents.Fields.Add(&core.FileField{Name: "scan", MaxSelect: 1, MaxSize: 1 << 20})
	if err := env.App.Save(documents); err != nil {
		t.Fatal(err)
	}
	content := []byte("%PDF-1.4 intake form of " + canary)
	upload, err := filesystem.NewFileFromBytes(content, "intake-"+canary+".pdf")
	if err != nil {
		t.Fatal(err)
	}
	document := core.NewRecord(documents)
	document.Set("scan", upload)
	if err := env.App.Save(document); err != nil {
		t.Fatal(err)
	}
	syncReplica(t, env)

	for name, object := range readTree(t, replicaDir) {
		for _, clear := range [][]byte{[]byte(canary), []byte("canary_7f3a9c"), content} {
			if bytes.Contains(object, clear) || strings.Contains(name, "canary") {
				t.Errorf("the replica's %s shows the uploaded file's name or bytes in clear", name)
			}
		}
	}
	// PocketBase keeps each file's content type in a sidecar: two objects.
	if out, _ := run(t, env, "backup", "status"); !strings.Contains(out, "2 uploaded files copied") {
		t.Errorf("backup status says:\n%s\nwant the uploaded file and its attributes copied", out)
	}

	restored := restoreInto(t, env)
	key := document.BaseFilesPath() + "/" + document.GetString("scan")
	fsys, err := restored.App.NewFilesystem()
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	reader, err := fsys.GetReader(key)
	if err != nil {
		t.Fatalf("the restored portal has no uploaded file %s: %v", key, err)
	}
	defer reader.Close()
	got, _ := io.ReadAll(reader)
	if !bytes.Equal(got, content) {
		t.Errorf("the restored file holds %q; want %q", got, content)
	}
}

// TestKeyCommandShowsOnlyTheFingerprint: `portico backup key` names the key
// and where it lives, never the secret.
func TestKeyCommandShowsOnlyTheFingerprint(t *testing.T) {
	env := testenv.Start(t, replicatingTo("file://"+filepath.Join(t.TempDir(), "replica")))
	syncReplica(t, env) // serve makes the key when replication starts, in the background
	out, err := run(t, env, "backup", "key")
	if err != nil {
		t.Fatalf("portico backup key: %v", err)
	}
	keyFile := filepath.Join(filepath.Dir(env.Dir), "portico-backup.key")
	secret, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatalf("serve made no key beside the data dir: %v", err)
	}
	if strings.Contains(out, "AGE-SECRET-KEY") || !strings.Contains(out, "fingerprint") || !strings.Contains(out, keyFile) {
		t.Errorf("portico backup key printed:\n%s\nwant the fingerprint and %s, never the secret", out, keyFile)
	}
	if info, _ := os.Stat(keyFile); info.Mode().Perm() != 0o600 {
		t.Errorf("the key file is mode %v; want 0600", info.Mode().Perm())
	}
	if !bytes.Contains(secret, []byte("AGE-SECRET-KEY-1")) {
		t.Errorf("the key file does not hold an age identity:\n%s", secret)
	}
}

// TestBadBackupSettingsSayWhatIsWrong: each wrong variable stops the
// command with one line naming it, before anything is written.
func TestBadBackupSettingsSayWhatIsWrong(t *testing.T) {
	for _, c := range []struct{ name, value, want string }{
		{"PORTICO_REPLICA_URL", "ftp://example.com/backups", "want s3://bucket/path or file:///path"},
		{"PORTICO_BACKUP_DRILL", "every sunday", "want a cron expression"},
		{"PORTICO_ZIP_BACKUPS", "yes", "want scheduled"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(c.name, c.value)
			_, err := backup.ConfigFromEnv()
			if err == nil || !strings.Contains(err.Error(), c.name) || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("%s=%q: error %v; want one line naming it and saying %q", c.name, c.value, err, c.want)
			}
		})
	}
}

// TestNewReplicaForAnOldDataDirGetsEverything: pointing a portal that
// replicated before at a new, empty replica (a new bucket) gives that
// replica every transaction. Litestream's local state from the first
// replica names level-0 files it has since pruned, and replication used
// to stall on the first of them ("monitor error: open ltx file … no such
// file or directory") with nothing sent.
func TestNewReplicaForAnOldDataDirGetsEverything(t *testing.T) {
	root := t.TempDir()
	env := testenv.Start(t, replicatingTo("file://"+filepath.Join(root, "first")))
	for _, name := range []string{"ada", "cy", "dee"} {
		env.NewClient(name, name+"@example.com", true)
		syncReplica(t, env) // a level-0 file each
	}
	env.Stop()
	// What Litestream leaves once it has compacted the first transactions.
	first := filepath.Join(env.Dir, ".data.db-litestream", "ltx", "0", "0000000000000001-0000000000000001.ltx")
	if err := os.Remove(first); err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}

	moved := testenv.StartOn(t, env.Dir, replicatingTo("file://"+filepath.Join(root, "second")))
	moved.NewClient("Bea Client", "bea@example.com", true)
	syncReplica(t, moved)
	restored := restoreInto(t, moved)
	for _, email := range []string{"ada@example.com", "dee@example.com", "bea@example.com"} {
		if _, err := restored.App.FindAuthRecordByEmail("clients", email); err != nil {
			t.Errorf("the new replica's restore has no client %s: %v", email, err)
		}
	}
}

// TestReplicationErrorsReachTheLogs replicates to a directory, then puts
// a file where the directory was, so that every sync fails: Litestream's
// error, with how long it waits before trying again (a time.Duration),
// is in the dashboard's logs, where an operator looks first, and the last
// sync that cannot succeed does not hold the shutdown past 10 seconds.
func TestReplicationErrorsReachTheLogs(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "replica")
	env := testenv.Start(t, replicatingTo("file://"+dir))
	syncReplica(t, env)

	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, []byte("not a directory"), 0o600); err != nil {
		t.Fatal(err)
	}
	env.NewClient("Ada Client", "ada@example.com", true) // a change to replicate
	env.Logged("Litestream's replication error", `%"backoff":%`, 1)

	began := time.Now()
	env.Stop()
	if took := time.Since(began); took > 10*time.Second {
		t.Errorf("stopping took %s while the replica could not be written; Docker and systemd kill Portico after 10s", took.Round(time.Second))
	}
}
