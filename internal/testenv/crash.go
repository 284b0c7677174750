package testenv

import (
	"bytes"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pocketbase/pocketbase/core"
	_ "modernc.org/sqlite" // reads a restored data.db as a file
)

// ClientLoad adds clients through the records API of a running portal, as
// the dashboard does, from several workers at once, and remembers which
// additions the portal acknowledged and when. Each addition also queues an
// invite and stores its sign-in token, in the same request.
type ClientLoad struct {
	URL   string // the portal
	Token string // a superuser's auth token

	mu     sync.Mutex
	writes []ClientWrite
}

// ClientWrite is one client addition.
type ClientWrite struct {
	Seq   int
	Email string
	Name  string
	Sent  time.Time
	Acked time.Time // zero unless the portal answered 200
}

// superuserToken is an auth token of the superuser on the stopped data
// dir at dataDir, made as PocketBase makes one at sign-in. The dashboard's
// sign-in asks for a code by mail since the second factor landed, and the
// kill rounds keep mail down so that queued invites wait for the restore;
// the token outlives the restarts of a whole test (a day).
func superuserToken(t TB, dataDir string) (string, error) {
	t.Helper()
	app := OpenDir(t, dataDir)
	defer Close(app)
	superuser, err := app.FindAuthRecordByEmail(core.CollectionNameSuperusers, SuperuserEmail)
	if err != nil {
		return "", fmt.Errorf("the superuser %s: %w", SuperuserEmail, err)
	}
	return superuser.NewAuthToken()
}

// Run adds clients from workers goroutines until the portal stops
// answering (it was killed) or it has acknowledged until more additions,
// and calls acked after each acknowledgement.
func (l *ClientLoad) Run(workers int, acked func()) {
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for l.addOne(acked) {
			}
		})
	}
	wg.Wait()
}

func (l *ClientLoad) addOne(acked func()) bool {
	l.mu.Lock()
	seq := len(l.writes)
	w := ClientWrite{Seq: seq, Email: fmt.Sprintf("load-%06d@example.com", seq), Name: fmt.Sprintf("Load Client %06d", seq), Sent: time.Now()}
	l.writes = append(l.writes, w)
	l.mu.Unlock()

	if l.AddClient(w.Name, w.Email) != nil {
		return false
	}
	l.mu.Lock()
	l.writes[seq].Acked = time.Now()
	l.mu.Unlock()
	acked()
	return true
}

// AddClient adds one client with portal access, outside the load's count.
func (l *ClientLoad) AddClient(name, email string) error {
	body, _ := json.Marshal(map[string]any{"name": name, "email": email, "portal_access": true, "timezone": "America/New_York"})
	req, _ := http.NewRequest(http.MethodPost, l.URL+"/api/collections/clients/records", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", l.Token)
	resp, err := loadClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("adding client %s answered %d", email, resp.StatusCode)
	}
	return nil
}

// loadClient bounds each addition, so a load whose portal was killed mid
// request always ends.
var loadClient = &http.Client{Timeout: 30 * time.Second}

// CrashCheck is what a restore kept of a load cut short by a kill.
type CrashCheck struct {
	Acked    int           // additions the portal acknowledged
	Restored int           // additions found in the restored database
	Lost     int           // acknowledged, and not restored
	Invited  int           // restored clients with their invite queued
	RPO      time.Duration // last acknowledgement - acknowledgement of the newest restored addition
	Problems []string      // what breaks the promise; empty when it holds
}

