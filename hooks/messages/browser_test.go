package messages_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	. "github.com/chromedp/chromedp" // the browser steps read as a script

	"portico/internal/testenv"
)

// signedIn opens a fresh browser at the given viewport with a session
// stored as the sign-in pages leave it (key portico.session for a client,
// portico.staff for staff), then opens page and waits for ready.
func signedIn(t *testing.T, env *testenv.Env, viewport Action[Void], key, token string, record map[string]any, page, ready string) context.Context {
	t.Helper()
	tab := testenv.Browser(t)
	session, _ := json.Marshal(map[string]any{"token": token, "record": record})
	quoted, _ := json.Marshal(string(session))
	err := Do(tab, viewport, Navigate(env.URL+"/"),
		Evaluate[Void]("localStorage.setItem('"+key+"', "+string(quoted)+")"),
		Navigate(env.URL+page), WaitVisible(CSS(ready)))
	if err != nil {
		location, _ := Run(tab, Location())
		t.Fatalf("opening %s: the browser is at %s (%v)", page, location, err)
	}
	return tab
}

// TestBrowserClientWritesWithAPhotoAndSeesTheAnswerArrive: on a phone,
// Ada writes to her clinician with a photo of her insurance card; a
// refused file leaves her text in the box; Dr. Lee answers from the
// workspace's Messages page; the answer appears on Ada's phone without a
// reload. The portal's and the workspace's Messages pages pass axe-core.
func TestBrowserClientWritesWithAPhotoAndSeesTheAnswerArrive(t *testing.T) {
	p := newPractice(t)
	env := p.env
	env.SetPractice("messages_notice", "Not for emergencies: in an emergency call 911.")
	dir := t.TempDir()
	photo, notAPhoto := filepath.Join(dir, "card.jpg"), filepath.Join(dir, "card.png")
	if err := os.WriteFile(photo, testenv.SampleJPEG, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(notAPhoto, []byte("<svg xmlns='http://www.w3.org/2000/svg'/>"), 0o600); err != nil {
		t.Fatal(err)
	}

	phone := signedIn(t, env, testenv.Phone, "portico.session", p.adaToken, map[string]any{"id": p.ada.Id, "name": "Ada Client"},
		"/portal/messages.html", "#new-form")
	testenv.WaitForText(t, phone, "#emergency", "in an emergency call 911")
	testenv.AssertNoPasswordField(t, phone)
	testenv.Accessible(t, phone, "the portal's Messages page")

	// A file that is not what its name says is refused in one line, and
	// the message typed stays.
	const text = "Here is my new insurance card."
	err := Do(phone,
		Click(CSS("#kind-clinical")),
		SendKeys(CSS("#new-body"), text),
		SetUploadFiles(CSS("#new-files"), []string{notAPhoto}),
		Click(CSS("#new-form button[type=submit]")),
	)
	if err != nil {
		t.Fatal(err)
	}
	testenv.WaitForText(t, phone, "#new-error", `"card.png" is not a PDF, a photo`)
	if kept, _ := Run(phone, Value(CSS("#new-body"))); kept != text {
		t.Fatalf("after the refused file the message box holds %q; want %q kept", kept, text)
	}

	err = Do(phone,
		SetUploadFiles(CSS("#new-files"), []string{photo}),
		Click(CSS("#new-form button[type=submit]")),
		WaitVisible(CSS("#messages li.message img.attachment-photo")),
	)
	if err != nil {
		t.Fatalf("sending with the photo: %v", err)
	}
	testenv.WaitForText(t, phone, "#messages", text)
	if loaded, _ := Run(phone, Poll[bool](`(() => { const img = document.querySelector("img.attachment-photo"); return img.complete && img.naturalWidth > 0; })()`, WithPollingTimeout(testenv.Wait))); !loaded {
		t.Errorf("the photo Ada sent does not show in her conversation")
	}
	testenv.Accessible(t, phone, "a conversation on the phone")
	testenv.Screenshot(t, phone, "portal-message")

	// Dr. Lee answers from the workspace.
	desk := signedIn(t, env, EmulateViewport(1280, 900), "portico.staff", p.leeToken, map[string]any{},
		"/staff/messages.html", "#threads li")
	testenv.WaitForText(t, desk, "#threads", "Ada Client")
	testenv.WaitForText(t, desk, "#count", "1 new message")
	testenv.Accessible(t, desk, "the workspace's Messages page")
	const answer = "Thank you, Ada. We have updated your file."
	err = Do(desk,
		Click(CSS("#threads li button.thread-link")),
		WaitVisible(CSS("#messages li.message")),
		SendKeys(CSS("#reply-body"), answer),
		Click(CSS("#reply-form button[type=submit]")),
	)
	if err != nil {
		t.Fatal(err)
	}
	testenv.WaitForText(t, desk, "#messages", answer)
	testenv.Accessible(t, desk, "a conversation in the workspace")

	// Ada's phone shows it without a reload.
	testenv.WaitForText(t, phone, "#messages", answer)
	testenv.WaitForText(t, phone, "#messages", "Test clinician")
}
