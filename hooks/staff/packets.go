package staff

import (
	"encoding/json"
	"net/http"
	"slices"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/router"
	"github.com/pocketbase/pocketbase/tools/types"

	"portico/hooks/schema"
	"portico/hooks/web"
)

// A submitted intake response is a signed record: nobody changes or
// deletes it, through any route, the superusers' records API and the
// dashboard included, because the rule is a record hook under all of
// them. Its assignment (the questions it answers) is frozen with it. A
// correction is a reopen: a new assignment beside the original, carrying
// a copy of the answers as a draft.

// submitted is a response's state once sent, as its select field names it.
const submitted = "submitted"

var errSubmitted = router.NewApiError(http.StatusConflict,
	"This packet was submitted and cannot be changed or deleted. To correct it, reopen it: the original stays beside the new one.", nil)

func (s *Staff) registerPackets() {
	// The stored row decides, not the record in hand: Go code may hold a
	// copy loaded before the packet was sent.
	frozen := func(e *core.RecordEvent) error {
		stored, err := e.App.FindRecordById(e.Record.Collection(), e.Record.Id)
		if err == nil && isSubmitted(stored) {
			return errSubmitted
		}
		return e.Next()
	}
	s.app.OnRecordUpdate(schema.IntakeResponses, schema.IntakeAssignments).BindFunc(frozen)
	s.app.OnRecordDelete(schema.IntakeResponses, schema.IntakeAssignments).BindFunc(frozen)

	s.app.OnServe().BindFunc(func(se *core.ServeEvent) error {
		group := se.Router.Group("/api/staff/packets")
		group.BindFunc(web.NoStore)
		group.GET("/{id}", s.handlePacket).BindFunc(RequirePacketReader)
		group.POST("/{id}/reopen", s.handleReopen).BindFunc(RequirePacketReader)
		return se.Next()
	})
}

func isSubmitted(record *core.Record) bool {
	switch record.Collection().Name {
	case schema.IntakeResponses:
		return record.GetString("state") == submitted
	default:
		return record.GetString("status") == schema.PacketSubmitted
	}
}

// CanReadClient reports whether auth may read the client's health
// records (packets, answers, notes): a superuser, the owner, or a
// clinician the client is assigned to. The front desk never may.
func CanReadClient(auth *core.Record, client *core.Record) bool {
	switch {
	case auth == nil || client == nil:
		return false
	case auth.IsSuperuser():
		return true
	}
	switch role(auth) {
	case RoleOwner:
		return true
	case RoleClinician:
		mine := auth.GetString("clinician")
		return mine != "" && slices.Contains(client.GetStringSlice("clinicians"), mine)
	}
	return false
}

// RequirePacketReader lets through requests for the packet (assignment)
// named by the path's {id} only from those who may read its client's
// records; anyone else learns nothing, not even that it exists.
func RequirePacketReader(e *core.RequestEvent) error {
	if e.Auth == nil {
		return e.UnauthorizedError("Please sign in to the staff workspace.", nil)
	}
	if !e.Auth.IsSuperuser() && role(e.Auth) == "" {
		return e.ForbiddenError("This is for practice staff.", nil)
	}
	packet, err := e.App.FindRecordById(schema.IntakeAssignments, e.Request.PathValue("id"))
	if err == nil {
		client, clientErr := e.App.FindRecordById(schema.Clients, packet.GetString("client"))
		if clientErr == nil && CanReadClient(e.Auth, client) {
			return e.Next()
		}
	}
	return e.NotFoundError("No intake packet has this id.", nil)
}

