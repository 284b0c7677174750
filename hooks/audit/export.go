package audit

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"portico/hooks/schema"
)

// Export formats.
const (
	FormatCSV  = "csv"
	FormatJSON = "json"
)

var contentTypes = map[string]string{FormatCSV: "text/csv; charset=utf-8", FormatJSON: "application/json"}

func (e Entry) row() []string {
	return []string{e.Id, strconv.FormatInt(e.Seq, 10), e.At, e.ActorType, e.ActorId, e.ActorName, e.Role, e.Action, e.Client,
		e.Shown, e.RecordCollection, e.RecordId, e.Fields, e.Detail, e.IP, e.UserAgent, e.PrevHash, e.Hash}
}

// WriteEntries writes entries as CSV (a header, then one row each) or as
// a JSON array, every stored column included, hashes too, so a reader can
// check each entry against its hash.
func WriteEntries(w io.Writer, format string, entries []Entry) error {
	if format == FormatJSON {
		encoder := json.NewEncoder(w)
		encoder.SetIndent("", "  ")
		return encoder.Encode(entries)
	}
	out := csv.NewWriter(w)
	if err := out.Write(columnNames); err != nil {
		return err
	}
	for _, entry := range entries {
		if err := out.Write(entry.row()); err != nil {
			return err
		}
	}
	out.Flush()
	return out.Error()
}

// ReadEntries reads back what WriteEntries wrote.
func ReadEntries(r io.Reader, format string) ([]Entry, error) {
	entries := []Entry{}
	if format == FormatJSON {
		err := json.NewDecoder(r).Decode(&entries)
		return entries, err
	}
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 || fmt.Sprint(rows[0]) != fmt.Sprint(columnNames) {
		return nil, fmt.Errorf("not a Portico audit export: the first row should be %v", columnNames)
	}
	for i, row := range rows[1:] {
		seq, err := strconv.ParseInt(row[1], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("row %d: seq %q is not a number", i+2, row[1])
		}
		entries = append(entries, Entry{Id: row[0], Seq: seq, At: row[2], ActorType: row[3], ActorId: row[4], ActorName: row[5],
			Role: row[6], Action: row[7], Client: row[8], Shown: row[9], RecordCollection: row[10], RecordId: row[11],
			Fields: row[12], Detail: row[13], IP: row[14], UserAgent: row[15], PrevHash: row[16], Hash: row[17]})
	}
	return entries, nil
}

// VerifyEntries checks exported entries: each against its own hash, and
// each that follows its predecessor in the export against that one's hash.
func VerifyEntries(entries []Entry) error {
	for i, entry := range entries {
		if entry.ContentHash() != entry.Hash {
			return &Broken{Seq: entry.Seq, Id: entry.Id, Reason: "its content does not match its hash"}
		}
		if i > 0 && entries[i-1].Seq+1 == entry.Seq && entry.PrevHash != entries[i-1].Hash {
			return &Broken{Seq: entry.Seq, Id: entry.Id, Reason: fmt.Sprintf("it does not link to entry #%d", entries[i-1].Seq)}
		}
	}
	return nil
}

// dayBound reads a --from/--to value: a day (2026-03-01, whole days, so
// --to includes its day) or an RFC 3339 time. "" is no bound.
func dayBound(value string, end bool) (string, error) {
	if value == "" {
		return "", nil
	}
	if day, err := time.Parse(time.DateOnly, value); err == nil {
		if end {
			day = day.AddDate(0, 0, 1)
		}
		return schema.DateTime(day).String(), nil
	}
	moment, err := time.Parse(time.RFC3339, value)
	if err != nil {
		return "", fmt.Errorf("%q is not a date: use 2026-03-01 or 2026-03-01T09:00:00Z", value)
	}
	return schema.DateTime(moment).String(), nil
}
