package testenv

import (
	"database/sql"
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"portico/hooks/audit"
)

// AuditEntries returns the audit log's entries in chain order, as stored.
func (env *Env) AuditEntries() []audit.Entry {
	env.T.Helper()
	entries := []audit.Entry{}
	err := env.App.DB().NewQuery("SELECT * FROM " + audit.Table + " ORDER BY rowid").All(&entries)
	if err != nil {
		env.T.Fatal(err)
	}
	return entries
}

// AuditEntriesFor returns the entries with action about client ("" for any).
func (env *Env) AuditEntriesFor(action, client string) []audit.Entry {
	env.T.Helper()
	var out []audit.Entry
	for _, entry := range env.AuditEntries() {
		if entry.Action == action && (client == "" || entry.Client == client) {
			out = append(out, entry)
		}
	}
	return out
}

// NewSuperuser creates a superuser (the dashboard's account) with password
// and returns it with an auth token.
func (env *Env) NewSuperuser(email, password string) (*core.Record, string) {
	env.T.Helper()
	collection, err := env.App.FindCollectionByNameOrId(core.CollectionNameSuperusers)
	if err != nil {
		env.T.Fatal(err)
	}
	superuser := core.NewRecord(collection)
	superuser.SetEmail(email)
	superuser.SetPassword(password)
	if err := env.App.Save(superuser); err != nil {
		env.T.Fatal(err)
	}
	token, err := superuser.NewAuthToken()
	if err != nil {
		env.T.Fatal(err)
	}
	return superuser, token
}

// EditDatabase runs statements on the stopped env's data.db the way an
// intruder with sqlite3 would: outside Portico, no hooks, no rules.
func (env *Env) EditDatabase(statements ...string) {
	env.T.Helper()
	if env.App != nil {
		env.T.Fatal("EditDatabase needs a stopped env: Stop it first")
	}
	db, err := sql.Open("sqlite", filepath.Join(env.Dir, "data.db"))
	if err != nil {
		env.T.Fatal(err)
	}
	defer db.Close()
	for _, statement := range statements {
		if _, err := db.Exec(statement); err != nil {
			env.T.Fatalf("%s: %v", statement, err)
		}
	}
}

// RunPortico runs a portico command to completion on dir and returns its
// combined output and exit code.
func RunPortico(t testing.TB, binary, dir string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(binary, append(args, "--dir", dir)...)
	done := make(chan struct{})
	var out []byte
	var err error
	go func() {
		out, err = cmd.CombinedOutput()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("portico %v did not finish within a minute:\n%s", args, out)
	}
	if exit, ok := err.(*exec.ExitError); ok {
		return string(out), exit.ExitCode()
	}
	if err != nil {
		t.Fatal(fmt.Errorf("portico %v: %w", args, err))
	}
	return string(out), 0
}
