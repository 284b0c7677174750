package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"portico/internal/testenv"
)

// TestFullDiskSaysSoAndRecovers runs Portico on a data dir whose disk
// fills up: writes answer 503 saying the server is out of space (not
// PocketBase's "400 Failed to create record."), a sign-in request that
// cannot be recorded is never answered 202, the console says the disk is
// full, reads go on, and once there is space again everything works,
// mail included, with no restart.
func TestFullDiskSaysSoAndRecovers(t *testing.T) {
	disk := testenv.SmallDisk(t, 64<<20)
	mail := testenv.StartMailServer(t)
	binary := testenv.BuildPortico(t)
	portico := testenv.ServeDir(t, binary, disk, "PORTICO_SMTP_URL="+mail.URL()+"?from=hello@harbor.test")
	if out, err := testenv.Command(binary, nil, "superuser", "upsert", "owner@harbor.test", "owner-password-1234", "--dir", disk); err != nil {
		t.Fatalf("portico superuser upsert: %v\n%s", err, out)
	}
	api := portico.Remote(mail)
	owner := api.SignInTo("_superusers", "owner@harbor.test", "owner-password-1234")
	n := 0
	addClient := func(portal bool) testenv.Response {
		n++
		return api.Post("/api/collections/clients/records", map[string]any{
			"name": fmt.Sprintf("Client %d", n), "email": fmt.Sprintf("client%d@example.org", n),
			"portal_access": portal, "timezone": "America/New_York", "password": "unused-password-1", "passwordConfirm": "unused-password-1",
		}, "Authorization", owner)
	}
	if r := addClient(false); r.Status != http.StatusOK {
		t.Fatalf("adding a client with room on the disk: %s", r)
	}

	free := testenv.FillDisk(t, disk)
	// SQLite reuses the space its write-ahead log already holds: write
	// until a write needs more.
	refused := testenv.Response{Status: http.StatusOK}
	for range 1000 {
		if refused = addClient(false); refused.Status != http.StatusOK {
			break
		}
	}
	if refused.Status != http.StatusServiceUnavailable || !strings.Contains(refused.String(), "out of disk space") {
		t.Errorf("adding a client on a full disk: %s; want 503 saying the server is out of disk space", refused)
	}
	asked := testenv.Response{Status: http.StatusAccepted}
	for i := range 1000 {
		if asked = api.Post("/api/portal/login-link", map[string]string{"email": fmt.Sprintf("full%d@example.org", i)}); asked.Status != http.StatusAccepted {
			break
		}
	}
	if asked.Status != http.StatusServiceUnavailable || !strings.Contains(asked.String(), "out of disk space") {
		t.Errorf("asking for a sign-in link on a full disk: %s; want 503 saying the server is out of disk space", asked)
	}
	portico.WaitOutput("OUT OF DISK SPACE", testenv.Wait)

	// Reads go on. (Staff reads of client records are not among them: each
	// writes its audit entry first, and without the entry there is no read.)
	for _, path := range []string{"/", "/api/health", "/api/portal/practice", "/api/collections/practice/records"} {
		if r := api.Do(http.MethodGet, path, nil, "Authorization", owner); r.Status != http.StatusOK {
			t.Errorf("GET %s on a full disk: %s; want 200: reads go on", path, r)
		}
	}

	free()
	if r := addClient(true); r.Status != http.StatusOK {
		t.Fatalf("adding a client once there is space again: %s; want 200", r)
	}
	invited := fmt.Sprintf("client%d@example.org", n)
	mail.Next(invited, testenv.Wait)
	if r := api.Post("/api/portal/login-link", map[string]string{"email": invited}); r.Status != http.StatusAccepted {
		t.Fatalf("asking for a sign-in link once there is space again: %s; want 202", r)
	}
	if _, token := mail.Next(invited, 30*time.Second).SignInLink(); token == "" {
		t.Error("the sign-in mail after the disk had room again holds no link")
	}
}
