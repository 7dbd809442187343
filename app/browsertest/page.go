package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// Page is one tab in its own browser context: separate cookies, storage and cache from
// every other Page of the Browser. Paths passed to Go are relative to its app's URL.
//
// Every method fails the test on error. The page records JavaScript exceptions, console
// errors and Content-Security-Policy violations; the test fails on any of them when the page
// is closed at cleanup (or earlier, at CheckClean), unless AllowConsole said it is expected.
// Like a person, a Page does one thing at a time: use it from one goroutine.
type Page struct {
	// Name tells pages apart in messages: the Device name, or "pc2" for the second PC.
	Name string
	// Base is the app URL relative paths are resolved against; set it to another node's URL
	// to send this page there.
	Base string

	t       testing.TB
	b       *Browser
	ctx     context.Context
	watch   *consoleWatch
	flushes int
	marks   int // "text=" selectors resolved so far
}

// NewPage opens a tab in a fresh browser context, presenting itself as d, with paths
// relative to app. t is the (sub)test that uses the page: its failures go there, and the
// page closes when it ends.
func (b *Browser) NewPage(t testing.TB, app *App, d Device) *Page {
	t.Helper()
	b.pages++
	name := d.Name
	if name == "" {
		name = fmt.Sprintf("page%d", b.pages)
	}
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	p := &Page{Name: name, Base: app.URL, t: t, b: b, ctx: ctx, watch: newConsoleWatch(name)}
	t.Cleanup(func() {
		p.checkClean()
		if t.Failed() {
			// What the page showed when the test failed is often the whole story.
			if file, err := p.saveScreenshot("failed-" + p.Name); err == nil {
				t.Logf("browsertest: [%s] screenshot at failure: %s", p.Name, file)
			}
		}
		cancel()
	})
	// Subscribing opens the tab (with ctx, which has no deadline: the tab lives until
	// cleanup) and catches every message from the first navigation on.
	go p.watch.collect(chromedp.Console(ctx))
	if d.Width == 0 {
		d.Width, d.Height = 1280, 800
	}
	if d.Scale == 0 {
		d.Scale = 1
	}
	if d.Lang == "" {
		d.Lang = "zh-CN"
	}
	ua := d.UserAgent
	if ua == "" {
		ua = b.userAgent
	}
	vopts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(d.Scale)}
	if d.Mobile {
		vopts = append(vopts, chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	p.do("set up the device", chromedp.EmulateViewport(d.Width, d.Height, vopts...),
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{
				UserAgent: ua, AcceptLanguage: acceptLanguage(d.Lang),
			})
			return err
		}),
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, emulation.SetLocaleOverride, emulation.SetLocaleOverrideParams{
				Locale: strings.ReplaceAll(d.Lang, "-", "_"),
			})
			return err
		}),
	)
	return p
}

// acceptLanguage is the language list of a browser set to lang; Chromium adds the q-values
// when it writes the Accept-Language header.
func acceptLanguage(lang string) string {
	if lang != "zh" && strings.HasPrefix(lang, "zh") {
		return lang + ",zh"
	}
	return lang
}

// Context is the page's chromedp context, for chromedp actions the helpers do not cover:
// chromedp.Run(p.Context(), chromedp.Title()). It has no deadline; add one.
func (p *Page) Context() context.Context { return p.ctx }

// Do runs chromedp actions with the page's timeout, failing the test on error.
func (p *Page) Do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	p.do("run actions", actions...)
}

func (p *Page) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, p.b.Timeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("browsertest: [%s] %s: %v", p.Name, what, err)
	}
}

func (p *Page) abs(path string) string {
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		return path
	}
	return p.Base + path
}

// Go opens path (relative to Base, or an absolute URL), follows redirects, waits for the
// page to load and returns the HTTP status of the final document.
func (p *Page) Go(path string) int {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, p.b.Timeout)
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(p.abs(path)))
	if err != nil {
		p.t.Fatalf("browsertest: [%s] open %s: %v", p.Name, path, err)
	}
	return p.status(resp.URL, resp.Status)
}

