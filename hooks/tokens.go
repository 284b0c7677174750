package hooks

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"portico/hooks/outbox"
	"portico/hooks/staff"
)

// Login tokens: the emailed link token and code behind every sign-in,
// stored only as a hash and an HMAC, consumed once by the database.

// issueToken stores a new login token for client (or a staff member) and
// returns the raw link token and code, which exist only in the email from
// here on.
func (p *Portal) issueToken(client *core.Record, purpose, ip, agent string) (string, string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", "", err
	}
	token := base64.RawURLEncoding.EncodeToString(raw)

	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", "", err
	}
	code := fmt.Sprintf("%06d", n.Int64())

	// Links the practice sends unasked must outlive a few days in an inbox.
	ttl := p.Config.SignInTTL
	if purpose != purposeSignIn {
		ttl = p.Config.InviteTTL
	}

	collection, err := p.App.FindCachedCollectionByNameOrId("login_tokens")
	if err != nil {
		return "", "", err
	}
	hash := hashToken(token)
	record := core.NewRecord(collection)
	record.Set(tokenOwner(client), client.Id)
	record.Set("purpose", purpose)
	record.Set("token_hash", hash)
	record.Set("code_hmac", p.codeHMAC(client, hash, code))
	record.Set("expires", p.Config.Now().Add(ttl))
	record.Set("requested_ip", ip)
	record.Set("requested_ua", truncate(agent, 500))
	if err := p.App.SaveNoValidate(record); err != nil {
		return "", "", err
	}
	return token, code, nil
}

// tokenOwner is the login_tokens field that names owner: its client, or
// its staff member for a staff invite.
func tokenOwner(owner *core.Record) string {
	if owner.Collection().Name == staff.Collection {
		return "staff"
	}
	return "client"
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// codeHMAC keys each code with a server secret: six digits are too few
// for a plain hash. The secret is the clients collection's auth token
// secret, so rotating it in the dashboard also voids every open code.
func (p *Portal) codeHMAC(client *core.Record, tokenHash, code string) string {
	return hex.EncodeToString(secretMAC(client.Collection(), "portico sign-in code", tokenHash+":"+code))
}

// secretMAC is an HMAC-SHA256 of data under a key derived, one per purpose,
// from the clients collection's auth token secret.
func secretMAC(clients *core.Collection, purpose, data string) []byte {
	key := hmac.New(sha256.New, []byte(clients.AuthToken.Secret))
	key.Write([]byte(purpose))
	mac := hmac.New(sha256.New, key.Sum(nil))
	mac.Write([]byte(data))
	return mac.Sum(nil)
}

// loginToken is a login_tokens row as the sign-in routes read it.
type loginToken struct {
	Id          string `db:"id"`
	Client      string `db:"client"`
	Purpose     string `db:"purpose"`
	TokenHash   string `db:"token_hash"`
	CodeHMAC    string `db:"code_hmac"`
	Expires     string `db:"expires"`
	Used        string `db:"used"`
	FailedCodes int    `db:"failed_codes"`
}

// state says what a token can still do: "valid", "used" or "expired".
func (t loginToken) state(now time.Time) string {
	switch {
	case t.Used != "":
		return "used"
	case t.Expires <= outbox.DBTime(now) || t.FailedCodes >= maxFailedCodes:
		return "expired"
	default:
		return "valid"
	}
}

func (p *Portal) findToken(token string) (loginToken, error) {
	var row loginToken
	err := p.App.DB().NewQuery(
		"SELECT id, client, purpose, token_hash, code_hmac, expires, used, failed_codes FROM login_tokens WHERE token_hash = {:hash}",
	).Bind(dbx.Params{"hash": hashToken(token)}).One(&row)
	return row, err
}

// requestedToken reads the login token a request body names.
func (p *Portal) requestedToken(e *core.RequestEvent) (loginToken, error) {
	form := &tokenForm{}
	if err := bindForm(e, form); err != nil {
		return loginToken{}, err
	}
	row, err := p.findToken(form.Token)
	if err != nil {
		return loginToken{}, unknownLink(e)
	}
	return row, nil
}

func unknownLink(e *core.RequestEvent) error {
	return e.NotFoundError("This sign-in link is not one we know. Please ask for a new one.", nil)
}

// consume marks the token used in one conditional UPDATE: of any number of
// concurrent redeems exactly one changes the row, and only it signs in.
// It returns the token's owner (the "client" or "staff" field), or "" when
// this call did not win: a client's route never spends a staff invite, nor
// the reverse. The same statement reads the owner so that a sign-in costs
// one query less.
func (p *Portal) consume(e *core.RequestEvent, owner, where string, params dbx.Params) (string, error) {
	now := outbox.DBTime(p.Config.Now())
	params["now"] = now
	params["ip"] = e.RealIP()
	params["agent"] = truncate(e.Request.UserAgent(), 500)
	params["max"] = maxFailedCodes
	var client string
	err := p.App.DB().NewQuery(
		"UPDATE login_tokens SET used = {:now}, updated = {:now}, redeemed_ip = {:ip}, redeemed_ua = {:agent} " +
			"WHERE " + where + " AND " + owner + " != '' AND used = '' AND expires > {:now} AND failed_codes < {:max} RETURNING " + owner,
	).Bind(params).Row(&client)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return client, err
}
