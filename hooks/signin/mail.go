package signin

import (
	"fmt"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"portico/hooks/letters"
	"portico/hooks/outbox"
	"portico/hooks/practice"
	"portico/hooks/schema"
)

// LinkLetter is a mail that carries a sign-in link and code: what it is
// for, how long the link works, and its words. MailLink adds the button
// and the code.
type LinkLetter struct {
	Purpose string // a schema.Purpose* value
	TTL     time.Duration
	Subject string
	Letter  letters.Letter
}

// MailLink issues a fresh token for client and queues the email carrying
// its link and code. A client without portal access gets nothing.
func (s *SignIn) MailLink(client *core.Record, link LinkLetter, from Requester) error {
	return s.MailLinkIn(s.app, client, link, from)
}

// MailLinkIn is MailLink using app, which may be a transaction: the token
// and its mail then commit with the change that asked for them.
func (s *SignIn) MailLinkIn(app core.App, client *core.Record, link LinkLetter, from Requester) error {
	if !client.GetBool("portal_access") {
		return nil
	}
	id, token, code, err := s.store.Issue(app, client, link.Purpose, link.TTL, from)
	if err != nil {
		return err
	}
	letter := link.Letter
	letter.Greeting = "Hello " + client.GetString("name") + ","
	if letter.ButtonLabel == "" {
		letter.ButtonLabel = "Sign in to " + s.letters.PracticeName()
	}
	letter.ButtonURL = s.letters.PortalURL(LinkPath + token)
	letter.Code = code
	_, err = s.letters.ToClient(app, client, link.Purpose, link.Subject, letter, outbox.Message{Sensitive: true, Carries: id})
	return err
}

// signInLetter is the mail a client asks for from the sign-in page.
func (s *SignIn) signInLetter() LinkLetter {
	return LinkLetter{
		Purpose: schema.PurposeSignIn,
		TTL:     s.config.SignInTTL,
		Subject: "Your sign-in link for " + s.letters.PracticeName(),
		Letter: letters.Letter{
			Paragraphs: []string{"Someone, hopefully you, asked to sign in to the client portal."},
			Footer:     fmt.Sprintf("The link and code work for %s. If you did not ask for them, you can ignore this email.", practice.HumanDuration(s.config.SignInTTL)),
		},
	}
}
