package messages

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/filesystem"

	"portico/hooks/schema"
)

// NewDocument is a document about to be added by one side for a client.
type NewDocument struct {
	Client *core.Record
	Kind   string
	Side   string       // schema.SidePractice shared it; schema.SideClient uploaded it
	Asks   string       // what a shared document asks of the client; "" for an upload
	By     *core.Record // the staff member sharing it; nil for the client
	Title  string
	File   *filesystem.File
	At     time.Time
}

// AddDocument stores a document with the SHA-256 of its file, which a
// signature covers.
func (s *Store) AddDocument(doc NewDocument) (*core.Record, error) {
	sum, err := fileSHA256(doc.File)
	if err != nil {
		return nil, err
	}
	collection, err := s.App.FindCachedCollectionByNameOrId(schema.Documents)
	if err != nil {
		return nil, err
	}
	record := core.NewRecord(collection)
	record.Set("client", doc.Client.Id)
	record.Set("kind", doc.Kind)
	record.Set("side", doc.Side)
	record.Set("asks", doc.Asks)
	record.Set("title", doc.Title)
	record.Set("file", doc.File)
	record.Set("file_sha256", sum)
	record.Set("added", schema.DateTime(doc.At))
	if doc.By != nil {
		record.Set("added_by", doc.By.Id)
		record.Set("added_by_name", doc.By.GetString("name"))
	}
	if err := s.App.Save(record); err != nil {
		return nil, err
	}
	return record, nil
}

func fileSHA256(file *filesystem.File) (string, error) {
	reader, err := file.Reader.Open()
	if err != nil {
		return "", err
	}
	defer reader.Close()
	hash := sha256.New()
	if _, err := io.Copy(hash, reader); err != nil {
		return "", err
	}
	return hex.EncodeToString(hash.Sum(nil)), nil
}

// DocumentRow is one document as a list shows it.
type DocumentRow struct {
	Id           string `db:"id" json:"id"`
	Client       string `db:"client" json:"client"`
	ClientName   string `db:"clientName" json:"clientName"`
	Kind         string `db:"kind" json:"kind"`
	Side         string `db:"side" json:"side"`
	Asks         string `db:"asks" json:"asks"`
	Title        string `db:"title" json:"title"`
	File         string `db:"file" json:"file"`
	AddedBy      string `db:"added_by_name" json:"addedBy"`
	Added        string `db:"added" json:"added"`
	Opened       string `db:"opened" json:"opened"`
	Acknowledged string `db:"acknowledged" json:"acknowledged"`
	Signed       string `db:"signed" json:"signed"`
	SignedName   string `db:"signed_name" json:"signedName"`
}

// Waiting reports whether the document waits for reader's side: a shared
// one the client has not done what it asks, an upload staff have not
// opened.
func (d DocumentRow) Waiting(side string) bool {
	switch {
	case d.Side == side:
		return false
	case d.Side == schema.SideClient:
		return d.Opened == ""
	case d.Asks == schema.AsksSign:
		return d.Signed == ""
	case d.Asks == schema.AsksAcknowledge:
		return d.Acknowledged == ""
	}
	return d.Opened == ""
}

// Documents lists the documents in scope (a Scope's t is the document,
// c its client), newest first, of one client when client is not "".
func (s *Store) Documents(scope Scope, client string, limit int) ([]DocumentRow, error) {
	rows := []DocumentRow{}
	params := dbx.Params{"client": client, "limit": limit}
	for k, v := range scope.Params {
		params[k] = v
	}
	err := s.App.DB().NewQuery(`SELECT t.id, t.client, c.name AS clientName, t.kind, t.side, t.asks, t.title, t.file,
			t.added_by_name, t.added, t.opened, t.acknowledged, t.signed, t.signed_name
		FROM ` + schema.Documents + ` t JOIN ` + schema.Clients + ` c ON c.id = t.client
		WHERE (` + scope.Where + `) AND ({:client} = '' OR t.client = {:client})
		ORDER BY t.added DESC, t.id LIMIT {:limit}`).Bind(params).All(&rows)
	return rows, err
}

// MarkOpened records the first time the other side opened the document.
// It is one statement, so two downloads at once keep the first time.
func (s *Store) MarkOpened(id string, at time.Time) error {
	_, err := s.App.DB().NewQuery("UPDATE " + schema.Documents + " SET opened = {:at} WHERE id = {:id} AND opened = ''").
		Bind(dbx.Params{"at": schema.DateTime(at).String(), "id": id}).Execute()
	return err
}

// The ways a client's answer to a shared document can be refused.
var (
	errAsksOther = errors.New("the document does not ask for this")
	errDone      = errors.New("the document was already answered")
)

// Answer records the client's acknowledgement, or signature with the
// typed name, of a shared document. A document is answered once: a
// signature is never replaced.
func (s *Store) Answer(doc *core.Record, asks, signedName string, at time.Time) error {
	if doc.GetString("side") != schema.SidePractice || doc.GetString("asks") != asks {
		return errAsksOther
	}
	field := "acknowledged"
	if asks == schema.AsksSign {
		field = "signed"
		doc.Set("signed_name", signedName)
	}
	if !doc.GetDateTime(field).IsZero() {
		return errDone
	}
	doc.Set(field, schema.DateTime(at))
	if doc.GetDateTime("opened").IsZero() {
		doc.Set("opened", schema.DateTime(at))
	}
	return s.App.Save(doc)
}