// Click clicks the first visible element matching sel, waiting for it to appear. sel is a
// CSS selector, or "text=Label" for the first button, link or label whose visible text
// contains Label (what a user would look for). For a click that loads a page, use ClickNav.
func (p *Page) Click(sel string) {
	p.t.Helper()
	p.do("click "+sel, chromedp.Click(chromedp.CSS(p.resolve(sel))))
}

// textPrefix starts a selector by visible text.
const textPrefix = "text="

// resolve turns a "text=" selector into a CSS selector for the element it finds (see
// mark); CSS selectors are returned as they are.
func (p *Page) resolve(sel string) string {
	p.t.Helper()
	label, ok := strings.CutPrefix(sel, textPrefix)
	if !ok {
		return sel
	}
	return p.mark(fmt.Sprintf(`(() => {
		const want = %s;
		for (const e of document.querySelectorAll('button, a, [role=button], input[type=submit], label, summary')) {
			const text = (e.innerText ?? e.textContent ?? '') + ' ' + (e.value ?? '');
			if (e.offsetParent !== null && text.includes(want)) return e;
		}
		return null;
	})()`, jsString(label)), "an element with text "+jsString(label))
}

// ClickNav clicks a link or a submit button (sel as for Click) and waits for the page it
// loads; it returns the HTTP status of that page's document.
func (p *Page) ClickNav(sel string) int {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, p.b.Timeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(p.resolve(sel))))
	if err != nil {
		p.t.Fatalf("browsertest: [%s] click %s and wait for the next page: %v", p.Name, sel, err)
	}
	return p.status(resp.URL, resp.Status)
}

// status notes a document the caller knows failed: the caller gets the status to check, so
// Chromium's console line about it is not reported as a problem.
func (p *Page) status(url string, status int64) int {
	if status >= 400 {
		p.watch.expectErrorDoc(url)
	}
	return int(status)
}

// Fill replaces the value of the input matching the CSS selector sel by typing value, as a
// user would.
func (p *Page) Fill(sel, value string) {
	p.t.Helper()
	p.WaitVisible(sel)
	// Clear with script: chromedp's SetValue refuses the empty string.
	p.Eval(fmt.Sprintf(`(() => { document.querySelector(%s).value = ''; return true })()`, jsString(sel)), nil)
	p.do("fill "+sel, chromedp.SendKeys(chromedp.CSS(sel), value))
}

// WaitVisible waits until an element matching sel is visible.
func (p *Page) WaitVisible(sel string) {
	p.t.Helper()
	p.do("wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
}

// WaitText waits until the visible text of the first element matching sel contains text.
// It keeps trying across navigations, so it also waits for a page that changes by itself.
func (p *Page) WaitText(sel, text string) {
	p.t.Helper()
	p.waitJS(fmt.Sprintf("text %q in %s", text, sel), fmt.Sprintf(
		`(() => { const e = document.querySelector(%s); return !!e && (e.innerText ?? e.textContent).includes(%s) })()`,
		jsString(sel), jsString(text)))
}

// WaitPath waits until the page's path (without query) is path, e.g. after a redirect or a
// page that moves on by itself.
func (p *Page) WaitPath(path string) {
	p.t.Helper()
	p.waitJS("path "+path, fmt.Sprintf(`location.pathname === %s`, jsString(path)))
}

// waitJS polls a boolean expression. Evaluation errors while a page is being replaced are
// expected and retried.
func (p *Page) waitJS(what, expr string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, p.b.Timeout)
	defer cancel()
	var lastErr error
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return
		}
		if err != nil {
			lastErr = err
		}
		select {
		case <-ctx.Done():
			p.t.Fatalf("browsertest: [%s] waiting for %s (now at %s): %v (last error: %v)", p.Name, what, p.urlNow(), ctx.Err(), lastErr)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Text is the visible text of the first element matching sel, waiting for it to exist.
func (p *Page) Text(sel string) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, p.b.Timeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		p.t.Fatalf("browsertest: [%s] text of %s: %v", p.Name, sel, err)
	}
	return strings.TrimSpace(s)
}