// Check compares the restored database at dataDir with the load: every
// addition acknowledged before a restored one was sent must be there too
// with its token and queued invite (the restore is a consistent moment,
// not a sample), nothing unsent appears, and the restored rows hash the
// same as the rows sent.
func (l *ClientLoad) Check(dataDir string) (CrashCheck, error) {
	var check CrashCheck
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dataDir, "data.db")+"?mode=ro")
	if err != nil {
		return check, err
	}
	defer db.Close()
	problems, err := IntegrityProblems(db)
	if err != nil {
		return check, err
	}
	for _, problem := range problems {
		check.Problems = append(check.Problems, "the restored data.db fails SQLite's integrity check: "+problem)
	}
	rows, err := db.Query(`SELECT c.email, c.name,
		(SELECT count(*) FROM login_tokens t WHERE t.client = c.id),
		(SELECT count(*) FROM mail_outbox m WHERE m.recipient = c.email)
		FROM clients c WHERE c.email LIKE 'load-%' ORDER BY c.email`)
	if err != nil {
		return check, err
	}
	defer rows.Close()

	l.mu.Lock()
	defer l.mu.Unlock()
	bySeq := map[string]ClientWrite{}
	for _, w := range l.writes {
		bySeq[w.Email] = w
	}
	type restoredClient struct {
		write           ClientWrite
		tokens, invites int
	}
	var clients []restoredClient
	restored := map[int]bool{}
	got, want := sha256.New(), sha256.New()
	for rows.Next() {
		var email, name string
		var c restoredClient
		if err := rows.Scan(&email, &name, &c.tokens, &c.invites); err != nil {
			return check, err
		}
		w, ok := bySeq[email]
		if !ok {
			check.Problems = append(check.Problems, "restored a client that was never sent: "+email)
			continue
		}
		c.write = w
		clients = append(clients, c)
		restored[w.Seq] = true
		fmt.Fprintf(got, "%s\x00%s\n", email, name)
		fmt.Fprintf(want, "%s\x00%s\n", w.Email, w.Name)
	}
	if err := rows.Err(); err != nil {
		return check, err
	}
	if !bytes.Equal(got.Sum(nil), want.Sum(nil)) {
		check.Problems = append(check.Problems, "the restored clients' content hash "+hex.EncodeToString(got.Sum(nil))[:16]+" differs from what was sent")
	}

	// The restore is a moment between two transactions: it must hold all
	// of every addition acknowledged before a restored one was sent. An
	// addition acknowledged later may come back as its client without the
	// invite, which commits in a second transaction.
	var latestRestoredSend time.Time
	for _, c := range clients {
		if c.write.Sent.After(latestRestoredSend) {
			latestRestoredSend = c.write.Sent
		}
	}
	for _, c := range clients {
		if c.invites > 0 {
			check.Invited++
		}
		if !c.write.Acked.IsZero() && c.write.Acked.Before(latestRestoredSend) && (c.tokens != 1 || c.invites != 1) {
			check.Problems = append(check.Problems, fmt.Sprintf("%s came back with %d tokens and %d queued invites; want 1 and 1", c.write.Email, c.tokens, c.invites))
		}
	}

	var lastAck, newestRestored time.Time
	for _, w := range l.writes {
		if w.Acked.IsZero() {
			continue
		}
		check.Acked++
		if w.Acked.After(lastAck) {
			lastAck = w.Acked
		}
		if restored[w.Seq] {
			if w.Acked.After(newestRestored) {
				newestRestored = w.Acked
			}
			continue
		}
		check.Lost++
		if w.Acked.Before(latestRestoredSend) {
			check.Problems = append(check.Problems, fmt.Sprintf("%s was acknowledged before a restored client was sent, yet is missing: the restore is not one moment", w.Email))
		}
	}
	check.Restored = len(restored)
	if check.Lost > 0 {
		if newestRestored.IsZero() {
			newestRestored = l.writes[0].Sent
		}
		check.RPO = lastAck.Sub(newestRestored)
	}
	slices.Sort(check.Problems)
	return check, nil
}

// IntegrityProblems is what SQLite's full integrity check finds wrong
// with db, a line each, nothing when it passes.
func IntegrityProblems(db *sql.DB) ([]string, error) {
	rows, err := db.Query("PRAGMA integrity_check")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return nil, err
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	return problems, rows.Err()
}

// Acked is the number of acknowledged additions so far.
func (l *ClientLoad) Acked() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, w := range l.writes {
		if !w.Acked.IsZero() {
			n++
		}
	}
	return n
}

// Superuser is the account a kill round signs in with.
const (
	SuperuserEmail    = "owner@harbor.test"
	SuperuserPassword = "owner-password-1"
)

// KillRound serves dataDir with the release binary and env, adds clients
// from four workers, kills the process with SIGKILL after a random number
// (5 to 24) of acknowledged additions, restores the replica alone into
// restoreDir with `portico restore`, and checks what came back. before,
// if not nil, runs once the portal answers, with the load signed in.
func KillRound(t TB, binary string, env []string, dataDir, restoreDir string, load *ClientLoad, before func()) (CrashCheck, error) {
	t.Helper()
	if load.Token == "" {
		token, err := superuserToken(t, dataDir)
		if err != nil {
			return CrashCheck{}, err
		}
		load.Token = token
	}
	addr := FreeAddr(t)
	serve := StartPorticoWith(t, binary, env, "serve", "--dir", dataDir, "--http", addr)
	load.URL = "http://" + addr
	if err := serve.healthy(load.URL); err != nil {
		return CrashCheck{}, err
	}
	if err := waitFirstCopy(binary, env, dataDir); err != nil {
		return CrashCheck{}, err
	}
	if before != nil {
		before()
	}

	killAt := int64(load.Acked() + 5 + rand.IntN(20))
	var acked atomic.Int64
	acked.Store(int64(load.Acked()))
	var kill sync.Once
	load.Run(4, func() {
		if acked.Add(1) >= killAt {
			kill.Do(serve.Kill)
		}
	})
	serve.Kill()

	if out, err := Command(binary, env, "restore", "--to", restoreDir, "--dir", filepath.Join(t.TempDir(), "scratch")); err != nil {
		return CrashCheck{}, fmt.Errorf("portico restore: %v\n%s", err, out)
	}
	return load.Check(restoreDir)
}

// waitFirstCopy returns once `portico backup status` finds a copy in the
// replica. Serve starts replicating in the background after it answers,
// and a kill before the first copy arrives leaves nothing to restore: the
// replica honestly "holds no copy yet", and there is nothing to check.
func waitFirstCopy(binary string, env []string, dataDir string) error {
	deadline := time.Now().Add(time.Minute)
	for {
		out, err := Command(binary, env, "backup", "status", "--dir", dataDir)
		if err == nil && strings.Contains(out, "position     transaction") {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the replica holds no copy a minute after serve started: %v\n%s", err, out)
		}
		time.Sleep(100 * time.Millisecond) // the next poll of the bucket
	}
}
