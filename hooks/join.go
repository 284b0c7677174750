package hooks

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"

	pbpublic "portico/pb_public"
)

const joinLinkPath = "/join/"

// Join link states, as the join page explains them.
const (
	joinEarly     = "early"
	joinOpen      = "open"
	joinEnded     = "ended"
	joinCancelled = "cancelled"
)

// registerJoinLinks serves each telehealth appointment's join link. Opening
// it changes nothing, so a mail scanner's GET or HEAD is harmless, and it
// works any number of times, on any device, without signing in.
func (p *Portal) registerJoinLinks() {
	p.App.OnServe().BindFunc(func(e *core.ServeEvent) error {
		e.Router.GET(joinLinkPath+"{token}", p.handleJoin).
			BindFunc(redactPath(joinLinkPath+"[token]"), noStore)
		e.Router.POST("/api/portal/join-status", p.handleJoinStatus).
			Bind(apis.BodyLimit(portalBodyLimit)).BindFunc(noStore)
		return e.Next()
	})
}

// joinToken derives the appointment's join token from a server secret and
// the appointment's random salt. Every mail can carry the same link while
// the database keeps only the salt and the token's SHA-256: a copy of the
// appointments table alone opens no session. The secret is the clients
// collection's token secret, so rotating it in the dashboard voids every
// join link; the next reminder or portal visit carries a fresh one.
func (p *Portal) joinToken(app core.App, record *core.Record) (string, error) {
	clients, err := app.FindCachedCollectionByNameOrId("clients")
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(secretMAC(clients, "portico join link", record.GetString("join_salt"))), nil
}

// joinLink is the absolute join link of a telehealth appointment. After a
// secret rotation it stores the new token's hash, so the link it returns works.
func (p *Portal) joinLink(app core.App, record *core.Record) (string, error) {
	token, err := p.joinToken(app, record)
	if err != nil {
		return "", err
	}
	if hash := hashToken(token); hash != record.GetString("join_hash") {
		_, err := app.DB().NewQuery("UPDATE appointments SET join_hash = {:hash} WHERE id = {:id}").
			Bind(dbx.Params{"hash": hash, "id": record.Id}).Execute()
		if err != nil {
			return "", err
		}
		record.Set("join_hash", hash)
	}
	return p.portalURL(joinLinkPath + token), nil
}

// findJoin finds the telehealth appointment a join token belongs to.
func (p *Portal) findJoin(token string) (appointment, error) {
	record, err := p.App.FindFirstRecordByFilter("appointments", "join_hash = {:hash} && kind = 'telehealth'",
		dbx.Params{"hash": hashToken(token)})
	if err != nil {
		return appointment{}, err
	}
	return loadAppointment(p.App, record)
}

// joinState says what the link does now.
func joinState(a appointment, now time.Time, opensBefore time.Duration) string {
	switch {
	case a.GetString("status") == statusCancelled:
		return joinCancelled
	case a.GetString("status") == statusCompleted || !now.Before(a.ends()):
		return joinEnded
	case now.Before(a.starts().Add(-opensBefore)):
		return joinEarly
	default:
		return joinOpen
	}
}

// videoRoom is the clinician's external room for this appointment: a
// fixed link, or the clinician's template with a room name that only this
// appointment's salt yields, so rooms cannot be guessed from one another.
// Empty when the clinician holds sessions on Portico itself.
func videoRoom(a appointment) string {
	sum := sha256.Sum256([]byte("portico video room:" + a.GetString("join_salt")))
	return strings.ReplaceAll(a.clinician.GetString("video_room"), "{room}", "portico-"+hex.EncodeToString(sum[:10]))
}

// handleJoin sends the client into the session while the window is open,
// and otherwise serves the page that explains when it opens or why not.
func (p *Portal) handleJoin(e *core.RequestEvent) error {
	a, err := p.findJoin(e.Request.PathValue("token"))
	if err != nil {
		page, readErr := fs.ReadFile(pbpublic.FS, "join.html")
		if readErr != nil {
			return e.InternalServerError("", readErr)
		}
		return e.HTML(http.StatusNotFound, string(page))
	}
	if joinState(a, p.Config.Now(), p.Practice().JoinOpensBefore) == joinOpen {
		if room := videoRoom(a); room != "" {
			return e.Redirect(http.StatusFound, room)
		}
		return serveCall(e)
	}
	return e.FileFS(pbpublic.FS, "join.html")
}

// handleJoinStatus tells the join page what to show. The token travels in
// the body so that it stays out of the request log.
func (p *Portal) handleJoinStatus(e *core.RequestEvent) error {
	form := &tokenForm{}
	if err := bindForm(e, form); err != nil {
		return err
	}
	practice := p.Practice()
	contact := map[string]string{
		"name":    practice.Name,
		"phone":   practice.Phone,
		"email":   practice.ContactEmail,
		"address": practice.Address,
	}

	a, err := p.findJoin(form.Token)
	if err != nil {
		return e.JSON(http.StatusNotFound, map[string]any{
			"status":   http.StatusNotFound,
			"message":  "This join link is not one we know.",
			"practice": contact,
		})
	}
	now := p.Config.Now()
	opens := a.starts().Add(-practice.JoinOpensBefore)
	return e.JSON(http.StatusOK, map[string]any{
		"state":          joinState(a, now, practice.JoinOpensBefore),
		"starts":         a.starts(),
		"ends":           a.ends(),
		"opens":          opens,
		"opensInSeconds": max(0, int(opens.Sub(now).Seconds())),
		"clinician":      a.clinicianName(),
		"practice":       contact,
	})
}