// handlePacket gives a packet with its answers to those who may read
// them, with what its read view and print page name: the practice, the
// client and the practice's time zone, where every time is shown.
func (s *Staff) handlePacket(e *core.RequestEvent) error {
	packet, _ := e.App.FindRecordById(schema.IntakeAssignments, e.Request.PathValue("id"))
	settings, err := s.settings.Get()
	if err != nil {
		return e.InternalServerError("", err)
	}
	clientName := ""
	if client, err := e.App.FindRecordById(schema.Clients, packet.GetString("client")); err == nil {
		clientName = client.GetString("name")
	}
	answers := json.RawMessage("{}")
	state, saved, sent := "", "", ""
	if response, err := e.App.FindFirstRecordByFilter(schema.IntakeResponses, "assignment = {:id}", dbx.Params{"id": packet.Id}); err == nil {
		if raw := rawJSON(response, "answers"); raw != nil {
			answers = raw
		}
		state, saved, sent = response.GetString("state"), response.GetString("saved"), response.GetString("submitted")
	}
	reopenedBy := ""
	if later, err := e.App.FindFirstRecordByFilter(schema.IntakeAssignments, "reopens = {:id}", dbx.Params{"id": packet.Id}); err == nil {
		reopenedBy = later.Id
	}
	return e.JSON(http.StatusOK, map[string]any{
		"id":          packet.Id,
		"client":      packet.GetString("client"),
		"clientName":  clientName,
		"practice":    settings.Name,
		"timeZone":    settings.TimeZone.String(),
		"formVersion": packet.GetInt("form_version"),
		"assigned":    packet.GetDateTime("created").Time(),
		"title":       packet.GetString("title"),
		"intro":       packet.GetString("intro"),
		"questions":   rawJSON(packet, "questions"),
		"status":      packet.GetString("status"),
		"due":         packet.GetString("due"),
		"reopens":     packet.GetString("reopens"),
		"reopenedBy":  reopenedBy,
		"state":       state,
		"saved":       saved,
		"submitted":   sent,
		"answers":     answers,
	})
}

// handleReopen corrects a submitted packet without touching it: a new
// assignment with the same questions, its draft the submitted answers.
// Creating the assignment mails the client a link, as any new packet does.
func (s *Staff) handleReopen(e *core.RequestEvent) error {
	var reopened *core.Record
	err := e.App.RunInTransaction(func(tx core.App) error {
		original, err := tx.FindRecordById(schema.IntakeAssignments, e.Request.PathValue("id"))
		if err != nil {
			return e.NotFoundError("No intake packet has this id.", nil)
		}
		if original.GetString("status") != schema.PacketSubmitted {
			return e.Error(http.StatusConflict, "This packet has not been submitted yet: the client can still change it.", nil)
		}
		if later, err := tx.FindFirstRecordByFilter(schema.IntakeAssignments, "reopens = {:id}", dbx.Params{"id": original.Id}); err == nil {
			return e.Error(http.StatusConflict, "This packet was already reopened.", map[string]string{"reopenedBy": later.Id})
		}
		reopened = core.NewRecord(original.Collection())
		// No form: the copy keeps the questions the client answered, even
		// if the form has been edited since.
		for _, field := range []string{"client", "due", "title", "intro", "questions"} {
			reopened.Set(field, original.Get(field))
		}
		reopened.Set("reopens", original.Id)
		if err := tx.Save(reopened); err != nil {
			return e.BadRequestError("The packet could not be reopened.", err)
		}
		response, err := tx.FindFirstRecordByFilter(schema.IntakeResponses, "assignment = {:id}", dbx.Params{"id": original.Id})
		if err != nil {
			return nil // nothing to carry over
		}
		draft := core.NewRecord(response.Collection())
		draft.Set("assignment", reopened.Id)
		draft.Set("client", response.GetString("client"))
		draft.Set("answers", response.Get("answers"))
		draft.Set("state", "draft")
		draft.Set("saved", s.now())
		return tx.Save(draft)
	})
	if err != nil {
		return err
	}
	return e.JSON(http.StatusCreated, map[string]string{
		"message": "Reopened. The client has been emailed a link to correct their answers; the original stays as it was sent.",
		"id":      reopened.Id,
	})
}

// rawJSON is a JSON field's value as stored, or nil when empty.
func rawJSON(record *core.Record, field string) json.RawMessage {
	raw, _ := record.Get(field).(types.JSONRaw)
	if len(raw) == 0 {
		return nil
	}
	return json.RawMessage(raw)
}
