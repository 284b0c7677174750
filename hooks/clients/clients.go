// Package clients keeps the practice's clients ready for the portal:
// every new client with portal access is mailed an invite, none ever has
// a usable password, and PocketBase's own verification and email-change
// flows, which would confuse clients or let an address move away from the
// one the practice keeps, are closed. `portico invite` is the same invite
// from the command line.
package clients

import (
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/security"

	"portico/hooks/letters"
	"portico/hooks/practice"
	"portico/hooks/schema"
	"portico/hooks/signin"
	"portico/hooks/web"
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
	// A client given portal access, new or existing, is invited in the
	// transaction that saves the access: no crash between the two can
	// leave a client with access and no invite.
	c.app.OnRecordCreateExecute(schema.Clients).BindFunc(c.inviteWithAccess)
	c.app.OnRecordUpdateExecute(schema.Clients).BindFunc(c.inviteWithAccess)
	wake := func(e *core.RecordEvent) error {
		c.letters.Outbox.Wake() // the invite committed just now
		return e.Next()
	}
	c.app.OnRecordAfterCreateSuccess(schema.Clients).BindFunc(wake)
	c.app.OnRecordAfterUpdateSuccess(schema.Clients).BindFunc(wake)

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
	// Addresses are kept lower case, as the sign-in page compares them.
	lowerCase := func(e *core.RecordEvent) error {
		e.Record.SetEmail(web.NormalizeEmail(e.Record.Email()))
		return e.Next()
	}
	c.app.OnRecordCreate(schema.Clients).BindFunc(lowerCase)
	c.app.OnRecordUpdate(schema.Clients).BindFunc(lowerCase)
	// Every time a client is shown (mail, the portal, intake) is in their
	// zone: a typo is refused when it is saved, not found at the first mail.
	c.app.OnRecordValidate(schema.Clients).BindFunc(func(e *core.RecordEvent) error {
		if zone := e.Record.GetString("timezone"); zone != "" {
			if _, err := time.LoadLocation(zone); err != nil {
				return validation.Errors{"timezone": practice.ErrUnknownZone}
			}
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

	c.app.OnRecordCreateRequest(schema.Clients).BindFunc(onlyWhatTheCallerMaySet)
	c.app.OnRecordUpdateRequest(schema.Clients).BindFunc(onlyWhatTheCallerMaySet)

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

// selfService is all a client may change of their own record: a field
// added later is the practice's until it is named here. The update rule
// refuses what it names (email, access, clinicians); this refuses the rest.
var selfService = []string{"name", "phone", "timezone"}

// keptByPortico are set by Portico itself, from the sign-in tokens
// (migration 49's triggers): the workspace's "invited" and "last signed
// in" are true only if no one but a superuser can write them.
var keptByPortico = []string{"invited", "last_signed_in"}

// onlyWhatTheCallerMaySet refuses, in one line, a records API body that
// sets a field its caller may not: for a client anything but selfService,
// for staff what Portico keeps. Superusers may set anything.
func onlyWhatTheCallerMaySet(e *core.RecordRequestEvent) error {
	info, err := e.RequestInfo()
	if err != nil {
		return e.BadRequestError("The request body is not valid.", err)
	}
	if info.HasSuperuserAuth() {
		return e.Next()
	}
	byClient := e.Auth != nil && e.Auth.Collection().Name == schema.Clients
	for field := range info.Body {
		switch {
		case slices.Contains(keptByPortico, field):
			return e.BadRequestError(fmt.Sprintf("%s is kept by Portico and cannot be set.", field), nil)
		case byClient && !slices.Contains(selfService, field):
			return e.BadRequestError(fmt.Sprintf("You can change your %s here; %s is kept by your practice.", strings.Join(selfService, ", "), field), nil)
		}
	}
	return e.Next()
}

// inviteWithAccess saves the client and, when the save turns portal
// access on, queues its invite in the same transaction; when it turns
// access off, the client's sessions end in it. It
// reads the row and writes it holding the write lock, so nothing commits
// in between.
func (c *Clients) inviteWithAccess(e *core.RecordEvent) error {
	outer := e.App
	err := schema.WriteLocked(outer, func(tx core.App) error {
		e.App = tx
		// The row as stored, not the record's Original(), which a record
		// saved twice in memory still has from before its first save.
		stored := struct {
			HadAccess    bool   `db:"portal_access"`
			Invited      string `db:"invited"`
			LastSignedIn string `db:"last_signed_in"`
		}{}
		if !e.Record.IsNew() {
			err := tx.DB().NewQuery("SELECT portal_access, invited, last_signed_in FROM clients WHERE id = {:id}").
				Bind(dbx.Params{"id": e.Record.Id}).One(&stored)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			// Written by login_tokens' triggers as invites go out and the
			// client signs in: a record loaded before then (the dashboard's
			// form left open) must not put the old dates back.
			e.Record.Set("invited", stored.Invited)
			e.Record.Set("last_signed_in", stored.LastSignedIn)
		}
		turnedOn := e.Record.GetBool("portal_access") && !stored.HadAccess
		turnedOff := !e.Record.GetBool("portal_access") && stored.HadAccess
		if err := e.Next(); err != nil {
			return err
		}
		switch {
		case turnedOn:
			return c.InviteIn(tx, e.Record, "dashboard")
		case turnedOff:
			return c.signIn.EndClientIn(tx, e.Record.Id)
		}
		return nil
	})
	// The hooks after the save (PocketBase's own among them) run on the
	// app that asked, not on the finished transaction.
	e.App = outer
	return err
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
	return c.InviteIn(c.app, client, via)
}

// InviteIn is Invite using app, which may be a transaction.
func (c *Clients) InviteIn(app core.App, client *core.Record, via string) error {
	name := c.letters.PracticeName()
	return c.signIn.MailLinkIn(app, client, signin.LinkLetter{
		Purpose: schema.PurposeInvite,
		TTL:     c.inviteTTL,
		Subject: name + " invites you to your client portal",
		Letter: letters.Letter{
			Paragraphs: []string{c.letters.PortalIntro()},
			Footer:     fmt.Sprintf("This invitation works for %s. If it runs out, the page it opens lets you ask for a new one.", practice.HumanDuration(c.inviteTTL)),
		},
	}, signin.Requester{Agent: via})
}
