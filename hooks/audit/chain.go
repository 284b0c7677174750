package audit

import (
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"modernc.org/sqlite"

	"portico/hooks/schema"
)

// Collection is the audit log's collection: a view of Table, read-only
// by construction, through which the dashboard and the records API read
// entries (migration 1764_000055).
const Collection = "audit_log"

// Table holds the entries: a plain table PocketBase does not manage,
// whose only key is its rowid (chainOrder), so that an entry is one
// b-tree insert, and which no dashboard action on collections can drop.
const Table = "audit_entries"

// Actor types, as entries name them.
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
	var buf [1024]byte
	sum := sha256.Sum256(e.appendContent(buf[:0]))
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

// The chain's links are computed by SQLite in the statement that
// appends an entry, from the tip it reads in the same write: every
// writer (a request's group commit, a change's own transaction, the
// statement that spends a login token, a command in another process) is
// serialised by SQLite's one write lock, so none needs to know the tip
// beforehand and none can append after a tip another has moved. These
// functions are registered on every connection this program opens.
const (
	// hashFunction is ContentHash as SQL: the 17 columns before hash, in order.
	hashFunction = "portico_audit_hash"
	// recordingFunction says whether this program records: 0 in the
	// benchmark's build without the trail and in any program that has not
	// registered a Trail (the benchmark's bare limit), so that a trigger
	// appending entries (migration 1764_000051) writes nothing there.
	recordingFunction = "portico_audit_recording"
)

// recordingHere is set once a Trail is registered in this program.
var recordingHere atomic.Bool

func init() {
	// The arguments are read in place (VolatileArgs): hashOfColumns keeps
	// none of them past its return, and copying 17 strings out of SQLite
	// was a good part of what the hash cost an entry.
	sqlite.MustRegisterFunction(hashFunction, &sqlite.FunctionImpl{NArgs: int32(len(columnNames) - 1), Deterministic: true,
		Scalar: hashOfColumns, VolatileArgs: true})
	sqlite.MustRegisterScalarFunction(recordingFunction, 0, func(*sqlite.FunctionContext, []driver.Value) (driver.Value, error) {
		if recordingHere.Load() {
			return int64(1), nil
		}
		return int64(0), nil
	})
}

// hashOfColumns is the SQL function hashFunction.
func hashOfColumns(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	text := make([]string, len(args))
	for i, arg := range args {
		switch value := arg.(type) {
		case string:
			text[i] = value
		case []byte:
			text[i] = string(value)
		case nil:
		default:
			if i != 1 {
				return nil, fmt.Errorf("%s: column %s is %T, not text", hashFunction, columnNames[i], arg)
			}
		}
	}
	var seq int64
	switch value := args[1].(type) {
	case int64:
		seq = value
	case float64:
		seq = int64(value)
	default:
		return nil, fmt.Errorf("%s: seq is %T, not a number", hashFunction, args[1])
	}
	entry := Entry{Id: text[0], Seq: seq, At: text[2], ActorType: text[3], ActorId: text[4], ActorName: text[5], Role: text[6],
		Action: text[7], Client: text[8], Shown: text[9], RecordCollection: text[10], RecordId: text[11], Fields: text[12],
		Detail: text[13], IP: text[14], UserAgent: text[15], PrevHash: text[16]}
	return entry.ContentHash(), nil
}

// chainOrder is the order of the chain in SQL: the table's rowid, which
// is insertion order. SQLite gives a new row the largest rowid plus one,
// and the log is only ever appended to and pruned from its start; VACUUM
// and a dump and reload keep rows in rowid order. So the tip is one step
// to the last row of the table's own b-tree, and no index on seq has to
// be kept up at every entry (migration 1764_000054 dropped it): seq is
// content, which Verify checks against this order.
const chainOrder = "rowid"

// tipColumn is the chain's newest entry's column, or none when the log is empty.
func tipColumn(column, none string) string {
	return "COALESCE((SELECT " + column + " FROM " + Table + " ORDER BY " + chainOrder + " DESC LIMIT 1), " + none + ")"
}

