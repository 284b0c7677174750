package backup_test

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/spf13/pflag"

	"portico/hooks"
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

// sync waits until the replica has every committed transaction and file.
func sync(t *testing.T, env *testenv.Env) {
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
			sync(t, env)

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
	sync(t, env)
	between := time.Now().UTC()
	time.Sleep(10 * time.Millisecond) // LTX timestamps are in milliseconds
	env.NewClient("Ben Client", "ben@example.com", false)
	sync(t, env)

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
	sync(t, env)

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
