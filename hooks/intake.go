package hooks

import (
	"bytes"
	"cmp"
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"portico/hooks/intake"
	"portico/hooks/outbox"
	"portico/hooks/staff"
)

// Assignment statuses, as the dashboard shows them.
const (
	packetAssigned   = "assigned"
	packetInProgress = "in_progress"
	packetSubmitted  = "submitted"
)

// intakeBodyLimit fits a long packet of long answers.
const intakeBodyLimit = 1 << 20

// registerIntake checks forms as clinicians save them, copies a form into
// each assignment and mails the client, and serves the routes the portal
// fills packets through. Clients write answers only through these routes:
// the collections' write rules are staff only, so no client request can
// skip the checks or touch a submitted packet.
func (p *Portal) registerIntake() {
	p.App.OnRecordValidate("intake_forms", "intake_assignments").BindFunc(func(e *core.RecordEvent) error {
		questions := jsonField(e.Record, "questions")
		if e.Record.Collection().Name == "intake_assignments" && e.Record.IsNew() && len(questions) == 0 {
			return validation.Errors{"form": validation.NewError("validation_required", "Choose the form to assign.")}
		}
		if _, err := intake.ParseQuestions(questions); err != nil {
			return validation.Errors{"questions": validation.NewError("validation_invalid_questions", err.Error())}
		}
		return e.Next()
	})

	p.App.OnRecordCreate("intake_assignments").BindFunc(func(e *core.RecordEvent) error {
		// The copy: editing the form later changes nothing a client started.
		if form, err := e.App.FindRecordById("intake_forms", e.Record.GetString("form")); err == nil {
			e.Record.Set("title", form.GetString("title"))
			e.Record.Set("intro", form.GetString("intro"))
			e.Record.Set("questions", form.Get("questions"))
		}
		e.Record.Set("status", packetAssigned)
		e.Record.Set("submitted", "")
		return e.Next()
	})

	p.App.OnRecordAfterCreateSuccess("intake_assignments").BindFunc(func(e *core.RecordEvent) error {
		client, err := e.App.FindRecordById("clients", e.Record.GetString("client"))
		if err == nil {
			err = p.mailLink(client, purposeIntake, "", "dashboard")
		}
		if err != nil {
			// The packet is assigned either way; the client can still sign in to it.
			e.App.Logger().Error("intake: mailing the client", "assignment", e.Record.Id, "error", err)
		}
		return e.Next()
	})

	p.App.OnServe().BindFunc(func(e *core.ServeEvent) error {
		packets := e.Router.Group("/api/portal/intake")
		packets.Bind(apis.BodyLimit(intakeBodyLimit))
		packets.BindFunc(noStore)
		packets.GET("", p.handlePacketList).Bind(apis.RequireAuth("clients"))
		packets.GET("/{id}", p.handlePacket).Bind(apis.RequireAuth("clients"))
		packets.PUT("/{id}", p.handlePacketDraft).Bind(apis.RequireAuth("clients"))
		packets.POST("/{id}/submit", p.handlePacketSubmit).Bind(apis.RequireAuth("clients"))
		packets.GET("/{id}/print", p.handlePacketPrint).BindFunc(staff.RequirePacketReader)
		return e.Next()
	})
}

// jsonField is a JSON field's raw value ("" when unset).
func jsonField(record *core.Record, name string) []byte {
	raw, _ := record.Get(name).(types.JSONRaw)
	return bytes.TrimSpace(raw)
}

// packetSummary is one line of the client's "Your forms" list.
type packetSummary struct {
	Id        string `json:"id"`
	Title     string `json:"title"`
	Status    string `json:"status"`
	Due       string `json:"due"`
	Submitted string `json:"submitted"`
}

// handlePacketList lists the client's packets, open ones first, soonest
// due first; then submitted ones, newest first.
func (p *Portal) handlePacketList(e *core.RequestEvent) error {
	records, err := e.App.FindRecordsByFilter("intake_assignments", "client = {:client}", "-created", 0, 0, dbx.Params{"client": e.Auth.Id})
	if err != nil {
		return e.InternalServerError("", err)
	}
	slices.SortStableFunc(records, func(a, b *core.Record) int {
		aDone, bDone := a.GetString("status") == packetSubmitted, b.GetString("status") == packetSubmitted
		switch {
		case aDone != bDone:
			if aDone {
				return 1
			}
			return -1
		case aDone:
			return cmp.Compare(b.GetString("submitted"), a.GetString("submitted"))
		}
		aDue, bDue := a.GetString("due"), b.GetString("due")
		if (aDue == "") != (bDue == "") {
			if aDue == "" {
				return 1
			}
			return -1
		}
		return cmp.Compare(aDue, bDue)
	})

	list := make([]packetSummary, 0, len(records))
	for _, r := range records {
		list = append(list, packetSummary{r.Id, r.GetString("title"), r.GetString("status"), r.GetString("due"), r.GetString("submitted")})
	}
	return e.JSON(http.StatusOK, map[string]any{"packets": list})
}

