package schema

import (
	"encoding/base64"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/security"
)

// LinkToken is one kind of per-appointment link token (the join link, the
// action links), derived from the clients collection's token secret and a
// random salt kept on the appointment. Every mail can carry the same link
// while the database keeps only the salt and the token's SHA-256, and
// rotating the secret voids every such link at once.
type LinkToken struct {
	Purpose string // keys the derivation: one per kind of link
	Salt    string // the appointments field holding the salt
	Hash    string // the appointments field holding the token's SHA-256
}

// Token derives the link token of record.
func (k LinkToken) Token(app core.App, record *core.Record) (string, error) {
	clients, err := app.FindCachedCollectionByNameOrId(Clients)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(ClientSecretMAC(clients, k.Purpose, record.GetString(k.Salt))), nil
}

// Issue gives record a salt when it has none and stores its token's hash.
func (k LinkToken) Issue(app core.App, record *core.Record) error {
	if record.GetString(k.Salt) == "" {
		record.Set(k.Salt, security.RandomString(22))
	}
	token, err := k.Token(app, record)
	if err != nil {
		return err
	}
	record.Set(k.Hash, security.SHA256(token))
	return nil
}

// Revoke takes the salt and the hash away: no link of this kind works.
func (k LinkToken) Revoke(record *core.Record) {
	record.Set(k.Salt, "")
	record.Set(k.Hash, "")
}

// Find is the appointment whose link carries token and that matches
// filter ("" for any); sql.ErrNoRows when there is none.
func (k LinkToken) Find(app core.App, token, filter string) (*core.Record, error) {
	where := k.Hash + " = {:hash} && " + k.Hash + " != ''"
	if filter != "" {
		where += " && (" + filter + ")"
	}
	return app.FindFirstRecordByFilter(Appointments, where, dbx.Params{"hash": security.SHA256(token)})
}

// Rehash stores, for every appointment with a salt that matches filter
// ("" for all), the hash of its token under the current secret, with
// plain UPDATEs: no save hook has a reason to run.
func (k LinkToken) Rehash(app core.App, filter string) error {
	where := k.Salt + " != ''"
	if filter != "" {
		where += " && (" + filter + ")"
	}
	records, err := app.FindRecordsByFilter(Appointments, where, "", 0, 0)
	if err != nil {
		return err
	}
	return app.RunInTransaction(func(tx core.App) error {
		for _, record := range records {
			token, err := k.Token(tx, record)
			if err != nil {
				return err
			}
			if hash := security.SHA256(token); hash != record.GetString(k.Hash) {
				_, err := tx.DB().Update(Appointments, dbx.Params{k.Hash: hash}, dbx.HashExp{"id": record.Id}).Execute()
				if err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// RetryWhenLocked runs a transaction again when SQLite turned it away
// because another process wrote to data.db after the transaction had
// read (`portico reminders run` beside `serve`): the loser simply
// retries, a few times. Inside one process every write goes through
// PocketBase's one writer connection, so transactions there never race.
func RetryWhenLocked(run func() error) error {
	for attempt := 1; ; attempt++ {
		err := run()
		if err == nil || attempt == 5 || !strings.Contains(err.Error(), "database is locked") {
			return err
		}
		time.Sleep(time.Duration(attempt) * 50 * time.Millisecond)
	}
}
