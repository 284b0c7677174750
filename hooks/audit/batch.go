package audit

import (
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
	single *dbx.Query // the one-entry INSERT, prepared once
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
		b.single = insertQuery(b.app.NonconcurrentDB(), 1).Prepare()
		go b.commitLoop()
	})
	waiting := &waitingEntry{entry: entry, done: make(chan error, 1)}
	b.waiting <- waiting
	return <-waiting.done
}

func (b *batcher) commitLoop() {
	for first := range b.waiting {
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
		query := b.single
		if len(entries) > 1 {
			query = insertQuery(db, len(entries))
		}
		_, err := query.Bind(bind(entries)).Execute()
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