// clientPacket is the assignment named in the path, if it is the signed-in
// client's: another client's packet is as unknown as a made-up id.
func (p *Portal) clientPacket(e *core.RequestEvent, app core.App) (*core.Record, error) {
	packet, err := app.FindFirstRecordByFilter("intake_assignments", "id = {:id} && client = {:client}",
		dbx.Params{"id": e.Request.PathValue("id"), "client": e.Auth.Id})
	if err != nil {
		return nil, e.NotFoundError("We could not find this form. It may have been withdrawn by your practice.", nil)
	}
	return packet, nil
}

// packetResponse is the packet's response record, or a new unsaved one.
func packetResponse(app core.App, packet *core.Record) (*core.Record, error) {
	response, err := app.FindFirstRecordByFilter("intake_responses", "assignment = {:id}", dbx.Params{"id": packet.Id})
	if err == nil {
		return response, nil
	}
	collection, err := app.FindCachedCollectionByNameOrId("intake_responses")
	if err != nil {
		return nil, err
	}
	response = core.NewRecord(collection)
	response.Set("assignment", packet.Id)
	response.Set("client", packet.GetString("client"))
	response.Set("state", "draft")
	response.Set("answers", intake.Answers{})
	return response, nil
}

// handlePacket gives the page a packet to render: its questions as
// assigned and the answers saved so far.
func (p *Portal) handlePacket(e *core.RequestEvent) error {
	packet, err := p.clientPacket(e, e.App)
	if err != nil {
		return err
	}
	response, err := packetResponse(e.App, packet)
	if err != nil {
		return e.InternalServerError("", err)
	}
	answers := json.RawMessage(jsonField(response, "answers"))
	if len(answers) == 0 {
		answers = json.RawMessage("{}")
	}
	return e.JSON(http.StatusOK, map[string]any{
		"id":        packet.Id,
		"title":     packet.GetString("title"),
		"intro":     packet.GetString("intro"),
		"questions": json.RawMessage(jsonField(packet, "questions")),
		"status":    packet.GetString("status"),
		"due":       packet.GetString("due"),
		"submitted": packet.GetString("submitted"),
		"saved":     response.GetString("saved"),
		"answers":   answers,
	})
}

type answersForm struct {
	Answers map[string]json.RawMessage `json:"answers"`
}

func (f *answersForm) validate() error {
	return validation.ValidateStruct(f, validation.Field(&f.Answers, validation.NotNil))
}

// handlePacketDraft saves the answers so far. Autosave calls it as the
// client goes, so it takes incomplete answers; only a submitted packet or
// an answer no page of ours would send is refused.
func (p *Portal) handlePacketDraft(e *core.RequestEvent) error {
	form := &answersForm{}
	if err := bindForm(e, form); err != nil {
		return err
	}
	response, _, err := p.saveDraft(e, form.Answers)
	if err != nil {
		return err
	}
	return e.JSON(http.StatusOK, map[string]string{"status": packetInProgress, "saved": response.GetString("saved")})
}

// saveDraft stores the client's answers as the packet's draft.
func (p *Portal) saveDraft(e *core.RequestEvent, raw map[string]json.RawMessage) (*core.Record, intake.Answers, error) {
	var response *core.Record
	var answers intake.Answers
	err := e.App.RunInTransaction(func(tx core.App) error {
		packet, questions, err := p.openPacket(e, tx)
		if err != nil {
			return err
		}
		response, err = packetResponse(tx, packet)
		if err != nil {
			return e.InternalServerError("", err)
		}
		var previous intake.Answers
		_ = response.UnmarshalJSONField("answers", &previous)

		now := p.Config.Now()
		var problems validation.Errors
		answers, problems = intake.ReadAnswers(questions, raw, previous, now)
		if problems != nil {
			return e.BadRequestError("Some answers could not be saved. Please check the highlighted questions.", problems)
		}
		response.Set("answers", answers)
		response.Set("state", "draft") // a clinician may have reopened a sent packet
		response.Set("saved", now)
		if err := tx.Save(response); err != nil {
			return e.InternalServerError("", err)
		}
		if packet.GetString("status") == packetAssigned {
			packet.Set("status", packetInProgress)
			if err := tx.Save(packet); err != nil {
				return e.InternalServerError("", err)
			}
		}
		return nil
	})
	return response, answers, err
}

