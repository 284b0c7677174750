package outbox

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"portico/hooks/schema"
)

// queued is one due message as the worker reads it.
type queued struct {
	Id            string `db:"id"`
	Recipient     string `db:"recipient"`
	RecipientName string `db:"recipient_name"`
	Kind          string `db:"kind"`
	Subject       string `db:"subject"`
	TextBody      string `db:"text_body"`
	HTMLBody      string `db:"html_body"`
	Attachments   string `db:"attachments"`
	Sensitive     bool   `db:"sensitive"`
	Carries       string `db:"carries"`
	Attempts      int    `db:"attempts"`
}

// Start runs the delivery worker until Stop. Messages a crash left
// half-sent are queued again first: a message is delivered at least once.
func (o *Outbox) Start() {
	o.started.Store(true)
	_, err := o.app.DB().NewQuery(
		"UPDATE mail_outbox SET state = 'pending' WHERE state = 'sending'",
	).Execute()
	if err != nil {
		o.app.Logger().Error("outbox: recovering interrupted messages", "error", err)
	}

	go func() {
		defer close(o.done)
		ticker := time.NewTicker(o.config.PollEvery)
		defer ticker.Stop()
		for {
			if err := o.Deliver(); err != nil && !errors.Is(err, errStopped) {
				o.app.Logger().Error("outbox: delivery pass", "error", err)
			}
			select {
			case <-o.stop:
				return
			case <-o.wake:
			case <-ticker.C:
			}
		}
	}()
}

// Stop ends the worker and waits for it. A message being sent is cut
// off and stays pending, to go out after the restart: a silent mail server
// must not hold a SIGTERM past the 10 seconds Docker and systemd give.
func (o *Outbox) Stop() {
	o.once.Do(func() { close(o.stop) })
	if !o.started.Load() {
		return // a command such as invite only queues
	}
	// A healthy server finishes the message in hand; a silent one is cut off.
	select {
	case <-o.done:
		return
	case <-time.After(3 * time.Second):
	}
	o.closeConn()
	select {
	case <-o.done:
	case <-time.After(5 * time.Second):
		o.app.Logger().Warn("outbox: worker did not stop within 8s")
	}
}

func (o *Outbox) stopped() bool {
	select {
	case <-o.stop:
		return true
	default:
		return false
	}
}

// Deliver sends every message that is due now, batch by batch.
func (o *Outbox) Deliver() error {
	o.sendMu.Lock()
	defer o.sendMu.Unlock()

	for !o.stopped() {
		due, err := o.due()
		if err != nil || len(due) == 0 {
			return err
		}
		if err := o.deliverBatch(due); err != nil {
			return err
		}
	}
	return errStopped
}

// due reads the next batch in the order idx_mail_outbox_due keeps (an
// empty next_attempt sorts first; rowid is insertion order), so a long
// queue is read from the index rather than sorted on every batch.
func (o *Outbox) due() ([]queued, error) {
	var due []queued
	err := o.app.DB().NewQuery(`
		SELECT id, recipient, recipient_name, kind, subject, text_body, html_body,
		       COALESCE(attachments, '') AS attachments, sensitive, carries, attempts
		FROM mail_outbox
		WHERE state = 'pending' AND next_attempt <= {:now}
		ORDER BY next_attempt, rowid
		LIMIT {:limit}`,
	).Bind(dbx.Params{"now": schema.DateTime(o.config.Now()), "limit": batchSize}).All(&due)
	return due, err
}

// deliverBatch sends due messages over one transport connection.
func (o *Outbox) deliverBatch(due []queued) error {
	transport, err := o.openTransport()
	if err != nil {
		if o.stopped() {
			// Stop cut the dial or the greeting off: no attempt failed, and
			// the batch is due at once after the restart.
			return errStopped
		}
		// The server is unreachable: every message in the batch waits its turn.
		for _, msg := range due {
			if markErr := o.markRetry(msg, err); markErr != nil {
				return markErr
			}
		}
		return nil
	}
	defer transport.Close()

	for _, msg := range due {
		if o.stopped() {
			return errStopped
		}
		claimed, err := o.claim(msg.Id)
		if err != nil {
			return err
		}
		if !claimed {
			continue // withdrawn since the batch was read
		}

		meta := o.app.Settings().Meta
		meta.SenderAddress = o.SenderAddress()
		sendErr := transport.Send(meta, msg)

		var smtpErr *smtp.SMTPError
		switch {
		case sendErr != nil && o.stopped():
			// Cut off by Stop: no attempt of the message's own failed.
			return o.unclaim(msg.Id)
		case sendErr == nil:
			err = o.markDelivered(msg, transport.DeliveredState())
		case errors.As(sendErr, &smtpErr) && smtpErr.Code >= 500:
			err = o.markFailed(msg, sendErr)
		default:
			err = o.markRetry(msg, sendErr)
		}
		if err != nil {
			return err
		}
		if sendErr != nil && !errors.As(sendErr, &smtpErr) {
			// The connection broke mid-batch; the rest waits for a new one.
			return nil
		}
	}
	return nil
}

