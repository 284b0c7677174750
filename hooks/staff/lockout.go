package staff

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"

	"portico/hooks/ratelimit"
	"portico/hooks/schema"
	"portico/hooks/web"
)

const (
	// maxWrongPasswords in a row lock an account until the owner unlocks it.
	maxWrongPasswords = 5
	// passwordTriesPerIP bounds how fast one address can guess at all,
	// across accounts.
	passwordTriesPerIP = 20
	passwordWindow     = 15 * time.Minute
	// codeMailsPerAddress and codeMailsPerIP bound the sign-in code mails
	// anyone can make Portico send, known address or not.
	codeMailsPerAddress = 5
	codeMailsPerIP      = 20
)

func (s *Staff) registerLockout() {
	s.app.OnRecordAuthWithPasswordRequest(schema.Staff).BindFunc(s.guardPassword)
	s.app.OnRecordRequestOTPRequest(schema.Staff).BindFunc(s.limitCodeMail)
	s.app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		se.Router.POST("/api/staff/members/{id}/unlock", s.handleUnlock).
			BindFunc(web.NoStore, requireRole(RoleOwner))
		return se.Next()
	})
}

// guardPassword rate-limits password sign-in per IP, refuses a locked
// account before its password is checked, and counts wrong passwords.
func (s *Staff) guardPassword(e *core.RecordAuthWithPasswordRequestEvent) error {
	if ok, wait := s.limits.Allow("staff-password-network:"+ratelimit.Network(e.RealIP()), passwordTriesPerIP, passwordWindow); !ok {
		return web.TooManyRequests(e.RequestEvent, wait)
	}
	if e.Record != nil && e.Record.GetString("locked") != "" {
		return lockedError(e.RequestEvent)
	}

	err := e.Next()
	if e.Record == nil {
		return err
	}
	if err == nil || errors.Is(err, apis.ErrMFA) {
		if e.Record.GetInt("failed_logins") > 0 {
			_, resetErr := e.App.DB().NewQuery("UPDATE staff SET failed_logins = 0 WHERE id = {:id}").
				Bind(dbx.Params{"id": e.Record.Id}).Execute()
			if resetErr != nil {
				e.App.Logger().Error("staff lockout: resetting the count", "error", resetErr)
			}
		}
		return err
	}
	if e.Record.ValidatePassword(e.Password) {
		return err // the password was right; something else refused
	}

	// Counted in a statement of its own: no rolled-back transaction can
	// undo it, and concurrent guesses each count.
	var failed int
	countErr := e.App.DB().NewQuery(
		"UPDATE staff SET failed_logins = failed_logins + 1, " +
			"locked = CASE WHEN failed_logins + 1 >= {:max} THEN {:now} ELSE locked END " +
			"WHERE id = {:id} RETURNING failed_logins",
	).Bind(dbx.Params{"id": e.Record.Id, "max": maxWrongPasswords, "now": schema.DateTime(s.now())}).Row(&failed)
	if countErr != nil {
		return e.InternalServerError("", countErr)
	}
	if failed >= maxWrongPasswords {
		e.App.Logger().Warn("staff lockout: account locked", "staff", e.Record.Id, "ip", e.RealIP())
		return lockedError(e.RequestEvent)
	}
	return err
}

// limitCodeMail caps the emailed codes per address and per IP, the same
// for an address that is a staff member's and one that is not.
func (s *Staff) limitCodeMail(e *core.RecordCreateOTPRequestEvent) error {
	info, err := e.RequestInfo()
	if err != nil {
		return err
	}
	email, _ := info.Body["email"].(string)
	if ok, wait := s.limits.Allow("staff-code-network:"+ratelimit.Network(e.RealIP()), codeMailsPerIP, passwordWindow); !ok {
		return web.TooManyRequests(e.RequestEvent, wait)
	}
	if ok, wait := s.limits.Allow("staff-code-address:"+web.NormalizeEmail(email), codeMailsPerAddress, passwordWindow); !ok {
		return web.TooManyRequests(e.RequestEvent, wait)
	}
	return e.Next()
}

func lockedError(e *core.RequestEvent) error {
	return e.ForbiddenError(fmt.Sprintf("This account is locked after %d wrong passwords in a row, to keep client records safe. "+
		"Please ask the practice owner to unlock it.", maxWrongPasswords), nil)
}

// handleUnlock reopens a locked account; the owner does it.
func (s *Staff) handleUnlock(e *core.RequestEvent) error {
	member, err := e.App.FindRecordById(schema.Staff, e.Request.PathValue("id"))
	if err != nil {
		return e.NotFoundError("No staff member has this id.", nil)
	}
	if err := unlock(e.App, member); err != nil {
		return e.InternalServerError("", err)
	}
	return e.JSON(http.StatusOK, map[string]string{
		"message": member.GetString("name") + " can sign in again.",
	})
}

func unlock(app core.App, member *core.Record) error {
	member.Set("failed_logins", 0)
	member.Set("locked", "")
	return app.Save(member)
}

// requireRole lets through staff with one of roles, checked on the
// server for every request to the route.
func requireRole(roles ...string) func(*core.RequestEvent) error {
	return func(e *core.RequestEvent) error {
		if e.Auth == nil {
			return e.UnauthorizedError("Please sign in to the staff workspace.", nil)
		}
		have := role(e.Auth)
		for _, r := range roles {
			if have == r {
				return e.Next()
			}
		}
		return e.ForbiddenError("Your role in the practice does not include this.", nil)
	}
}
