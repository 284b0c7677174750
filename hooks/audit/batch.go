package audit

import (
	"sync"
	"time"

	"github.com/pocketbase/pocketbase/core"
)

// maxBatch bounds how many waiting entries one commit takes.
const maxBatch = 64

// batcher is a group commit: the entries of requests that arrive while a
// commit is under way go together in the next write transaction, so a
// busy practice pays for one transaction per burst instead of one per
// read. Every request still waits for the commit that holds its entry
// before its response is sent.
type batcher struct {
	app     core.App
	now     func() time.Time
	start   sync.Once
	waiting chan *waitingEntry
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
		err := appendEntries(b.app, entries, b.now())
		for _, waiting := range batch {
			waiting.done <- err
		}
	}
}
