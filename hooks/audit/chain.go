package audit

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"portico/hooks/schema"
)

// Collection is the audit log's collection.
const Collection = "audit_log"

// Actor types, as the collection's select field names them.
const (
	ActorStaff     = "staff"
	ActorClient    = "client"
	ActorSuperuser = "superuser"
	ActorSystem    = "system"
)

// ActionCheckpoint is the entry a prune leaves at the tip of the chain.
const ActionCheckpoint = "checkpoint"

// Entry is one line of the audit log, as stored, exported and hashed.
// Shown and Fields hold JSON arrays as text, exactly as stored, so the
// hash of an entry read back is the hash of the entry written.
type Entry struct {
	Id               string `db:"id" json:"id"`
	Seq              int64  `db:"seq" json:"seq"`
	At               string `db:"at" json:"at"`
	ActorType        string `db:"actor_type" json:"actor_type"`
	ActorId          string `db:"actor_id" json:"actor_id"`
	ActorName        string `db:"actor_name" json:"actor_name"`
	Role             string `db:"role" json:"role"`
	Action           string `db:"action" json:"action"`
	Client           string `db:"client" json:"client"`
	Shown            string `db:"shown" json:"shown"`
	RecordCollection string `db:"record_collection" json:"record_collection"`
	RecordId         string `db:"record_id" json:"record_id"`
	Fields           string `db:"fields" json:"fields"`
	Detail           string `db:"detail" json:"detail"`
	IP               string `db:"ip" json:"ip"`
	UserAgent        string `db:"user_agent" json:"user_agent"`
	PrevHash         string `db:"prev_hash" json:"prev_hash"`
	Hash             string `db:"hash" json:"hash"`
}

// columnNames is every stored column, in the order the hash covers them
// and an export's CSV header names them.
var columnNames = []string{"id", "seq", "at", "actor_type", "actor_id", "actor_name", "role", "action", "client", "shown",
	"record_collection", "record_id", "fields", "detail", "ip", "user_agent", "prev_hash", "hash"}

// columns is columnNames as SQL lists them.
var columns = strings.Join(columnNames, ", ")

// ContentHash is the SHA-256 of everything in the entry but its own hash,
// the previous entry's hash included: that is what makes a chain. The
// content is the JSON array of the columns in order, as json.Marshal
// writes it; appendContent writes the same bytes without its reflection,
// which every read of client data pays for.
func (e Entry) ContentHash() string {
	sum := sha256.Sum256(e.appendContent(make([]byte, 0, 1024)))
	return hex.EncodeToString(sum[:])
}

func (e Entry) appendContent(buf []byte) []byte {
	buf = append(buf, '[')
	for i, value := range []string{e.Id, "", e.At, e.ActorType, e.ActorId, e.ActorName, e.Role, e.Action,
		e.Client, e.Shown, e.RecordCollection, e.RecordId, e.Fields, e.Detail, e.IP, e.UserAgent, e.PrevHash} {
		if i > 0 {
			buf = append(buf, ',')
		}
		if i == 1 {
			buf = strconv.AppendInt(buf, e.Seq, 10)
			continue
		}
		buf = appendJSONString(buf, value)
	}
	return append(buf, ']')
}

// appendJSONString appends s as json.Marshal writes it: as is between
// quotes when it holds only printable ASCII that JSON and its HTML
// escaping leave alone (ids, dates, hashes, most names), through
// json.Marshal otherwise.
func appendJSONString(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			quoted, _ := json.Marshal(s)
			return append(buf, quoted...)
		}
	}
	buf = append(buf, '"')
	buf = append(buf, s...)
	return append(buf, '"')
}

// jsonList is ids as the JSON text the shown and fields columns hold.
func jsonList(ids []string) string {
	if len(ids) == 0 {
		return "[]"
	}
	raw, _ := json.Marshal(ids)
	return string(raw)
}

// tip is the chain's last entry, which the next one follows.
type tip struct {
	Seq  int64  `db:"seq"`
	Hash string `db:"hash"`
}

