// Package clients keeps the practice's clients ready for the portal:
// every new client with portal access is mailed an invite, none ever has
// a usable password, and PocketBase's own verification and email-change
// flows, which would confuse clients or let an address move away from the
// one the practice keeps, are closed. `portico invite` is the same invite
// from the command line.
package clients

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/security"

	"portico/hooks/letters"
	"portico/hooks/practice"
	"portico/hooks/schema"
	"portico/hooks/signin"
)

// Clients is the clients capability.
type Clients struct {
	app       core.App
	signIn    *signin.SignIn
	letters   *letters.Letters
	inviteTTL time.Duration
}

// New returns the clients capability; invites mail a link valid for inviteTTL.
func New(app core.App, signIn *signin.SignIn, mail *letters.Letters, inviteTTL time.Duration) *Clients {
	return &Clients{app: app, signIn: signIn, letters: mail, inviteTTL: inviteTTL}
}

// Register binds the record hooks and guards on the clients collection.
func (c *Clients) Register() {
	c.app.OnRecordAfterCreateSuccess(schema.Clients).BindFunc(func(e *core.RecordEvent) error {
		if e.Record.GetBool("portal_access") {
			if err := c.Invite(e.Record, "dashboard"); err != nil {
				// The client is saved either way; the clinician can invite again.
				e.App.Logger().Error("invite: queueing mail", "client", e.Record.Id, "error", err)
			}
		}
		return e.Next()
	})

	// Clients never have a password, but an auth collection requires one:
	// each new client gets an unusable random one, whether it is saved by
	// Portico itself or through the records API the dashboard uses (whose
	// form asks for the password before any record hook runs).
	c.app.OnRecordCreate(schema.Clients).BindFunc(func(e *core.RecordEvent) error {
		if e.Record.GetString("password") == "" {
			e.Record.SetRandomPassword()
		}
		return e.Next()
	})
	c.app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		se.Router.BindFunc(func(e *core.RequestEvent) error {
			creating := e.Request.Method == http.MethodPost && strings.HasSuffix(e.Request.URL.Path, "/records")
			if !creating || !c.isClientsCollection(e.Request.PathValue("collection")) {
				return e.Next()
			}
			info, err := e.RequestInfo()
			if err != nil {
				return e.BadRequestError("The request body is not valid.", err)
			}
			if _, ok := info.Body["password"]; !ok {
				password := security.RandomString(40)
				info.Body["password"] = password
				info.Body["passwordConfirm"] = password
			}
			return e.Next()
		})
		return se.Next()
	})

	// PocketBase's own verification mail would reach clients as a second,
	// confusing kind of email that anyone can trigger. It answers 204 as
	// PocketBase does for any address, so nobody learns who is a client.
	c.app.OnRecordRequestVerificationRequest(schema.Clients).BindFunc(func(e *core.RecordRequestVerificationRequestEvent) error {
		return e.NoContent(http.StatusNoContent)
	})
	// The practice keeps each client's address: sign-in links go there.
	c.app.OnRecordRequestEmailChangeRequest(schema.Clients).BindFunc(func(e *core.RecordRequestEmailChangeRequestEvent) error {
		return e.ForbiddenError("Your practice keeps your email address. Please ask them to change it.", nil)
	})
}

func (c *Clients) isClientsCollection(nameOrId string) bool {
	if nameOrId == "" {
		return false
	}
	collection, err := c.app.FindCachedCollectionByNameOrId(nameOrId)
	return err == nil && collection.Name == schema.Clients
}

// Invite mails client an invite link to the portal; via says who asked
// (the dashboard, the CLI), for the token's record.
func (c *Clients) Invite(client *core.Record, via string) error {
	name := c.letters.PracticeName()
	return c.signIn.MailLink(client, signin.LinkLetter{
		Purpose: schema.PurposeInvite,
		TTL:     c.inviteTTL,
		Subject: name + " invites you to your client portal",
		Letter: letters.Letter{
			Paragraphs: []string{c.letters.PortalIntro()},
			Footer:     fmt.Sprintf("This invitation works for %s. If it runs out, the page it opens lets you ask for a new one.", practice.HumanDuration(c.inviteTTL)),
		},
	}, signin.Requester{Agent: via})
}
