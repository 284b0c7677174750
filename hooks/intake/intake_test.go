package intake_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"portico/internal/testenv"
)

// newPatientForm is the packet the intake tests fill in: one question of
// every kind.
const newPatientForm = `[
  {"id": "about", "kind": "heading", "label": "About you", "text": "A few details so we can reach you."},
  {"id": "full_name", "kind": "short_text", "label": "Your full name", "required": true},
  {"id": "birth_date", "kind": "date", "label": "Date of birth", "required": true},
  {"id": "contact_email", "kind": "email", "label": "Email for appointment notes", "required": true},
  {"id": "phone", "kind": "phone", "label": "Mobile phone", "help": "We text only to confirm appointments."},
  {"id": "reason", "kind": "long_text", "label": "What brings you here?", "required": true},
  {"id": "past_sessions", "kind": "number", "label": "How many times have you seen a therapist before?", "min": 0, "max": 500},
  {"id": "contact_by", "kind": "single_choice", "label": "How should we contact you?", "options": ["Email", "Phone call", "Text message"], "required": true},
  {"id": "concerns", "kind": "multiple_choice", "label": "What would you like help with?", "options": ["Sleep", "Mood", "Work", "Relationships"]},
  {"id": "medication", "kind": "yes_no", "label": "Are you taking any medication?", "required": true},
  {"id": "treatment_consent", "kind": "consent", "label": "Consent to treatment", "text": "I agree to receive counseling from Harbor Counseling and have read the practice policies.", "required": true}
]`

// completeAnswers fills in every question of newPatientForm well.
func completeAnswers() map[string]any {
	return map[string]any{
		"full_name":         "Ada Client",
		"birth_date":        "1990-04-27",
		"contact_email":     "ada@example.com",
		"phone":             "+1 555 010 0199",
		"reason":            "Trouble sleeping since a move.",
		"past_sessions":     "2",
		"contact_by":        "Email",
		"concerns":          []string{"Sleep", "Mood"},
		"medication":        "no",
		"treatment_consent": map[string]any{"accepted": true, "name": "Ada Client"},
	}
}

