package audit

import (
	"database/sql"
	"errors"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// maxBatch bounds how many waiting entries one commit takes.
const maxBatch = 64

// batcher is a group commit: the entries of requests that arrive while a
// commit is under way go together in the next transaction, so a busy
// practice pays for one commit per burst instead of one per read. Every
// request still waits for the commit that holds its entry before its
// response is sent. Each entry is chained by the statement that appends
// it (appendSQL), so the batcher keeps no tip of its own.
type batcher struct {
	app     core.App
	now     func() time.Time
	start   sync.Once
	waiting chan *waitingEntry

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
	for first := range b.waiting {
		// Requests running now are about to append too: letting them do
		// so first puts their entries in this commit rather than the next.
		runtime.Gosched()
		batch := []*waitingEntry{first}
	gather:
		for len(batch) < maxBatch {
			select {
			case next := <-b.waiting:
				batch = append(batch, next)
			default:
				break gather
			}
		}
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
