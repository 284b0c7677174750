package workspace_test

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	. "github.com/chromedp/chromedp" // the browser steps read as a script

	"portico/internal/testenv"
)

// step runs one step of a journey and fails with what was being done.
func step(t *testing.T, tab context.Context, what string, actions ...Action[Void]) {
	t.Helper()
	if err := Do(tab, actions...); err != nil {
		page, _ := Run(tab, Evaluate[string](`document.body ? document.body.innerText : ""`))
		t.Fatalf("%s: %v. The page reads:\n%s", what, err, page)
	}
}

// enter puts text in a field as typing ends, with the input event the
// page listens for: the journey's long texts, typed key by key, would
// take most of the browser's time on a busy machine.
func enter(id, text string) Action[Void] {
	return Evaluate[Void](`(() => { const field = document.getElementById(` + testenv.JSString(id) + `); field.value = ` + testenv.JSString(text) +
		`; field.dispatchEvent(new Event("input", { bubbles: true })); })()`)
}

// addQuestion adds a question of kind in the builder and types its label
// into the new card (the n-th, from 0).
func addQuestion(t *testing.T, tab context.Context, n int, kind, label string) {
	t.Helper()
	step(t, tab, "adding a "+kind+" question", SetValue(ID("add-kind"), kind), Click(ID("add")),
		WaitVisible(ID("label-"+strconv.Itoa(n))), enter("label-"+strconv.Itoa(n), label))
}

// previewText is what the builder's phone preview shows.
func previewText(tab context.Context) string {
	text, _ := Run(tab, Evaluate[string](`document.getElementById("preview").contentDocument.body.innerText`))
	return text
}

