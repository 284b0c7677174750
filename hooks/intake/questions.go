// Package intake is Portico's intake packets. Its content half (questions.go,
// answers.go, print.go) is the questions a clinician writes, the answers a
// client gives, the checks between the two and the printable page of a
// submitted packet, and knows nothing of routes, records or mail. packets.go
// wires it in: record hooks on forms and assignments, the portal's routes,
// and the mail to the client and to the practice.
package intake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Question kinds a form may use.
const (
	ShortText      = "short_text"
	LongText       = "long_text"
	Email          = "email"
	Phone          = "phone"
	Date           = "date"
	Number         = "number"
	SingleChoice   = "single_choice"
	MultipleChoice = "multiple_choice"
	YesNo          = "yes_no"
	Heading        = "heading"
	Consent        = "consent"
)

// Kinds lists every question kind, in the order the README explains them.
var Kinds = []string{ShortText, LongText, Email, Phone, Date, Number, SingleChoice, MultipleChoice, YesNo, Heading, Consent}

// Question is one entry of a form's ordered question list.
type Question struct {
	// Id keys the answer; it must not change once a form is in use.
	Id       string `json:"id"`
	Kind     string `json:"kind"`
	Label    string `json:"label"`
	Help     string `json:"help,omitzero"`
	Required bool   `json:"required,omitzero"`
	// Text is the body of a heading or the statement a consent accepts.
	Text string `json:"text,omitzero"`
	// Options are the choices of a single or multiple choice question.
	Options []string `json:"options,omitzero"`
	// Min and Max bound a number answer when set.
	Min *float64 `json:"min,omitzero"`
	Max *float64 `json:"max,omitzero"`
}

// Asks reports whether the question takes an answer (a heading does not).
func (q Question) Asks() bool {
	return q.Kind != Heading
}

var questionId = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

const (
	maxQuestions   = 300
	maxLabel       = 500
	maxTextBlock   = 10_000
	maxOptions     = 50
	maxOptionChars = 200
)

// Problem is what is wrong with one question of a form (Index counts
// from 0) or with its list as a whole (Index -1), in the words the person
// writing the form reads next to it.
type Problem struct {
	Index int `json:"index"`
	// Name says which question: "question 3 (\"reason\")".
	Name    string `json:"name,omitzero"`
	Message string `json:"message"`
}

func (p Problem) Error() string {
	if p.Name == "" {
		return p.Message
	}
	return p.Name + ": " + p.Message
}

// ParseQuestions reads a form's question list and checks it, with an
// error that names the first bad question so the clinician can find it.
func ParseQuestions(raw []byte) ([]Question, error) {
	questions, problems := CheckQuestions(raw)
	if len(problems) > 0 {
		return nil, problems[0]
	}
	return questions, nil
}

// CheckQuestions reads a form's question list and returns every problem
// in it, in order, so that the form builder can show each beside its
// question; the questions are only usable when there is none.
func CheckQuestions(raw []byte) ([]Question, []Problem) {
	whole := func(message string) []Problem { return []Problem{{Index: -1, Message: message}} }
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, whole("add at least one question: a list like [{\"id\": \"reason\", \"kind\": \"long_text\", \"label\": \"What brings you here?\"}]")
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, whole("the questions must be a JSON list of objects, each with an id, a kind and a label")
	}
	if len(items) == 0 {
		return nil, whole("add at least one question")
	}
	if len(items) > maxQuestions {
		return nil, whole(fmt.Sprintf("a form holds at most %d questions", maxQuestions))
	}

	questions := make([]Question, 0, len(items))
	var problems []Problem
	seen := map[string]int{}
	for i, item := range items {
		var q Question
		decoder := json.NewDecoder(bytes.NewReader(item))
		// A misspelt property ("requird") would otherwise be dropped without a word.
		decoder.DisallowUnknownFields()
		if err := decoder.Decode(&q); err != nil {
			problems = append(problems, Problem{Index: i, Name: fmt.Sprintf("question %d", i+1), Message: describeDecodeError(err)})
			continue
		}
		name := fmt.Sprintf("question %d", i+1)
		if q.Id != "" {
			name = fmt.Sprintf("question %d (%q)", i+1, q.Id)
		}
		if err := q.validate(); err != nil {
			problems = append(problems, Problem{Index: i, Name: name, Message: err.Error()})
			continue
		}
		if first, ok := seen[q.Id]; ok {
			problems = append(problems, Problem{Index: i, Name: name,
				Message: fmt.Sprintf("the id %q is already used by question %d; each question needs its own id", q.Id, first)})
			continue
		}
		seen[q.Id] = i + 1
		questions = append(questions, q)
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return questions, nil
}

func describeDecodeError(err error) string {
	message := err.Error()
	if field, ok := strings.CutPrefix(message, "json: unknown field "); ok {
		return fmt.Sprintf("unknown property %s (known: id, kind, label, help, required, text, options, min, max)", field)
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		return fmt.Sprintf("the property %q has the wrong type (%s)", typeErr.Field, typeErr.Value)
	}
	return "not a JSON object with an id, a kind and a label"
}

func (q *Question) validate() error {
	q.Label = strings.TrimSpace(q.Label)
	switch {
	case !questionId.MatchString(q.Id):
		return errors.New(`needs an "id" of letters, digits, "_" or "-" (at most 64), such as "date_of_birth"`)
	case !slices.Contains(Kinds, q.Kind):
		return fmt.Errorf("the kind %q is not one of %s", q.Kind, strings.Join(Kinds, ", "))
	case q.Label == "":
		return errors.New(`needs a "label": the words the client reads`)
	case len(q.Label) > maxLabel || len(q.Help) > maxTextBlock || len(q.Text) > maxTextBlock:
		return fmt.Errorf("the label is limited to %d characters, help and text to %d", maxLabel, maxTextBlock)
	}

	choice := q.Kind == SingleChoice || q.Kind == MultipleChoice
	switch {
	case choice && len(q.Options) < 2:
		return errors.New(`a choice question needs "options": a list of at least two answers`)
	case !choice && len(q.Options) > 0:
		return fmt.Errorf(`only choice questions have "options", not %s`, q.Kind)
	case len(q.Options) > maxOptions:
		return fmt.Errorf("a question has at most %d options", maxOptions)
	}
	seen := map[string]bool{}
	for _, option := range q.Options {
		if strings.TrimSpace(option) == "" || len(option) > maxOptionChars {
			return fmt.Errorf("each option needs 1 to %d characters", maxOptionChars)
		}
		if seen[option] {
			return fmt.Errorf("the option %q is listed twice", option)
		}
		seen[option] = true
	}

	switch {
	case q.Kind == Consent && strings.TrimSpace(q.Text) == "":
		return errors.New(`a consent needs "text": the statement the client accepts`)
	case q.Kind == Heading && q.Required:
		return errors.New("a heading asks nothing, so it cannot be required")
	case (q.Min != nil || q.Max != nil) && q.Kind != Number:
		return errors.New(`only number questions have "min" and "max"`)
	case q.Min != nil && q.Max != nil && *q.Min > *q.Max:
		return errors.New(`"min" is above "max"`)
	}
	return nil
}
