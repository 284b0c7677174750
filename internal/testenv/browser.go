package testenv

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Phone is the viewport of a common phone, in CSS pixels.
var Phone = chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(3), chromedp.EmulateMobile, chromedp.EmulateTouch)

// Browser starts headless Chromium with a fresh profile and returns a tab's
// context, closed when the test ends. Without Chromium the test is skipped
// on a developer's machine and fails in CI, where it must run. extra adds
// flags, such as CallBrowser's fake camera.
func Browser(t testing.TB, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	return startBrowser(t, 2*time.Minute, extra...)
}

// startBrowser is Browser with a time limit for everything the tab does.
func startBrowser(t testing.TB, limit time.Duration, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if found, err := exec.LookPath(name); err == nil {
			path = found
			break
		}
	}
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed; .ci/run installs it")
		}
		t.Skip("chromium is not installed (apt-get install chromium)")
	}

	options := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	}
	options = append(options, extra...)
	allocator, cancelAllocator := chromedp.NewExecAllocator(context.Background(), options...)
	tab, cancelTab := chromedp.NewContext(allocator)
	tab, cancelTimeout := context.WithTimeout(tab, limit)
	t.Cleanup(func() {
		cancelTimeout()
		cancelTab()
		cancelAllocator()
	})
	if err := chromedp.Do(tab, Phone); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return tab
}

// Desk is a desktop viewport: the staff workspace is built desktop first.
var Desk = chromedp.EmulateViewport(1280, 900)

// OpenStaffPage opens page in a fresh desktop browser signed in with the
// staff token, as the sign-in page leaves the workspace (hooks/staff
// tests the sign-in itself), and waits for ready, the element the page's
// module fills.
func (env *Env) OpenStaffPage(t testing.TB, token, page, ready string) context.Context {
	t.Helper()
	tab := Browser(t)
	session, _ := json.Marshal(map[string]any{"token": token, "record": map[string]any{}})
	quoted, _ := json.Marshal(string(session))
	err := chromedp.Do(tab, Desk, chromedp.Navigate(env.URL+"/staff/"),
		chromedp.Evaluate[chromedp.Void]("localStorage.setItem('portico.staff', "+string(quoted)+")"),
		chromedp.Navigate(env.URL+page), chromedp.WaitVisible(chromedp.CSS(ready)))
	if err != nil {
		location, _ := chromedp.Run(tab, chromedp.Location())
		t.Fatalf("opening %s: the browser is at %s (%v)", page, location, err)
	}
	return tab
}

// Screenshot saves the page as a PNG under dir when PORTICO_SCREENSHOTS
// names one, for a person to look at.
func Screenshot(t testing.TB, tab context.Context, name string) {
	t.Helper()
	dir := os.Getenv("PORTICO_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(dir+"/"+name+".png", png, 0o644); err != nil {
		t.Errorf("screenshot %s: %v", name, err)
	}
}

// AssertNoPasswordField fails when the page asks for a password: clients
// have none, so no client page may.
func AssertNoPasswordField(t testing.TB, tab context.Context) {
	t.Helper()
	count, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll("input[type=password]").length`))
	if err != nil || count != 0 {
		location, _ := chromedp.Run(tab, chromedp.Location())
		t.Fatalf("%s shows %d password fields (%v); clients have no password", location, count, err)
	}
}

// WaitForText waits until the visible element selector says want, and
// fails with what the person saw instead.
func WaitForText(t testing.TB, tab context.Context, selector, want string) {
	t.Helper()
	quote := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	js := `(() => { const el = document.querySelector(` + quote(selector) + `); return !!el && el.offsetParent !== null && el.textContent.includes(` + quote(want) + `); })()`
	if ok, _ := chromedp.Run(tab, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(Wait))); !ok {
		seen, _ := chromedp.Run(tab, chromedp.Evaluate[string](`(document.querySelector(`+quote(selector)+`) || {}).textContent || "nothing"`))
		page, _ := chromedp.Run(tab, chromedp.Evaluate[string](`document.body.innerText`))
		t.Fatalf("%s says %q; want it to say %q. The page reads:\n%s", selector, strings.TrimSpace(seen), want, page)
	}
}

// JSString is s as a JavaScript string literal, for a script a test
// evaluates in the page.
func JSString(s string) string {
	quoted, _ := json.Marshal(s)
	return string(quoted)
}

// SignOut presses a portal page's "Sign out" and waits until the sign-in
// page has loaded in its place: the sign-out's request and navigation
// take a moment, and neither the page they leave nor one still loading
// may be acted on. What the page says while it navigates away is no
// answer yet, so the look is tried again until Wait has passed.
var SignOut = chromedp.Steps(
	chromedp.Click(chromedp.ID("sign-out")),
	chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		signIn := chromedp.Evaluate[bool](`location.pathname === "/" && document.readyState === "complete" && !!document.getElementById("email")`)
		for deadline := time.Now().Add(Wait); ; time.Sleep(50 * time.Millisecond) {
			loaded, err := signIn(ctx, t)
			switch {
			case err == nil && loaded:
				return nil
			case ctx.Err() != nil:
				return ctx.Err()
			case time.Now().After(deadline):
				return fmt.Errorf("after Sign out, the sign-in page did not load within %s (last look: %v)", Wait, err)
			}
		}
	}),
	chromedp.WaitVisible(chromedp.ID("email")),
)