// TestBrowserClinicianBuildsAFormAndReadsTheSentPacket is the forms and
// packets journey: Dr. Lee builds a form in the builder (every kind she
// needs, an inline error as she types, reordering, removing, a live
// preview at a phone's width), assigns it to Ada, changes the form
// afterwards (version 2); Ada fills the packet she was sent (version 1)
// on her phone; the mail to the practice carries no health details and
// links to the read view; Dr. Lee follows it, signs in, reads the answers
// as Ada saw the questions, in the practice's zone, and prints it. axe
// finds nothing serious on any page.
func TestBrowserClinicianBuildsAFormAndReadsTheSentPacket(t *testing.T) {
	p := newPractice(t)
	env := p.env
	env.SetPractice("notification_email", "intake@harbor.test")
	lee := env.NewStaff("clinician", p.lee)
	tab := openAs(t, env, env.SignIn(lee), "/staff/forms.html", "#list-part")
	testenv.Accessible(t, tab, "the forms list")
	// Only the preview may be framed, and only by the workspace itself.
	for path, want := range map[string]string{"/staff/forms.html": "frame-ancestors 'none'", "/staff/preview.html": "frame-ancestors 'self'"} {
		if csp := env.As(t).Do("GET", path, nil).Header.Get("Content-Security-Policy"); !strings.Contains(csp, want) {
			t.Errorf("%s has Content-Security-Policy %q; want %s", path, csp, want)
		}
	}

	tab = openAs(t, env, env.SignIn(lee), "/staff/forms.html", "#list-part")
	step(t, tab, "starting a new form", Click(ID("new-form")), WaitVisible(ID("editor")))
	step(t, tab, "typing the title", SendKeys(ID("form-title"), "First visit"), enter("form-intro", "Before we meet, a few questions."))
	addQuestion(t, tab, 0, "short_text", "Your full name")
	step(t, tab, "making the name required", Click(CSS(`label[for="required-0"]`)))
	addQuestion(t, tab, 1, "date", "Date of birth")
	addQuestion(t, tab, 2, "single_choice", "How did you hear of us?")
	waitFor(t, tab, "#problem-2", "A choice question needs")
	step(t, tab, "typing the choices", enter("options-2", "A friend\nYour website\nMy doctor"))
	if cleared, _ := Run(tab, Poll[bool](`document.getElementById("problem-2").textContent === ""`, WithPollingTimeout(testenv.Wait))); !cleared {
		t.Errorf("after typing three choices the builder still says %q beside the question", textOf(t, tab, "#problem-2"))
	}
	addQuestion(t, tab, 3, "long_text", "Anything else?")
	addQuestion(t, tab, 4, "multiple_choice", "What would you like help with?")
	step(t, tab, "typing the checkboxes", enter("options-4", "Sleep\nMood\nWork"))
	addQuestion(t, tab, 5, "yes_no", "Are you taking any medication?")
	step(t, tab, "adding help text", enter("help-5", "Including anything over the counter."))
	addQuestion(t, tab, 6, "consent", "Consent to treatment")
	step(t, tab, "typing the consent", enter("text-6", "I agree to receive counselling from the practice."), Click(CSS(`label[for="required-6"]`)))
	// "Anything else?" goes last, then is removed; checkboxes move above the choice.
	step(t, tab, "removing a question", Click(CSS(`[aria-label="Remove question 4"]`)))
	step(t, tab, "moving the checkboxes up", Click(CSS(`[aria-label="Move question 4 up"]`)))
	waitFor(t, tab, "#questions", "3. Checkboxes: any from a list")

	// The preview is the portal's renderer at a phone's width.
	waitFor(t, tab, "#outcome", "Question moved to place 3.")
	preview := previewText(tab)
	for _, want := range []string{"First visit", "Your full name (required)", "What would you like help with?", "Sleep", "Including anything over the counter.", "I agree to receive counselling", "Type your full name to sign"} {
		if !strings.Contains(preview, want) {
			t.Errorf("the preview lacks %q; it shows:\n%s", want, preview)
		}
	}
	if strings.Contains(preview, "Anything else?") {
		t.Errorf("the preview still shows the removed question:\n%s", preview)
	}
	width, _ := Run(tab, Evaluate[float64](`document.getElementById("preview").contentWindow.innerWidth`))
	if width < 300 || width > 400 {
		t.Errorf("the preview is %v px wide; want a phone's width", width)
	}
	testenv.Accessible(t, tab, "the form builder")
	step(t, tab, "saving", Click(ID("save")))
	waitFor(t, tab, "#outcome", "Saved “First visit”.")
	testenv.Screenshot(t, tab, "staff-form-builder")

	form, err := env.App.FindFirstRecordByFilter("intake_forms", "title = 'First visit'")
	if err != nil {
		t.Fatalf("the saved form is not in the database: %v", err)
	}
	if n := strings.Count(form.GetString("questions"), `"kind"`); n != 6 || form.GetInt("version") != 1 {
		t.Fatalf("the saved form has %d questions at version %d; want 6 at version 1:\n%s", n, form.GetInt("version"), form.GetString("questions"))
	}

	// Dr. Lee sends it from Ada's page.
	tab = openAs(t, env, env.SignIn(lee), "/staff/client.html?id="+p.ada.Id, "#assign-form")
	step(t, tab, "assigning the form", SetValue(ID("assign-form-select"), form.Id), Click(CSS("#assign-form button")))
	waitFor(t, tab, "#outcome", "Assigned \"First visit\" to Ada Client")
	invite := env.Mail.Next("ada@example.com", testenv.Wait)
	packet, err := env.App.FindFirstRecordByFilter("intake_assignments", "form = {:form}", map[string]any{"form": form.Id})
	if err != nil {
		t.Fatal(err)
	}

	// A change after sending is version 2, and the sent packet keeps version 1.
	tab = openAs(t, env, env.SignIn(lee), "/staff/forms.html?id="+form.Id, "#editor")
	step(t, tab, "renaming a question", enter("label-0", "Your name as you like to be called"), Click(ID("save")))
	waitFor(t, tab, "#outcome", "Saved “First visit” as version 2.")

	// Ada, on her phone, from the mail.
	link, _ := invite.SignInLink()
	phone := testenv.Browser(t)
	step(t, phone, "Ada signing in from the mail", Navigate(link), WaitVisible(ID("sign-in")), Click(ID("sign-in")), WaitVisible(ID("list")))
	step(t, phone, "Ada opening the form", Click(CSS(`#open-packets a`)), WaitVisible(ID("packet-form")))
	if label := textOf(t, phone, `label[for="q0"]`); !strings.HasPrefix(label, "Your full name") {
		t.Fatalf("Ada's packet asks %q first; want the question as it was when sent (version 1)", label)
	}
	step(t, phone, "Ada filling it in",
		SendKeys(ID("q0"), "Ada Client"),
		SetValue(ID("q1"), "1990-04-27"),
		Click(CSS(`label[for="q2-0"]`)), Click(CSS(`label[for="q2-1"]`)),
		Click(CSS(`label[for="q3-2"]`)),
		Click(CSS(`label[for="q4-1"]`)),
		Click(CSS(`label[for="q5-agree"]`)), SendKeys(ID("q5-name"), "Ada Client"),
		Click(ID("send")), WaitVisible(ID("done")))
	testenv.Accessible(t, phone, "the sent form on a phone")

	// The practice's mail: a link to the read view, no health details.
	notice := env.Mail.Next("intake@harbor.test", testenv.Wait)
	for _, secret := range []string{"Ada", "First visit", "1990", "Sleep", "medication"} {
		if strings.Contains(notice.Subject+notice.Text+notice.HTML, secret) {
			t.Errorf("the mail to the practice carries %q:\n%s", secret, notice.Text)
		}
	}
	readLink := regexp.MustCompile(`https?://[^\s"<>]+/staff/packet\.html\?id=` + packet.Id).FindString(notice.Text)
	if readLink == "" {
		t.Fatalf("the mail to the practice does not link to the packet's read view:\n%s", notice.Text)
	}

	// Dr. Lee follows the link in a browser not signed in: sign-in, then the packet.
	reader := testenv.Browser(t)
	step(t, reader, "opening the mail's link", EmulateViewport(1280, 900), Navigate(readLink), WaitVisible(ID("email")))
	step(t, reader, "signing in with the password", SendKeys(ID("email"), lee.Email), SendKeys(ID("password"), lee.Password), Click(CSS("#password-form button")), WaitVisible(ID("code")))
	code := env.Mail.Next(lee.Email, testenv.Wait).StaffCode()
	step(t, reader, "typing the emailed code", SendKeys(ID("code"), code), Click(CSS("#code-form button")), WaitVisible(ID("sheet")))
	if location, _ := Run(reader, Location()); location != readLink {
		t.Fatalf("after signing in Dr. Lee is at %s; want the mail's link %s", location, readLink)
	}
	sheet := textOf(t, reader, "#sheet")
	at := 0
	for _, want := range []string{"First visit", "Ada Client", "Sent back Monday 3 March 2031, 09:00 (New York time).",
		"Your full name", "Ada Client", "Date of birth", "27 April 1990",
		"What would you like help with?", "Sleep", "Mood", "How did you hear of us?", "My doctor",
		"Are you taking any medication?", "No", "Consent to treatment", "I agree to receive counselling",
		"Agreed, signed “Ada Client” on Monday 3 March 2031, 09:00 (New York time)", "version 1 of the form"} {
		i := strings.Index(sheet[at:], want)
		if i < 0 {
			t.Fatalf("the read view lacks %q after %q:\n%s", want, sheet[:at], sheet)
		}
		at += i + len(want)
	}
	if strings.Contains(sheet, "q_") || strings.Contains(sheet, "UTC") || strings.Contains(sheet, "14:00") {
		t.Errorf("the read view shows a question's key or a time in UTC:\n%s", sheet)
	}
	testenv.Accessible(t, reader, "the packet's read view")
	testenv.Screenshot(t, reader, "staff-packet")

	// Printed: the sheet alone, as one document.
	if _, err := Call(reader, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
		t.Fatal(err)
	}
	shown, err := Run(reader, Evaluate[map[string]string](`Object.fromEntries(["header.practice", "header.nav", "#actions", "#sheet", "#sheet h1"].map((s) => [s, getComputedStyle(document.querySelector(s)).display]))`))
	if err != nil {
		t.Fatal(err)
	}
	for selector, want := range map[string]string{"header.practice": "none", "header.nav": "none", "#actions": "none", "#sheet": "block", "#sheet h1": "block"} {
		if shown[selector] != want {
			t.Errorf("printed, %s is display %q; want %q (the sheet without the workspace around it)", selector, shown[selector], want)
		}
	}
	printed, err := Call(reader, page.PrintToPDF, page.PrintToPDFParams{})
	if err != nil || !bytes.HasPrefix(printed.Data, []byte("%PDF")) {
		t.Fatalf("printing the packet to PDF: %v", err)
	}
	if pages := len(regexp.MustCompile(`/Type\s*/Page[^s]`).FindAll(printed.Data, -1)); pages < 1 || pages > 2 {
		t.Errorf("the printed packet is %d pages; want one clean document of a page or two", pages)
	}

	// The inbox lists it first, sent back, with a link for Dr. Lee.
	if _, err := Call(reader, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{}); err != nil {
		t.Fatal(err)
	}
	step(t, reader, "opening the Packets page", Navigate(env.URL+"/staff/packets.html"), WaitVisible(CSS("#packets li")))
	waitFor(t, reader, "#packets li:first-child", "First visit")
	waitFor(t, reader, "#packets li:first-child", "Sent back")
	waitFor(t, reader, "#packets li:first-child", "questions of version 1; the form is at version 2 now")
	testenv.Accessible(t, reader, "the Packets page")
	testenv.Screenshot(t, reader, "staff-packets")
}
