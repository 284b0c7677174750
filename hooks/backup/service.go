package backup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/benbjohnson/litestream"
	"github.com/pocketbase/pocketbase"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/routine"

	"portico/hooks/outbox"
)

const (
	// statusFileName is where serve leaves the replication state for
	// `portico backup status`, in the data dir.
	statusFileName = "backup_status.json"

	// drillDirName is the drill's scratch folder in the data dir: on the
	// same disk as the data, so a restore that fits there fits at all.
	drillDirName = ".backup-drill"

	// snapshotRetention is how far back a point-in-time restore reaches.
	snapshotRetention = 7 * 24 * time.Hour

	// pocketBaseZipJob is the cron job of PocketBase's scheduled backups.
	pocketBaseZipJob = "__pbAutoBackup__"

	// pocketBaseOptimizeJob is PocketBase's nightly job that runs a
	// TRUNCATE checkpoint of data.db and auxiliary.db, then PRAGMA
	// optimize. While replicating, optimizeJob stands in for it.
	pocketBaseOptimizeJob = "__pbDBOptimize__"
	optimizeJob           = "portico_db_optimize"

	// retryEvery is how often serve tries again to start replication
	// that could not start (replica unreachable, key missing).
	retryEvery = time.Minute

	drillJob    = "portico_backup_drill"
	statusEvery = 5 * time.Second
	// closeTimeout bounds the last sync at shutdown, which Litestream
	// retries until it succeeds: a replica that cannot be reached must not
	// hold a SIGTERM past the 10 seconds Docker and systemd give; what it
	// could not send goes at the next start.
	closeTimeout  = 4 * time.Second
	databaseFile  = "data.db"
	storageSubdir = "storage"
)

// Service is replication on one data dir.
type Service struct {
	app  core.App
	cfg  Config
	mail *outbox.Outbox

	mu        sync.Mutex
	key       *key
	client    *sealedClient
	files     *fileCopier
	store     *litestream.Store
	db        *litestream.DB
	problem   problem
	lastDrill *DrillReport
	stopped   bool

	ready chan struct{} // closed once replication has started, or failed to
	stop  chan struct{}
	done  chan struct{}
}

// problem is the last thing that went wrong with replication.
type problem struct {
	At      time.Time `json:"at,omitzero"`
	Message string    `json:"message,omitempty"`
}

// Register gives app the backup and restore commands and, when cfg names a
// replica, replication and the weekly drill inside serve. Drill reports go
// to the owner through mail.
func Register(app *pocketbase.PocketBase, cfg Config, mail *outbox.Outbox) *Service {
	s := &Service{app: app, cfg: cfg.withDefaults(), mail: mail}
	app.RootCmd.AddCommand(s.backupCommand(), s.restoreCommand())
	s.registerOwnerView()
	if s.cfg.ReplicaURL == "" {
		return s
	}

	// Litestream owns data.db's checkpoints (hooks.ReplicatedDSN turns
	// SQLite's automatic ones off): PocketBase's nightly TRUNCATE
	// checkpoint would hold the writer for the busy timeout waiting on
	// Litestream's read transaction, so it makes way for optimizeJob.
	app.Cron().Remove(pocketBaseOptimizeJob)
	app.Cron().MustAdd(optimizeJob, "0 0 * * *", s.optimize)

	if !s.cfg.ZipSchedule {
		// Outermost, so PocketBase has added its job by the time this runs.
		app.OnBootstrap().Bind(&hook.Handler[*core.BootstrapEvent]{Priority: -1000, Func: func(e *core.BootstrapEvent) error {
			if err := e.Next(); err != nil {
				return err
			}
			s.stopZipSchedule()
			return nil
		}})
		app.OnSettingsReload().Bind(&hook.Handler[*core.SettingsReloadEvent]{Priority: -1000, Func: func(e *core.SettingsReloadEvent) error {
			if err := e.Next(); err != nil {
				return err
			}
			s.stopZipSchedule()
			return nil
		}})
	}
	app.OnBackupCreate().BindFunc(func(e *core.BackupEvent) error {
		e.Exclude = append(e.Exclude, "."+databaseFile+litestream.MetaDirSuffix, drillDirName, statusFileName)
		return e.Next()
	})

	app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		if err := e.Next(); err != nil {
			return err
		}
		s.start()
		e.App.Cron().MustAdd(drillJob, s.cfg.DrillSchedule, func() {
			if _, err := s.Drill(context.Background()); err != nil {
				s.app.Logger().Error("backup drill failed", "error", err)
			}
		})
		return nil
	})
	app.OnTerminate().BindFunc(func(e *core.TerminateEvent) error {
		s.close()
		return e.Next()
	})
	return s
}

