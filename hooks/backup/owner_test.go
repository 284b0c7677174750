package backup_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/chromedp/chromedp" // the browser steps read as a script

	"portico/internal/testenv"
)

// TestOwnerSeesTheCopyInTheWorkspace: the practice's owner reads on the
// workspace's home page whether the off-site copy is up to date; the
// other roles, clients and nobody cannot read it, and the answer never
// holds the bucket's credentials.
func TestOwnerSeesTheCopyInTheWorkspace(t *testing.T) {
	env := testenv.Start(t, replicatingTo("file://"+filepath.Join(t.TempDir(), "replica")+"?secret=bucket-secret-1"))
	syncReplica(t, env)
	client, _ := env.NewClient("Ada Client", "ada@example.com", true)
	_, owner := env.StaffSession("owner", nil)
	_, desk := env.StaffSession("front_desk", nil)
	clinician := env.NewRecord("clinicians", map[string]any{"name": "Dr. Lee"})
	_, lee := env.StaffSession("clinician", clinician)
	env.CheckAccess(t, testenv.Callers{"owner": owner, "front desk": desk, "clinician": lee, "client": env.SessionOf(client), "nobody": ""}, []testenv.Access{
		{Name: "the off-site copy's state", Method: "GET", Path: "/api/staff/backup", Marker: "The off-site copy is up to date", Allowed: []string{"owner"},
			Never: []string{"bucket-secret-1", "AGE-SECRET-KEY"}, Status: map[string]int{"front desk": 403, "clinician": 403, "nobody": 401}},
	})

	home := func(token string) (summary string, shown bool) {
		tab := testenv.Browser(t)
		session, _ := json.Marshal(map[string]any{"token": token, "record": map[string]any{}})
		quoted, _ := json.Marshal(string(session))
		if err := Do(tab, Navigate(env.URL+"/staff/"), Evaluate[Void]("localStorage.setItem('portico.staff', "+string(quoted)+")"),
			Navigate(env.URL+"/staff/home.html"), WaitVisible(CSS("nav.workspace"))); err != nil {
			t.Fatalf("opening the home page: %v", err)
		}
		if token == owner {
			if err := Do(tab, WaitVisible(CSS("#backup"))); err != nil {
				page, _ := Run(tab, Evaluate[string](`document.body.innerText`))
				t.Fatalf("the owner's home page shows no off-site copy section (%v). The page reads:\n%s", err, page)
			}
			testenv.Accessible(t, tab, "the owner's home page")
		}
		shown, _ = Run(tab, Evaluate[bool](`!document.getElementById("backup").hidden`))
		summary, _ = Run(tab, Evaluate[string](`document.getElementById("backup-summary").textContent`))
		return strings.TrimSpace(summary), shown
	}
	if summary, shown := home(owner); !shown || !strings.Contains(summary, "The off-site copy is up to date: the last copy was sent at") {
		t.Errorf("the owner's home page says %q about the off-site copy; want that it is up to date and when the last copy was sent", summary)
	}
	if _, shown := home(desk); shown {
		t.Error("the front desk's home page shows the off-site copy section; only the owner's should")
	}
}

// TestUnreachableBucketNeverStopsThePortal starts a portal whose bucket
// does not answer (nothing listens at its endpoint): clients are still
// added and invited, and the owner's home page says why no copy is being
// made.
func TestUnreachableBucketNeverStopsThePortal(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "portico-test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "portico-test-secret-key")
	t.Setenv("AWS_CA_BUNDLE", "")
	env := testenv.Start(t, replicatingTo("s3://practice/portico?endpoint=http://"+testenv.FreeAddr(t)+"&region=us-east-1&forcePathStyle=true"))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := env.Portal.Backup.Sync(ctx); err == nil {
		t.Fatal("a sync to a bucket nobody answers for succeeded")
	}

	_, invite := env.NewClient("Ada Client", "ada@example.com", true)
	if _, token := invite.SignInLink(); env.Post("/api/portal/redeem", map[string]string{"token": token}).Status != 200 {
		t.Errorf("Ada's invite did not sign her in while the bucket was unreachable")
	}
	_, owner := env.StaffSession("owner", nil)
	r := env.Do("GET", "/api/staff/backup", nil, "Authorization", owner)
	summary, _ := r.JSON["summary"].(string)
	if r.Status != 200 || !strings.Contains(summary, "Off-site copies are not being made: ") || !strings.Contains(summary, "tries again every minute") {
		t.Errorf("the owner read %q about the off-site copy of an unreachable bucket; want that no copy is being made, why, and that Portico tries again", summary)
	}
}
