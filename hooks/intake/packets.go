package intake

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"time"

	"github.com/pocketbase/dbx"
	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"

	"portico/hooks/letters"
	"portico/hooks/outbox"
	"portico/hooks/practice"
	"portico/hooks/schema"
	"portico/hooks/signin"
	"portico/hooks/staff"
	"portico/hooks/web"
)

// intakeBodyLimit fits a long packet of long answers.
const intakeBodyLimit = 1 << 20

// Packets is the intake capability: forms, assignments and responses.
type Packets struct {
	app       core.App
	now       func() time.Time
	practice  *practice.Settings
	letters   *letters.Letters
	signIn    *signin.SignIn
	inviteTTL time.Duration
}

// New returns the intake capability; the mail about a new form carries a
// sign-in link valid for inviteTTL.
func New(app core.App, now func() time.Time, settings *practice.Settings, mail *letters.Letters, signIn *signin.SignIn, inviteTTL time.Duration) *Packets {
	return &Packets{app: app, now: now, practice: settings, letters: mail, signIn: signIn, inviteTTL: inviteTTL}
}

// Register checks forms as clinicians save them, copies a form into
// each assignment and mails the client, and serves the routes the portal
// fills packets through. Clients write answers only through these routes:
// the collections' write rules are staff only, so no client request can
// skip the checks or touch a submitted packet.
func (p *Packets) Register() {
	p.app.OnRecordValidate(schema.IntakeForms, schema.IntakeAssignments).BindFunc(func(e *core.RecordEvent) error {
		questions := jsonField(e.Record, "questions")
		if e.Record.Collection().Name == schema.IntakeAssignments && e.Record.IsNew() && len(questions) == 0 {
			return validation.Errors{"form": validation.NewError("validation_required", "Choose the form to assign.")}
		}
		if _, err := ParseQuestions(questions); err != nil {
			return validation.Errors{"questions": validation.NewError("validation_invalid_questions", err.Error())}
		}
		return e.Next()
	})

	// A form counts its versions; whatever a request sends as the version
	// is replaced, so the count means what it says.
	p.app.OnRecordCreate(schema.IntakeForms).BindFunc(func(e *core.RecordEvent) error {
		e.Record.Set("version", 1)
		return e.Next()
	})
	p.app.OnRecordUpdate(schema.IntakeForms).BindFunc(func(e *core.RecordEvent) error {
		original := e.Record.Original()
		version := max(original.GetInt("version"), 1)
		if formChanged(original, e.Record) {
			version++
		}
		e.Record.Set("version", version)
		return e.Next()
	})

	p.app.OnRecordCreate(schema.IntakeAssignments).BindFunc(func(e *core.RecordEvent) error {
		// The copy: editing the form later changes nothing a client started.
		if form, err := e.App.FindRecordById(schema.IntakeForms, e.Record.GetString("form")); err == nil {
			e.Record.Set("title", form.GetString("title"))
			e.Record.Set("intro", form.GetString("intro"))
			e.Record.Set("questions", form.Get("questions"))
			e.Record.Set("form_version", max(form.GetInt("version"), 1))
		}
		e.Record.Set("status", schema.PacketAssigned)
		e.Record.Set("submitted", "")
		return e.Next()
	})

	p.app.OnRecordAfterCreateSuccess(schema.IntakeAssignments).BindFunc(func(e *core.RecordEvent) error {
		client, err := e.App.FindRecordById(schema.Clients, e.Record.GetString("client"))
		if err == nil {
			err = p.mailForm(client)
		}
		if err != nil {
			// The packet is assigned either way; the client can still sign in to it.
			e.App.Logger().Error("intake: mailing the client", "assignment", e.Record.Id, "error", err)
		}
		return e.Next()
	})

	p.app.OnServe().BindFunc(func(e *core.ServeEvent) error {
		packets := e.Router.Group("/api/portal/intake")
		packets.Bind(apis.BodyLimit(intakeBodyLimit))
		packets.BindFunc(web.NoStore)
		packets.GET("", p.handlePacketList).Bind(apis.RequireAuth(schema.Clients))
		packets.GET("/{id}", p.handlePacket).Bind(apis.RequireAuth(schema.Clients))
		packets.PUT("/{id}", p.handlePacketDraft).Bind(apis.RequireAuth(schema.Clients))
		packets.POST("/{id}/submit", p.handlePacketSubmit).Bind(apis.RequireAuth(schema.Clients))
		packets.GET("/{id}/print", p.handlePacketPrint).BindFunc(staff.RequirePacketReader)
		return e.Next()
	})
}

