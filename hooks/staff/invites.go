package staff

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/ozzo-validation/v4/is"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
)

// setPasswordPath is the page an invite opens. The token rides in the
// fragment, which browsers never send: opening the link changes nothing
// and no server log ever holds it. Only the page's POST redeems it.
const setPasswordPath = "/staff/set-password.html#"

// staffBodyLimit is far above any honest staff form.
const staffBodyLimit = 16 << 10

func (s *service) registerInvites() {
	s.app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		group := se.Router.Group("/api/staff")
		group.Bind(apis.BodyLimit(staffBodyLimit))
		group.BindFunc(noStore)
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

func (f *inviteForm) validate() error {
	f.Email = strings.ToLower(strings.TrimSpace(f.Email))
	f.Name = strings.TrimSpace(f.Name)
	return validation.ValidateStruct(f,
		validation.Field(&f.Email, validation.Required, validation.Length(3, 254), is.EmailFormat),
		validation.Field(&f.Name, validation.Length(0, 200)),
		validation.Field(&f.Role, validation.Required, validation.In(RoleOwner, RoleClinician, RoleFrontDesk).
			Error("Choose owner, clinician or front_desk.")),
		validation.Field(&f.Clinician, validation.Length(0, 50)),
	)
}

// errAlreadyMember means the address already has a working account.
var errAlreadyMember = errors.New("this address already has a staff account with a password")

// invite creates the staff member (or updates one who has not yet set a
// password) and mails a fresh single-use link to set a password.
func (s *service) invite(app core.App, form *inviteForm, ip, agent string) (*core.Record, error) {
	member, err := app.FindAuthRecordByEmail(Collection, form.Email)
	if err == nil && member.Verified() {
		return member, errAlreadyMember
	}
	if err != nil {
		collection, err := app.FindCollectionByNameOrId(Collection)
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
	token, err := s.deps.Invites.IssueInvite(member, ip, agent)
	if err != nil {
		return nil, err
	}
	link := strings.TrimRight(app.Settings().Meta.AppURL, "/") + setPasswordPath + token
	return member, s.deps.Invites.MailInvite(app, member, link)
}

// handleInvite is the owner inviting a colleague.
func (s *service) handleInvite(e *core.RequestEvent) error {
	form := &inviteForm{}
	if err := bindForm(e, form); err != nil {
		return err
	}
	if form.Role == RoleClinician && form.Clinician != "" {
		if _, err := e.App.FindRecordById("clinicians", form.Clinician); err != nil {
			return e.BadRequestError("Choose a clinician from the practice's list.", validation.Errors{"clinician": validation.NewError("validation_unknown", "No clinician has this id.")})
		}
	}
	member, err := s.invite(e.App, form, e.RealIP(), e.Request.UserAgent())
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

type tokenForm struct {
	Token string `json:"token"`
}

func (f *tokenForm) validate() error {
	f.Token = strings.TrimSpace(f.Token)
	return validation.ValidateStruct(f, validation.Field(&f.Token, validation.Required, validation.Length(20, 100)))
}

// handleInviteStatus tells the set-password page what its link can still
// do before anyone types. It reads; it never consumes.
func (s *service) handleInviteStatus(e *core.RequestEvent) error {
	form := &tokenForm{}
	if err := bindForm(e, form); err != nil {
		return err
	}
	state := s.deps.Invites.InviteState(form.Token)
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

func (f *setPasswordForm) validate() error {
	f.Token = strings.TrimSpace(f.Token)
	return validation.ValidateStruct(f,
		validation.Field(&f.Token, validation.Required, validation.Length(20, 100)),
		// bcrypt reads 72 bytes; a longer password would be silently cut.
		validation.Field(&f.Password, validation.Required, validation.Length(10, 72).
			Error("Use at least 10 characters (up to 72).")),
		validation.Field(&f.PasswordConfirm, validation.Required, validation.In(f.Password).
			Error("The two passwords are not the same.")),
	)
}

// handleSetPassword redeems an invite once and sets the password. The
// password is checked first, so a typo never spends the link.
func (s *service) handleSetPassword(e *core.RequestEvent) error {
	form := &setPasswordForm{}
	if err := bindForm(e, form); err != nil {
		return err
	}
	staffId, err := s.deps.Invites.RedeemInvite(e, form.Token)
	if err != nil {
		return e.InternalServerError("", err)
	}
	if staffId == "" {
		state := s.deps.Invites.InviteState(form.Token)
		if state == "" {
			return unknownInvite(e)
		}
		message := "This invite has expired. Please ask the practice owner to send a new one."
		if state == "used" {
			message = "This invite was already used to set a password. Sign in with that password, or reset it from the sign-in page."
		}
		return e.JSON(http.StatusGone, map[string]any{"status": http.StatusGone, "message": message, "reason": state})
	}

	member, err := e.App.FindRecordById(Collection, staffId)
	if err != nil {
		return unknownInvite(e)
	}
	if member.Verified() {
		// An older invite of someone who has set a password since: it
		// must not become a way to replace that password.
		return e.JSON(http.StatusGone, map[string]any{"status": http.StatusGone, "reason": "used",
			"message": "Your password was already set. Sign in with it, or reset it from the sign-in page."})
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

func unknownInvite(e *core.RequestEvent) error {
	return e.NotFoundError("This invite link is not one we know. Please ask the practice owner for a new one.", nil)
}

// bindForm reads a JSON body into form and validates it, with one plain
// line saying what is wrong and the fields in data.
func bindForm(e *core.RequestEvent, form interface{ validate() error }) error {
	if err := e.BindBody(form); err != nil {
		return e.BadRequestError("The request body is not valid JSON of the expected shape.", err)
	}
	if err := form.validate(); err != nil {
		return e.BadRequestError(firstProblem(err), err)
	}
	return nil
}

// firstProblem is the message of one field's error, for a one-line answer.
func firstProblem(err error) string {
	var fields validation.Errors
	if errors.As(err, &fields) {
		names := slices.Sorted(maps.Keys(fields))
		if len(names) > 0 {
			return fmt.Sprintf("%s: %s", names[0], fields[names[0]].Error())
		}
	}
	return "Please check the highlighted fields."
}