// stopZipSchedule takes PocketBase's zip schedule off the cron: each zip
// holds the write lock for as long as it takes (minutes on gigabytes), and
// the replica already has every transaction. The dashboard's "New backup"
// still makes one when the owner asks.
func (s *Service) stopZipSchedule() {
	if s.app.Settings().Backups.Cron == "" {
		return
	}
	s.app.Cron().Remove(pocketBaseZipJob)
	s.app.Logger().Info("scheduled zip backups are off while replication runs; set PORTICO_ZIP_BACKUPS=scheduled to keep them")
}

// optimize is PocketBase's nightly database upkeep without the checkpoint
// of data.db, which Litestream makes: auxiliary.db (the request log, not
// replicated) is still checkpointed and truncated.
func (s *Service) optimize() {
	if _, err := s.app.AuxNonconcurrentDB().NewQuery("PRAGMA wal_checkpoint(TRUNCATE)").Execute(); err != nil {
		s.app.Logger().Warn("checkpointing auxiliary.db", "error", err)
	}
	if _, err := s.app.NonconcurrentDB().NewQuery("PRAGMA optimize").Execute(); err != nil {
		s.app.Logger().Warn("PRAGMA optimize", "error", err)
	}
}

// start begins replication in the background, so a slow or unreachable
// bucket never delays the portal's start. It never fails serve: a replica
// that cannot be reached, or a key that is missing, is logged and kept for
// status.
func (s *Service) start() {
	s.ready, s.stop, s.done = make(chan struct{}), make(chan struct{}), make(chan struct{})
	routine.FireAndForget(func() {
		s.tryOpen()
		close(s.ready)
		s.loop()
	})
}

// tryOpen starts replication, or reports why it cannot.
func (s *Service) tryOpen() {
	if err := s.open(); err != nil {
		s.report(fmt.Errorf("replication is not running: %w", err))
	}
}

// retry tries again to start replication that could not start. Until it
// runs nobody checkpoints data.db, so the WAL is first checkpointed and
// truncated here, which keeps it bounded. Only a truncated WAL is safe
// behind Litestream's back: it finds the WAL shorter than where it left
// off and sends a full snapshot, where a WAL started over in place would
// pass its checks with the frames in between missing.
func (s *Service) retry() {
	if s.running() {
		return
	}
	if _, err := s.app.NonconcurrentDB().NewQuery("PRAGMA wal_checkpoint(TRUNCATE)").Execute(); err != nil {
		s.app.Logger().Warn("checkpointing data.db while replication is not running", "error", err)
	}
	s.tryOpen()
}

// running tells whether Litestream has started on data.db.
func (s *Service) running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.db != nil
}

