package audit

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
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
		row := entry.row()
		for i, cell := range row {
			row[i] = inert(cell)
		}
		if err := out.Write(row); err != nil {
			return err
		}
	}
	out.Flush()
	return out.Error()
}

// inertMark starts a CSV cell that a spreadsheet could otherwise read as
// a formula: a staff name or user agent such as =HYPERLINK(...) stays text.
const inertMark = "'"

// formulaStarts are what makes a spreadsheet evaluate a cell (OWASP's
// CSV injection list), and the mark itself, so that reading it back
// strips exactly what writing added.
const formulaStarts = "=+-@\t\r" + inertMark

// inert is cell as a spreadsheet reads it as text.
func inert(cell string) string {
	if cell != "" && strings.ContainsRune(formulaStarts, rune(cell[0])) {
		return inertMark + cell
	}
	return cell
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
		if len(row) != len(columnNames) {
			return nil, fmt.Errorf("row %d has %d cells; want %d", i+2, len(row), len(columnNames))
		}
		for j, cell := range row {
			row[j] = strings.TrimPrefix(cell, inertMark)
		}
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

// dayBound reads a from or to bound: a day (2026-03-01, whole days in
// zone, the practice's, so that to includes its day) or an RFC 3339 time.
// "" is no bound.
func dayBound(value string, end bool, zone *time.Location) (string, error) {
	if value == "" {
		return "", nil
	}
	if day, err := time.ParseInLocation(time.DateOnly, value, zone); err == nil {
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
