package messages_test

import (
	"os"
	"path/filepath"
	"testing"

	. "github.com/chromedp/chromedp" // the browser steps read as a script

	"portico/internal/testenv"
)

// TestBrowserClinicianSharesAndClientSignsOnAPhone: Dr. Lee shares a
// release to sign from the workspace's Documents page; on her phone Ada
// finds it on her portal home, signs it with her typed name (not before
// ticking that she agrees), and sends a photo of her insurance card; the
// workspace then shows her signature and her upload. Both Documents pages
// pass axe-core.
func TestBrowserClinicianSharesAndClientSignsOnAPhone(t *testing.T) {
	p := newPractice(t)
	env := p.env
	dir := t.TempDir()
	release, card := filepath.Join(dir, "release.pdf"), filepath.Join(dir, "card.jpg")
	if err := os.WriteFile(release, testenv.SamplePDF, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(card, testenv.SampleJPEG, 0o600); err != nil {
		t.Fatal(err)
	}

	desk := signedIn(t, env, EmulateViewport(1280, 900), "portico.staff", p.leeToken, map[string]any{},
		"/staff/documents.html", "#share-form")
	testenv.WaitForText(t, desk, "#share-client", "Ada Client")
	testenv.Accessible(t, desk, "the workspace's Documents page")
	err := Do(desk,
		SetValue(CSS("#share-client"), p.ada.Id),
		Click(CSS("#share-clinical")),
		SetValue(CSS("#share-asks"), "sign"),
		SendKeys(CSS("#share-name"), "Release of information"),
		SetUploadFiles(CSS("#share-file"), []string{release}),
		Click(CSS("#share-form button[type=submit]")),
	)
	if err != nil {
		t.Fatal(err)
	}
	testenv.WaitForText(t, desk, "#share-status", "Shared Release of information with Ada Client")
	testenv.WaitForText(t, desk, "#documents", "Not opened yet, to sign")

	phone := signedIn(t, env, testenv.Phone, "portico.session", p.adaToken, map[string]any{"id": p.ada.Id, "name": "Ada Client"},
		"/portal/", "#documents-title")
	testenv.WaitForText(t, phone, "#portal-sections", "1 document waits for you.")
	if err := Do(phone, Click(CSS(`a[href="/portal/documents.html"]`)), WaitVisible(CSS("#shared li.document"))); err != nil {
		t.Fatal(err)
	}
	testenv.WaitForText(t, phone, "#shared", "For you to sign")
	testenv.AssertNoPasswordField(t, phone)
	testenv.Accessible(t, phone, "the portal's Documents page with a document to sign")

	// Signing without ticking the box says what is missing.
	if err := Do(phone, SendKeys(CSS("form.sign input[type=text]"), "Ada Client"), Click(CSS("form.sign button[type=submit]"))); err != nil {
		t.Fatal(err)
	}
	testenv.WaitForText(t, phone, "form.sign .error", "Please tick the box")
	if err := Do(phone, Click(CSS("form.sign input[type=checkbox]")), Click(CSS("form.sign button[type=submit]"))); err != nil {
		t.Fatal(err)
	}
	testenv.WaitForText(t, phone, "#shared", "Signed by Ada Client on")

	err = Do(phone,
		Click(CSS("#upload-admin")),
		SendKeys(CSS("#upload-name"), "Insurance card"),
		SetUploadFiles(CSS("#upload-file"), []string{card}),
		Click(CSS("#upload-form button[type=submit]")),
	)
	if err != nil {
		t.Fatal(err)
	}
	testenv.WaitForText(t, phone, "#upload-status", "Sent: Insurance card.")
	testenv.WaitForText(t, phone, "#uploaded", "The practice has not opened it yet")
	testenv.Accessible(t, phone, "the portal's Documents page after signing and sending")
	testenv.Screenshot(t, phone, "portal-documents")

	if err := Do(desk, Reload(), WaitVisible(CSS("#documents li.document"))); err != nil {
		t.Fatal(err)
	}
	testenv.WaitForText(t, desk, "#documents", "Signed by Ada Client on")
	// The card went to the front desk's kind: Dr. Lee sees it too, as
	// one of Ada's clinicians, and it is new.
	testenv.WaitForText(t, desk, "#documents", "Insurance card")
	testenv.WaitForText(t, desk, "#count", "1 new document from a client.")
	testenv.Accessible(t, desk, "the workspace's Documents page with a signed document")
	testenv.Screenshot(t, desk, "staff-documents")
}
