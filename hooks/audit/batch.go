package audit

import (
	"database/sql"
	"errors"
	"runtime"
	"sync"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
)

// maxBatch bounds how many waiting entries one commit takes.
const maxBatch = 64

// batcher is a group commit: the entries of requests that arrive while a
// commit is under way go together in the next INSERT, so a busy practice
// pays for one write per burst instead of one per read. Every request
// still waits for the commit that holds its entry before its response is
// sent. Only its goroutine writes through it, so it keeps the chain's tip
// in memory; when anyone else appended meanwhile (a change's own
// transaction, a command in another process), the unique seq index
// refuses the insert, and it reads the tip again and retries.
type batcher struct {
	app     core.App
	now     func() time.Time
	start   sync.Once
	waiting chan *waitingEntry

	tip    *tip
	insert *sql.Stmt // the one-entry INSERT, prepared once, with positional values
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

// commitAttempts bounds the retries after another writer's append.
const commitAttempts = 3

func (b *batcher) commit(entries []Entry) error {
	db := b.app.NonconcurrentDB()
	for attempt := 1; ; attempt++ {
		if b.tip == nil {
			last, err := readTip(db)
			if err != nil {
				return err
			}
			b.tip = &last
		}
		next := link(entries, *b.tip, b.now())
		err := b.insertAll(entries)
		if err == nil {
			b.tip = &next
			return nil
		}
		b.tip = nil
		if !isSeqConflict(err) || attempt == commitAttempts {
			return err
		}
	}
}

// insertAll inserts entries in one transaction with the prepared INSERT:
// no SQL to parse and no named parameters to build per entry.
func (b *batcher) insertAll(entries []Entry) error {
	if b.insert == nil {
		db, ok := b.app.NonconcurrentDB().(*dbx.DB)
		if !ok {
			return errors.New("audit: the app's writer is not a database")
		}
		statement, err := db.DB().Prepare(insertSQL)
		if err != nil {
			return err
		}
		b.insert = statement
	}
	if len(entries) == 1 {
		_, err := b.insert.Exec(entries[0].values()...)
		return err
	}
	db := b.app.NonconcurrentDB().(*dbx.DB).DB()
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	insert := tx.Stmt(b.insert)
	for _, entry := range entries {
		if _, err := insert.Exec(entry.values()...); err != nil {
			_ = tx.Rollback()
			return err
		}
	}
	return tx.Commit()
}