// formChanged reports whether a save changes what a client would read:
// the title, the introduction or the questions (compared as JSON values,
// so spacing alone is no new version).
func formChanged(before, after *core.Record) bool {
	if before.GetString("title") != after.GetString("title") || before.GetString("intro") != after.GetString("intro") {
		return true
	}
	var was, is any
	if json.Unmarshal(jsonField(before, "questions"), &was) != nil || json.Unmarshal(jsonField(after, "questions"), &is) != nil {
		return true
	}
	return !reflect.DeepEqual(was, is)
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
func (p *Packets) handlePacketList(e *core.RequestEvent) error {
	records, err := e.App.FindRecordsByFilter(schema.IntakeAssignments, "client = {:client}", "-created", 0, 0, dbx.Params{"client": e.Auth.Id})
	if err != nil {
		return e.InternalServerError("", err)
	}
	slices.SortStableFunc(records, func(a, b *core.Record) int {
		aDone, bDone := a.GetString("status") == schema.PacketSubmitted, b.GetString("status") == schema.PacketSubmitted
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
func (p *Packets) clientPacket(e *core.RequestEvent, app core.App) (*core.Record, error) {
	packet, err := app.FindFirstRecordByFilter(schema.IntakeAssignments, "id = {:id} && client = {:client}",
		dbx.Params{"id": e.Request.PathValue("id"), "client": e.Auth.Id})
	if err != nil {
		return nil, e.NotFoundError("We could not find this form. It may have been withdrawn by your practice.", nil)
	}
	return packet, nil
}

// packetResponse is the packet's response record, or a new unsaved one.
func packetResponse(app core.App, packet *core.Record) (*core.Record, error) {
	response, err := app.FindFirstRecordByFilter(schema.IntakeResponses, "assignment = {:id}", dbx.Params{"id": packet.Id})
	if err == nil {
		return response, nil
	}
	collection, err := app.FindCachedCollectionByNameOrId(schema.IntakeResponses)
	if err != nil {
		return nil, err
	}
	response = core.NewRecord(collection)
	response.Set("assignment", packet.Id)
	response.Set("client", packet.GetString("client"))
	response.Set("state", "draft")
	response.Set("answers", Answers{})
	return response, nil
}

// handlePacket gives the page a packet to render: its questions as
// assigned and the answers saved so far.
func (p *Packets) handlePacket(e *core.RequestEvent) error {
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

func (f *answersForm) Validate() error {
	return validation.ValidateStruct(f, validation.Field(&f.Answers, validation.NotNil))
}

// handlePacketDraft saves the answers so far. Autosave calls it as the
// client goes, so it takes incomplete answers; only a submitted packet or
// an answer no page of ours would send is refused.
func (p *Packets) handlePacketDraft(e *core.RequestEvent) error {
	form := &answersForm{}
	if err := web.BindForm(e, form); err != nil {
		return err
	}
	response, _, err := p.saveDraft(e, form.Answers)
	if err != nil {
		return err
	}
	return e.JSON(http.StatusOK, map[string]string{"status": schema.PacketInProgress, "saved": response.GetString("saved")})
}

// saveDraft stores the client's answers as the packet's draft.
func (p *Packets) saveDraft(e *core.RequestEvent, raw map[string]json.RawMessage) (*core.Record, Answers, error) {
	var response *core.Record
	var answers Answers
	err := e.App.RunInTransaction(func(tx core.App) error {
		packet, questions, err := p.openPacket(e, tx)
		if err != nil {
			return err
		}
		response, err = packetResponse(tx, packet)
		if err != nil {
			return e.InternalServerError("", err)
		}
		var previous Answers
		_ = response.UnmarshalJSONField("answers", &previous)

		now := p.now()
		var problems validation.Errors
		answers, problems = ReadAnswers(questions, raw, previous, now)
		if problems != nil {
			return e.BadRequestError("Some answers could not be saved. Please check the highlighted questions.", problems)
		}
		response.Set("answers", answers)
		response.Set("state", "draft") // a clinician may have reopened a sent packet
		response.Set("saved", now)
		if err := tx.Save(response); err != nil {
			return e.InternalServerError("", err)
		}
		if packet.GetString("status") == schema.PacketAssigned {
			packet.Set("status", schema.PacketInProgress)
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
func (p *Packets) openPacket(e *core.RequestEvent, app core.App) (*core.Record, []Question, error) {
	packet, err := p.clientPacket(e, app)
	if err != nil {
		return nil, nil, err
	}
	if packet.GetString("status") == schema.PacketSubmitted {
		return nil, nil, e.Error(http.StatusConflict, "You have already sent this form to your practice, so it can no longer be changed. If something needs correcting, please tell your practice.", nil)
	}
	questions, err := ParseQuestions(jsonField(packet, "questions"))
	if err != nil {
		return nil, nil, e.InternalServerError("", err)
	}
	return packet, questions, nil
}

// handlePacketSubmit saves the answers, then checks everything: a packet
// with missing or malformed answers stays a draft (nothing is lost) and
// the page gets one message per question. A complete packet is submitted
// once, and the practice is told by email.
func (p *Packets) handlePacketSubmit(e *core.RequestEvent) error {
	form := &answersForm{}
	if err := web.BindForm(e, form); err != nil {
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
		if problems := Check(questions, answers); problems != nil {
			return e.BadRequestError("Some answers need a look before you send the form. Your answers so far are saved.", problems)
		}

		response, err := packetResponse(tx, packet)
		if err != nil {
			return e.InternalServerError("", err)
		}
		submitted = p.now()
		response.Set("state", "submitted")
		response.Set("submitted", submitted)
		packet.Set("status", schema.PacketSubmitted)
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
	return e.JSON(http.StatusOK, map[string]string{"status": schema.PacketSubmitted, "submitted": schema.DateTime(submitted).String()})
}

// notifyPracticeOfSubmission queues, in the submitting transaction, a
// note to the practice's notification address: that a packet came in and
// where to read it. No answers, no client name and no form title: a
// practice's mailbox is not a health record.
func (p *Packets) notifyPracticeOfSubmission(app core.App, response *core.Record) error {
	settings, err := p.practice.Get()
	if err != nil {
		return err
	}
	to := settings.NotificationEmail
	if to == "" {
		return nil
	}
	letter := letters.Letter{
		Greeting:    "Hello,",
		Paragraphs:  []string{"A client has sent an intake form through the portal. The answers are in the staff workspace, not in this email: sign in to read them."},
		ButtonLabel: "Read it in the workspace",
		ButtonURL:   p.letters.PortalURL(PacketPath(response.GetString("assignment"))),
	}
	_, err = p.letters.ToAddress(app, "intake_submitted", "An intake form was submitted", letter, outbox.Message{
		To: to,
		// Once per submission: a packet the clinician reopens is news again when resent.
		DedupeKey: "intake-submitted:" + response.Id + ":" + response.GetString("submitted"),
	})
	return err
}

// PacketPath is the workspace's read view of a packet, where the mail
// about its submission leads.
func PacketPath(assignment string) string {
	return "/staff/packet.html?id=" + assignment
}

// handlePacketPrint is the clinician's readable page of a packet.
func (p *Packets) handlePacketPrint(e *core.RequestEvent) error {
	packet, err := e.App.FindRecordById(schema.IntakeAssignments, e.Request.PathValue("id"))
	if err != nil {
		return e.NotFoundError("No intake packet has this id.", nil)
	}
	client, err := e.App.FindRecordById(schema.Clients, packet.GetString("client"))
	if err != nil {
		return e.NotFoundError("No intake packet has this id.", nil)
	}
	response, err := packetResponse(e.App, packet)
	if err != nil {
		return e.InternalServerError("", err)
	}
	questions, err := ParseQuestions(jsonField(packet, "questions"))
	if err != nil {
		return e.InternalServerError("", err)
	}
	var answers Answers
	_ = response.UnmarshalJSONField("answers", &answers)
	settings, err := p.practice.Get()
	if err != nil {
		return e.InternalServerError("", err)
	}

	var page bytes.Buffer
	err = Print(&page, Sheet{
		Practice:  p.letters.PracticeName(),
		Client:    client.GetString("name"),
		Title:     packet.GetString("title"),
		Intro:     packet.GetString("intro"),
		Submitted: packet.GetDateTime("submitted").Time(),
		Questions: questions,
		Answers:   answers,
		Zone:      settings.TimeZone,
	})
	if err != nil {
		return e.InternalServerError("", err)
	}
	return e.HTML(http.StatusOK, page.String())
}

// mailForm tells the client a form is waiting, with a link that signs
// them in to it. The form's title can name a condition, so the mail never
// carries it.
func (p *Packets) mailForm(client *core.Record) error {
	name := p.letters.PracticeName()
	return p.signIn.MailLink(client, signin.LinkLetter{
		Purpose: schema.PurposeIntake,
		TTL:     p.inviteTTL,
		Subject: "A form from " + name,
		Letter: letters.Letter{
			ButtonLabel: "Open your form",
			Paragraphs:  []string{name + " has asked you to fill in a form in your client portal. You can stop at any time and carry on later: your answers are kept.", p.letters.PortalIntro()},
			Footer:      fmt.Sprintf("This link works for %s. If it runs out, the page it opens lets you ask for a new one.", practice.HumanDuration(p.inviteTTL)),
		},
	}, signin.Requester{Agent: "dashboard"})
}
