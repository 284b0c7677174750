package audit_test

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"portico/hooks/audit"
	"portico/internal/testenv"
)

// lastOnDisk opens the data dir a killed Portico left, as its next start
// would find it, and returns the trail's last entry and one value of a row.
func lastOnDisk(t *testing.T, dir, query string) (audit.Entry, string) {
	t.Helper()
	app := testenv.OpenDir(t, dir)
	defer testenv.Close(app)
	var last audit.Entry
	if err := app.DB().NewQuery("SELECT * FROM " + audit.Table + " ORDER BY rowid DESC LIMIT 1").One(&last); err != nil {
		t.Fatal(err)
	}
	var value string
	if err := app.DB().NewQuery(query).Row(&value); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return last, value
}

// TestEntryOutlivesAKillRightAfterTheAnswer kills the built binary with
// SIGKILL the moment it has answered a sign-in, and again the moment it
// has answered a staff change: the change and its entry commit in one
// transaction, so both are on disk, and the chain verifies.
func TestEntryOutlivesAKillRightAfterTheAnswer(t *testing.T) {
	binary := testenv.BuildPortico(t)
	env := testenv.Start(t)
	ada, invite := env.NewClient("Ada Client", "ada@example.com", true)
	bob, _ := env.NewClient("Bob Client", "bob@example.com", true)
	_, token := invite.SignInLink()
	desk, session := env.StaffSession("front_desk", nil)
	env.Stop()

	answered := func(what, path string, body any, headers ...string) {
		t.Helper()
		served := testenv.ServeDir(t, binary, env.Dir)
		env.URL = served.URL // env's requests go to the built binary now
		if r := env.Post(path, body, headers...); r.Status != http.StatusOK {
			t.Fatalf("%s: %s; want 200", what, r)
		}
		served.Kill()
	}

	answered("Ada pressing her invite's button", "/api/portal/redeem", map[string]string{"token": token})
	last, used := lastOnDisk(t, env.Dir, "SELECT used FROM login_tokens WHERE client = '"+ada.Id+"'")
	if used == "" {
		t.Fatal("after a 200 and a kill, Ada's invite is not spent")
	}
	if last.Action != audit.ActionSignIn || last.ActorId != ada.Id || last.Client != ada.Id || last.IP != "127.0.0.1" {
		t.Fatalf("after Ada signed in and Portico was killed, the trail ends with %+v; want her sign-in, from 127.0.0.1", last)
	}

	answered("the front desk turning Bob's portal off", "/api/staff/clients/"+bob.Id+"/portal", map[string]bool{"access": false},
		"Authorization", session)
	last, access := lastOnDisk(t, env.Dir, "SELECT portal_access FROM clients WHERE id = '"+bob.Id+"'")
	if access != "0" {
		t.Fatalf("after a 200 and a kill, Bob's portal access is %s; want 0 (off)", access)
	}
	if last.Action != audit.ActionUpdate || last.ActorId != desk.Id || last.Client != bob.Id || last.Fields != `["portal_access"]` {
		t.Fatalf("after Bob's access was turned off and Portico was killed, the trail ends with %+v; want that change by the front desk", last)
	}

	if out, code := testenv.RunPortico(t, binary, env.Dir, "audit", "verify"); code != 0 || !strings.Contains(out, "audit log intact") {
		t.Fatalf("verify after two kills exited %d:\n%s\nwant 0, intact", code, out)
	}
}

// TestVerifyNamesAnEditedSignIn edits and deletes, with SQL on the file,
// the entry that the statement spending a token wrote: verify names it
// (or, for a deletion, the gap it left), as it does for any other entry.
func TestVerifyNamesAnEditedSignIn(t *testing.T) {
	binary := testenv.BuildPortico(t)
	env := testenv.Start(t)
	ada, invite := env.NewClient("Ada Client", "ada@example.com", true)
	_, token := invite.SignInLink()
	_, admin := env.NewSuperuser("lee@harbor.test", "a long dashboard password")
	// Entries before and after the sign-in, so that its deletion leaves a gap.
	viewClient(t, env, admin, ada.Id)
	if r := env.Post("/api/portal/redeem", map[string]string{"token": token}); r.Status != http.StatusOK {
		t.Fatalf("redeeming the invite: %s", r)
	}
	viewClient(t, env, admin, ada.Id)
	signIn := onlyEntry(t, env, audit.ActionSignIn, ada.Id, "after Ada signed in")
	env.Stop()
	pristine := t.TempDir()
	if err := os.CopyFS(pristine, os.DirFS(env.Dir)); err != nil {
		t.Fatal(err)
	}

	for _, tamper := range []struct {
		name, statement, reason string
		broken                  int64
	}{
		{"its address changed", "UPDATE audit_entries SET ip = '10.0.0.1' WHERE id = '%s'", "does not match its hash", signIn.Seq},
		{"it deleted", "DELETE FROM audit_entries WHERE id = '%s'", fmt.Sprintf("entries #%d to #%d are missing", signIn.Seq, signIn.Seq), signIn.Seq + 1},
	} {
		t.Run(tamper.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.CopyFS(dir, os.DirFS(pristine)); err != nil {
				t.Fatal(err)
			}
			tampered := &testenv.Env{T: t, Dir: dir}
			tampered.EditDatabase(fmt.Sprintf(tamper.statement, signIn.Id))
			out, code := testenv.RunPortico(t, binary, dir, "audit", "verify")
			name := fmt.Sprintf("entry #%d", tamper.broken)
			if code == 0 || !strings.Contains(out, name) || !strings.Contains(out, tamper.reason) {
				t.Fatalf("verify after Ada's sign-in entry was %s exited %d:\n%s\nwant non-zero naming %s: %s", tamper.name, code, out, name, tamper.reason)
			}
		})
	}
}
