package audit

import (
	"encoding/json"
	"testing"
)

// TestContentIsWhatJSONWrites keeps the hash of every entry already on
// file: the hand-written content must be byte for byte what json.Marshal
// of the columns wrote when the chain began, whatever a name or user
// agent holds.
func TestContentIsWhatJSONWrites(t *testing.T) {
	for _, text := range []string{"", "Dr. Lee", `say "hi"`, `back\\slash`, "<script>&amp;", "tab\there\nline\r\b\f\x01\x7f",
		"Zoë Müller", "日本語", "\u2028\u2029", "bad \xff utf-8", "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0"} {
		entry := Entry{Id: "abc123", Seq: 42, At: "2026-12-01 10:00:00.000Z", ActorType: ActorStaff, ActorName: text,
			UserAgent: text, Detail: text, Shown: `["a","b"]`, Fields: "[]", PrevHash: "ff00"}
		want, _ := json.Marshal([]any{entry.Id, entry.Seq, entry.At, entry.ActorType, entry.ActorId, entry.ActorName, entry.Role,
			entry.Action, entry.Client, entry.Shown, entry.RecordCollection, entry.RecordId, entry.Fields, entry.Detail, entry.IP,
			entry.UserAgent, entry.PrevHash})
		if got := entry.appendContent(nil); string(got) != string(want) {
			t.Errorf("an entry naming %q hashes\n%s\nbut json.Marshal wrote\n%s\nso entries already on file would no longer verify", text, got, want)
		}
	}
}
