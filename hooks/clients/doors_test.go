package clients_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"

	"portico/internal/testenv"
)

func TestNoSignUpThroughPocketBaseUsers(t *testing.T) {
	env := testenv.Start(t)
	r := env.Post("/api/collections/users/records",
		map[string]any{"email": "anyone@example.net", "password": "a long password", "passwordConfirm": "a long password"})
	if r.Status != http.StatusNotFound {
		t.Errorf("signing up in PocketBase's users collection: %s; want 404, no such collection", r)
	}
	if r := env.Post("/api/collections/users/request-password-reset", map[string]any{"email": "victim@example.net"}); r.Status != http.StatusNotFound {
		t.Errorf("asking for a users password reset: %s; want 404", r)
	}
	if n := env.Count("mail_outbox", ""); n != 0 {
		t.Errorf("%d messages queued by strangers", n)
	}
}

// TestOtherAuthRecordWithAClientsIdReachesNothing signs in as a record of
// another auth collection that happens to share a client's id.
func TestOtherAuthRecordWithAClientsIdReachesNothing(t *testing.T) {
	env := testenv.Start(t)
	client, _ := env.NewClient("Ada Client", "ada@example.com", true)
	env.Assign(client, env.NewForm("Intake", `[{"id": "q1", "kind": "short_text", "label": "Why now?"}]`))

	visitors := core.NewAuthCollection("visitors")
	if err := env.App.Save(visitors); err != nil {
		t.Fatal(err)
	}
	// PocketBase refuses an auth record whose id another auth collection
	// uses; an import or a restored backup does not ask it.
	_, err := env.App.DB().Insert("visitors", dbx.Params{
		"id": client.Id, "email": "impostor@example.net", "password": "x", "tokenKey": "impostor-token-key",
	}).Execute()
	if err != nil {
		t.Fatal(err)
	}
	impostor, err := env.App.FindRecordById("visitors", client.Id)
	if err != nil {
		t.Fatal(err)
	}
	session := env.SessionOf(impostor)

	if r := env.Do(http.MethodGet, "/api/collections/clients/records/"+client.Id, nil, "Authorization", session); r.Status != http.StatusNotFound {
		t.Errorf("another collection's record with Ada's id reads Ada's record: %s; want 404", r)
	}
	for _, collection := range []string{"clients", "intake_assignments", "intake_responses"} {
		r := env.Do(http.MethodGet, "/api/collections/"+collection+"/records", nil, "Authorization", session)
		if items, _ := r.JSON["items"].([]any); r.Status != http.StatusOK || len(items) != 0 {
			t.Errorf("another collection's record with Ada's id lists %s: %s; want 200 and nothing", collection, r)
		}
	}
	if r := env.Do(http.MethodPatch, "/api/collections/clients/records/"+client.Id, map[string]any{"name": "Changed"}, "Authorization", session); r.Status != http.StatusNotFound {
		t.Errorf("another collection's record with Ada's id changes Ada's name: %s; want 404", r)
	}
}

// TestDashboardSignInNeedsAnEmailedCodeAndIsRateLimited: a superuser's
// password alone opens nothing, and one address cannot go on guessing.
func TestDashboardSignInNeedsAnEmailedCodeAndIsRateLimited(t *testing.T) {
	env := testenv.Start(t)
	env.NewSuperuser("lee@harbor.test", "a long dashboard password")
	signIn := "/api/collections/_superusers/auth-with-password"

	r := env.Post(signIn, map[string]string{"identity": "lee@harbor.test", "password": "a long dashboard password"})
	if token, _ := r.JSON["token"].(string); token != "" || r.Status != http.StatusUnauthorized || r.JSON["mfaId"] == nil {
		t.Fatalf("the right dashboard password alone: %s; want 401 asking for the emailed code", r)
	}
	env.SignInTo("_superusers", "lee@harbor.test", "a long dashboard password")

	limited := 0
	for try := 1; try <= 80 && limited == 0; try++ {
		r := env.Post(signIn, map[string]string{"identity": "lee@harbor.test", "password": fmt.Sprintf("guess %d", try)})
		switch r.Status {
		case http.StatusTooManyRequests:
			limited = try
		case http.StatusBadRequest:
		default:
			t.Fatalf("wrong dashboard password %d: %s; want 400 or 429", try, r)
		}
	}
	if limited == 0 || limited > 12 {
		t.Errorf("wrong dashboard passwords from one address were first refused with 429 at try %d (0: never in 80); want by the 12th", limited)
	}
	if r := env.Post(signIn, map[string]string{"identity": "lee@harbor.test", "password": "a long dashboard password"}); r.Status != http.StatusTooManyRequests {
		t.Errorf("the right password right after the limit: %s; want 429 until the window passes", r)
	}
}