func TestFormQuestionsAreCheckedOnSave(t *testing.T) {
	env := testenv.Start(t)
	staff := env.ClinicianToken()

	cases := []struct {
		name, questions, want string
	}{
		{"not a list", `{"id": "a"}`, "must be a JSON list"},
		{"empty list", `[]`, "at least one question"},
		{"no id", `[{"kind": "short_text", "label": "Name"}]`, `Question 1: needs an "id"`},
		{"id with spaces", `[{"id": "full name", "kind": "short_text", "label": "Name"}]`, `Question 1 ("full name"): needs an "id"`},
		{"unknown kind", `[{"id": "a", "kind": "short_text", "label": "A"}, {"id": "age", "kind": "numbr", "label": "Age"}]`, `Question 2 ("age"): the kind "numbr" is not one of`},
		{"no label", `[{"id": "a", "kind": "long_text"}]`, `Question 1 ("a"): needs a "label"`},
		{"same id twice", `[{"id": "a", "kind": "short_text", "label": "A"}, {"id": "a", "kind": "email", "label": "B"}]`, `Question 2 ("a"): the id "a" is already used by question 1`},
		{"choice without options", `[{"id": "pick", "kind": "single_choice", "label": "Pick", "options": ["Only one"]}]`, `Question 1 ("pick"): a choice question needs "options"`},
		{"repeated option", `[{"id": "pick", "kind": "multiple_choice", "label": "Pick", "options": ["A", "A"]}]`, `the option "A" is listed twice`},
		{"misspelt property", `[{"id": "a", "kind": "short_text", "label": "A", "requird": true}]`, `Question 1: unknown property "requird"`},
		{"wrong type", `[{"id": "a", "kind": "short_text", "label": "A", "required": "yes"}]`, `Question 1: the property "required" has the wrong type`},
		{"consent without text", `[{"id": "ok", "kind": "consent", "label": "Consent"}]`, `a consent needs "text"`},
		{"required heading", `[{"id": "h", "kind": "heading", "label": "Part 1", "required": true}]`, "cannot be required"},
		{"min above max", `[{"id": "n", "kind": "number", "label": "N", "min": 5, "max": 1}]`, `"min" is above "max"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := env.Post("/api/collections/intake_forms/records",
				map[string]any{"title": "Broken", "questions": json.RawMessage(c.questions)}, "Authorization", staff)
			got := r.FieldErrors()["questions"]
			if r.Status != http.StatusBadRequest || !strings.Contains(got, c.want) {
				t.Fatalf("saving questions %s: got %s; want 400 with a questions error containing %q", c.questions, r, c.want)
			}
		})
	}
	if n := env.Count("intake_forms", ""); n != 0 {
		t.Fatalf("%d broken forms were stored", n)
	}

	r := env.Post("/api/collections/intake_forms/records",
		map[string]any{"title": "New client", "questions": json.RawMessage(newPatientForm)}, "Authorization", staff)
	if r.Status != http.StatusOK {
		t.Fatalf("saving a good form in the dashboard: %s", r)
	}
}

// TestAssignedPacketKeepsTheFormAsItWas: the client answers the form as
// it was when assigned, whatever the clinician edits afterwards; the mail
// about it signs the client in and does not name the form.
func TestAssignedPacketKeepsTheFormAsItWas(t *testing.T) {
	env := testenv.Start(t)
	ada, _ := env.NewClient("Ada Client", "ada@example.com", true)
	form := env.NewForm("Eating disorder screening", `[{"id": "q1", "kind": "short_text", "label": "First wording", "required": true}]`)
	assignment, mail := env.Assign(ada, form)

	if mail.Subject != "A form from "+testenv.PracticeName {
		t.Errorf("assignment mail subject %q", mail.Subject)
	}
	for _, part := range []string{mail.Subject, mail.Text, mail.HTML} {
		if strings.Contains(part, "Eating disorder") {
			t.Fatalf("assignment mail names the form, which can reveal a condition:\n%s", part)
		}
	}
	_, token := mail.SignInLink()
	if r := env.Post("/api/portal/redeem", map[string]string{"token": token}); r.Status != http.StatusOK {
		t.Fatalf("signing in with the assignment mail's link: %s", r)
	}
	if mail.Code() == "" {
		t.Errorf("assignment mail has no sign-in code for another device")
	}

	form.Set("title", "Renamed")
	form.Set("questions", `[{"id": "q1", "kind": "short_text", "label": "Second wording"}, {"id": "q2", "kind": "email", "label": "New question"}]`)
	if err := env.App.Save(form); err != nil {
		t.Fatal(err)
	}

	r := env.Do(http.MethodGet, "/api/portal/intake/"+assignment.Id, nil, "Authorization", env.SessionOf(ada))
	if r.Status != http.StatusOK {
		t.Fatalf("opening the packet: %s", r)
	}
	if r.JSON["title"] != "Eating disorder screening" || !strings.Contains(string(r.Body), "First wording") || strings.Contains(string(r.Body), "New question") {
		t.Fatalf("after the clinician edited the form, the client's packet shows %s; want the form as assigned", r)
	}
	if r.JSON["status"] != "assigned" {
		t.Fatalf("new packet status %v; want assigned", r.JSON["status"])
	}
}

func TestAssignmentNeedsAForm(t *testing.T) {
	env := testenv.Start(t)
	staff := env.ClinicianToken()
	ada, _ := env.NewClient("Ada Client", "ada@example.com", true)
	r := env.Post("/api/collections/intake_assignments/records", map[string]any{"client": ada.Id}, "Authorization", staff)
	if r.Status != http.StatusBadRequest || r.FieldErrors()["form"] == "" {
		t.Fatalf("assigning nothing: %s; want 400 asking for the form", r)
	}
	env.NoMailTo("ada@example.com")
}

// TestDraftIsSavedAndRestored: answers saved as the client goes come back
// on a new sign-in, half-typed ones included.
func TestDraftIsSavedAndRestored(t *testing.T) {
	env := testenv.Start(t)
	ada, _ := env.NewClient("Ada Client", "ada@example.com", true)
	assignment, _ := env.Assign(ada, env.NewForm("New client", newPatientForm))
	path := "/api/portal/intake/" + assignment.Id

	draft := map[string]any{
		"full_name":         "Ada Client",
		"contact_email":     "ada@exa", // still typing
		"concerns":          []string{"Sleep"},
		"treatment_consent": map[string]any{"accepted": true, "name": "Ada Client", "at": "1999-01-01T00:00:00Z"},
	}
	r := env.Do(http.MethodPut, path, map[string]any{"answers": draft}, "Authorization", env.SessionOf(ada))
	if r.Status != http.StatusOK || r.JSON["saved"] == "" {
		t.Fatalf("saving a draft: %s; want 200 with the time saved", r)
	}
	signedAt := env.Clock.Now().UTC().Format(time.RFC3339)

	// Later, in another browser: a new sign-in finds the answers.
	env.Clock.Advance(time.Hour)
	_, token := env.RequestLink("ada@example.com").SignInLink()
	session := env.Post("/api/portal/redeem", map[string]string{"token": token}).JSON["token"].(string)
	r = env.Do(http.MethodGet, path, nil, "Authorization", session)
	answers, _ := r.JSON["answers"].(map[string]any)
	consent, _ := answers["treatment_consent"].(map[string]any)
	if answers["full_name"] != "Ada Client" || answers["contact_email"] != "ada@exa" || consent["name"] != "Ada Client" {
		t.Fatalf("after a new sign-in the packet has %s; want the draft", r)
	}
	if consent["at"] != signedAt {
		t.Fatalf("consent signed at %v; want the server's time %s, not the client's", consent["at"], signedAt)
	}
	if r.JSON["status"] != "in_progress" {
		t.Fatalf("status after a draft: %v; want in_progress", r.JSON["status"])
	}

	// Saving again with the same signature keeps the time it was signed.
	env.Do(http.MethodPut, path, map[string]any{"answers": answers}, "Authorization", session)
	again := env.Do(http.MethodGet, path, nil, "Authorization", session)
	if got := again.JSON["answers"].(map[string]any)["treatment_consent"].(map[string]any)["at"]; got != signedAt {
		t.Fatalf("re-saving moved the consent time to %v; want %s", got, signedAt)
	}
}

// TestDraftRefusesWhatNoPageSends: answers to questions that are not in
// the form, of the wrong shape or not among the options are refused with
// the question named, and nothing is stored.
func TestDraftRefusesWhatNoPageSends(t *testing.T) {
	env := testenv.Start(t)
	ada, _ := env.NewClient("Ada Client", "ada@example.com", true)
	assignment, _ := env.Assign(ada, env.NewForm("New client", newPatientForm))
	session := env.SessionOf(ada)

	cases := []struct {
		name, question string
		answer         any
	}{
		{"a question not in the form", "favourite_colour", "blue"},
		{"the heading", "about", "text"},
		{"a number for a text", "full_name", 42},
		{"a text for a list", "concerns", "Sleep"},
		{"an option that does not exist", "contact_by", "Carrier pigeon"},
		{"maybe to a yes/no", "medication", "maybe"},
		{"an over-long answer", "full_name", strings.Repeat("a", 501)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			answers := map[string]any{"reason": "kept?", c.question: c.answer}
			r := env.Do(http.MethodPut, "/api/portal/intake/"+assignment.Id, map[string]any{"answers": answers}, "Authorization", session)
			if r.Status != http.StatusBadRequest || r.FieldErrors()[c.question] == "" {
				t.Fatalf("saving %v for %s: %s; want 400 naming %s", c.answer, c.question, r, c.question)
			}
		})
	}
	if n := env.Count("intake_responses", ""); n != 0 {
		t.Fatalf("refused drafts stored %d responses", n)
	}
	if r := env.Do(http.MethodPut, "/api/portal/intake/"+assignment.Id, "not json", "Authorization", session); r.Status != http.StatusBadRequest {
		t.Fatalf("a body that is not JSON: %s; want 400", r)
	}
}

// TestSubmitShowsWhatIsMissing: submitting an incomplete packet says what
// is wrong next to each question and keeps every answer; a complete one
// is submitted once, the practice is told without the answers, and the
// client can no longer change it.
func TestSubmitShowsWhatIsMissing(t *testing.T) {
	env := testenv.Start(t)
	env.SetPractice("notification_email", "frontdesk@harbor.test")
	ada, _ := env.NewClient("Ada Client", "ada@example.com", true)
	assignment, _ := env.Assign(ada, env.NewForm("New client", newPatientForm))
	path := "/api/portal/intake/" + assignment.Id
	session := env.SessionOf(ada)

	cases := []struct {
		question string
		answer   any // nil: left out
		want     string
	}{
		{"full_name", nil, "Please answer this question."},
		{"full_name", "   ", "Please answer this question."},
		{"birth_date", "27/04/1990", "Please give a date as year-month-day"},
		{"contact_email", "ada@", "Please type an email address"},
		{"phone", "call me", "Please type a phone number"},
		{"past_sessions", "a few", "Please type a number."},
		{"past_sessions", "-1", "Please give a number from 0 to 500."},
		{"contact_by", nil, "Please choose an answer."},
		{"medication", nil, "Please choose an answer."},
		{"treatment_consent", nil, "Please tick the box and type your full name to sign."},
		{"treatment_consent", map[string]any{"accepted": false, "name": "Ada Client"}, "Please tick the box to agree."},
		{"treatment_consent", map[string]any{"accepted": true, "name": ""}, "Please type your full name to sign."},
	}
	for _, c := range cases {
		t.Run(c.question+" "+c.want, func(t *testing.T) {
			answers := completeAnswers()
			delete(answers, c.question)
			if c.answer != nil {
				answers[c.question] = c.answer
			}
			r := env.Post(path+"/submit", map[string]any{"answers": answers}, "Authorization", session)
			errors := r.FieldErrors()
			if r.Status != http.StatusBadRequest || !strings.Contains(errors[c.question], c.want) || len(errors) != 1 {
				t.Fatalf("submitting with %s = %v: %s; want 400 with only %s: %q", c.question, c.answer, r, c.question, c.want)
			}
			kept := env.Do(http.MethodGet, path, nil, "Authorization", session)
			if kept.JSON["answers"].(map[string]any)["reason"] != "Trouble sleeping since a move." || kept.JSON["status"] != "in_progress" {
				t.Fatalf("after a refused submit the packet is %s; want the answers kept as a draft", kept)
			}
		})
	}
	env.NoMailTo("frontdesk@harbor.test")

	r := env.Post(path+"/submit", map[string]any{"answers": completeAnswers()}, "Authorization", session)
	if r.Status != http.StatusOK || r.JSON["status"] != "submitted" {
		t.Fatalf("submitting a complete packet: %s; want 200 submitted", r)
	}

	notice := env.Mail.Next("frontdesk@harbor.test", testenv.Wait)
	if want := env.URL + "/staff/packet.html?id=" + assignment.Id; !strings.Contains(notice.Text, want) || strings.Contains(notice.Text+notice.HTML, "/_/") {
		t.Errorf("notification does not link to the workspace's read view %s (and only there):\n%s", want, notice.Text)
	}
	for _, secret := range []string{"Ada", "Trouble sleeping", "1990-04-27", "555 010", "New client"} {
		if strings.Contains(notice.Text+notice.HTML+notice.Subject, secret) {
			t.Errorf("notification mail carries %q; it must hold no answers, name or form title:\n%s", secret, notice.Text)
		}
	}

	changed := completeAnswers()
	changed["reason"] = "Changed my mind"
	for _, try := range []struct{ method, path string }{{http.MethodPut, path}, {http.MethodPost, path + "/submit"}} {
		if r := env.Do(try.method, try.path, map[string]any{"answers": changed}, "Authorization", session); r.Status != http.StatusConflict {
			t.Fatalf("%s %s after submission: %s; want 409", try.method, try.path, r)
		}
	}
	after := env.Do(http.MethodGet, path, nil, "Authorization", session)
	if after.JSON["answers"].(map[string]any)["reason"] != "Trouble sleeping since a move." || after.JSON["submitted"] == "" {
		t.Fatalf("a submitted packet changed: %s", after)
	}
	env.NoMailTo("frontdesk@harbor.test") // told once
}

// TestClinicianCanReopenASentPacket: reopening a sent packet leaves it as
// it was sent and gives the client a new one, its answers carried over,
// to correct and send again; the practice hears of each sending.
func TestClinicianCanReopenASentPacket(t *testing.T) {
	env := testenv.Start(t)
	env.SetPractice("notification_email", "frontdesk@harbor.test")
	staff := env.ClinicianToken()
	ada, _ := env.NewClient("Ada Client", "ada@example.com", true)
	assignment, _ := env.Assign(ada, env.NewForm("New client", newPatientForm))
	path := "/api/portal/intake/" + assignment.Id
	session := env.SessionOf(ada)

	if r := env.Post(path+"/submit", map[string]any{"answers": completeAnswers()}, "Authorization", session); r.Status != http.StatusOK {
		t.Fatalf("first submit: %s", r)
	}
	env.Mail.Next("frontdesk@harbor.test", testenv.Wait)
	if r := env.Do(http.MethodPatch, "/api/collections/intake_assignments/records/"+assignment.Id, map[string]string{"status": "in_progress"}, "Authorization", staff); r.Status != http.StatusConflict {
		t.Fatalf("setting a sent packet back to in progress: %s; want 409 (reopen it instead)", r)
	}
	r := env.Post("/api/staff/packets/"+assignment.Id+"/reopen", nil, "Authorization", staff)
	reopened, _ := r.JSON["id"].(string)
	if r.Status != http.StatusCreated || reopened == "" {
		t.Fatalf("clinician reopening the packet: %s; want 201 with the new packet", r)
	}
	env.Mail.Next("ada@example.com", testenv.Wait) // the client is told there is a form to look at
	env.Clock.Advance(time.Minute)
	corrected := completeAnswers()
	corrected["phone"] = "+1 555 010 0200"
	again := "/api/portal/intake/" + reopened
	if r := env.Do(http.MethodGet, again, nil, "Authorization", session); r.JSON["answers"].(map[string]any)["reason"] != "Trouble sleeping since a move." {
		t.Fatalf("the reopened packet does not carry the sent answers: %s", r)
	}
	if r := env.Post(again+"/submit", map[string]any{"answers": corrected}, "Authorization", session); r.Status != http.StatusOK {
		t.Fatalf("submitting the reopened packet: %s", r)
	}
	env.Mail.Next("frontdesk@harbor.test", testenv.Wait)
	if r := env.Do(http.MethodGet, again, nil, "Authorization", session); r.JSON["answers"].(map[string]any)["phone"] != "+1 555 010 0200" {
		t.Fatalf("the corrected answer was not kept: %s", r)
	}
	if r := env.Do(http.MethodGet, path, nil, "Authorization", session); r.JSON["answers"].(map[string]any)["phone"] == "+1 555 010 0200" || r.JSON["status"] != "submitted" {
		t.Fatalf("the original submission changed: %s", r)
	}
	if r := env.Do(http.MethodPut, again, map[string]any{}, "Authorization", session); r.Status != http.StatusBadRequest && r.Status != http.StatusConflict {
		t.Fatalf("a save without answers: %s; want it refused", r)
	}
}

// TestClientReachesOnlyItsOwnPackets tries every route to packets and
// answers as the wrong client, as the owner where only staff may write,
// and as nobody.
func TestClientReachesOnlyItsOwnPackets(t *testing.T) {
	env := testenv.Start(t)
	ada, _ := env.NewClient("Ada Client", "ada@example.com", true)
	bob, _ := env.NewClient("Bob Client", "bob@example.com", true)
	form := env.NewForm("New client", newPatientForm)
	adas, _ := env.Assign(ada, form)
	bobs, _ := env.Assign(bob, form)
	adaSession, bobSession := env.SessionOf(ada), env.SessionOf(bob)
	if r := env.Do(http.MethodPut, "/api/portal/intake/"+adas.Id, map[string]any{"answers": map[string]any{"reason": "ada's secret"}}, "Authorization", adaSession); r.Status != http.StatusOK {
		t.Fatalf("ada saving her own draft: %s", r)
	}
	response, err := env.App.FindFirstRecordByFilter("intake_responses", "assignment = {:id}", map[string]any{"id": adas.Id})
	if err != nil {
		t.Fatal(err)
	}

	assignments := "/api/collections/intake_assignments/records"
	responses := "/api/collections/intake_responses/records"
	forms := "/api/collections/intake_forms/records"
	answers := map[string]any{"answers": map[string]any{"reason": "written by bob"}}
	draftBack := func() { // ada may save her own draft; the checks below want it as she left it
		if r := env.Do(http.MethodPut, "/api/portal/intake/"+adas.Id, map[string]any{"answers": map[string]any{"reason": "ada's secret"}}, "Authorization", adaSession); r.Status != http.StatusOK {
			t.Fatalf("putting ada's draft back: %s", r)
		}
	}
	// Each row is tried as ada, as bob and signed out; Status keeps the
	// answer its one caller was first written for. Only ada's portal shows
	// her answers: the records API keeps them hidden even from her.
	secret := []string{"ada's secret"}
	env.CheckAccess(t, testenv.Callers{"ada": adaSession, "bob": bobSession, "nobody": ""}, []testenv.Access{
		{Name: "bob views ada's assignment", Method: http.MethodGet, Path: assignments + "/" + adas.Id, Marker: adas.Id, Allowed: []string{"ada"}, Status: map[string]int{"bob": http.StatusNotFound}},
		{Name: "bob updates ada's assignment", Method: http.MethodPatch, Path: assignments + "/" + adas.Id, Body: map[string]any{"client": bob.Id}, Status: map[string]int{"bob": http.StatusNotFound}, Never: secret},
		{Name: "bob deletes ada's assignment", Method: http.MethodDelete, Path: assignments + "/" + adas.Id, Status: map[string]int{"bob": http.StatusNotFound}, Never: secret},
		{Name: "bob assigns himself ada's form", Method: http.MethodPost, Path: assignments, Body: map[string]any{"client": bob.Id, "form": form.Id}, Status: map[string]int{"bob": http.StatusBadRequest}, Never: secret},
		{Name: "ada marks her own packet submitted", Method: http.MethodPatch, Path: assignments + "/" + adas.Id, Body: map[string]any{"status": "submitted"}, Status: map[string]int{"ada": http.StatusNotFound}, Never: secret},
		{Name: "ada deletes her own packet", Method: http.MethodDelete, Path: assignments + "/" + adas.Id, Status: map[string]int{"ada": http.StatusNotFound}, Never: secret},
		{Name: "bob views ada's answers", Method: http.MethodGet, Path: responses + "/" + response.Id, Marker: response.Id, Allowed: []string{"ada"}, Status: map[string]int{"bob": http.StatusNotFound}, Never: secret},
		{Name: "bob updates ada's answers", Method: http.MethodPatch, Path: responses + "/" + response.Id, Body: answers, Status: map[string]int{"bob": http.StatusForbidden}, Never: secret},
		{Name: "bob deletes ada's answers", Method: http.MethodDelete, Path: responses + "/" + response.Id, Status: map[string]int{"bob": http.StatusForbidden}, Never: secret},
		{Name: "bob answers ada's packet", Method: http.MethodPost, Path: responses, Body: map[string]any{"assignment": adas.Id, "client": ada.Id, "state": "draft"}, Status: map[string]int{"bob": http.StatusForbidden}, Never: secret},
		{Name: "ada writes her answers around the checks", Method: http.MethodPatch, Path: responses + "/" + response.Id, Body: map[string]any{"state": "submitted"}, Status: map[string]int{"ada": http.StatusForbidden}, Never: secret},
		{Name: "ada creates a response", Method: http.MethodPost, Path: responses, Body: map[string]any{"assignment": adas.Id, "client": ada.Id, "state": "submitted"}, Status: map[string]int{"ada": http.StatusForbidden}, Never: secret},
		{Name: "ada reads the forms (an empty list: forms are staff's)", Method: http.MethodGet, Path: forms, Marker: form.Id, Status: map[string]int{"ada": http.StatusOK}, Never: secret},
		{Name: "ada views the form", Method: http.MethodGet, Path: forms + "/" + form.Id, Status: map[string]int{"ada": http.StatusNotFound}, Never: secret},
		{Name: "nobody views ada's assignment", Method: http.MethodGet, Path: assignments + "/" + adas.Id, Marker: adas.Id, Allowed: []string{"ada"}, Status: map[string]int{"nobody": http.StatusNotFound}},
		{Name: "nobody views ada's answers", Method: http.MethodGet, Path: responses + "/" + response.Id, Marker: response.Id, Allowed: []string{"ada"}, Status: map[string]int{"nobody": http.StatusNotFound}, Never: secret},
		{Name: "bob opens ada's packet", Method: http.MethodGet, Path: "/api/portal/intake/" + adas.Id, Marker: adas.Id, Allowed: []string{"ada"}, Status: map[string]int{"bob": http.StatusNotFound}},
		{Name: "bob saves ada's draft", Method: http.MethodPut, Path: "/api/portal/intake/" + adas.Id, Body: answers, Allowed: []string{"ada"}, Status: map[string]int{"bob": http.StatusNotFound}, Never: secret, After: draftBack},
		{Name: "bob submits ada's packet (not all required answers: refused for ada too)", Method: http.MethodPost, Path: "/api/portal/intake/" + adas.Id + "/submit", Body: answers, Status: map[string]int{"bob": http.StatusNotFound}, Never: secret},
		{Name: "bob prints ada's packet", Method: http.MethodGet, Path: "/api/portal/intake/" + adas.Id + "/print", Status: map[string]int{"bob": http.StatusForbidden, "ada": http.StatusForbidden, "nobody": http.StatusUnauthorized}, Never: secret},
		{Name: "nobody lists packets", Method: http.MethodGet, Path: "/api/portal/intake", Marker: adas.Id, Allowed: []string{"ada"}, Status: map[string]int{"nobody": http.StatusUnauthorized}},
		{Name: "nobody opens ada's packet", Method: http.MethodGet, Path: "/api/portal/intake/" + adas.Id, Marker: adas.Id, Allowed: []string{"ada"}, Status: map[string]int{"nobody": http.StatusUnauthorized}},
		{Name: "nobody saves ada's draft", Method: http.MethodPut, Path: "/api/portal/intake/" + adas.Id, Body: answers, Allowed: []string{"ada"}, Status: map[string]int{"nobody": http.StatusUnauthorized}, Never: secret, After: draftBack},
		{Name: "ada opens a made-up packet", Method: http.MethodGet, Path: "/api/portal/intake/nosuchpacket123", Status: map[string]int{"ada": http.StatusNotFound}, Never: secret},
	})

	// Lists, filters and expands show bob only his own.
	for _, path := range []string{
		assignments,
		assignments + "?filter=" + urlQuery("client = '"+ada.Id+"'"),
		responses,
		responses + "?filter=" + urlQuery("assignment = '"+adas.Id+"'"),
		responses + "?expand=assignment,client",
		assignments + "?expand=client,form",
		"/api/portal/intake",
	} {
		r := env.Do(http.MethodGet, path, nil, "Authorization", bobSession)
		body := string(r.Body)
		if r.Status != http.StatusOK || strings.Contains(body, adas.Id) || strings.Contains(body, "ada") {
			t.Fatalf("bob's GET %s: %s; want 200 without ada's records", path, r)
		}
	}
	own := env.Do(http.MethodGet, assignments+"?expand=form", nil, "Authorization", adaSession)
	if !strings.Contains(string(own.Body), adas.Id) || strings.Contains(string(own.Body), `"expand":{"form"`) {
		t.Fatalf("ada listing her packets with the form expanded: %s; want her packet, and no form (staff only)", own)
	}

	stored, _ := env.App.FindRecordById("intake_responses", response.Id)
	if !strings.Contains(string(stored.GetString("answers")), "ada's secret") || stored.GetString("state") != "draft" {
		t.Fatalf("ada's answers changed under the requests: %v", stored.PublicExport())
	}
	if packet, _ := env.App.FindRecordById("intake_assignments", adas.Id); packet.GetString("status") != "in_progress" || packet.GetString("client") != ada.Id {
		t.Fatalf("ada's packet changed under the requests: %v", packet.PublicExport())
	}
	_ = bobs
}

// TestPrintViewIsForClinicians: staff read a submitted packet as one page,
// consent with the signed name and time in the practice's zone (the
// clinician's, not the client's in New York, and never UTC).
func TestPrintViewIsForClinicians(t *testing.T) {
	env := testenv.Start(t)
	env.SetPractice("timezone", "Europe/London")
	staff := env.ClinicianToken()
	ada, _ := env.NewClient("Ada Client", "ada@example.com", true)
	assignment, _ := env.Assign(ada, env.NewForm("New client", newPatientForm))
	env.Clock.Set(time.Date(2026, 3, 14, 15, 30, 0, 0, time.UTC))
	if r := env.Post("/api/portal/intake/"+assignment.Id+"/submit", map[string]any{"answers": completeAnswers()}, "Authorization", env.SessionOf(ada)); r.Status != http.StatusOK {
		t.Fatalf("submitting: %s", r)
	}

	r := env.Do(http.MethodGet, "/api/portal/intake/"+assignment.Id+"/print", nil, "Authorization", staff)
	if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("print view for a clinician: %s", r)
	}
	page := string(r.Body)
	order := []string{"Ada Client", "New client", "About you", "Your full name", "Ada Client", "Date of birth", "1990-04-27",
		"What brings you here?", "Trouble sleeping since a move.", "What would you like help with?", "Sleep", "Mood",
		"Are you taking any medication?", "No", "Consent to treatment", "I agree to receive counseling",
		"Agreed, signed “Ada Client” on Saturday 14 March 2026, 15:30 GMT"}
	at := 0
	for _, want := range order {
		i := strings.Index(page[at:], want)
		if i < 0 {
			t.Fatalf("print view lacks %q after position %d:\n%s", want, at, page)
		}
		at += i + len(want)
	}
	if r := env.Do(http.MethodGet, "/api/portal/intake/nosuchpacket123/print", nil, "Authorization", staff); r.Status != http.StatusNotFound {
		t.Fatalf("print view of a made-up id: %s; want 404", r)
	}
}

func urlQuery(s string) string {
	return url.QueryEscape(s)
}
