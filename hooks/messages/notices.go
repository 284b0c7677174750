package messages

import (
	"fmt"

	"github.com/pocketbase/pocketbase/core"

	"portico/hooks/letters"
	"portico/hooks/outbox"
	"portico/hooks/schema"
	"portico/hooks/signin"
)

// A notice says only that a message is waiting: never its text, its
// subject, an attachment's name or even which clinician wrote, since any
// of them can be a health detail and mail is not the place for one.

// SendNotices mails each side that has an unread message older than
// NoticeDelay, at most once per thread per NoticeEvery, and returns how
// many threads it noticed. The notice and its mark commit together, so a
// crash sends no second one; one sweep runs at a time.
func (m *Messages) SendNotices() (int, error) {
	m.noticing.Lock()
	defer m.noticing.Unlock()
	now := m.now()
	sent := 0
	for _, side := range []string{schema.SideClient, schema.SidePractice} {
		due, err := m.store.DueNotices(side, now.Add(-NoticeDelay), now.Add(-NoticeEvery))
		if err != nil {
			return sent, err
		}
		for _, thread := range due {
			err := m.app.RunInTransaction(func(tx core.App) error {
				if err := m.store.Noticed(tx, thread.Thread, side, now, thread.Upto); err != nil {
					return err
				}
				client, err := tx.FindRecordById(schema.Clients, thread.Client)
				if err != nil {
					return err
				}
				if side == schema.SideClient {
					return m.noticeClient(tx, client)
				}
				return m.noticeStaff(tx, client, thread)
			})
			if err != nil {
				return sent, fmt.Errorf("notice for thread %s: %w", thread.Thread, err)
			}
			sent++
		}
	}
	return sent, nil
}

// noticeSubject is the subject of every notice, to either side.
func (m *Messages) noticeSubject() string {
	return "You have a new message from " + m.letters.PracticeName()
}

// noticeClient mails the client a link that signs them in; a client
// without portal access gets nothing, as with every portal mail.
func (m *Messages) noticeClient(tx core.App, client *core.Record) error {
	name := m.letters.PracticeName()
	return m.signIn.MailLinkIn(tx, client, signin.LinkLetter{
		Purpose: schema.PurposeMessage,
		TTL:     m.linkTTL,
		Subject: m.noticeSubject(),
		Letter: letters.Letter{
			ButtonLabel: "Sign in to read it",
			Paragraphs:  []string{"You have a new message from " + name + ". Sign in to read it."},
			Footer:      "For your privacy, messages are never sent by email: they stay in your client portal.",
		},
	}, signin.Requester{Agent: "messages"})
}

// noticeStaff mails the staff who answer this thread (recipients).
func (m *Messages) noticeStaff(tx core.App, client *core.Record, thread Due) error {
	staff, err := recipients(tx, client, thread.Kind)
	if err != nil {
		return err
	}
	for _, member := range staff {
		letter := letters.Letter{
			Greeting:    "Hello " + member.GetString("name") + ",",
			Paragraphs:  []string{"You have a new message from a client in the " + m.letters.PracticeName() + " staff workspace. Sign in to read it."},
			ButtonLabel: "Open Messages",
			ButtonURL:   m.letters.PortalURL("/staff/messages.html"),
			Footer:      "You can turn these emails off on the Messages page.",
		}
		msg := outbox.Message{To: member.Email(), ToName: member.GetString("name"),
			DedupeKey: fmt.Sprintf("message-notice:%s:%d:%s", thread.Thread, thread.Upto, member.Id)}
		if _, err := m.letters.ToAddress(tx, "message", m.noticeSubject(), letter, msg); err != nil {
			return err
		}
	}
	return nil
}
