package main

import (
	"crypto/hmac"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/security"
	"github.com/pocketbase/pocketbase/tools/types"

	"portico/hooks"
	"portico/hooks/schema"
	"portico/hooks/signin"
)

// The bare limit is what a sign-in costs with nothing but the work every
// sign-in must do: net/http, the same modernc SQLite with Portico's
// pragmas, the same data.db, and the statements that keep the guarantees
// (single use by one conditional UPDATE ... RETURNING; for a code, the
// client's open tokens by address and the HMAC of the code). It answers
// with the client's id, where Portico answers with a session. It runs as
// its own process, this benchmark run again with -limit-dir, so that its
// processor time is read the way Portico's is.

const (
	limitRedeem = "UPDATE login_tokens SET used = ?, updated = ?, redeemed_ip = ?, redeemed_ua = ? " +
		"WHERE token_hash = ? AND used = '' AND expires > ? AND failed_codes < ? RETURNING client"
	limitOpenTokens = "SELECT id, token_hash, code_hmac FROM login_tokens " +
		"WHERE client = (SELECT id FROM clients WHERE email = ? COLLATE NOCASE) AND used = '' AND expires > ? AND " + limitFailedCodes + " < ?"
	limitConsumeId = "UPDATE login_tokens SET used = ?, updated = ?, redeemed_ip = ?, redeemed_ua = ? " +
		"WHERE id = ? AND used = '' AND expires > ? AND " + limitFailedCodes + " < ? RETURNING client"
	// limitFailedCodes is a token's wrong codes as Portico counts them: the
	// address's since the token was issued (migration 1764_000037).
	limitFailedCodes = "(COALESCE((SELECT wrong FROM code_tries WHERE address = (SELECT email FROM clients WHERE clients.id = login_tokens.client)), 0) - login_tokens.wrong_before)"
)

// limit is the bare limit's server state.
type limit struct {
	writer, readers *sql.DB
	clients         *core.Collection // for the code HMAC's key only
}

// serveLimit runs the bare limit on dataDir's data.db until killed.
func serveLimit(dataDir, addr string) error {
	path := filepath.Join(dataDir, "data.db")
	writer, err := hooks.DBConnect(path)
	if err != nil {
		return err
	}
	writer.DB().SetMaxOpenConns(1) // SQLite's one writer, as PocketBase keeps it
	readers, err := hooks.DBConnect(path)
	if err != nil {
		return err
	}
	readers.DB().SetMaxOpenConns(hooks.Readers)
	readers.DB().SetMaxIdleConns(hooks.Readers)
	clients := &core.Collection{}
	if err := readers.Select("*").From("_collections").Where(dbx.HashExp{"name": schema.Clients}).One(clients); err != nil {
		return fmt.Errorf("reading the clients collection: %w", err)
	}
	l := &limit{writer: writer.DB(), readers: readers.DB(), clients: clients}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/health", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.HandleFunc("POST /api/portal/redeem", l.redeem)
	mux.HandleFunc("POST /api/portal/login-code", l.loginCode)
	return http.ListenAndServe(addr, mux)
}

func (l *limit) redeem(w http.ResponseWriter, r *http.Request) {
	var form struct {
		Token string `json:"token"`
	}
	if json.NewDecoder(r.Body).Decode(&form) != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	now := types.NowDateTime().String()
	var client string
	err := l.writer.QueryRow(limitRedeem, now, now, r.Header.Get("X-Forwarded-For"), r.UserAgent(),
		security.SHA256(form.Token), now, signin.MaxFailedCodes).Scan(&client)
	answer(w, client, err)
}

func (l *limit) loginCode(w http.ResponseWriter, r *http.Request) {
	var form struct {
		Email string `json:"email"`
		Code  string `json:"code"`
	}
	if json.NewDecoder(r.Body).Decode(&form) != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	now := types.NowDateTime().String()
	rows, err := l.readers.Query(limitOpenTokens, form.Email, now, signin.MaxFailedCodes)
	if err != nil {
		answer(w, "", err)
		return
	}
	match := ""
	for rows.Next() {
		var id, tokenHash, codeHMAC string
		if err := rows.Scan(&id, &tokenHash, &codeHMAC); err != nil {
			rows.Close()
			answer(w, "", err)
			return
		}
		want := hex.EncodeToString(schema.ClientSecretMAC(l.clients, "portico sign-in code", tokenHash+":"+form.Code))
		if hmac.Equal([]byte(want), []byte(codeHMAC)) {
			match = id
		}
	}
	rows.Close()
	if match == "" {
		http.Error(w, "wrong code", http.StatusBadRequest)
		return
	}
	var client string
	err = l.writer.QueryRow(limitConsumeId, now, now, r.Header.Get("X-Forwarded-For"), r.UserAgent(),
		match, now, signin.MaxFailedCodes).Scan(&client)
	answer(w, client, err)
}

func answer(w http.ResponseWriter, client string, err error) {
	switch {
	case errors.Is(err, sql.ErrNoRows):
		http.Error(w, "gone", http.StatusGone)
	case err != nil:
		http.Error(w, err.Error(), http.StatusInternalServerError)
	default:
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"client": client})
	}
}

// startLimit runs the bare limit beside Portico on the same data dir.
func startLimit(dataDir, addr string) (*process, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "-limit-dir", dataDir, "-limit-http", addr)
	cmd.Stderr = os.Stderr
	return launch(cmd, "http://"+addr, 5*time.Millisecond)
}