// readTip returns the chain's last entry, or the zero tip of an empty log.
func readTip(db dbx.Builder) (tip, error) {
	var last tip
	err := db.NewQuery("SELECT seq, hash FROM " + Collection + " ORDER BY seq DESC LIMIT 1").One(&last)
	if errors.Is(err, sql.ErrNoRows) {
		err = nil
	}
	return last, err
}

// link numbers, dates, chains and hashes entries after last and returns
// the new tip.
func link(entries []Entry, last tip, at time.Time) tip {
	for i := range entries {
		entry := &entries[i]
		entry.Id = core.GenerateDefaultRandomId()
		entry.Seq = last.Seq + 1
		entry.At = schema.DateTime(at).String()
		entry.PrevHash = last.Hash
		if entry.Shown == "" {
			entry.Shown = "[]"
		}
		if entry.Fields == "" {
			entry.Fields = "[]"
		}
		entry.Hash = entry.ContentHash()
		last = tip{Seq: entry.Seq, Hash: entry.Hash}
	}
	return last
}

// insertSQL is one entry's INSERT with positional values, for
// database/sql; insertQuery is the same for dbx, with named ones.
var insertSQL = "INSERT INTO " + Collection + " (" + columns + ") VALUES (?" + strings.Repeat(", ?", len(columnNames)-1) + ")"

func insertQuery(db dbx.Builder) *dbx.Query {
	placeholders := make([]string, len(columnNames))
	for i, name := range columnNames {
		placeholders[i] = "{:" + name + "}"
	}
	return db.NewQuery("INSERT INTO " + Collection + " (" + columns + ") VALUES (" + strings.Join(placeholders, ", ") + ")")
}

// values is the entry's columns in columnNames' order, as stored.
func (e Entry) values() []any {
	return []any{e.Id, e.Seq, e.At, e.ActorType, e.ActorId, e.ActorName, e.Role, e.Action, e.Client, e.Shown,
		e.RecordCollection, e.RecordId, e.Fields, e.Detail, e.IP, e.UserAgent, e.PrevHash, e.Hash}
}

// bind is the parameters of insertQuery for entry.
func (e Entry) bind() dbx.Params {
	params := dbx.Params{}
	for i, value := range e.values() {
		params[columnNames[i]] = value
	}
	return params
}

// appendEntry appends entry inside app's transaction, so that it commits
// or rolls back with the change it records.
func appendEntry(app core.App, entry Entry, at time.Time) (Entry, error) {
	entries := []Entry{entry}
	err := app.RunInTransaction(func(tx core.App) error {
		last, err := readTip(tx.DB())
		if err != nil {
			return err
		}
		link(entries, last, at)
		_, err = insertQuery(tx.DB()).Bind(entries[0].bind()).Execute()
		return err
	})
	return entries[0], err
}

// isSeqConflict is the unique seq index refusing a second entry with the
// same number: another writer appended after the tip this one knew.
func isSeqConflict(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed: "+Collection+".seq")
}

// Broken is the first entry at which the chain does not hold.
type Broken struct {
	Seq    int64
	Id     string
	Reason string
}

func (b *Broken) Error() string {
	return fmt.Sprintf("audit log broken at entry #%d (id %s): %s", b.Seq, b.Id, b.Reason)
}

// checkpoint is the detail of a checkpoint entry: what a prune removed.
type checkpoint struct {
	ThroughSeq int64  `json:"through_seq"`
	LastHash   string `json:"last_hash"`
	Pruned     int64  `json:"pruned"`
	Before     string `json:"before"`
}

// Summary is what a walk of an intact chain found.
type Summary struct {
	Entries  int64
	FirstSeq int64
	TipSeq   int64
	TipHash  string
}

