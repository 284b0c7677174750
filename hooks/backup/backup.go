// Package backup keeps a continuous, encrypted copy of the practice's data
// off the machine, and proves every week that it restores.
//
// Litestream, embedded as a library, streams every transaction of data.db
// to the replica named by PORTICO_REPLICA_URL (an S3-compatible bucket or a
// local or mounted path) within about a second; uploaded files follow
// within half a minute. Everything written there is sealed with the
// practice's own age key first, so whoever holds the bucket holds only
// ciphertext. `portico restore` brings a data dir back as of any moment
// the replica still covers, and a weekly drill inside serve restores into a
// scratch folder, checks it and mails the owner what it found.
//
// Replication never stops the portal: its errors are logged and kept for
// `portico backup status`, and the portal serves on.
package backup

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/benbjohnson/litestream"
	_ "github.com/benbjohnson/litestream/file" // file:// replicas
	_ "github.com/benbjohnson/litestream/s3"   // s3:// replicas
	"github.com/pocketbase/pocketbase/tools/cron"
)

// Config is what an operator sets to turn replication on.
type Config struct {
	// ReplicaURL is where the copy goes: s3://bucket/path?endpoint=... or
	// file:///path. Empty turns replication off.
	ReplicaURL string

	// KeyFile holds the practice's age identity. Empty means
	// portico-backup.key among systemd's credentials when the unit loads
	// it (LoadCredential=), else beside the data dir: outside it either
	// way, so zip backups, copies of the data dir and a restore over it
	// never carry the key that opens the replica.
	KeyFile string

	// ZipSchedule keeps PocketBase's scheduled zip backups running beside
	// replication; by default they stop, as each one locks writes.
	ZipSchedule bool

	// SyncInterval is how often changes are sent; it bounds the data a
	// lost disk can lose. Zero means one second.
	SyncInterval time.Duration

	// FilesInterval is how often uploaded files are looked for. Zero means
	// 30 seconds.
	FilesInterval time.Duration

	// DrillSchedule is the cron expression (UTC) of the restore drill.
	// Empty means Sundays at 03:00.
	DrillSchedule string

	// Now is the clock of the drill's report.
	Now func() time.Time
}

// KeyFileName is the key's file name beside the data dir.
const KeyFileName = "portico-backup.key"

// ConfigFromEnv reads PORTICO_REPLICA_URL, PORTICO_BACKUP_KEY_FILE,
// PORTICO_ZIP_BACKUPS and PORTICO_BACKUP_DRILL.
func ConfigFromEnv() (Config, error) {
	cfg := Config{
		ReplicaURL:    os.Getenv("PORTICO_REPLICA_URL"),
		KeyFile:       os.Getenv("PORTICO_BACKUP_KEY_FILE"),
		DrillSchedule: os.Getenv("PORTICO_BACKUP_DRILL"),
	}
	switch zip := os.Getenv("PORTICO_ZIP_BACKUPS"); zip {
	case "", "off":
	case "scheduled":
		cfg.ZipSchedule = true
	default:
		return cfg, fmt.Errorf("PORTICO_ZIP_BACKUPS=%q: want scheduled (keep the dashboard's schedule beside replication) or off", zip)
	}
	if cfg.DrillSchedule != "" {
		if _, err := cron.NewSchedule(cfg.DrillSchedule); err != nil {
			return cfg, fmt.Errorf("PORTICO_BACKUP_DRILL=%q: want a cron expression in UTC such as \"0 3 * * 0\" (Sundays 03:00): %w", cfg.DrillSchedule, err)
		}
	}
	if cfg.ReplicaURL != "" {
		if _, err := replicaClient(cfg.ReplicaURL); err != nil {
			return cfg, fmt.Errorf("PORTICO_REPLICA_URL: %w", err)
		}
	}
	return cfg, nil
}

// withDefaults fills what the operator left unset.
func (cfg Config) withDefaults() Config {
	cfg.SyncInterval = cmp.Or(cfg.SyncInterval, litestream.DefaultSyncInterval)
	cfg.FilesInterval = cmp.Or(cfg.FilesInterval, 30*time.Second)
	cfg.DrillSchedule = cmp.Or(cfg.DrillSchedule, "0 3 * * 0")
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return cfg
}

// keyPath is where the key of the data dir dataDir lives.
func (cfg Config) keyPath(dataDir string) string {
	if cfg.KeyFile != "" {
		return cfg.KeyFile
	}
	if credentials := os.Getenv("CREDENTIALS_DIRECTORY"); credentials != "" {
		if path := filepath.Join(credentials, KeyFileName); fileExists(path) {
			return path
		}
	}
	return filepath.Join(filepath.Dir(filepath.Clean(dataDir)), KeyFileName)
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// replicaClient is Litestream's client for the replica URL, unsealed.
func replicaClient(raw string) (litestream.ReplicaClient, error) {
	scheme := litestream.ReplicaTypeFromURL(raw)
	if scheme != "s3" && scheme != "file" {
		return nil, fmt.Errorf("%s: want s3://bucket/path or file:///path", redact(raw))
	}
	client, err := litestream.NewReplicaClientFromURL(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", redact(raw), err)
	}
	return client, nil
}

// redact drops credentials from a replica URL before it is logged or shown.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "the replica URL"
	}
	u.User = nil
	q := u.Query()
	for name := range q {
		if n := strings.ToLower(name); strings.Contains(n, "secret") || strings.Contains(n, "key") || strings.Contains(n, "token") {
			q.Set(name, "REDACTED")
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// errOff is the answer of every backup command while replication is off.
var errOff = errors.New("replication is off: set PORTICO_REPLICA_URL (see docs/backups.md)")
