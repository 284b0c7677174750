package messages

import (
	"fmt"
	"slices"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/filesystem"

	"portico/hooks/schema"
)

// Store keeps threads and messages: it takes records, numbers and times
// and returns rows, and knows no HTTP.
type Store struct {
	App core.App
}

// In is the store writing with app, a request's, which may be the
// transaction the audit trail runs a change in.
func (s *Store) In(app core.App) *Store {
	return &Store{App: app}
}

// Draft is a message about to be written by one side of a thread.
type Draft struct {
	Side   string       // schema.SideClient or schema.SidePractice
	Author *core.Record // the staff member writing for the practice; nil for the client
	Body   string
	Files  []*filesystem.File
	At     time.Time
}

// other is the side that reads what side writes.
func other(side string) string {
	if side == schema.SideClient {
		return schema.SidePractice
	}
	return schema.SideClient
}

// Start opens a thread for client with its first message, in one transaction.
func (s *Store) Start(client *core.Record, kind, subject string, first Draft) (thread, message *core.Record, err error) {
	err = s.App.RunInTransaction(func(tx core.App) error {
		collection, err := tx.FindCachedCollectionByNameOrId(schema.MessageThreads)
		if err != nil {
			return err
		}
		thread = core.NewRecord(collection)
		thread.Set("client", client.Id)
		thread.Set("kind", kind)
		thread.Set("subject", subject)
		if err := tx.Save(thread); err != nil {
			return err
		}
		message, err = write(tx, thread.Id, first)
		return err
	})
	return thread, message, err
}

// Write adds a message to the thread and moves the thread's marks: its
// count and last time, and the writer's own read mark (a side has read
// what it wrote).
func (s *Store) Write(threadId string, draft Draft) (message *core.Record, err error) {
	err = s.App.RunInTransaction(func(tx core.App) error {
		message, err = write(tx, threadId, draft)
		return err
	})
	return message, err
}

func write(tx core.App, threadId string, draft Draft) (*core.Record, error) {
	// The write comes first, so the transaction holds the write lock
	// before it reads: two messages at once get the next two numbers.
	var seq int
	err := tx.DB().NewQuery("UPDATE " + schema.MessageThreads + " SET messages = messages + 1 WHERE id = {:id} RETURNING messages").
		Bind(dbx.Params{"id": threadId}).Row(&seq)
	if err != nil {
		return nil, fmt.Errorf("numbering the message: %w", err)
	}
	thread, err := tx.FindRecordById(schema.MessageThreads, threadId)
	if err != nil {
		return nil, err
	}
	collection, err := tx.FindCachedCollectionByNameOrId(schema.Messages)
	if err != nil {
		return nil, err
	}
	message := core.NewRecord(collection)
	message.Set("thread", thread.Id)
	message.Set("client", thread.GetString("client"))
	message.Set("kind", thread.GetString("kind"))
	message.Set("seq", seq)
	message.Set("side", draft.Side)
	message.Set("body", draft.Body)
	message.Set("sent", schema.DateTime(draft.At))
	if draft.Author != nil {
		message.Set("author", draft.Author.Id)
		message.Set("author_name", draft.Author.GetString("name"))
	}
	if len(draft.Files) > 0 {
		message.Set("attachments", draft.Files)
	}
	if err := tx.Save(message); err != nil {
		return nil, err
	}
	// Saving the thread as a record (not by SQL) is what tells its
	// parties' realtime subscriptions that something arrived.
	thread.Set("last_message", schema.DateTime(draft.At))
	thread.Set(draft.Side+"_read", seq)
	if err := tx.Save(thread); err != nil {
		return nil, err
	}
	return message, nil
}

// MarkRead moves side's read mark to upto, never back and never past the
// last message. It is one statement, so a message written meanwhile
// keeps its number.
func (s *Store) MarkRead(threadId, side string, upto int) error {
	column := side + "_read"
	_, err := s.App.DB().NewQuery("UPDATE " + schema.MessageThreads + " SET " + column + " = MAX(" + column + ", MIN({:upto}, messages)) WHERE id = {:id}").
		Bind(dbx.Params{"upto": upto, "id": threadId}).Execute()
	return err
}

