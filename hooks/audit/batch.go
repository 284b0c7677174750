package audit

import (
	"database/sql"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// maxBatch bounds how many waiting entries one commit takes.
const maxBatch = 64

// gatherWindow is the longest a commit waits for the entries of other
// requests being answered at the same moment. Every commit makes each
// reader connection drop its page cache and read its pages again, and
// writes its own pages: gathering more entries into one commit is most of
// what a busy practice saves (go run ./bench -trail, 8 staff views at a
// time: about 2.5 entries a commit without the wait, 3.4 with a fixed
// 1 ms one). A read that is the only request in flight waits for nothing.
const gatherWindow = time.Millisecond

// batcher is a group commit: the entries of requests that arrive while a
// commit is under way, or within gatherWindow of its first entry while
// other requests are in flight, go together in the next transaction, so a
// busy practice pays for one commit per burst instead of one per read.
// Every request still waits for the commit that holds its entry before
// its response is sent. Each entry is chained by the statement that
// appends it (appendSQL), so the batcher keeps no tip of its own.
type batcher struct {
	app      core.App
	now      func() time.Time
	inFlight *atomic.Int64 // requests being answered (Trail.recordRoutes)
	start    sync.Once
	waiting  chan *waitingEntry

	insert *sql.Stmt // appendSQL, prepared once on the writer
}

// waitingEntry is one request's entry and the answer it waits for.
type waitingEntry struct {
	entry Entry
	done  chan error
}

// append returns once entry is committed, or with why it was not.
func (b *batcher) append(entry Entry) error {
	b.start.Do(func() {
		b.waiting = make(chan *waitingEntry, maxBatch)
		go b.commitLoop()
	})
	waiting := &waitingEntry{entry: entry, done: make(chan error, 1)}
	b.waiting <- waiting
	return <-waiting.done
}

func (b *batcher) commitLoop() {
	window := time.NewTimer(gatherWindow)
	for first := range b.waiting {
		batch := b.gather(first, window)
		entries := make([]Entry, len(batch))
		for i, waiting := range batch {
			entries[i] = waiting.entry
		}
		err := b.commit(entries)
		for _, waiting := range batch {
			waiting.done <- err
		}
	}
}

// gather is the batch that starts with first: every entry already
// waiting, and those that arrive within the window while more requests
// are in flight than the batch holds entries of.
func (b *batcher) gather(first *waitingEntry, window *time.Timer) []*waitingEntry {
	batch := []*waitingEntry{first}
	window.Reset(gatherWindow)
	defer window.Stop()
	for len(batch) < maxBatch {
		select {
		case next := <-b.waiting:
			batch = append(batch, next)
			continue
		default:
		}
		if b.inFlight.Load() <= int64(len(batch)) {
			return batch
		}
		select {
		case next := <-b.waiting:
			batch = append(batch, next)
		case <-window.C:
			return batch
		}
	}
	return batch
}

// commitAttempts bounds the retries when another process (a command run
// beside serve) wrote between this commit's read of the tip and its write.
const commitAttempts = 3

func (b *batcher) commit(entries []Entry) error {
	for attempt := 1; ; attempt++ {
		err := b.insertAll(entries, b.now())
		if err == nil || !strings.Contains(err.Error(), "database is locked") || attempt == commitAttempts {
			return err
		}
	}
}

// insertAll appends entries in one transaction with the prepared
// statement: no SQL to parse and no named parameters to build per entry.
func (b *batcher) insertAll(entries []Entry, at time.Time) error {
	writer, ok := b.app.NonconcurrentDB().(*dbx.DB)
	if !ok {
		return errors.New("audit: the app's writer is not a database")
	}
	if b.insert == nil {
		statement, err := writer.DB().Prepare(appendSQL)
		if err != nil {
			return err
		}
		b.insert = statement
	}
	if len(entries) == 1 {
		_, err := b.insert.Exec(entries[0].contentValues(at)...)
		return err
	}
	tx, err := writer.DB().Begin()
	if err != nil {
		return err
	}
	insert := tx.Stmt(b.insert)
	for _, entry := range entries {
		if _, err := insert.Exec(entry.contentValues(at)...); err != nil {
			_ = tx.Rollback()
			return err
		}
	}
	return tx.Commit()
}
