package pages_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pocketbase/pocketbase/core"

	"portico/internal/testenv"
)

// TestTokenPathsNeverReachTheLog opens a live link in every shape a mail
// app or a person makes of it, then reads PocketBase's request log.
func TestTokenPathsNeverReachTheLog(t *testing.T) {
	env := testenv.Start(t)
	env.NewClient("Ada Client", "ada@example.com", true)
	_, token := env.RequestLink("ada@example.com").SignInLink()

	paths := map[string]int{ // path: the status a browser gets
		"/s/" + token:            http.StatusOK,
		"/s/" + token + "/":      http.StatusOK,
		"/S/" + token:            http.StatusNotFound,
		"/s//" + token:           0, // ServeMux cleans the path, whatever it answers
		"/s/" + token + "/extra": 0,
		"/join/" + token:         http.StatusNotFound, // not a join token: the "not found" page
		"/JOIN/" + token + "/":   0,
		"/join/" + token + "/":   http.StatusNotFound,
	}
	for path, want := range paths {
		resp, err := http.Get(env.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want != 0 && resp.StatusCode != want {
			t.Errorf("GET %s: %d; want %d", path, resp.StatusCode, want)
		}
		if want == http.StatusOK && !strings.Contains(string(body), "<html") {
			t.Errorf("GET %s answered no page", path)
		}
	}
	// A POST to a link is no route at all, and still must not log the token.
	if resp, err := http.Post(env.URL+"/s/"+token+"/", "text/plain", nil); err == nil {
		resp.Body.Close()
	}

	deadline := time.Now().Add(testenv.Wait)
	for {
		var logs []*core.Log
		if err := env.App.LogQuery().All(&logs); err != nil {
			t.Fatal(err)
		}
		linkRequests := 0
		for _, entry := range logs {
			raw, _ := entry.Data.MarshalJSON()
			if strings.Contains(strings.ToLower(string(raw)+entry.Message), strings.ToLower(token)) {
				t.Fatalf("the request log holds the live token: %s", raw)
			}
			if strings.Contains(string(raw), "/s/[token]") || strings.Contains(string(raw), "/join/[token]") {
				linkRequests++
			}
		}
		if linkRequests >= len(paths)+1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d redacted link requests in the log; want %d", linkRequests, len(paths)+1)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