// openPacket is the client's packet named in the path and its questions,
// while the client may still change it.
func (p *Portal) openPacket(e *core.RequestEvent, app core.App) (*core.Record, []intake.Question, error) {
	packet, err := p.clientPacket(e, app)
	if err != nil {
		return nil, nil, err
	}
	if packet.GetString("status") == packetSubmitted {
		return nil, nil, e.Error(http.StatusConflict, "You have already sent this form to your practice, so it can no longer be changed. If something needs correcting, please tell your practice.", nil)
	}
	questions, err := intake.ParseQuestions(jsonField(packet, "questions"))
	if err != nil {
		return nil, nil, e.InternalServerError("", err)
	}
	return packet, questions, nil
}

// handlePacketSubmit saves the answers, then checks everything: a packet
// with missing or malformed answers stays a draft (nothing is lost) and
// the page gets one message per question. A complete packet is submitted
// once, and the practice is told by email.
func (p *Portal) handlePacketSubmit(e *core.RequestEvent) error {
	form := &answersForm{}
	if err := bindForm(e, form); err != nil {
		return err
	}
	_, answers, err := p.saveDraft(e, form.Answers)
	if err != nil {
		return err
	}

	var submitted time.Time
	err = e.App.RunInTransaction(func(tx core.App) error {
		packet, questions, err := p.openPacket(e, tx)
		if err != nil {
			return err
		}
		if problems := intake.Check(questions, answers); problems != nil {
			return e.BadRequestError("Some answers need a look before you send the form. Your answers so far are saved.", problems)
		}

		response, err := packetResponse(tx, packet)
		if err != nil {
			return e.InternalServerError("", err)
		}
		submitted = p.Config.Now()
		response.Set("state", "submitted")
		response.Set("submitted", submitted)
		packet.Set("status", packetSubmitted)
		packet.Set("submitted", submitted)
		for _, record := range []*core.Record{response, packet} {
			if err := tx.Save(record); err != nil {
				return e.InternalServerError("", err)
			}
		}
		if err := p.notifyPracticeOfSubmission(tx, response); err != nil {
			return e.InternalServerError("", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return e.JSON(http.StatusOK, map[string]string{"status": packetSubmitted, "submitted": outbox.DBTime(submitted)})
}

// notifyPracticeOfSubmission queues, in the submitting transaction, a
// note to the practice's notification address: that a packet came in and
// where to read it. No answers, no client name and no form title: a
// practice's mailbox is not a health record.
func (p *Portal) notifyPracticeOfSubmission(app core.App, response *core.Record) error {
	to := p.Practice().NotificationEmail
	if to == "" {
		return nil
	}
	letter := Letter{
		Greeting:    "Hello,",
		Paragraphs:  []string{"A client has sent an intake form through the portal. The answers are in the dashboard, not in this email."},
		ButtonLabel: "Open it in the dashboard",
		ButtonURL:   p.portalURL("/_/#/collections?collection=intake_responses&recordId=" + response.Id),
	}
	_, err := p.queueLetter(app, "intake_submitted", "An intake form was submitted", letter, outbox.Message{
		To: to,
		// Once per submission: a packet the clinician reopens is news again when resent.
		DedupeKey: "intake-submitted:" + response.Id + ":" + response.GetString("submitted"),
	})
	return err
}

// handlePacketPrint is the clinician's readable page of a packet.
func (p *Portal) handlePacketPrint(e *core.RequestEvent) error {
	packet, err := e.App.FindRecordById("intake_assignments", e.Request.PathValue("id"))
	if err != nil {
		return e.NotFoundError("No intake packet has this id.", nil)
	}
	client, err := e.App.FindRecordById("clients", packet.GetString("client"))
	if err != nil {
		return e.NotFoundError("No intake packet has this id.", nil)
	}
	response, err := packetResponse(e.App, packet)
	if err != nil {
		return e.InternalServerError("", err)
	}
	questions, err := intake.ParseQuestions(jsonField(packet, "questions"))
	if err != nil {
		return e.InternalServerError("", err)
	}
	var answers intake.Answers
	_ = response.UnmarshalJSONField("answers", &answers)
	zone, err := time.LoadLocation(client.GetString("timezone"))
	if err != nil {
		zone = time.UTC
	}

	var page bytes.Buffer
	err = intake.Print(&page, intake.Sheet{
		Practice:  p.practiceName(),
		Client:    client.GetString("name"),
		Title:     packet.GetString("title"),
		Intro:     packet.GetString("intro"),
		Submitted: packet.GetDateTime("submitted").Time(),
		Questions: questions,
		Answers:   answers,
		Zone:      zone,
	})
	if err != nil {
		return e.InternalServerError("", err)
	}
	return e.HTML(http.StatusOK, page.String())
}
