package testenv

import (
	"net/http"
	"time"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/security"
)

// Wait is how long a test waits for mail or a page before it fails.
const Wait = 10 * time.Second

// RequestLink asks for a sign-in link for email and returns the mail it brought.
func (env *Env) RequestLink(email string) Mail {
	env.T.Helper()
	if r := env.Post("/api/portal/login-link", map[string]string{"email": email}); r.Status != http.StatusAccepted {
		env.T.Fatalf("login-link for %s: got %s; want 202", email, r)
	}
	return env.Mail.Next(email, Wait)
}

// SessionOf returns a portal session token for client, from a real
// sign-in: a link token stored for client (as a sign-in mail would leave
// it) and redeemed. Like any sign-in, it voids the client's older
// sign-in links and invite. A record of another auth collection gets
// PocketBase's own token for it.
func (env *Env) SessionOf(client *core.Record) string {
	env.T.Helper()
	if client.Collection().Name != "clients" {
		token, err := client.NewAuthToken()
		if err != nil {
			env.T.Fatal(err)
		}
		return token
	}
	tokens, err := env.App.FindCollectionByNameOrId("login_tokens")
	if err != nil {
		env.T.Fatal(err)
	}
	link := security.RandomStringWithAlphabet(43, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
	row := core.NewRecord(tokens)
	row.Set("client", client.Id)
	row.Set("purpose", "sign_in")
	row.Set("token_hash", security.SHA256(link))
	row.Set("code_hmac", security.SHA256(link+"no code"))
	row.Set("expires", env.Clock.Now().Add(time.Hour))
	if err := env.App.Save(row); err != nil {
		env.T.Fatal(err)
	}
	r := env.Post("/api/portal/redeem", map[string]string{"token": link})
	token, _ := r.JSON["token"].(string)
	if r.Status != http.StatusOK || token == "" {
		env.T.Fatalf("signing %s in: redeem answered %s; want 200 with a session", client.Email(), r)
	}
	return token
}

// FieldErrors are the per-field messages of a 400 answer.
func (r Response) FieldErrors() map[string]string {
	out := map[string]string{}
	data, _ := r.JSON["data"].(map[string]any)
	for id, raw := range data {
		if entry, ok := raw.(map[string]any); ok {
			out[id], _ = entry["message"].(string)
		}
	}
	return out
}

// SetPractice saves one field of the practice record, as the owner would in the dashboard.
func (env *Env) SetPractice(field string, value any) {
	env.T.Helper()
	practice, err := env.App.FindFirstRecordByFilter("practice", "id != ''")
	if err != nil {
		env.T.Fatal(err)
	}
	practice.Set(field, value)
	if err := env.App.Save(practice); err != nil {
		env.T.Fatal(err)
	}
}

// NewForm saves a form as a clinician would in the dashboard.
func (env *Env) NewForm(title, questions string) *core.Record {
	env.T.Helper()
	collection, err := env.App.FindCollectionByNameOrId("intake_forms")
	if err != nil {
		env.T.Fatal(err)
	}
	form := core.NewRecord(collection)
	form.Set("title", title)
	form.Set("intro", "Please fill this in before your first session.")
	form.Set("questions", questions)
	if err := env.App.Save(form); err != nil {
		env.T.Fatalf("saving form %q: %v", title, err)
	}
	return form
}

// Assign gives form to client as a clinician would in the dashboard and
// returns the assignment and the mail it sent the client.
func (env *Env) Assign(client, form *core.Record) (*core.Record, Mail) {
	env.T.Helper()
	collection, err := env.App.FindCollectionByNameOrId("intake_assignments")
	if err != nil {
		env.T.Fatal(err)
	}
	assignment := core.NewRecord(collection)
	assignment.Set("client", client.Id)
	assignment.Set("form", form.Id)
	if err := env.App.Save(assignment); err != nil {
		env.T.Fatalf("assigning %q: %v", form.GetString("title"), err)
	}
	return assignment, env.Mail.Next(client.Email(), Wait)
}
