package signin

import (
	"database/sql"
	"encoding/hex"
	"encoding/json/jsontext"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/security"

	"portico/hooks/schema"
	"portico/hooks/web"
)

// MaxFailedCodes wrong codes kill a token's code: with the per-address
// send cap this bounds guessing to a few tries in a million per window.
// The link in the same email, 256 bits no one guesses, still works, so a
// stranger typing wrong codes cannot lock the client out.
const MaxFailedCodes = 5

// MaxWrongCodesInARow wrong codes for one client stop codes working for
// that client until a link sign-in, across tokens and windows: the
// account-level cap of NIST SP 800-63B 5.2.2. Without it, guessing from
// one address went on without end (58 % success in a year).
const MaxWrongCodesInARow = 100

// openToken is the one definition of a token whose link can still sign
// in: not used, not expired. Token.State says the same in Go.
const openToken = "used = '' AND expires > {:now}"

// failedCodes is a token's wrong codes: those typed for its client's
// address since it was issued. They are counted in the address's one
// code_tries row (migration 1764_000037), which any address gets, so
// that a wrong code is the same one-row write for a client's address and
// a stranger's.
const failedCodes = "(COALESCE((SELECT wrong FROM code_tries WHERE address = (SELECT email FROM clients WHERE clients.id = login_tokens.client)), 0) - login_tokens.wrong_before)"

// openCode is a token whose code can still sign in: its link is open and
// wrong codes have not killed the code. Token.CodeState says the same.
const openCode = openToken + " AND " + failedCodes + " < {:max}"

// knownCodes are the tokens of the client with address {:email} whose
// code, typed, is recognised: the open ones, and the one the client spent
// last if it has not expired, so that the code typed on a laptop after the
// link was opened on the phone says what happened rather than that it is
// wrong. Each half is a range of the client's open-token index: however
// often the client signed in before, the statement reads a handful of
// rows, for a client's address as for a stranger's (a voided token's
// expiry has passed).
const knownCodes = tokenColumns + "WHERE client = " + clientByEmail + " AND " + openCode +
	" UNION ALL SELECT * FROM (" + tokenColumns + "WHERE client = " + clientByEmail + " AND used > '' ORDER BY used DESC LIMIT 1)" +
	" WHERE expires > {:now} AND failed_codes < {:max}"

// tokenAlphabet is base64url: 43 of its characters carry 258 bits.
const tokenAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// Store keeps login tokens: the emailed link token and code behind every
// sign-in, stored only as a SHA-256 and an HMAC, consumed once by the
// database. It knows nothing of HTTP.
type Store struct {
	App core.App
	Now func() time.Time

	statements prepared
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
	Superseded  string `db:"superseded"`
	FailedCodes int    `db:"failed_codes"`
}

// Token states.
const (
	StateValid   = "valid"
	StateUsed    = "used"
	StateExpired = "expired"
	// StateSuperseded is an unused link the client's sign-in with another
	// link or code has voided (migration 1764_000038).
	StateSuperseded = "superseded"
)

// State says what a token's link can still do.
func (t Token) State(now time.Time) string {
	switch {
	case t.Used != "":
		return StateUsed
	case t.Superseded != "":
		return StateSuperseded
	case t.Expires <= schema.DateTime(now).String():
		return StateExpired
	default:
		return StateValid
	}
}

// CodeState says what a token's code can still do.
func (t Token) CodeState(now time.Time) string {
	if state := t.State(now); state != StateValid || t.FailedCodes < MaxFailedCodes {
		return state
	}
	return StateExpired
}

// Requester is where a token was asked for or redeemed from, for the record.
type Requester struct {
	IP    string
	Agent string
}

