package testenv

import (
	"bytes"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
	_ "modernc.org/sqlite" // reads a restored data.db as a file
)

// ClientLoad adds clients through the records API of a running portal, as
// the dashboard does, from several workers at once, and remembers which
// additions the portal acknowledged and when. Each addition is three
// requests: the client (with its invite and sign-in token queued in the
// same request), an appointment for them (its confirmation queued with
// it) and an intake packet (its mail and link just after).
type ClientLoad struct {
	URL   string // the portal
	Token string // a superuser's auth token

	// AtCheckpoint makes the next KillRound kill the portal when Litestream
	// begins a checkpoint of data.db, rather than after a count.
	AtCheckpoint bool

	clinician, form string // the ids every appointment and packet use

	mu      sync.Mutex
	writes  []ClientWrite
	stopped error // why the load's first worker stopped
}

// ClientWrite is one client addition.
type ClientWrite struct {
	Seq    int
	Email  string
	Name   string
	Starts time.Time // the appointment's start
	Sent   time.Time // when the client was sent
	Acked  time.Time // zero unless the portal answered 200 to all three
}

// Each addition's appointment starts an hour after the one before, far
// enough ahead that no reminder falls due during a test.
var loadFirstAppointment = time.Date(2031, time.January, 6, 9, 0, 0, 0, time.UTC)

// The form every packet of the load sends.
const (
	loadFormTitle     = "Before we meet"
	loadFormQuestions = `[{"id": "reason", "kind": "long_text", "label": "What brings you here?", "required": true}]`
)

// perAddition is what one fully acknowledged addition leaves in the
// database for its client: the invite's and the packet's sign-in tokens,
// and the invite, the confirmation and the packet's mail queued.
const (
	tokensPerAddition = 2
	mailPerAddition   = 3
)

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
	w := ClientWrite{Seq: seq, Email: fmt.Sprintf("load-%06d@example.com", seq), Name: fmt.Sprintf("Load Client %06d", seq),
		Starts: loadFirstAppointment.Add(time.Duration(seq) * time.Hour), Sent: time.Now()}
	l.writes = append(l.writes, w)
	l.mu.Unlock()

	client, err := l.AddClient(w.Name, w.Email)
	if err == nil {
		_, err = l.add("appointments", map[string]any{"client": client, "clinician": l.clinician,
			"starts": w.Starts.Format(time.RFC3339), "duration_minutes": 50, "kind": "in person"})
	}
	if err == nil {
		_, err = l.add("intake_assignments", map[string]any{"client": client, "form": l.form})
	}
	if err != nil {
		l.stop(err)
		return false
	}
	l.mu.Lock()
	l.writes[seq].Acked = time.Now()
	l.mu.Unlock()
	acked()
	return true
}

// stop keeps the first reason a worker stopped.
func (l *ClientLoad) stop(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopped == nil {
		l.stopped = err
	}
}

// AddClient adds one client with portal access, outside the load's count,
// and returns its id.
func (l *ClientLoad) AddClient(name, email string) (string, error) {
	return l.add("clients", map[string]any{"name": name, "email": email, "portal_access": true, "timezone": "America/New_York"})
}

// prepare adds the clinician and the form the load books and sends, once.
func (l *ClientLoad) prepare() error {
	if l.form != "" {
		return nil
	}
	var err error
	if l.clinician, err = l.add("clinicians", map[string]any{"name": "Dr. Maya Lin", "email": "maya@harbor.test", "video_room": "https://video.example/{room}"}); err != nil {
		return err
	}
	l.form, err = l.add("intake_forms", map[string]any{"title": loadFormTitle, "questions": loadFormQuestions})
	return err
}

// add creates a record in collection through the records API and returns
// its id.
func (l *ClientLoad) add(collection string, fields map[string]any) (string, error) {
	body, _ := json.Marshal(fields)
	req, _ := http.NewRequest(http.MethodPost, l.URL+"/api/collections/"+collection+"/records", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", l.Token)
	resp, err := loadClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var record struct{ Id string }
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&record) != nil {
		return "", fmt.Errorf("adding to %s answered %d", collection, resp.StatusCode)
	}
	return record.Id, nil
}

