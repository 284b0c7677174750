// Package join serves each telehealth appointment's join link. The token
// is derived from a server secret and the appointment's random salt
// (schema.LinkToken), so every mail can carry the same link while the
// database keeps only the salt and the token's SHA-256. Opening the link changes nothing, so a mail
// scanner's GET or HEAD is harmless, and it works any number of times, on
// any device, without signing in.
package join

import (
	"database/sql"
	"errors"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/security"

	"portico/hooks/letters"
	"portico/hooks/practice"
	"portico/hooks/schema"
	"portico/hooks/web"
	pbpublic "portico/pb_public"
)

// LinkPath is where join links land; the token follows it.
const LinkPath = "/join/"

// Join link states, as the join page explains them.
const (
	StateEarly     = "early"
	StateOpen      = "open"
	StateEnded     = "ended"
	StateCancelled = "cancelled"
	// StateSharedRoom is a session whose clinician's room is one fixed
	// link with no waiting room (schema.SharedRoom): the link never sends
	// a client into it, where the previous client may still be.
	StateSharedRoom = "shared_room"
)

// Links is the join-link capability.
type Links struct {
	app      core.App
	now      func() time.Time
	practice *practice.Settings
	letters  *letters.Letters
}

// New returns the join links of app's appointments.
func New(app core.App, now func() time.Time, settings *practice.Settings, mail *letters.Letters) *Links {
	return &Links{app: app, now: now, practice: settings, letters: mail}
}

// Register serves the join links and keeps their hashes true to the secret.
func (l *Links) Register() {
	l.app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		e.Router.BindFunc(web.RedactTokenPaths(LinkPath))
		for _, route := range []string{"{token}", "{token}/{$}"} {
			e.Router.GET(LinkPath+route, l.handleJoin).BindFunc(web.NoStore)
		}
		e.Router.POST("/api/portal/join-status", l.handleJoinStatus).
			Bind(apis.BodyLimit(web.PortalBodyLimit)).BindFunc(web.NoStore)
		return e.Next()
	})

	// Rotating the clients collection's token secret voids every join
	// link; the stored hashes follow at once, so the next mail's link works.
	l.app.OnCollectionAfterUpdateSuccess(schema.Clients).BindFunc(func(e *core.CollectionEvent) error {
		if err := l.rehash(e.App); err != nil {
			e.App.Logger().Error("join links: storing hashes for the new secret", "error", err)
		}
		return e.Next()
	})
}

// joinToken is the join link's token: see schema.LinkToken.
var joinToken = schema.LinkToken{Purpose: "portico join link", Salt: "join_salt", Hash: "join_hash"}

// Prepare gives a telehealth appointment its salt and the hash of its
// token, and takes both away from any other kind.
func Prepare(app core.App, record *core.Record) error {
	if record.GetString("kind") != schema.KindTelehealth {
		joinToken.Revoke(record)
		return nil
	}
	return joinToken.Issue(app, record)
}

// Link is the absolute join link of a telehealth appointment. It reads; a
// mail computes it once and carries it everywhere it appears.
func (l *Links) Link(app core.App, record *core.Record) (string, error) {
	t, err := joinToken.Token(app, record)
	if err != nil {
		return "", err
	}
	return l.letters.PortalURL(LinkPath + t), nil
}

// rehash stores, for every telehealth appointment, the hash of its token
// under the current secret.
func (l *Links) rehash(app core.App) error {
	return joinToken.Rehash(app, "")
}

// find finds the telehealth appointment a join token belongs to.
func (l *Links) find(token string) (*schema.Appointment, error) {
	record, err := joinToken.Find(l.app, token, "kind = 'telehealth'")
	if err != nil {
		return nil, err
	}
	return schema.LoadAppointment(l.app, record)
}

// State says what the link does now.
func State(a *schema.Appointment, now time.Time, opensBefore time.Duration) string {
	switch {
	case a.Status() == schema.StatusCancelled:
		return StateCancelled
	case a.Status() == schema.StatusCompleted || !now.Before(a.Ends()):
		return StateEnded
	case now.Before(a.Starts().Add(-opensBefore)):
		return StateEarly
	case a.Telehealth() && schema.SharedRoom(a.Clinician):
		return StateSharedRoom
	default:
		return StateOpen
	}
}

// videoRoom is the clinician's external room for this appointment: a
// fixed link, or the clinician's template with a room name that only this
// appointment's salt yields, so rooms cannot be guessed from one another.
// Empty when the clinician holds sessions on Portico itself.
func videoRoom(a *schema.Appointment) string {
	sum := security.SHA256("portico video room:" + a.GetString("join_salt"))
	return strings.ReplaceAll(a.Clinician.GetString("video_room"), "{room}", "portico-"+sum[:20])
}

// handleJoin opens the session while the window is open,
// and otherwise serves the page that explains when it opens or why not.
func (l *Links) handleJoin(e *core.RequestEvent) error {
	a, err := l.find(e.Request.PathValue("token"))
	if errors.Is(err, sql.ErrNoRows) {
		page, readErr := fs.ReadFile(pbpublic.FS, "join.html")
		if readErr != nil {
			return e.InternalServerError("", readErr)
		}
		return e.HTML(http.StatusNotFound, string(page))
	}
	if err != nil {
		return e.InternalServerError("", err)
	}
	settings, err := l.practice.Get()
	if err != nil {
		return e.InternalServerError("", err)
	}
	if State(a, l.now(), settings.JoinOpensBefore) == StateOpen {
		if room := videoRoom(a); room != "" {
			return e.Redirect(http.StatusFound, room)
		}
		return e.FileFS(pbpublic.FS, "call.html") // held on Portico: the camera check, then the waiting room
	}
	return e.FileFS(pbpublic.FS, "join.html")
}

// handleJoinStatus tells the join page what to show. The token travels in
// the body so that it stays out of the request log.
func (l *Links) handleJoinStatus(e *core.RequestEvent) error {
	form := &web.TokenForm{}
	if err := web.BindForm(e, form); err != nil {
		return err
	}
	settings, err := l.practice.Get()
	if err != nil {
		return e.InternalServerError("", err)
	}
	contact := map[string]string{
		"name":    settings.Name,
		"phone":   settings.Phone,
		"email":   settings.ContactEmail,
		"address": settings.Address,
	}

	a, err := l.find(form.Token)
	if errors.Is(err, sql.ErrNoRows) {
		return e.JSON(http.StatusNotFound, map[string]any{
			"status":   http.StatusNotFound,
			"message":  "This join link is not one we know.",
			"practice": contact,
		})
	}
	if err != nil {
		return e.InternalServerError("", err)
	}
	now := l.now()
	opens := a.Starts().Add(-settings.JoinOpensBefore)
	return e.JSON(http.StatusOK, map[string]any{
		"state":          State(a, now, settings.JoinOpensBefore),
		"starts":         a.Starts(),
		"ends":           a.Ends(),
		"opens":          opens,
		"opensInSeconds": max(0, int(opens.Sub(now).Seconds())),
		"clinician":      a.ClinicianName(),
		"practice":       contact,
	})
}
