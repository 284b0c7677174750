package intake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	validation "github.com/pocketbase/ozzo-validation/v4"
	"github.com/pocketbase/ozzo-validation/v4/is"
)

// Answers are a client's answers keyed by question id: a string for most
// kinds, a list of strings for multiple choice and a Signature for a
// consent. An unanswered question has no key.
type Answers map[string]any

// Signature is a consent as the client gave it: accepted, signed with the
// typed full name, at the time the server first saw it so.
type Signature struct {
	Accepted bool   `json:"accepted"`
	Name     string `json:"name"`
	At       string `json:"at,omitzero"`
}

const (
	maxShortAnswer = 500
	maxLongAnswer  = 10_000
	maxName        = 200
)

// ReadAnswers takes the answers a client sent and keeps them in their
// stored shape. It refuses only what no page of ours would send (a
// question that is not in the form, a value of the wrong type, an option
// that does not exist, an answer over its length), so that a half-typed
// email still saves as a draft. previous supplies consent times: a
// signature keeps the time it was first given until its name changes.
func ReadAnswers(questions []Question, raw map[string]json.RawMessage, previous Answers, now time.Time) (Answers, validation.Errors) {
	byId := map[string]Question{}
	for _, q := range questions {
		if q.Asks() {
			byId[q.Id] = q
		}
	}

	answers := Answers{}
	problems := validation.Errors{}
	for id, value := range raw {
		q, ok := byId[id]
		if !ok {
			problems[id] = validation.NewError("validation_unknown_question", "This question is not in the form.")
			continue
		}
		if bytes.Equal(bytes.TrimSpace(value), []byte("null")) {
			continue
		}
		answer, err := q.read(value, previous[id], now)
		if err != nil {
			problems[id] = err
			continue
		}
		if answer != nil {
			answers[id] = answer
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return answers, nil
}

var wrongShape = validation.NewError("validation_wrong_shape", "This answer could not be read. Please try again.")

func (q Question) read(value json.RawMessage, previous any, now time.Time) (any, error) {
	switch q.Kind {
	case MultipleChoice:
		var chosen []string
		if err := json.Unmarshal(value, &chosen); err != nil {
			return nil, wrongShape
		}
		var kept []string
		for _, option := range chosen {
			if !slices.Contains(q.Options, option) {
				return nil, notAnOption
			}
			if !slices.Contains(kept, option) {
				kept = append(kept, option)
			}
		}
		if len(kept) == 0 {
			return nil, nil
		}
		return kept, nil

	case Consent:
		var signature Signature
		if err := json.Unmarshal(value, &signature); err != nil {
			return nil, wrongShape
		}
		signature.Name = strings.TrimSpace(signature.Name)
		if utf8.RuneCountInString(signature.Name) > maxName {
			return nil, tooLong(maxName)
		}
		signature.At = ""
		if signature.Accepted && signature.Name != "" {
			signature.At = now.UTC().Format(time.RFC3339)
			if before, ok := asSignature(previous); ok && before.Accepted && before.Name == signature.Name && before.At != "" {
				signature.At = before.At
			}
		}
		if !signature.Accepted && signature.Name == "" {
			return nil, nil
		}
		return signature, nil
	}

	var text string
	if err := json.Unmarshal(value, &text); err != nil {
		return nil, wrongShape
	}
	limit := maxShortAnswer
	if q.Kind == LongText {
		limit = maxLongAnswer
	} else {
		text = strings.TrimSpace(text)
	}
	if utf8.RuneCountInString(text) > limit {
		return nil, tooLong(limit)
	}
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	if q.Kind == SingleChoice && !slices.Contains(q.Options, text) || q.Kind == YesNo && text != "yes" && text != "no" {
		return nil, notAnOption
	}
	return text, nil
}

// asSignature reads a consent answer back, whether it was just made or
// came from the database as decoded JSON.
func asSignature(answer any) (Signature, bool) {
	if signature, ok := answer.(Signature); ok {
		return signature, true
	}
	raw, err := json.Marshal(answer)
	if err != nil {
		return Signature{}, false
	}
	var signature Signature
	return signature, json.Unmarshal(raw, &signature) == nil && signature.Name != ""
}

var notAnOption = validation.NewError("validation_not_an_option", "Please choose one of the options.")

func tooLong(limit int) error {
	return validation.NewError("validation_too_long", fmt.Sprintf("Please keep this under %d characters.", limit))
}

var (
	phoneChars = regexp.MustCompile(`^\+?[0-9 ().-]+$`)
	digits     = regexp.MustCompile(`[0-9]`)
)

// Check is what Submit asks of a packet: every required question answered
// and every answer in its form. The messages are the ones the page shows
// next to each question.
func Check(questions []Question, answers Answers) validation.Errors {
	problems := validation.Errors{}
	for _, q := range questions {
		if !q.Asks() {
			continue
		}
		if err := q.checkAnswer(answers[q.Id]); err != nil {
			problems[q.Id] = err
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return problems
}

func (q Question) checkAnswer(answer any) error {
	if answer == nil {
		if !q.Required {
			return nil
		}
		switch q.Kind {
		case SingleChoice, MultipleChoice, YesNo:
			return validation.NewError("validation_required", "Please choose an answer.")
		case Consent:
			return validation.NewError("validation_required", "Please tick the box and type your full name to sign.")
		}
		return validation.NewError("validation_required", "Please answer this question.")
	}

	if q.Kind == Consent {
		signature, _ := asSignature(answer)
		switch {
		case !signature.Accepted && q.Required:
			return validation.NewError("validation_required", "Please tick the box to agree.")
		case signature.Accepted && signature.Name == "":
			return validation.NewError("validation_signature", "Please type your full name to sign.")
		}
		return nil
	}

	text, _ := answer.(string)
	switch q.Kind {
	case Email:
		if is.EmailFormat.Validate(text) != nil {
			return validation.NewError("validation_email", "Please type an email address, like name@example.com.")
		}
	case Phone:
		if !phoneChars.MatchString(text) || len(digits.FindAllString(text, -1)) < 7 {
			return validation.NewError("validation_phone", "Please type a phone number using digits, like 555 010 0199.")
		}
	case Date:
		if _, err := time.Parse(time.DateOnly, text); err != nil {
			return validation.NewError("validation_date", "Please give a date as year-month-day, like 1990-04-27.")
		}
	case Number:
		number, err := strconv.ParseFloat(strings.ReplaceAll(text, ",", ""), 64)
		if err != nil {
			return validation.NewError("validation_number", "Please type a number.")
		}
		if q.Min != nil && number < *q.Min || q.Max != nil && number > *q.Max {
			return validation.NewError("validation_range", "Please give a number "+q.rangeText()+".")
		}
	}
	return nil
}

func (q Question) rangeText() string {
	format := func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
	switch {
	case q.Min != nil && q.Max != nil:
		return "from " + format(*q.Min) + " to " + format(*q.Max)
	case q.Min != nil:
		return "of at least " + format(*q.Min)
	default:
		return "of at most " + format(*q.Max)
	}
}
