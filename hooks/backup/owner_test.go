package backup_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

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
