package hooks

import (
	"fmt"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"portico/hooks/outbox"
	"portico/hooks/staff"
)

// purposeStaffInvite is the link in the mail inviting a staff member to
// set a password.
const purposeStaffInvite = "staff_invite"

// staffDeps lends the staff capability the clock, the rate limiter and
// the login-token machinery, so staff invites are the clients' links
// with another owner, not a second implementation.
func (p *Portal) staffDeps() staff.Deps {
	return staff.Deps{Now: p.Config.Now, Allow: p.limits.allow, Invites: staffInvites{p}}
}

// staffInvites implements staff.Invites with the login tokens.
type staffInvites struct{ p *Portal }

func (s staffInvites) IssueInvite(member *core.Record, ip, agent string) (string, error) {
	token, _, err := s.p.issueToken(member, purposeStaffInvite, ip, agent)
	return token, err
}

func (s staffInvites) RedeemInvite(e *core.RequestEvent, token string) (string, error) {
	return s.p.consume(e, "staff", "token_hash = {:hash} AND purpose = {:purpose}",
		dbx.Params{"hash": hashToken(token), "purpose": purposeStaffInvite})
}

func (s staffInvites) InviteState(token string) string {
	row, err := s.p.findToken(token)
	if err != nil || row.Purpose != purposeStaffInvite {
		return ""
	}
	return row.state(s.p.Config.Now())
}

func (s staffInvites) MailInvite(app core.App, member *core.Record, link string) error {
	practice := s.p.practiceName()
	letter := Letter{
		Greeting: "Hello " + member.GetString("name") + ",",
		Paragraphs: []string{
			practice + " has made you an account in its staff workspace, where the practice keeps its schedule, clients and forms.",
			"Choose your password to start. Each time you sign in, we will also email you a short code.",
		},
		ButtonLabel: "Choose your password",
		ButtonURL:   link,
		Footer:      fmt.Sprintf("This link works once, for %s. If it runs out, ask the practice owner for a new one. If you did not expect it, you can ignore this email.", humanDuration(s.p.Config.InviteTTL)),
	}
	_, err := s.p.queueLetter(app, purposeStaffInvite, "Your staff account at "+practice, letter, outbox.Message{
		To: member.Email(), ToName: member.GetString("name"), Sensitive: true,
	})
	return err
}