// appendSQL appends one entry after the tip: its content is ?1 to ?14
// (contentValues), its number the tip's plus one, its id that number
// written out (unique as the number is, and random ids would need one
// value in two places of the statement), its previous hash the tip's,
// and its hash hashFunction's. Migration 1764_000054's trigger chains
// the same way.
//
// The tip is read by scalar subqueries of a one-row VALUES, each run once
// per execution, and not by INSERT … SELECT: an INSERT whose SELECT reads
// the table it writes makes SQLite copy the SELECT's rows into a
// temporary table first (lest it read what it inserts), and that copy,
// with its statement journal, was most of what an entry cost
// (docs/performance.md has the figures before and after).
var appendSQL = func() string {
	content := make([]string, 14)
	for i := range content {
		content[i] = "?" + strconv.Itoa(i+1)
	}
	seq := "(" + tipColumn("seq", "0") + " + 1)"
	chained := []string{"printf('e%014d', " + seq + ")", seq}
	chained = append(chained, content...)
	chained = append(chained, tipColumn("hash", "''"))
	return "INSERT INTO " + Table + " (" + columns + ") VALUES (" + strings.Join(chained, ", ") + ", " +
		hashFunction + "(" + strings.Join(chained, ", ") + "))"
}()

// contentValues is what appendSQL binds for entry, dated at.
func (e Entry) contentValues(at time.Time) []any {
	shown, fields := e.Shown, e.Fields
	if shown == "" {
		shown = "[]"
	}
	if fields == "" {
		fields = "[]"
	}
	return []any{schema.DateTime(at).String(), e.ActorType, e.ActorId, e.ActorName, e.Role, e.Action, e.Client, shown,
		e.RecordCollection, e.RecordId, fields, e.Detail, e.IP, e.UserAgent}
}

// appendEntry appends entry with app, inside its transaction when it is
// one, so that it commits or rolls back with the change it records.
func appendEntry(app core.App, entry Entry, at time.Time) error {
	// dbx binds only named parameters: appendSQL's positional ones go to
	// the database or transaction underneath.
	writer := app.NonconcurrentDB()
	switch db := writer.(type) {
	case *dbx.Tx:
		writer = db.Builder
	case *dbx.DB:
		writer = db.Builder
	}
	db, ok := writer.(interface{ Executor() dbx.Executor })
	if !ok {
		return errors.New("audit: the app's writer runs no SQL")
	}
	_, err := db.Executor().Exec(appendSQL, entry.contentValues(at)...)
	return err
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

// Verify walks the chain in order (chainOrder) and returns the first
// entry that was changed, removed or moved since Portico wrote it, as a
// *Broken error.
// The chain starts at entry #1 with no previous hash, or, once pruned,
// right after what the newest checkpoint says it removed.
func Verify(app core.App) (Summary, error) {
	var summary Summary
	start := checkpoint{}
	var newest Entry
	err := app.DB().NewQuery("SELECT " + columns + " FROM " + Table +
		" WHERE action = {:action} ORDER BY " + chainOrder + " DESC LIMIT 1").Bind(dbx.Params{"action": ActionCheckpoint}).One(&newest)
	if err == nil {
		if json.Unmarshal([]byte(newest.Detail), &start) != nil {
			return summary, &Broken{Seq: newest.Seq, Id: newest.Id, Reason: "its checkpoint detail is not readable"}
		}
	} else if !errors.Is(err, sql.ErrNoRows) {
		return summary, err
	}

	rows, err := app.DB().NewQuery("SELECT " + columns + " FROM " + Table + " ORDER BY " + chainOrder).Rows()
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
		var through sql.NullInt64
		var last struct {
			Row  int64  `db:"row"`
			Seq  int64  `db:"seq"`
			Hash string `db:"hash"`
		}
		err := tx.DB().NewQuery("SELECT MIN(" + chainOrder + ") FROM " + Table + " WHERE at >= {:before}").
			Bind(dbx.Params{"before": before}).Row(&through)
		if err != nil {
			return err
		}
		bound := chainOrder + " < {:bound}"
		if !through.Valid {
			bound = "1 = 1"
		}
		params := dbx.Params{"bound": through.Int64}
		err = tx.DB().NewQuery("SELECT " + chainOrder + " AS row, seq, hash FROM " + Table + " WHERE " + bound + " ORDER BY " + chainOrder + " DESC LIMIT 1").
			Bind(params).One(&last)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := tx.DB().NewQuery("SELECT COUNT(*) FROM " + Table + " WHERE " + bound).Bind(params).Row(&pruned); err != nil {
			return err
		}
		detail, _ := json.Marshal(checkpoint{ThroughSeq: last.Seq, LastHash: last.Hash, Pruned: pruned, Before: before})
		if err := appendEntry(tx, Entry{ActorType: ActorSystem, Action: ActionCheckpoint, Detail: string(detail)}, now); err != nil {
			return err
		}
		_, err = tx.DB().NewQuery("DELETE FROM " + Table + " WHERE " + chainOrder + " <= {:through}").
			Bind(dbx.Params{"through": last.Row}).Execute()
		return err
	})
	return pruned, err
}