// started waits until replication has started or failed to.
func (s *Service) started(ctx context.Context) error {
	if s.ready == nil {
		return errors.New("replication runs inside serve only")
	}
	select {
	case <-s.ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Service) open() error {
	k, client, err := s.openReplica(s.app.DataDir(), true)
	if err != nil {
		return err
	}
	logger := slog.New(&problemHandler{service: s, next: s.app.Logger().Handler()})
	client.SetLogger(logger)

	db := litestream.NewDB(filepath.Join(s.app.DataDir(), databaseFile))
	db.MonitorInterval = s.cfg.SyncInterval
	replica := litestream.NewReplicaWithClient(db, client)
	replica.SyncInterval = s.cfg.SyncInterval
	// A local LTX file missing or damaged (Litestream prunes level 0
	// behind itself) would stall replication for good, each sync failing
	// on it: Litestream starts over from a fresh snapshot instead, which
	// holds every committed transaction.
	replica.AutoRecoverEnabled = true
	db.Replica = replica

	store := litestream.NewStore([]*litestream.DB{db}, litestream.CompactionLevels{
		{Level: 0},
		{Level: 1, Interval: 30 * time.Second},
		{Level: 2, Interval: 5 * time.Minute},
		{Level: 3, Interval: time.Hour},
	})
	store.SnapshotRetention = snapshotRetention
	store.Logger = logger
	db.SetLogger(logger)
	// An empty replica (a new bucket or path, or one emptied by hand)
	// starts from a snapshot: what Litestream kept beside data.db of an
	// earlier replica names files that replica had and this one has not.
	if err := s.startAfresh(db, client); err != nil {
		return err
	}
	if err := store.Open(context.Background()); err != nil {
		return fmt.Errorf("starting Litestream: %w", err)
	}

	files, err := newFileCopier(s.app, s.cfg.ReplicaURL, k)
	if err != nil {
		s.report(fmt.Errorf("uploaded files are not copied: %w", err))
	}

	s.mu.Lock()
	s.key, s.client, s.store, s.db, s.files = k, client, store, db, files
	s.mu.Unlock()
	s.app.Logger().Info("replicating the data dir", "replica", redact(s.cfg.ReplicaURL), "key", k.Fingerprint())
	return nil
}

// openReplica loads the key beside dataDir and returns the sealed client.
// With create, a missing key is made, but only for an empty replica: a
// replica that holds copies was sealed with a key this machine lacks, and
// a new key would only hide that until the day of the restore.
func (s *Service) openReplica(dataDir string, create bool) (*key, *sealedClient, error) {
	inner, err := replicaClient(s.cfg.ReplicaURL)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := inner.Init(ctx); err != nil {
		return nil, nil, fmt.Errorf("cannot reach the replica %s: %w", redact(s.cfg.ReplicaURL), err)
	}

	path := s.cfg.keyPath(dataDir)
	k, err := loadKey(path)
	if errors.Is(err, errNoKey) && create {
		empty, lerr := replicaIsEmpty(ctx, inner)
		if lerr != nil {
			return nil, nil, fmt.Errorf("cannot list the replica %s: %w", redact(s.cfg.ReplicaURL), lerr)
		}
		if !empty {
			return nil, nil, fmt.Errorf("the replica %s holds copies sealed with a key that is not at %s: put the practice's backup key there (or set PORTICO_BACKUP_KEY_FILE)", redact(s.cfg.ReplicaURL), path)
		}
		if k, err = createKey(path, s.cfg.Now()); err != nil {
			return nil, nil, fmt.Errorf("%w; make one with `portico backup key --new FILE` and set PORTICO_BACKUP_KEY_FILE=FILE (or load it with systemd's LoadCredential=%s:FILE)", err, KeyFileName)
		}
		explainNewKey(os.Stderr, k)
	}
	if err != nil {
		return nil, nil, err
	}
	client, err := newSealedClient(inner, k.identity)
	if err != nil {
		return nil, nil, err
	}
	return k, client, nil
}

// startAfresh clears Litestream's local state for db when the replica
// holds nothing, so that the first sync sends a snapshot.
func (s *Service) startAfresh(db *litestream.DB, client litestream.ReplicaClient) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	empty, err := replicaIsEmpty(ctx, client)
	if err != nil {
		return fmt.Errorf("cannot list the replica %s: %w", redact(s.cfg.ReplicaURL), err)
	}
	if !empty {
		return nil
	}
	return db.ResetLocalState(ctx)
}

// replicaIsEmpty tells whether the replica holds no LTX file at any level.
func replicaIsEmpty(ctx context.Context, client litestream.ReplicaClient) (bool, error) {
	for level := 0; level <= litestream.SnapshotLevel; level++ {
		itr, err := client.LTXFiles(ctx, level, 0, false)
		if err != nil {
			return false, err
		}
		found := itr.Next()
		err = errors.Join(itr.Err(), itr.Close())
		if err != nil {
			return false, err
		}
		if found {
			return false, nil
		}
	}
	return true, nil
}

// loop copies uploaded files, writes the status file and retries a
// replication that could not start, until close.
func (s *Service) loop() {
	defer close(s.done)
	files := time.NewTicker(s.cfg.FilesInterval)
	defer files.Stop()
	status := time.NewTicker(statusEvery)
	defer status.Stop()
	retry := time.NewTicker(retryEvery)
	defer retry.Stop()
	s.copyFiles(context.Background())
	s.writeStatus()
	for {
		select {
		case <-s.stop:
			return
		case <-files.C:
			s.copyFiles(context.Background())
		case <-status.C:
			s.writeStatus()
		case <-retry.C:
			s.retry()
		}
	}
}

func (s *Service) copyFiles(ctx context.Context) error {
	s.mu.Lock()
	files := s.files
	s.mu.Unlock()
	if files == nil {
		return nil
	}
	if err := files.sync(ctx); err != nil {
		err = fmt.Errorf("copying uploaded files: %w", err)
		s.report(err)
		return err
	}
	return nil
}

// close sends what is left and stops replication.
func (s *Service) close() {
	if s.stop == nil {
		return
	}
	close(s.stop)
	<-s.done
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	s.copyFiles(ctx)
	s.mu.Lock()
	store := s.store
	s.stopped = true
	s.mu.Unlock()
	if store != nil {
		if err := store.Close(ctx); err != nil {
			s.report(fmt.Errorf("last sync before stopping: %w", err))
		}
	}
	s.writeStatus()
	s.stop = nil
}

