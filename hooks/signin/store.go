package signin

import (
	"database/sql"
	"encoding/hex"
	"errors"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/security"

	"portico/hooks/schema"
	"portico/hooks/web"
)

// MaxFailedCodes wrong codes kill a token: with the per-address send cap
// this bounds guessing to a few tries in a million per window.
const MaxFailedCodes = 5

// openToken is the one definition of a token that can still sign in: not
// used, not expired, not killed by wrong codes. Token.State says the same
// in Go.
const openToken = "used = '' AND expires > {:now} AND failed_codes < {:max}"

// tokenAlphabet is base64url: 43 of its characters carry 258 bits.
const tokenAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// Store keeps login tokens: the emailed link token and code behind every
// sign-in, stored only as a SHA-256 and an HMAC, consumed once by the
// database. It knows nothing of HTTP.
type Store struct {
	App core.App
	Now func() time.Time
}

// Token is a login_tokens row as sign-in reads it. It belongs to a client,
// or, for a staff invite, to a staff member.
type Token struct {
	Id          string `db:"id"`
	Client      string `db:"client"`
	Staff       string `db:"staff"`
	Purpose     string `db:"purpose"`
	TokenHash   string `db:"token_hash"`
	CodeHMAC    string `db:"code_hmac"`
	Expires     string `db:"expires"`
	Used        string `db:"used"`
	FailedCodes int    `db:"failed_codes"`
}

// Token states.
const (
	StateValid   = "valid"
	StateUsed    = "used"
	StateExpired = "expired"
)

// State says what a token can still do.
func (t Token) State(now time.Time) string {
	switch {
	case t.Used != "":
		return StateUsed
	case t.Expires <= schema.DateTime(now).String() || t.FailedCodes >= MaxFailedCodes:
		return StateExpired
	default:
		return StateValid
	}
}

// Requester is where a token was asked for or redeemed from, for the record.
type Requester struct {
	IP    string
	Agent string
}

// Issue stores a new token for client (or a staff member, for a staff
// invite) and returns the raw link token and code, which exist only in the
// email from here on.
func (s *Store) Issue(client *core.Record, purpose string, ttl time.Duration, from Requester) (token, code string, err error) {
	token = security.RandomStringWithAlphabet(43, tokenAlphabet)
	code = security.RandomStringWithAlphabet(6, "0123456789")

	collection, err := s.App.FindCachedCollectionByNameOrId(schema.LoginTokens)
	if err != nil {
		return "", "", err
	}
	hash := security.SHA256(token)
	record := core.NewRecord(collection)
	record.Set(ownerField(client), client.Id)
	record.Set("purpose", purpose)
	record.Set("token_hash", hash)
	record.Set("code_hmac", codeHMAC(client, hash, code))
	record.Set("expires", s.Now().Add(ttl))
	record.Set("requested_ip", from.IP)
	record.Set("requested_ua", web.Truncate(from.Agent, 500))
	if err := s.App.SaveNoValidate(record); err != nil {
		return "", "", err
	}
	return token, code, nil
}

// codeHMAC keys each code with a server secret: six digits are too few
// for a plain hash. Rotating the clients collection's token secret in the
// dashboard also voids every open code.
func codeHMAC(client *core.Record, tokenHash, code string) string {
	return hex.EncodeToString(schema.ClientSecretMAC(client.Collection(), "portico sign-in code", tokenHash+":"+code))
}

// ownerField is the login_tokens field that names owner.
func ownerField(owner *core.Record) string {
	if owner.Collection().Name == schema.Staff {
		return "staff"
	}
	return "client"
}

const tokenColumns = "SELECT id, client, staff, purpose, token_hash, code_hmac, expires, used, failed_codes FROM login_tokens "

// Find returns the token whose link carries raw; sql.ErrNoRows when none does.
func (s *Store) Find(raw string) (Token, error) {
	var row Token
	err := s.App.DB().NewQuery(tokenColumns + "WHERE token_hash = {:hash}").
		Bind(dbx.Params{"hash": security.SHA256(raw)}).One(&row)
	return row, err
}

// MatchCode returns the client's open token that code belongs to, or
// false. A wrong code counts against every open token of the client, in a
// statement of its own so that no rolled-back transaction can undo it.
func (s *Store) MatchCode(client *core.Record, code string) (Token, bool, error) {
	params := s.openParams(dbx.Params{"client": client.Id})
	var open []Token
	if err := s.App.DB().NewQuery(tokenColumns + "WHERE client = {:client} AND " + openToken).Bind(params).All(&open); err != nil {
		return Token{}, false, err
	}
	for _, token := range open {
		if security.Equal(token.CodeHMAC, codeHMAC(client, token.TokenHash, code)) {
			return token, true, nil
		}
	}
	_, err := s.App.DB().NewQuery(
		"UPDATE login_tokens SET failed_codes = failed_codes + 1, updated = {:now} WHERE client = {:client} AND " + openToken,
	).Bind(params).Execute()
	return Token{}, false, err
}

// ConsumeLink marks the client's token whose link carries raw used; see consume.
func (s *Store) ConsumeLink(raw string, by Requester) (string, error) {
	return s.consume("client", "token_hash = {:hash}", dbx.Params{"hash": security.SHA256(raw)}, by)
}

// ConsumeId marks the client's token with id used; see consume.
func (s *Store) ConsumeId(id string, by Requester) (string, error) {
	return s.consume("client", "id = {:id}", dbx.Params{"id": id}, by)
}

// ConsumeStaffInvite marks the staff invite whose link carries raw used
// and returns the staff member's id; see consume.
func (s *Store) ConsumeStaffInvite(raw string, by Requester) (string, error) {
	return s.consume("staff", "token_hash = {:hash} AND purpose = {:purpose}",
		dbx.Params{"hash": security.SHA256(raw), "purpose": schema.PurposeStaffInvite}, by)
}

// consume marks the token used in one conditional UPDATE: of any number of
// concurrent redeems exactly one changes the row, and only it signs in.
// It returns the token's owner (the owner field: "client" or "staff"), or
// "" when this call did not win: a client's route never spends a staff
// invite, nor the reverse. The same statement reads the owner so that a
// sign-in costs one query less.
func (s *Store) consume(owner, where string, params dbx.Params, by Requester) (string, error) {
	params = s.openParams(params)
	params["ip"] = by.IP
	params["agent"] = web.Truncate(by.Agent, 500)
	var client string
	err := s.App.DB().NewQuery(
		"UPDATE login_tokens SET used = {:now}, updated = {:now}, redeemed_ip = {:ip}, redeemed_ua = {:agent} " +
			"WHERE " + where + " AND " + owner + " != '' AND " + openToken + " RETURNING " + owner,
	).Bind(params).Row(&client)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return client, err
}

// openParams adds what openToken binds.
func (s *Store) openParams(params dbx.Params) dbx.Params {
	params["now"] = schema.DateTime(s.Now())
	params["max"] = MaxFailedCodes
	return params
}