// Summary is one thread as a list of threads shows it.
type Summary struct {
	Id          string `db:"id" json:"id"`
	Kind        string `db:"kind" json:"kind"`
	Subject     string `db:"subject" json:"subject"`
	Client      string `db:"client" json:"client"`
	ClientName  string `db:"clientName" json:"clientName"`
	Messages    int    `db:"messages" json:"messages"`
	LastMessage string `db:"last_message" json:"lastMessage"`
	Unread      int    `db:"unread" json:"unread"`
}

// Scope narrows a list of threads to those one reader may see: a SQL
// condition on the thread t and its client c.
type Scope struct {
	Where  string
	Params dbx.Params
}

// Threads lists the threads in scope, most recent first, with how many
// messages from the other side side has not read.
func (s *Store) Threads(scope Scope, side string, limit int) ([]Summary, error) {
	rows := []Summary{}
	params := dbx.Params{"other": other(side), "limit": limit}
	for k, v := range scope.Params {
		params[k] = v
	}
	err := s.App.DB().NewQuery(`SELECT t.id, t.kind, t.subject, t.client, c.name AS clientName, t.messages, t.last_message,
			(SELECT COUNT(*) FROM ` + schema.Messages + ` m WHERE m.thread = t.id AND m.side = {:other} AND m.seq > t.` + side + `_read) AS unread
		FROM ` + schema.MessageThreads + ` t JOIN ` + schema.Clients + ` c ON c.id = t.client
		WHERE ` + scope.Where + `
		ORDER BY t.last_message DESC, t.id LIMIT {:limit}`).Bind(params).All(&rows)
	return rows, err
}

// Page is up to limit messages of a thread: the newest when before and
// after are 0, those before the number before (an older page), or those
// after the number after (what arrived since), in order.
func (s *Store) Page(threadId string, before, after, limit int) (messages []*core.Record, more bool, err error) {
	filter, sort := "thread = {:thread}", "-seq"
	switch {
	case after > 0:
		filter, sort = filter+" && seq > {:after}", "seq"
	case before > 0:
		filter += " && seq < {:before}"
	}
	messages, err = s.App.FindRecordsByFilter(schema.Messages, filter, sort, limit+1, 0,
		dbx.Params{"thread": threadId, "before": before, "after": after})
	if err != nil {
		return nil, false, err
	}
	if more = len(messages) > limit; more {
		messages = messages[:limit]
	}
	if sort == "-seq" {
		slices.Reverse(messages)
	}
	return messages, more, nil
}

// Due is a thread whose side has a notice to be sent, and the last
// message number it covers.
type Due struct {
	Thread string `db:"id"`
	Client string `db:"client"`
	Kind   string `db:"kind"`
	Upto   int    `db:"upto"`
}

// DueNotices are the threads where side has a message from the other side
// it has not read, sent no later than sentBy and not covered by an earlier
// notice, and no notice to side since noticedBy.
func (s *Store) DueNotices(side string, sentBy, noticedBy time.Time) ([]Due, error) {
	rows := []Due{}
	err := s.App.DB().NewQuery(`SELECT t.id, t.client, t.kind, t.messages AS upto FROM ` + schema.MessageThreads + ` t
		WHERE (t.` + side + `_noticed = '' OR t.` + side + `_noticed <= {:noticedBy})
		AND EXISTS (SELECT 1 FROM ` + schema.Messages + ` m WHERE m.thread = t.id AND m.side = {:other}
			AND m.seq > MAX(t.` + side + `_read, t.` + side + `_noticed_upto) AND m.sent <= {:sentBy})
		ORDER BY t.last_message LIMIT 500`).Bind(dbx.Params{
		"other": other(side), "sentBy": schema.DateTime(sentBy).String(), "noticedBy": schema.DateTime(noticedBy).String(),
	}).All(&rows)
	return rows, err
}

// Noticed records that side was sent a notice at covering messages up to upto.
func (s *Store) Noticed(app core.App, threadId, side string, at time.Time, upto int) error {
	_, err := app.DB().NewQuery("UPDATE " + schema.MessageThreads + " SET " + side + "_noticed = {:at}, " + side + "_noticed_upto = {:upto} WHERE id = {:id}").
		Bind(dbx.Params{"at": schema.DateTime(at).String(), "upto": upto, "id": threadId}).Execute()
	return err
}