// Issue stores a new token for client (or a staff member, for a staff
// invite) using app, which may be a transaction, and returns its id and
// the raw link token and code, which exist only in the email from here on.
func (s *Store) Issue(app core.App, client *core.Record, purpose string, ttl time.Duration, from Requester) (id, token, code string, err error) {
	token = security.RandomStringWithAlphabet(43, tokenAlphabet)
	code = security.RandomStringWithAlphabet(6, "0123456789")

	collection, err := app.FindCachedCollectionByNameOrId(schema.LoginTokens)
	if err != nil {
		return "", "", "", err
	}
	hash := security.SHA256(token)
	record := core.NewRecord(collection)
	record.Set(ownerField(client), client.Id)
	record.Set("purpose", purpose)
	record.Set("token_hash", hash)
	record.Set("code_hmac", codeHMAC(client.Collection(), hash, code))
	if ownerField(client) == "client" {
		var wrong int
		if err := app.DB().NewQuery(wrongOfAddress).Bind(dbx.Params{"email": client.Email()}).Row(&wrong); err != nil {
			return "", "", "", err
		}
		record.Set("wrong_before", wrong)
	}
	record.Set("expires", s.Now().Add(ttl))
	record.Set("requested_ip", from.IP)
	record.Set("requested_ua", web.Truncate(from.Agent, 500))
	if err := app.SaveNoValidate(record); err != nil {
		return "", "", "", err
	}
	return record.Id, token, code, nil
}

// Void ends the open token with id using app, which may be a
// transaction: its link then says it has expired, and offers a new one.
func (s *Store) Void(app core.App, id string) error {
	_, err := app.DB().NewQuery("UPDATE login_tokens SET expires = {:now}, updated = {:now} WHERE id = {:id} AND used = '' AND expires > {:now}").
		Bind(dbx.Params{"id": id, "now": schema.DateTime(s.Now())}).Execute()
	return err
}

// codeHMAC keys each code with a server secret: six digits are too few
// for a plain hash. Rotating the clients collection's token secret in the
// dashboard also voids every open code.
func codeHMAC(clients *core.Collection, tokenHash, code string) string {
	return hex.EncodeToString(schema.ClientSecretMAC(clients, "portico sign-in code", tokenHash+":"+code))
}

// ownerField is the login_tokens field that names owner.
func ownerField(owner *core.Record) string {
	if owner.Collection().Name == schema.Staff {
		return "staff"
	}
	return "client"
}

const tokenColumns = "SELECT id, client, staff, purpose, token_hash, code_hmac, expires, used, superseded, " + failedCodes + " AS failed_codes FROM login_tokens "

// wrongOfAddress is every wrong code typed for the address {:email}.
const wrongOfAddress = "SELECT COALESCE((SELECT wrong FROM code_tries WHERE address = {:email}), 0)"

// Find returns the token whose link carries raw; sql.ErrNoRows when none does.
func (s *Store) Find(raw string) (Token, error) {
	return s.find("token_hash = {:hash}", dbx.Params{"hash": security.SHA256(raw)})
}

// FindId returns the token with id; sql.ErrNoRows when there is none.
func (s *Store) FindId(id string) (Token, error) {
	return s.find("id = {:id}", dbx.Params{"id": id})
}

func (s *Store) find(where string, params dbx.Params) (Token, error) {
	var row Token
	err := s.statements.run(s.App.ConcurrentDB(), tokenColumns+"WHERE "+where, params, func(q *dbx.Query) error { return q.One(&row) })
	return row, err
}

// clientByEmail is the id of the client with the address {:email}, in any
// letter case; the clients' full NOCASE email index answers it (migrations
// 1764_000030 and 1764_000090), as it does PocketBase's own look-ups.
const clientByEmail = "(SELECT id FROM clients WHERE email = {:email} COLLATE NOCASE)"

// ErrCodesOff is a right code for a client whose codes are off after
// MaxWrongCodesInARow wrong ones: only a link sign-in turns them on again.
var ErrCodesOff = errors.New("codes are off for this client after too many wrong ones")