// Verify walks the chain in order and returns the first entry that was
// changed, removed or moved since Portico wrote it, as a *Broken error.
// The chain starts at entry #1 with no previous hash, or, once pruned,
// right after what the newest checkpoint says it removed.
func Verify(app core.App) (Summary, error) {
	var summary Summary
	start := checkpoint{}
	var newest Entry
	err := app.DB().NewQuery("SELECT " + columns + " FROM " + Collection +
		" WHERE action = {:action} ORDER BY seq DESC LIMIT 1").Bind(dbx.Params{"action": ActionCheckpoint}).One(&newest)
	if err == nil {
		if json.Unmarshal([]byte(newest.Detail), &start) != nil {
			return summary, &Broken{Seq: newest.Seq, Id: newest.Id, Reason: "its checkpoint detail is not readable"}
		}
	} else if !errors.Is(err, sql.ErrNoRows) {
		return summary, err
	}

	rows, err := app.DB().NewQuery("SELECT " + columns + " FROM " + Collection + " ORDER BY seq").Rows()
	if err != nil {
		return summary, err
	}
	defer rows.Close()
	previous := Entry{Seq: start.ThroughSeq, Hash: start.LastHash}
	for rows.Next() {
		var entry Entry
		if err := rows.ScanStruct(&entry); err != nil {
			return summary, err
		}
		if broken := follows(previous, entry); broken != nil {
			return summary, broken
		}
		if summary.Entries == 0 {
			summary.FirstSeq = entry.Seq
		}
		summary.Entries++
		previous = entry
	}
	summary.TipSeq, summary.TipHash = previous.Seq, previous.Hash
	return summary, rows.Err()
}

// follows checks that entry is intact and comes right after previous.
func follows(previous, entry Entry) *Broken {
	broken := func(reason string, args ...any) *Broken {
		return &Broken{Seq: entry.Seq, Id: entry.Id, Reason: fmt.Sprintf(reason, args...)}
	}
	switch {
	case entry.ContentHash() != entry.Hash:
		return broken("its content does not match its hash: it was edited, or moved from another place in the chain")
	case entry.Seq != previous.Seq+1 && previous.Seq == 0:
		return broken("the chain should start at entry #1: the entries before it were removed without a checkpoint")
	case entry.Seq != previous.Seq+1:
		return broken("entries #%d to #%d are missing", previous.Seq+1, entry.Seq-1)
	case entry.PrevHash != previous.Hash:
		return broken("it does not link to entry #%d: an entry was replaced or reordered", previous.Seq)
	}
	return nil
}

// Prune removes the entries written before cutoff and appends a
// checkpoint naming the last one removed and its hash, so the chain that
// remains still verifies from its first entry. It returns how many went.
func Prune(app core.App, cutoff, now time.Time) (int64, error) {
	var pruned int64
	err := app.RunInTransaction(func(tx core.App) error {
		before := schema.DateTime(cutoff).String()
		// Only a run from the start goes: an entry dated before cutoff that
		// follows a newer one (a clock set back) waits for its turn.
		var through, last struct {
			Seq  sql.NullInt64  `db:"seq"`
			Hash sql.NullString `db:"hash"`
		}
		err := tx.DB().NewQuery("SELECT MIN(seq) AS seq FROM " + Collection + " WHERE at >= {:before}").
			Bind(dbx.Params{"before": before}).One(&through)
		if err != nil {
			return err
		}
		bound := "seq < {:bound}"
		if !through.Seq.Valid {
			bound = "1 = 1"
		}
		params := dbx.Params{"bound": through.Seq.Int64}
		err = tx.DB().NewQuery("SELECT seq, hash FROM " + Collection + " WHERE " + bound + " ORDER BY seq DESC LIMIT 1").
			Bind(params).One(&last)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := tx.DB().NewQuery("SELECT COUNT(*) FROM " + Collection + " WHERE " + bound).Bind(params).Row(&pruned); err != nil {
			return err
		}
		detail, _ := json.Marshal(checkpoint{ThroughSeq: last.Seq.Int64, LastHash: last.Hash.String, Pruned: pruned, Before: before})
		if _, err := appendEntry(tx, Entry{ActorType: ActorSystem, Action: ActionCheckpoint, Detail: string(detail)}, now); err != nil {
			return err
		}
		_, err = tx.DB().NewQuery("DELETE FROM " + Collection + " WHERE seq <= {:through}").
			Bind(dbx.Params{"through": last.Seq.Int64}).Execute()
		return err
	})
	return pruned, err
}
