package staff

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/ozzo-validation/v4/is"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"

	"portico/hooks/letters"
	"portico/hooks/outbox"
	"portico/hooks/practice"
	"portico/hooks/schema"
	"portico/hooks/signin"
	"portico/hooks/web"
)

// Invites are login tokens like a client's invite, owned by a staff
// member: hashed, single use, consumed by one conditional UPDATE.

// setPasswordPath is the page an invite opens. The token rides in the
// fragment, which browsers never send: opening the link changes nothing
// and no server log ever holds it. Only the page's POST redeems it.
const setPasswordPath = "/staff/set-password.html#"

// staffBodyLimit is far above any honest staff form.
const staffBodyLimit = 16 << 10

func (s *Staff) registerInvites() {
	s.app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		group := se.Router.Group("/api/staff")
		group.Bind(apis.BodyLimit(staffBodyLimit))
		group.BindFunc(web.NoStore)
		group.POST("/invites", s.handleInvite).BindFunc(requireRole(RoleOwner))
		group.POST("/invite-status", s.handleInviteStatus)
		group.POST("/set-password", s.handleSetPassword)
		return se.Next()
	})
}

// inviteForm is who the owner invites.
type inviteForm struct {
	Email     string `json:"email"`
	Name      string `json:"name"`
	Role      string `json:"role"`
	Clinician string `json:"clinician"`
}

// Validate normalises the address and checks the role.
func (f *inviteForm) Validate() error {
	f.Email = web.NormalizeEmail(f.Email)
	f.Name = strings.TrimSpace(f.Name)
	return validation.ValidateStruct(f,
		validation.Field(&f.Email, validation.Required, validation.Length(3, 254), is.EmailFormat),
		validation.Field(&f.Name, validation.Length(0, 200)),
		validation.Field(&f.Role, validation.Required, validation.In(RoleOwner, RoleClinician, RoleFrontDesk).
			Error("choose owner, clinician or front_desk")),
		validation.Field(&f.Clinician, validation.Length(0, 50)),
	)
}

// errAlreadyMember means the address already has a working account.
var errAlreadyMember = errors.New("this address already has a staff account with a password")

// invite creates the staff member (or updates one who has not yet set a
// password) and mails a fresh single-use link to set a password, using
// app, which may be a transaction.
func (s *Staff) invite(app core.App, form *inviteForm, from signin.Requester) (*core.Record, error) {
	member, err := app.FindAuthRecordByEmail(schema.Staff, form.Email)
	if err == nil && member.Verified() {
		return member, errAlreadyMember
	}
	if err != nil {
		collection, err := app.FindCollectionByNameOrId(schema.Staff)
		if err != nil {
			return nil, err
		}
		member = core.NewRecord(collection)
		member.SetEmail(form.Email)
		member.SetRandomPassword() // unusable until the invite sets one
		if form.Name == "" {
			form.Name = strings.Split(form.Email, "@")[0]
		}
	}
	if form.Name != "" {
		member.Set("name", form.Name)
	}
	member.Set("role", form.Role)
	member.Set("clinician", form.Clinician)
	if err := app.Save(member); err != nil {
		return nil, err
	}
	id, token, _, err := s.tokens.Issue(app, member, schema.PurposeStaffInvite, s.inviteTTL, from)
	if err != nil {
		return nil, err
	}
	return member, s.mailInvite(app, member, id, s.letters.PortalURL(setPasswordPath+token))
}

// mailInvite queues the invite carrying token (its id) and its link.
func (s *Staff) mailInvite(app core.App, member *core.Record, token, link string) error {
	name := s.letters.PracticeName()
	letter := letters.Letter{
		Greeting: "Hello " + member.GetString("name") + ",",
		Paragraphs: []string{
			name + " has made you an account in its staff workspace, where the practice keeps its schedule, clients and forms.",
			"Choose your password to start. Each time you sign in, we will also email you a short code.",
		},
		ButtonLabel: "Choose your password",
		ButtonURL:   link,
		Footer: fmt.Sprintf("This link works once, for %s. If it runs out, ask the practice owner for a new one. If you did not expect it, you can ignore this email.",
			practice.HumanDuration(s.inviteTTL)),
	}
	_, err := s.letters.ToAddress(app, schema.PurposeStaffInvite, "Your staff account at "+name, letter, outbox.Message{
		To: member.Email(), ToName: member.GetString("name"), Sensitive: true, Carries: token,
	})
	return err
}

