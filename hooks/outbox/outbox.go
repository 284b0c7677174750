// Package outbox is Portico's durable mail queue. Every message is a row in
// mail_outbox before it is an SMTP conversation, so a mail server that is
// down or a restart loses nothing, and a unique dedupe key lets callers
// queue "this reminder" exactly once without a check-then-insert race.
package outbox

import (
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"

	"portico/hooks/schema"
)

// Collection is the name of the queue's table.
const Collection = schema.MailOutbox

// Message is one email to queue.
type Message struct {
	To          string
	ToName      string
	Kind        string // what the message is for, e.g. "sign_in"; shown in the dashboard
	Subject     string
	Text        string
	HTML        string
	Attachments []Attachment

	// Sensitive bodies hold a link or code: they are cleared once
	// delivered, or once Portico gives up on them.
	Sensitive bool

	// Carries is the id of the sign-in token whose link and code the
	// message holds: it is voided (see OnGiveUp) if the message never
	// goes out, so that a failed row holds nothing that still works.
	Carries string

	// DedupeKey, when set, makes a second Enqueue of the same key a no-op.
	DedupeKey string
}

// Attachment is a file sent with a message, such as a calendar invite.
type Attachment struct {
	Name        string `json:"name"`
	ContentType string `json:"contentType"`
	Content     []byte `json:"content"`
}

// Config tunes the outbox; zero values take the defaults.
type Config struct {
	Now       func() time.Time
	SMTPURL   string        // overrides the dashboard's SMTP settings
	RetryBase time.Duration // first retry delay, doubled per attempt up to MaxRetryDelay
	PollEvery time.Duration // how often the worker looks for due messages without a wake-up
	Console   io.Writer     // where captured messages are printed when no SMTP is configured
	Errors    io.Writer     // where undeliverable mail and mail set-up mistakes are said
}

// Delivery limits.
const (
	MaxAttempts   = 20
	MaxRetryDelay = time.Hour
	batchSize     = 200
)

// Outbox queues messages and delivers them from a background worker.
type Outbox struct {
	app    core.App
	config Config

	wake chan struct{}
	stop chan struct{}
	done chan struct{}
	once sync.Once

	// started tells Stop whether a worker exists to wait for: CLI
	// commands never start one, and must not wait 30s on the way out.
	started atomic.Bool

	// sendMu keeps a manual Deliver and the worker from sending one batch twice.
	sendMu sync.Mutex

	// voids are the OnGiveUp functions.
	voids []func(app core.App, token string) error

	// conn is the open mail server connection, which Stop closes so that
	// a server that went silent cannot hold a shutdown.
	connMu sync.Mutex
	conn   net.Conn
}

func (o *Outbox) holdConn(conn net.Conn) {
	o.connMu.Lock()
	defer o.connMu.Unlock()
	o.conn = conn
	if o.stopped() {
		conn.Close()
	}
}

func (o *Outbox) forgetConn() {
	o.connMu.Lock()
	defer o.connMu.Unlock()
	o.conn = nil
}

func (o *Outbox) closeConn() {
	o.connMu.Lock()
	defer o.connMu.Unlock()
	if o.conn != nil {
		o.conn.Close()
	}
}

// New returns an outbox for app; call Start to run its worker.
func New(app core.App, config Config) *Outbox {
	if config.Now == nil {
		config.Now = time.Now
	}
	if config.RetryBase <= 0 {
		config.RetryBase = 30 * time.Second
	}
	if config.PollEvery <= 0 {
		config.PollEvery = 2 * time.Second
	}
	if config.Console == nil {
		config.Console = os.Stdout
	}
	if config.Errors == nil {
		config.Errors = os.Stderr
	}
	return &Outbox{
		app:    app,
		config: config,
		wake:   make(chan struct{}, 1),
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
	}
}