// MatchCode returns the token of the client with address email that code
// belongs to, or false: an open one, or one already used (knownCodes),
// which the caller tells apart by Used. An address that is no client's
// runs the same two statements as a client's with a wrong code, and the
// same one-row write: the tokens (none), the code's HMAC (against
// nothing), then the address's count of wrong codes, in a statement of
// its own so that no rolled-back transaction can undo it. That count
// kills each token's code 5 wrong codes after the token was issued, and
// stops codes for the address after MaxWrongCodesInARow in a row: a right
// code of an open token is then ErrCodesOff.
func (s *Store) MatchCode(clients *core.Collection, email, code string) (Token, bool, error) {
	params := s.openParams(dbx.Params{"email": email})
	var known []Token
	err := s.statements.run(s.App.ConcurrentDB(), knownCodes, params,
		func(q *dbx.Query) error { return q.All(&known) })
	if err != nil {
		return Token{}, false, err
	}
	if len(known) == 0 {
		known = []Token{{}} // the HMAC a client's one token costs
	}
	for _, token := range known {
		if !security.Equal(token.CodeHMAC, codeHMAC(clients, token.TokenHash, code)) || token.Id == "" {
			continue
		}
		if token.Used != "" {
			return token, true, nil
		}
		return token, true, s.codesOn(email)
	}
	params["id"] = core.GenerateDefaultRandomId()
	err = s.statements.run(s.App.NonconcurrentDB(), countWrongCode, params, func(q *dbx.Query) error { _, err := q.Execute(); return err })
	return Token{}, false, err
}

// countWrongCode adds a wrong code to the address's count, a client's
// address or not: one row, created by the first.
const countWrongCode = "INSERT INTO code_tries (id, address, wrong, in_a_row, created, updated) VALUES ({:id}, {:email}, 1, 1, {:now}, {:now}) " +
	"ON CONFLICT (address) DO UPDATE SET wrong = wrong + 1, in_a_row = in_a_row + 1, updated = {:now}"

// codesOn is ErrCodesOff when the address has had too many wrong codes in a row.
func (s *Store) codesOn(email string) error {
	var wrong int
	err := s.statements.run(s.App.ConcurrentDB(), "SELECT COALESCE((SELECT in_a_row FROM code_tries WHERE address = {:email}), 0)", dbx.Params{"email": email},
		func(q *dbx.Query) error { return q.Row(&wrong) })
	if err == nil && wrong >= MaxWrongCodesInARow {
		return ErrCodesOff
	}
	return err
}

// ResetWrongCodes starts the count of wrong codes in a row of the
// client's address again, after a sign-in; a count of 0 is not written.
func (s *Store) ResetWrongCodes(client string) error {
	return s.statements.run(s.App.NonconcurrentDB(),
		"UPDATE code_tries SET in_a_row = 0 WHERE address = (SELECT email FROM clients WHERE id = {:id}) AND in_a_row != 0", dbx.Params{"id": client},
		func(q *dbx.Query) error { _, err := q.Execute(); return err })
}

// Eligible is who may sign in, as the statement that consumes a token
// checks it: the query of the clients allowed to (the clients
// collection's auth rule, as SQL) narrowed to the token's client, and what
// the statement returns of that client. Built once by NewEligible, it
// serves any number of sign-ins at once.
type Eligible struct {
	exists    string // SELECT of the token's client if eligible, correlated with login_tokens
	params    dbx.Params
	returning string // the client's columns as one JSON object
}

// NewEligible narrows clients, a query of the clients allowed to sign in,
// to the token's client, and reads columns of the clients table for the
// one who does. Correlated, so that SQLite looks up the one client by id
// rather than listing every eligible client first.
func NewEligible(clients *dbx.SelectQuery, columns []string) Eligible {
	allowed := clients.AndWhere(dbx.NewExp("[[clients.id]] = [[login_tokens.client]]")).Build()
	pairs := make([]string, len(columns))
	for i, column := range columns {
		pairs[i] = "'" + column + "', clients.`" + column + "`"
		if column == "wrong_codes" {
			// No longer written (migration 1764_000037): the count in a row
			// is the address's, for sign-in to reset.
			pairs[i] = "'wrong_codes', COALESCE((SELECT in_a_row FROM code_tries WHERE address = clients.email), 0)"
		}
	}
	return Eligible{
		exists:    allowed.SQL(),
		params:    allowed.Params(),
		returning: "(SELECT json_object(" + strings.Join(pairs, ", ") + ") FROM clients WHERE clients.id = login_tokens.client)",
	}
}