// handleInvite is the owner inviting a colleague.
func (s *Staff) handleInvite(e *core.RequestEvent) error {
	form := &inviteForm{}
	if err := web.BindForm(e, form); err != nil {
		return err
	}
	if form.Clinician != "" {
		if _, err := e.App.FindRecordById(schema.Clinicians, form.Clinician); err != nil {
			return e.BadRequestError("Choose a clinician from the practice's list.",
				validation.Errors{"clinician": validation.NewError("validation_unknown", "No clinician has this id.")})
		}
	}
	member, err := s.invite(e.App, form, signin.Requester{IP: e.RealIP(), Agent: e.Request.UserAgent()})
	if errors.Is(err, errAlreadyMember) {
		return e.Error(http.StatusConflict, form.Email+" already has a staff account. They can sign in, or reset their password from the sign-in page.", nil)
	}
	if err != nil {
		return e.BadRequestError("The invite could not be saved.", err)
	}
	return e.JSON(http.StatusAccepted, map[string]string{
		"message": "Invite sent to " + member.Email() + ".",
		"staff":   member.Id,
	})
}

// inviteState is what a staff invite can still do, or "" when the token
// is not a staff invite.
func (s *Staff) inviteState(raw string) string {
	token, err := s.tokens.Find(raw)
	if err != nil || token.Purpose != schema.PurposeStaffInvite {
		return ""
	}
	return token.State(s.now())
}

// handleInviteStatus tells the set-password page what its link can still
// do before anyone types. It reads; it never consumes.
func (s *Staff) handleInviteStatus(e *core.RequestEvent) error {
	form := &web.TokenForm{}
	if err := web.BindForm(e, form); err != nil {
		return err
	}
	state := s.inviteState(form.Token)
	if state == "" {
		return unknownInvite(e)
	}
	return e.JSON(http.StatusOK, map[string]string{"state": state})
}

type setPasswordForm struct {
	Token           string `json:"token"`
	Password        string `json:"password"`
	PasswordConfirm string `json:"passwordConfirm"`
}

// Validate checks the password before the token is spent.
func (f *setPasswordForm) Validate() error {
	f.Token = strings.TrimSpace(f.Token)
	return validation.ValidateStruct(f,
		validation.Field(&f.Token, validation.Required, validation.Length(20, 100)),
		// bcrypt reads 72 bytes; a longer password would be silently cut.
		validation.Field(&f.Password, validation.Required, validation.Length(10, 72).
			Error("use at least 10 characters (up to 72)")),
		validation.Field(&f.PasswordConfirm, validation.Required, validation.In(f.Password).
			Error("the two passwords are not the same")),
	)
}

// handleSetPassword redeems an invite once and sets the password. The
// password is checked first, so a typo never spends the link.
func (s *Staff) handleSetPassword(e *core.RequestEvent) error {
	form := &setPasswordForm{}
	if err := web.BindForm(e, form); err != nil {
		return err
	}
	staffId, err := s.tokens.ConsumeStaffInvite(form.Token, signin.Requester{IP: e.RealIP(), Agent: e.Request.UserAgent()})
	if err != nil {
		return e.InternalServerError("", err)
	}
	if staffId == "" {
		switch s.inviteState(form.Token) {
		case "":
			return unknownInvite(e)
		case signin.StateUsed:
			return inviteGone(e, signin.StateUsed, "This invite was already used to set a password. Sign in with that password, or reset it from the sign-in page.")
		default:
			return inviteGone(e, signin.StateExpired, "This invite has expired. Please ask the practice owner to send a new one.")
		}
	}

	member, err := e.App.FindRecordById(schema.Staff, staffId)
	if err != nil {
		return unknownInvite(e)
	}
	if member.Verified() {
		// An older invite of someone who has set a password since must
		// not become a way to replace that password.
		return inviteGone(e, signin.StateUsed, "Your password was already set. Sign in with it, or reset it from the sign-in page.")
	}
	member.SetPassword(form.Password)
	member.SetVerified(true)
	member.Set("failed_logins", 0)
	member.Set("locked", "")
	if err := e.App.Save(member); err != nil {
		return e.InternalServerError("", err)
	}
	return e.JSON(http.StatusOK, map[string]string{
		"message": "Your password is set. Sign in with it now.",
		"email":   member.Email(),
	})
}

func inviteGone(e *core.RequestEvent, reason, message string) error {
	return e.JSON(http.StatusGone, map[string]any{"status": http.StatusGone, "message": message, "reason": reason})
}

func unknownInvite(e *core.RequestEvent) error {
	return e.NotFoundError("This invite link is not one we know. Please ask the practice owner for a new one.", nil)
}