// Has reports whether an element matching sel exists now; it does not wait.
func (p *Page) Has(sel string) bool {
	p.t.Helper()
	var ok bool
	p.Eval(fmt.Sprintf(`document.querySelector(%s) !== null`, jsString(sel)), &ok)
	return ok
}

// Eval evaluates a JavaScript expression in the page and decodes its JSON value into out
// (nil: ignored). Promises are awaited.
func (p *Page) Eval(expr string, out any) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, p.b.Timeout)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](expr, awaitPromise))
	if err != nil {
		p.t.Fatalf("browsertest: [%s] evaluate %q: %v", p.Name, expr, err)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			p.t.Fatalf("browsertest: [%s] evaluate %q: decoding %s: %v", p.Name, expr, raw, err)
		}
	}
}

// URL is the page's current address.
func (p *Page) URL() string {
	p.t.Helper()
	var u string
	p.Eval(`location.href`, &u)
	return u
}

// Path is the page's current path, without query.
func (p *Page) Path() string {
	p.t.Helper()
	var u string
	p.Eval(`location.pathname`, &u)
	return u
}

func (p *Page) urlNow() string {
	ctx, cancel := context.WithTimeout(p.ctx, time.Second)
	defer cancel()
	u, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "?"
	}
	return u
}

// Screenshot saves the whole page as app/browsertest/screenshots/<test>-<name>.png (the
// folder is git-ignored) and returns the file's path. A page also saves one by itself,
// named failed-<page>, when its test fails.
func (p *Page) Screenshot(name string) string {
	p.t.Helper()
	file, err := p.saveScreenshot(name)
	if err != nil {
		p.t.Fatalf("browsertest: [%s] screenshot %s: %v", p.Name, name, err)
	}
	p.t.Logf("browsertest: [%s] screenshot %s", p.Name, file)
	return file
}

func (p *Page) saveScreenshot(name string) (string, error) {
	ctx, cancel := context.WithTimeout(p.ctx, p.b.Timeout)
	defer cancel()
	var png []byte
	for {
		var err error
		png, err = chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err == nil {
			break
		}
		// Right after a navigation that the page did not start itself (a frame sending the
		// top window on), Chromium can report a layout of zero size for a moment; ask again
		// until it has laid the new document out, within the timeout.
		if !strings.Contains(err.Error(), "with 0 width") && !strings.Contains(err.Error(), "with 0 height") {
			return "", err
		}
		select {
		case <-ctx.Done():
			return "", err
		case <-time.After(100 * time.Millisecond):
		}
	}
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, "app", "browsertest", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	file := filepath.Join(dir, fileSafe(p.t.Name())+"-"+fileSafe(name)+".png")
	return file, os.WriteFile(file, png, 0o644)
}

// Cookies returns the cookies the page's browser context would send to its Base URL, with
// their flags (HttpOnly, Secure, SameSite), for tests of session handling.
func (p *Page) Cookies() []*network.Cookie {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, p.b.Timeout)
	defer cancel()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{p.Base + "/"}})
	if err != nil {
		p.t.Fatalf("browsertest: [%s] cookies: %v", p.Name, err)
	}
	return res.Cookies
}

// WaitGone waits until no visible element matches sel (a dialog closed, a spinner ended).
func (p *Page) WaitGone(sel string) {
	p.t.Helper()
	p.waitJS("no visible "+sel, fmt.Sprintf(
		`(() => { const e = document.querySelector(%s); return !e || e.offsetParent === null })()`, jsString(sel)))
}

var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func fileSafe(s string) string { return strings.Trim(unsafeFileChars.ReplaceAllString(s, "_"), "_") }

// jsString quotes s as a JavaScript string literal (JSON is a subset).
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
