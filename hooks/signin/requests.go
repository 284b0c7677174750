package signin

import (
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"portico/hooks/ratelimit"
	"portico/hooks/schema"
	"portico/hooks/web"
)

// RequestLimits cap the sign-in requests recorded per Window: per address,
// so that no inbox is flooded and codes cannot be farmed, and per network
// (ratelimit.Network), so that one sender cannot rotate addresses for ever.
type RequestLimits struct {
	PerAddress int
	PerNetwork int
	Window     time.Duration
}

// recordRequest stores a sign-in request for email unless the address
// or the network has had its limit in the window. The counts and the
// insert are one statement, which SQLite's single writer runs whole, so
// that concurrent requests cannot all pass a count taken before any of
// them was stored; a refused request stores nothing.
const recordRequest = `INSERT INTO signin_requests (id, email, network, requested_ip, requested_ua, processed, created, updated)
SELECT {:id}, {:email}, {:network}, {:ip}, {:agent}, '', {:now}, {:now}
WHERE (SELECT count(*) FROM signin_requests WHERE email = {:email} AND created > {:since}) < {:perAddress}
  AND (SELECT count(*) FROM signin_requests WHERE network = {:network} AND created > {:since}) < {:perNetwork}`

// RecordRequest stores a sign-in request for email from from, for the
// worker to look up and mail, and reports whether the limits let it.
func (s *Store) RecordRequest(email string, from Requester, limits RequestLimits) (bool, error) {
	params := s.requestParams(email, from, limits)
	params["id"] = core.GenerateDefaultRandomId()
	params["ip"] = from.IP
	params["agent"] = web.Truncate(from.Agent, 500)
	params["perAddress"] = limits.PerAddress
	params["perNetwork"] = limits.PerNetwork
	var stored int64
	err := s.statements.run(s.App.NonconcurrentDB(), recordRequest, params, func(q *dbx.Query) error {
		result, err := q.Execute()
		if err == nil {
			stored, err = result.RowsAffected()
		}
		return err
	})
	return stored == 1, err
}

// RequestWait is how long until email, or the network of from, may ask
// again: until the oldest request of a full window leaves it.
func (s *Store) RequestWait(email string, from Requester, limits RequestLimits) (time.Duration, error) {
	var oldest struct {
		Address string `db:"address"`
		Network string `db:"network"`
	}
	err := s.App.ConcurrentDB().NewQuery(`SELECT
		CASE WHEN (SELECT count(*) FROM signin_requests WHERE email = {:email} AND created > {:since}) >= {:perAddress}
			THEN (SELECT min(created) FROM signin_requests WHERE email = {:email} AND created > {:since}) ELSE '' END AS address,
		CASE WHEN (SELECT count(*) FROM signin_requests WHERE network = {:network} AND created > {:since}) >= {:perNetwork}
			THEN (SELECT min(created) FROM signin_requests WHERE network = {:network} AND created > {:since}) ELSE '' END AS network`).
		Bind(s.requestParams(email, from, limits)).Bind(dbx.Params{"perAddress": limits.PerAddress, "perNetwork": limits.PerNetwork}).One(&oldest)
	if err != nil {
		return 0, err
	}
	var wait time.Duration
	for _, first := range []string{oldest.Address, oldest.Network} {
		if when, err := types.ParseDateTime(first); err == nil && !when.IsZero() {
			wait = max(wait, when.Time().Add(limits.Window).Sub(s.Now()))
		}
	}
	return wait, nil
}

func (s *Store) requestParams(email string, from Requester, limits RequestLimits) dbx.Params {
	now := s.Now()
	return dbx.Params{
		"email":   email,
		"network": ratelimit.Network(from.IP),
		"now":     schema.DateTime(now),
		"since":   schema.DateTime(now.Add(-limits.Window)),
	}
}

// signInRequest is a recorded request waiting for its lookup and mail.
type signInRequest struct {
	Id    string `db:"id"`
	Email string `db:"email"`
	IP    string `db:"requested_ip"`
	Agent string `db:"requested_ua"`
}

// pendingRequests returns up to n requests not processed yet, oldest first.
func (s *Store) pendingRequests(n int) ([]signInRequest, error) {
	var pending []signInRequest
	err := s.App.ConcurrentDB().NewQuery(
		"SELECT id, email, requested_ip, requested_ua FROM signin_requests WHERE processed = '' ORDER BY rowid LIMIT {:n}",
	).Bind(dbx.Params{"n": n}).All(&pending)
	return pending, err
}