// Sync sends every committed transaction and uploaded file to the replica
// and returns once the replica has them.
func (s *Service) Sync(ctx context.Context) error {
	if err := s.started(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	db := s.db
	s.mu.Unlock()
	if db == nil {
		return errors.New("replication is not running")
	}
	if err := db.SyncAndWait(ctx); err != nil {
		return err
	}
	err := s.copyFiles(ctx)
	s.writeStatus()
	return err
}

// report keeps err for status and logs it; replication goes on.
func (s *Service) report(err error) {
	s.mu.Lock()
	s.problem = problem{At: time.Now().UTC(), Message: err.Error()}
	s.mu.Unlock()
	s.app.Logger().Error("backup: " + err.Error())
	fmt.Fprintln(os.Stderr, "backup:", err)
}

// problemHandler passes Litestream's log on and keeps its errors for status.
type problemHandler struct {
	service *Service
	next    slog.Handler
}

func (h *problemHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return level >= slog.LevelWarn && h.next.Enabled(ctx, level)
}

func (h *problemHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		message := r.Message
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "error" {
				message += ": " + a.Value.String()
			}
			return true
		})
		h.service.mu.Lock()
		h.service.problem = problem{At: r.Time.UTC(), Message: message}
		h.service.mu.Unlock()
	}
	storable := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		storable.AddAttrs(durationsAsText(a))
		return true
	})
	return h.next.Handle(ctx, storable)
}

func (h *problemHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	storable := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		storable[i] = durationsAsText(a)
	}
	return &problemHandler{service: h.service, next: h.next.WithAttrs(storable)}
}

// durationsAsText is a with every time.Duration in it written out
// ("1.5s"). PocketBase stores an entry's attributes as JSON, which has no
// representation for a Duration, and drops an entry it cannot store:
// Litestream's errors, each with the backoff before its next try, never
// reached the dashboard's logs.
func durationsAsText(a slog.Attr) slog.Attr {
	a.Value = a.Value.Resolve()
	switch a.Value.Kind() {
	case slog.KindDuration:
		return slog.String(a.Key, a.Value.Duration().String())
	case slog.KindGroup:
		group := a.Value.Group()
		storable := make([]slog.Attr, len(group))
		for i, member := range group {
			storable[i] = durationsAsText(member)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(storable...)}
	}
	return a
}

func (h *problemHandler) WithGroup(name string) slog.Handler {
	return &problemHandler{service: h.service, next: h.next.WithGroup(name)}
}

// status is what serve leaves for `portico backup status`.
type status struct {
	Replica     string       `json:"replica"`
	Key         string       `json:"key,omitempty"`
	Running     bool         `json:"running"`
	LocalTXID   uint64       `json:"localTxid,omitzero"`
	ReplicaTXID uint64       `json:"replicaTxid,omitzero"`
	LastSync    time.Time    `json:"lastSync,omitzero"`
	Files       int          `json:"files,omitzero"`
	FilesNote   string       `json:"filesNote,omitempty"`
	Problem     problem      `json:"problem,omitzero"`
	Drill       *DrillReport `json:"drill,omitempty"`
	UpdatedAt   time.Time    `json:"updatedAt"`
}

func (s *Service) currentStatus() status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := status{Replica: redact(s.cfg.ReplicaURL), Problem: s.problem, Drill: s.lastDrill, UpdatedAt: time.Now().UTC()}
	if s.key != nil {
		st.Key = s.key.Fingerprint()
	}
	if s.db != nil {
		st.Running = !s.stopped
		if pos, err := s.db.Pos(); err == nil {
			st.LocalTXID = uint64(pos.TXID)
		}
		st.ReplicaTXID = uint64(s.db.Replica.Pos().TXID)
		st.LastSync = s.db.LastSuccessfulSyncAt()
	}
	if s.files != nil {
		st.Files, st.FilesNote = s.files.copied(), s.files.note
	}
	return st
}

func (s *Service) writeStatus() {
	raw, err := json.MarshalIndent(s.currentStatus(), "", "  ")
	if err != nil {
		return
	}
	path := filepath.Join(s.app.DataDir(), statusFileName)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, raw, 0o600); err == nil {
		os.Rename(tmp, path)
	}
}

// readStatus reads what serve left in dataDir.
func readStatus(dataDir string) (status, error) {
	var st status
	raw, err := os.ReadFile(filepath.Join(dataDir, statusFileName))
	if err != nil {
		return st, err
	}
	return st, json.Unmarshal(raw, &st)
}
