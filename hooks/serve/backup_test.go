package serve_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/archive"

	"portico/internal/testenv"
)

// TestBackupRestoresClientsAndTokens makes a backup with PocketBase's own
// backups, restores it into a fresh data dir as the dashboard's Restore
// does (unzip over pb_data), and finds the practice's data there.
func TestBackupRestoresClientsAndTokens(t *testing.T) {
	env := testenv.Start(t)
	client, _ := env.NewClient("Ada Client", "ada@example.com", true)
	tokens := env.Count("login_tokens", "client = '"+client.Id+"'")
	if tokens == 0 {
		t.Fatal("inviting Ada left no login token to back up")
	}
	certificates := filepath.Join(env.Dir, ".certmagic")
	if err := os.MkdirAll(certificates, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(certificates, "site.key"), []byte("private key"), 0o600); err != nil {
		t.Fatal(err)
	}

	if err := env.App.CreateBackup(context.Background(), "practice.zip"); err != nil {
		t.Fatalf("creating the backup: %v", err)
	}
	restored := t.TempDir()
	if err := archive.Extract(filepath.Join(env.Dir, core.LocalBackupsDirName, "practice.zip"), restored); err != nil {
		t.Fatalf("unzipping the backup: %v", err)
	}

	app := testenv.OpenDir(t, restored)

	found, err := app.FindAuthRecordByEmail("clients", "ada@example.com")
	if err != nil {
		t.Fatalf("the restored data dir has no client ada@example.com: %v", err)
	}
	if found.GetString("name") != "Ada Client" || !found.GetBool("portal_access") {
		t.Errorf("restored client is %q with portal access %v; want Ada Client with access", found.GetString("name"), found.GetBool("portal_access"))
	}
	restoredTokens, err := app.FindAllRecords("login_tokens")
	if err != nil || len(restoredTokens) != tokens {
		t.Errorf("restored data dir has %d login tokens (%v); want %d", len(restoredTokens), err, tokens)
	}
	if _, err := os.Stat(filepath.Join(restored, ".certmagic")); !os.IsNotExist(err) {
		t.Errorf("the backup carries the TLS private keys in .certmagic; want them left out like PocketBase's autocert cache")
	}
}