// loadClient bounds each addition, so a load whose portal was killed mid
// request always ends.
var loadClient = &http.Client{Timeout: 30 * time.Second}

// CrashCheck is what a restore kept of a load cut short by a kill.
type CrashCheck struct {
	Acked    int           // additions the portal acknowledged
	Restored int           // additions found in the restored database
	Lost     int           // acknowledged, and not restored
	Queued   int           // mail queued for the restored clients
	RPO      time.Duration // last acknowledgement - acknowledgement of the newest restored addition
	Problems []string      // what breaks the promise; empty when it holds
	// Checkpoint, with AtCheckpoint: whether the kill came "during" the
	// checkpoint's copying or "after" it
	Checkpoint string
}

// Check compares the restored database at dataDir with the load: every
// addition acknowledged before a restored one was sent must be there in
// full, its client with both tokens, its appointment, its packet and its
// three queued mails (the restore is a consistent moment, not a sample);
// nothing unsent appears, and the restored rows hash the same as the
// values sent.
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
		(SELECT count(*) FROM mail_outbox m WHERE m.recipient = c.email),
		(SELECT count(*) FROM appointments a WHERE a.client = c.id),
		(SELECT coalesce(min(a.starts), '') FROM appointments a WHERE a.client = c.id),
		(SELECT count(*) FROM intake_assignments p WHERE p.client = c.id),
		(SELECT coalesce(min(p.title), '') FROM intake_assignments p WHERE p.client = c.id)
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
		write                                ClientWrite
		tokens, mails, appointments, packets int
	}
	var clients []restoredClient
	restored := map[int]bool{}
	got, want := sha256.New(), sha256.New()
	for rows.Next() {
		var email, name, starts, title string
		var c restoredClient
		if err := rows.Scan(&email, &name, &c.tokens, &c.mails, &c.appointments, &starts, &c.packets, &title); err != nil {
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
		check.Queued += c.mails
		fmt.Fprintf(got, "%s\x00%s\n", email, name)
		fmt.Fprintf(want, "%s\x00%s\n", w.Email, w.Name)
		if c.appointments > 0 {
			fmt.Fprintf(got, "%s\n", starts)
			fmt.Fprintf(want, "%s\n", w.Starts.UTC().Format(types.DefaultDateLayout))
		}
		if c.packets > 0 {
			fmt.Fprintf(got, "%s\n", title)
			fmt.Fprintf(want, "%s\n", loadFormTitle)
		}
	}
	if err := rows.Err(); err != nil {
		return check, err
	}
	if !bytes.Equal(got.Sum(nil), want.Sum(nil)) {
		check.Problems = append(check.Problems, "the restored rows' content hash "+hex.EncodeToString(got.Sum(nil))[:16]+" differs from what was sent")
	}

	// The restore is a moment between two transactions: it must hold all
	// of every addition acknowledged before a restored one was sent. An
	// addition acknowledged later may come back in part: its client
	// without the appointment, or the packet without its mail, which
	// commits in a transaction after it.
	var latestRestoredSend time.Time
	for _, c := range clients {
		if c.write.Sent.After(latestRestoredSend) {
			latestRestoredSend = c.write.Sent
		}
	}
	for _, c := range clients {
		complete := c.tokens == tokensPerAddition && c.mails == mailPerAddition && c.appointments == 1 && c.packets == 1
		if !c.write.Acked.IsZero() && c.write.Acked.Before(latestRestoredSend) && !complete {
			check.Problems = append(check.Problems, fmt.Sprintf("%s came back with %d tokens, %d queued mails, %d appointments and %d packets; want %d, %d, 1 and 1",
				c.write.Email, c.tokens, c.mails, c.appointments, c.packets, tokensPerAddition, mailPerAddition))
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
//
// With load.AtCheckpoint the kill comes instead at the first checkpoint of
// data.db Litestream begins after five additions, while a fifth worker
// saves long forms so that the WAL soon reaches Litestream's threshold
// (1,000 pages).
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
	if err := load.prepare(); err != nil {
		return CrashCheck{}, err
	}
	if err := waitFirstCopy(binary, env, dataDir); err != nil {
		return CrashCheck{}, err
	}
	if before != nil {
		before()
	}

	start := int64(load.Acked())
	killAt := start + 5 + rand.Int64N(20)
	checkpoint := make(chan string, 1)
	var watch sync.Once
	if load.AtCheckpoint {
		killAt += checkpointPatience
		go load.fillWAL()
	}
	var acked atomic.Int64
	acked.Store(start)
	var kill sync.Once
	load.Run(4, func() {
		n := acked.Add(1)
		if load.AtCheckpoint && n >= start+5 {
			// After a few additions of this round, the next checkpoint.
			watch.Do(func() {
				go func() {
					if moment := waitCheckpoint(filepath.Join(dataDir, "data.db-shm"), serve.Exited); moment != "" {
						checkpoint <- moment
						kill.Do(serve.Kill)
					}
				}()
			})
		}
		if n >= killAt {
			kill.Do(serve.Kill)
		}
	})
	serve.Kill()
	var moment string
	if load.AtCheckpoint {
		select {
		case moment = <-checkpoint:
		default:
			return CrashCheck{}, fmt.Errorf("Litestream began no checkpoint of data.db before the load stopped (%v)", load.stopped)
		}
	}

	if out, err := Command(binary, env, "restore", "--to", restoreDir, "--dir", filepath.Join(t.TempDir(), "scratch")); err != nil {
		return CrashCheck{}, fmt.Errorf("portico restore: %v\n%s", err, out)
	}
	check, err := load.Check(restoreDir)
	check.Checkpoint = moment
	return check, err
}

// checkpointPatience bounds a round waiting for a checkpoint, in additions.
const checkpointPatience = 500

// waitCheckpoint watches the WAL index of a database (its -shm file) until
// a checkpoint begins, and says whether the kill that follows lands while
// it copies pages ("during") or once it has copied them ("after"); it
// returns "" if the process exits first. SQLite's checkpoint info follows
// the two copies of the WAL index header: nBackfill (frames copied) at
// byte 96 and nBackfillAttempted (frames being copied) at 128, which runs
// ahead of nBackfill while a checkpoint writes. A process that recovered
// the WAL after a kill starts with nBackfillAttempted at the WAL's end and
// nothing copied, so only a change from the first reading counts.
func waitCheckpoint(shm string, exited <-chan struct{}) string {
	read := func() (backfill, attempted uint32, ok bool) {
		raw, err := os.ReadFile(shm)
		if err != nil || len(raw) < 132 {
			return 0, 0, false
		}
		return binary.LittleEndian.Uint32(raw[96:]), binary.LittleEndian.Uint32(raw[128:]), true
	}
	backfill0, attempted0, _ := read()
	for {
		select {
		case <-exited:
			return ""
		default:
		}
		if backfill, attempted, ok := read(); ok {
			switch {
			case backfill == 0 && attempted == 0:
				backfill0, attempted0 = 0, 0 // the WAL started over after a checkpoint before the first reading
			case attempted != attempted0 && attempted > backfill:
				return "during"
			case attempted != attempted0 || backfill != backfill0:
				return "after"
			}
		}
		time.Sleep(200 * time.Microsecond) // the next look at the shared memory
	}
}

// fillWAL saves long forms (40 questions with 10,000 characters of help,
// about 100 pages each) until the portal stops answering.
func (l *ClientLoad) fillWAL() {
	help := strings.Repeat("Tell us as much or as little as you like. ", 10_000/42)
	questions := make([]map[string]any, 40)
	for i := range questions {
		questions[i] = map[string]any{"id": fmt.Sprintf("q%d", i), "kind": "long_text", "label": fmt.Sprintf("Question %d", i+1), "help": help}
	}
	raw, _ := json.Marshal(questions)
	for n := 0; ; n++ {
		if _, err := l.add("intake_forms", map[string]any{"title": fmt.Sprintf("Long form %d", n), "questions": string(raw)}); err != nil {
			l.stop(err)
			return
		}
	}
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