// RunWithServe runs the worker while serve runs: it starts with the server
// and stops once the HTTP server has stopped taking requests.
func (o *Outbox) RunWithServe() {
	o.app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		o.warnPlaceholderSender()
		o.Start()
		return e.Next()
	})
	o.app.OnTerminate().Bind(&hook.Handler[*core.TerminateEvent]{
		// Last in the chain, once PocketBase's server shutdown and the
		// background jobs that queue mail have run, so the last requests'
		// mail is queued; and before PocketBase closes the database, which
		// the worker still writes to as it stops.
		Func: func(e *core.TerminateEvent) error {
			o.Stop()
			return e.Next()
		},
		Priority: 10000,
	})
}

// Enqueue stores msg for delivery using app, which may be a transaction.
// It reports false, without error, when msg.DedupeKey was queued before.
func (o *Outbox) Enqueue(app core.App, msg Message) (bool, error) {
	collection, err := app.FindCachedCollectionByNameOrId(Collection)
	if err != nil {
		return false, err
	}

	record := core.NewRecord(collection)
	record.Set("recipient", msg.To)
	record.Set("recipient_name", msg.ToName)
	record.Set("kind", msg.Kind)
	record.Set("subject", msg.Subject)
	record.Set("text_body", msg.Text)
	record.Set("html_body", msg.HTML)
	if len(msg.Attachments) > 0 {
		record.Set("attachments", msg.Attachments)
	}
	record.Set("sensitive", msg.Sensitive)
	record.Set("state", "pending")
	record.Set("dedupe_key", msg.DedupeKey)
	record.Set("carries", msg.Carries)

	if err := app.SaveNoValidate(record); err != nil {
		if msg.DedupeKey != "" && isDuplicate(err) {
			return false, nil
		}
		return false, err
	}

	o.Wake()
	return true, nil
}

// Withdraw stops the messages whose dedupe keys start with prefix and are
// not sent yet, using app, which may be a transaction: a reminder for a
// time that has changed must not go out. One being sent at this moment
// may still arrive; it is not retried if its attempt fails.
func (o *Outbox) Withdraw(app core.App, prefix, reason string) error {
	if prefix == "" {
		return errors.New("outbox: withdrawing needs a dedupe key prefix")
	}
	_, err := app.DB().NewQuery(`
		UPDATE mail_outbox SET state = 'failed', last_error = {:reason}, updated = {:now}
		WHERE state IN ('pending', 'sending') AND dedupe_key != '' AND dedupe_key >= {:prefix} AND dedupe_key < {:beyond}`,
	).Bind(dbx.Params{
		"reason": reason,
		"now":    schema.DateTime(o.config.Now()),
		"prefix": prefix,
		// The first key past every key with the prefix, so the unique index answers.
		"beyond": prefix[:len(prefix)-1] + string(rune(prefix[len(prefix)-1]+1)),
	}).Execute()
	return err
}

// OnGiveUp adds void, which ends the token a message carries
// (Message.Carries) when Portico gives up on the message, in the
// transaction that marks it failed. Bind it before serve starts.
func (o *Outbox) OnGiveUp(void func(app core.App, token string) error) {
	o.voids = append(o.voids, void)
}

// Wake asks the worker to look for due messages now.
func (o *Outbox) Wake() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// isDuplicate tells whether saving failed on the dedupe key's unique index,
// which PocketBase reports as a field validation error.
func isDuplicate(err error) bool {
	var fieldErrors validation.Errors
	if errors.As(err, &fieldErrors) {
		_, ok := fieldErrors["dedupe_key"]
		return ok
	}
	return strings.Contains(err.Error(), "UNIQUE constraint failed: mail_outbox.dedupe_key")
}

// retryDelay is the wait after the given number of failed attempts.
func (o *Outbox) retryDelay(attempts int) time.Duration {
	delay := o.config.RetryBase
	for i := 1; i < attempts && delay < MaxRetryDelay; i++ {
		delay *= 2
	}
	return min(delay, MaxRetryDelay)
}

var errStopped = errors.New("outbox stopped")