// ClientRow is a clients row as SQLite gives it: each column's text, or
// nil for NULL.
type ClientRow map[string]any

// ConsumeLink marks the client's token whose link carries raw used; see consume.
func (s *Store) ConsumeLink(raw string, by Requester, eligible Eligible) (session string, client ClientRow, err error) {
	return s.consume(consumeToken+"token_hash = {:hash}", dbx.Params{"hash": security.SHA256(raw)}, by, eligible)
}

// ConsumeCode marks the client's token with id used, if its code is
// still open; see consume.
func (s *Store) ConsumeCode(id string, by Requester, eligible Eligible) (session string, client ClientRow, err error) {
	return s.consume(consumeToken+failedCodes+" < {:max} AND id = {:id}", dbx.Params{"id": id}, by, eligible)
}

// consumeToken is the conditional UPDATE that spends an open token: of
// any number of concurrent redeems exactly one changes the row, and only
// it signs in. The caller adds which token, and what to return.
const consumeToken = "UPDATE login_tokens SET used = {:now}, updated = {:now}, redeemed_ip = {:ip}, redeemed_ua = {:agent} WHERE " +
	openToken + " AND "

// consumeParams adds what consumeToken binds.
func (s *Store) consumeParams(params dbx.Params, by Requester) dbx.Params {
	params = s.openParams(params)
	params["ip"] = by.IP
	params["agent"] = web.Truncate(by.Agent, 500)
	return params
}

// ConsumeStaffInvite marks the staff invite whose link carries raw used
// and returns the staff member's id, or "" when this call did not win; a
// client's token is never a staff invite.
func (s *Store) ConsumeStaffInvite(raw string, by Requester) (string, error) {
	params := s.consumeParams(dbx.Params{"hash": security.SHA256(raw), "purpose": schema.PurposeStaffInvite}, by)
	var staff string
	err := s.App.NonconcurrentDB().NewQuery(consumeToken + "token_hash = {:hash} AND purpose = {:purpose} AND staff != '' RETURNING staff").
		Bind(params).Row(&staff)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return staff, err
}

// consume spends a client's token (consumeToken). The same statement
// checks that the token's client is eligible (a client who is not keeps
// the token unused; a staff invite has no client and is never spent here)
// and reads the client's row, so that a sign-in is this one statement. It
// returns the token's id, which names the session the sign-in starts,
// and the client's row; nil when this call did not win or the client is
// not eligible.
func (s *Store) consume(update string, params dbx.Params, by Requester, eligible Eligible) (string, ClientRow, error) {
	params = s.consumeParams(params, by)
	for name, value := range eligible.params {
		params[name] = value
	}
	var session, row string
	err := s.statements.run(s.App.NonconcurrentDB(),
		update+" AND EXISTS ("+eligible.exists+") RETURNING id, "+eligible.returning,
		params, func(q *dbx.Query) error { return q.Row(&session, &row) })
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, nil
	}
	if err != nil {
		return "", nil, err
	}
	client, err := decodeClientRow(row)
	return session, client, err
}

// decodeClientRow reads the JSON object of a client's columns: each
// column's text (a number's as written), or nil for NULL.
func decodeClientRow(row string) (ClientRow, error) {
	decoder := jsontext.NewDecoder(strings.NewReader(row))
	if _, err := decoder.ReadToken(); err != nil { // the opening brace
		return nil, err
	}
	client := ClientRow{}
	for decoder.PeekKind() != '}' {
		key, err := decoder.ReadToken()
		if err != nil {
			return nil, err
		}
		name := key.String() // before the next read voids key
		value, err := decoder.ReadToken()
		if err != nil {
			return nil, err
		}
		switch value.Kind() {
		case '"', '0':
			client[name] = value.String()
		case 'n':
			client[name] = nil
		default:
			return nil, fmt.Errorf("client column %s: unexpected JSON %s", name, value.Kind())
		}
	}
	return client, nil
}

// openParams adds what openToken binds.
func (s *Store) openParams(params dbx.Params) dbx.Params {
	params["now"] = schema.DateTime(s.Now())
	params["max"] = MaxFailedCodes
	return params
}