func (o *Outbox) exec(query string, params dbx.Params) (int64, error) {
	return execIn(o.app, query, params)
}

// execIn is exec using app, which may be a transaction.
func execIn(app core.App, query string, params dbx.Params) (int64, error) {
	// "updated" is the row's wall-clock audit time, like PocketBase's own
	// autodate fields, not the scheduling clock tests travel with.
	params["updated"] = schema.DateTime(time.Now())
	result, err := app.DB().NewQuery(query).Bind(params).Execute()
	if err != nil {
		return 0, err
	}
	return result.RowsAffected()
}

// claim marks a message as being sent, only if it is still pending: a
// message withdrawn after its batch was read must not go out.
func (o *Outbox) claim(id string) (bool, error) {
	rows, err := o.exec(
		"UPDATE mail_outbox SET state = 'sending', updated = {:updated} WHERE id = {:id} AND state = 'pending'",
		dbx.Params{"id": id},
	)
	return rows == 1, err
}

// unclaim puts a message Stop cut off back in the queue as it was.
func (o *Outbox) unclaim(id string) error {
	_, err := o.exec(
		"UPDATE mail_outbox SET state = 'pending', updated = {:updated} WHERE id = {:id} AND state = 'sending'",
		dbx.Params{"id": id},
	)
	return err
}

// clearBody empties a sensitive message's link and code.
const clearBody = ", text_body = '', html_body = '', attachments = 'null'"

func (o *Outbox) markDelivered(msg queued, state string) error {
	clear := ""
	if msg.Sensitive && state == "sent" {
		clear = clearBody
	}
	_, err := o.exec(
		"UPDATE mail_outbox SET state = {:state}, attempts = attempts + 1, sent_at = {:now}, last_error = ''"+
			clear+", updated = {:updated} WHERE id = {:id}",
		dbx.Params{"id": msg.Id, "state": state, "now": schema.DateTime(o.config.Now())},
	)
	return err
}

// stillQueued keeps a failed attempt from bringing back a message its
// sender withdrew (see Withdraw) while it was being sent.
const stillQueued = " AND state IN ('pending', 'sending')"

// markFailed gives up on msg: a sensitive message loses its body and the
// token it carries is voided with it, so that neither the database nor
// its backups keep a link or code that still works.
func (o *Outbox) markFailed(msg queued, cause error) error {
	o.sayUndelivered(msg, msg.Attempts+1, cause, 0)
	clear := ""
	if msg.Sensitive {
		clear = clearBody
	}
	return o.app.RunInTransaction(func(tx core.App) error {
		failed, err := execIn(tx,
			"UPDATE mail_outbox SET state = 'failed', attempts = attempts + 1, last_error = {:error}"+clear+", updated = {:updated} WHERE id = {:id}"+stillQueued,
			dbx.Params{"id": msg.Id, "error": errorLine(cause)},
		)
		if err != nil || failed == 0 || msg.Carries == "" {
			return err
		}
		for _, void := range o.voids {
			if err := void(tx, msg.Carries); err != nil {
				return err
			}
		}
		return nil
	})
}

func (o *Outbox) markRetry(msg queued, cause error) error {
	attempts := msg.Attempts + 1
	if attempts >= MaxAttempts {
		return o.markFailed(msg, fmt.Errorf("gave up after %d attempts: %w", attempts, cause))
	}
	o.sayUndelivered(msg, attempts, cause, o.retryDelay(attempts))
	_, err := o.exec(
		"UPDATE mail_outbox SET state = 'pending', attempts = {:attempts}, next_attempt = {:next}, last_error = {:error}, updated = {:updated} WHERE id = {:id}"+stillQueued,
		dbx.Params{
			"id":       msg.Id,
			"attempts": attempts,
			"next":     schema.DateTime(o.config.Now().Add(o.retryDelay(attempts))),
			"error":    errorLine(cause),
		},
	)
	return err
}

// sayUndelivered tells the operator, on the console and in the logs, that
// a message did not go out: the recipient's domain, the attempt and the
// server's answer, never the body with its link or code. retryIn 0 means
// Portico has given up on it.
func (o *Outbox) sayUndelivered(msg queued, attempt int, cause error, retryIn time.Duration) {
	domain := senderDomain(msg.Recipient)
	answer := strings.ReplaceAll(errorLine(cause), msg.Recipient, "…@"+domain)
	next := "given up; see mail_outbox in the dashboard"
	if retryIn > 0 {
		next = "retrying in " + retryIn.String()
	}
	fmt.Fprintf(o.config.Errors, "mail %s (%s) to a recipient at %s not delivered, attempt %d, %s: %s\n",
		msg.Id, msg.Kind, domain, attempt, next, answer)
	o.app.Logger().Warn("mail not delivered",
		"message", msg.Id, "kind", msg.Kind, "recipientDomain", domain, "attempt", attempt, "next", next, "answer", answer)
}

func errorLine(err error) string {
	line := err.Error()
	if len(line) > 1000 {
		line = line[:1000]
	}
	return line
}