// requestDone marks a request processed using app, which may be the
// transaction that queued its mail: the two commit together, so that a
// crash in between neither loses the mail nor sends it twice.
func (s *Store) requestDone(app core.App, id string) error {
	_, err := app.DB().NewQuery("UPDATE signin_requests SET processed = {:now}, updated = {:now} WHERE id = {:id} AND processed = ''").
		Bind(dbx.Params{"id": id, "now": schema.DateTime(s.Now())}).Execute()
	return err
}

// busy tells whether err is SQLite's database busy or locked (SQLITE_BUSY,
// SQLITE_LOCKED and their extended codes): the request is tried again.
func busy(err error) bool {
	var coded interface{ Code() int }
	if errors.As(err, &coded) {
		switch coded.Code() & 0xff {
		case 5, 6:
			return true
		}
	}
	return strings.Contains(err.Error(), "database is locked") || strings.Contains(err.Error(), "database table is locked")
}

// requestBatch is how many requests the worker reads at a time.
const requestBatch = 100

// requestPoll is how often the worker looks for requests without a
// wake-up: after a database error, such as a full disk, it tries again.
const requestPoll = 2 * time.Second

// Requests is the worker that looks up each recorded sign-in request's
// address and queues its mail, one transaction per request. It runs
// inside serve; on start it finishes whatever an earlier run recorded.
type Requests struct {
	app    core.App
	store  *Store
	answer func(tx core.App, request signInRequest) error
	woken  func() // after a batch: the outbox has mail to send

	wake    chan struct{}
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
	started atomic.Bool

	// drainMu keeps a test's Drain and the worker from taking one request twice.
	drainMu sync.Mutex
}

func newRequests(app core.App, store *Store, answer func(core.App, signInRequest) error, woken func()) *Requests {
	return &Requests{
		app: app, store: store, answer: answer, woken: woken,
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
	}
}

// runWithServe starts the worker with serve and stops it on shutdown,
// before the outbox stops: a request it has not taken stays recorded, for
// the next start.
func (r *Requests) runWithServe() {
	r.app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		r.start()
		return e.Next()
	})
	r.app.OnTerminate().BindFunc(func(e *core.TerminateEvent) error {
		r.halt()
		return e.Next()
	})
}

func (r *Requests) start() {
	r.started.Store(true)
	go func() {
		defer close(r.done)
		ticker := time.NewTicker(requestPoll)
		defer ticker.Stop()
		for {
			if err := r.Drain(); err != nil {
				r.app.Logger().Error("sign-in requests: processing", "error", err)
			}
			select {
			case <-r.stop:
				return
			case <-r.wake:
			case <-ticker.C:
			}
		}
	}()
}

func (r *Requests) halt() {
	r.once.Do(func() { close(r.stop) })
	if r.started.Load() {
		<-r.done
	}
}

// Wake asks the worker to look for requests now.
func (r *Requests) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *Requests) stopped() bool {
	select {
	case <-r.stop:
		return true
	default:
		return false
	}
}

// Drain processes every recorded request now, oldest first. A request
// whose mail cannot be made (its client's record is broken, say) is
// marked processed with the error logged, so that it cannot hold up the
// ones behind it; a full disk or a database lock held too long stops the
// pass, and the request waits for the next.
func (r *Requests) Drain() error {
	r.drainMu.Lock()
	defer r.drainMu.Unlock()
	defer r.woken()
	for !r.stopped() {
		pending, err := r.store.pendingRequests(requestBatch)
		if err != nil || len(pending) == 0 {
			return err
		}
		for _, request := range pending {
			if r.stopped() {
				return nil
			}
			// Write-locked from its first statement: a lookup that read first
			// would fail its write at once (SQLITE_BUSY_SNAPSHOT) whenever
			// another connection or process committed in between.
			err := schema.WriteLocked(r.app, func(tx core.App) error {
				if err := r.answer(tx, request); err != nil {
					return err
				}
				return r.store.requestDone(tx, request.Id)
			})
			if err == nil {
				continue
			}
			if web.DiskFull(err) || busy(err) {
				return err // waits, recorded, for space or for the lock
			}
			if doneErr := r.store.requestDone(r.app, request.Id); doneErr != nil {
				return doneErr
			}
			r.app.Logger().Error("sign-in request: no mail sent", "request", request.Id, "error", err)
		}
	}
	return nil
}
