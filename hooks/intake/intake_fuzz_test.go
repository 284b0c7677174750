package intake_test

import (
	"encoding/json"
	"io"
	"testing"
	"time"

	"portico/hooks/intake"
)

// FuzzQuestionsAndAnswers: whatever a clinician saves and a client sends,
// checking and printing never fail, and a packet's answers survive being
// stored and read back.
func FuzzQuestionsAndAnswers(f *testing.F) {
	f.Add(`[{"id":"a","kind":"yes_no","label":"A","required":true},{"id":"c","kind":"consent","label":"C","text":"T"}]`, `{"a":"yes","c":{"accepted":true,"name":"Ada"}}`)
	f.Add(`[{"id":"m","kind":"multiple_choice","label":"M","options":["x","y"]},{"id":"n","kind":"number","label":"N","min":1}]`, `{"m":["x","x"],"n":"0"}`)
	f.Add(`[{"id":"h","kind":"heading","label":"H"},{"id":"d","kind":"date","label":"D"}]`, `{"d":"","h":null}`)
	now := time.Date(2026, 3, 14, 15, 30, 0, 0, time.UTC)

	f.Fuzz(func(t *testing.T, questionsJSON, answersJSON string) {
		questions, err := intake.ParseQuestions([]byte(questionsJSON))
		if err != nil {
			return
		}
		var raw map[string]json.RawMessage
		if json.Unmarshal([]byte(answersJSON), &raw) != nil {
			return
		}
		answers, problems := intake.ReadAnswers(questions, raw, nil, now)
		if problems != nil {
			return
		}
		stored, err := json.Marshal(answers)
		if err != nil {
			t.Fatalf("answers %v cannot be stored: %v", answers, err)
		}
		var reread map[string]json.RawMessage
		if err := json.Unmarshal(stored, &reread); err != nil {
			t.Fatal(err)
		}
		again, problems := intake.ReadAnswers(questions, reread, nil, now)
		if problems != nil {
			t.Fatalf("stored answers %s are refused when read back: %v", stored, problems)
		}
		if restored, _ := json.Marshal(again); string(restored) != string(stored) {
			t.Fatalf("answers changed on the way back: %s became %s", stored, restored)
		}
		intake.Check(questions, answers)
		var fromDB intake.Answers
		_ = json.Unmarshal(stored, &fromDB)
		if err := intake.Print(io.Discard, intake.Sheet{Questions: questions, Answers: fromDB, Submitted: now}); err != nil {
			t.Fatalf("printing: %v", err)
		}
	})
}
