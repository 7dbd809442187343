package browsertest_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"scanboard/app/browsertest"
)

// locale reads a base translation, so the test follows the words in the locale files.
func locale(t *testing.T, lang, key string) string {
	t.Helper()
	root, err := browsertest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(root, "views", "i18n", "locales", "base."+lang+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if m[key] == "" {
		t.Fatalf("base.%s.json has no %q", lang, key)
	}
	return m[key]
}

// TestFirstVisit is the first real-browser walk through the app: it starts, sends anonymous
// visitors to sign in, serves the sandbox phone to a phone, lets a person create a WeChat
// user there by clicking, and renders its error page in both languages, with no CSP
// violation or script error on the way.
func TestFirstVisit(t *testing.T) {
	b := browsertest.NewBrowser(t)
	app := browsertest.Start(t, browsertest.Options{})

	t.Run("anonymous visitors are sent to sign in", func(t *testing.T) {
		pc := b.NewPage(t, app, browsertest.Desktop())
		pc.Go("/")
		pc.WaitPath("/login")
		pc.Screenshot("login")
		pc.CheckClean()
	})

	t.Run("the sandbox phone creates a user by clicking", func(t *testing.T) {
		phone := b.SandboxPhone(t, app, browsertest.Phone())
		var screen struct {
			Width int64   `json:"width"`
			Ratio float64 `json:"ratio"`
			Touch bool    `json:"touch"`
		}
		phone.Eval(`({width: screen.width, ratio: devicePixelRatio, touch: navigator.maxTouchPoints > 0})`, &screen)
		if want := browsertest.Phone(); screen.Width != want.Width || screen.Ratio != want.Scale || !screen.Touch {
			t.Errorf("the phone context has screen %+v, want %d px wide at %g× with touch", screen, want.Width, want.Scale)
		}
		phone.CreateUser("小明", "13800001234")
		if cur := phone.Current(); !strings.Contains(cur, "小明") || !strings.Contains(cur, "13800001234") {
			t.Errorf("the phone's current user reads %q, want 小明 with the number", cur)
		}
		u := app.Sandbox.UserByNickname(t, "小明")
		if u.Phone != "13800001234" || len(u.OpenIDs) == 0 {
			t.Errorf("the user the page created is %+v", u)
		}
		phone.Screenshot("phone-user-created")
		phone.CheckClean()
	})

	for _, lang := range []string{"zh-CN", "en"} {
		t.Run("error page in "+lang, func(t *testing.T) {
			d := browsertest.Desktop()
			d.Lang = lang
			pc := b.NewPage(t, app, d)
			if status := pc.Go("/no-such-page"); status != 404 {
				t.Errorf("/no-such-page answered %d, want 404", status)
			}
			var htmlLang string
			pc.Eval(`document.documentElement.lang`, &htmlLang)
			if htmlLang != lang {
				t.Errorf("<html lang> = %q, want %q", htmlLang, lang)
			}
			for _, key := range []string{"error.title", "error.404", "error.back_home"} {
				pc.WaitText("main", locale(t, lang, key))
			}
			// The stylesheet and scripts loaded under the CSP: Pico's styles apply.
			var styled bool
			pc.Eval(`getComputedStyle(document.querySelector('a[role=button]')).display !== 'inline'`, &styled)
			if !styled {
				t.Error("the error page's button is unstyled: app CSS did not load")
			}
			pc.Screenshot("error-" + lang)
			pc.CheckClean()
		})
	}

	t.Run("the language switch is a real form post", func(t *testing.T) {
		pc := b.NewPage(t, app, browsertest.Desktop())
		pc.Go("/no-such-page")
		if status := pc.ClickNav("text=" + locale(t, "zh-CN", "nav.language.switch")); status != 404 {
			t.Errorf("after switching, the page answered %d, want the same 404 page back", status)
		}
		pc.WaitText("main", locale(t, "en", "error.404"))
		var langCookie bool
		for _, c := range pc.Cookies() {
			langCookie = langCookie || (c.Name == "mis_lang" && c.Value == "en" && c.HTTPOnly)
		}
		if !langCookie {
			t.Errorf("no HttpOnly mis_lang=en cookie after switching: %+v", pc.Cookies())
		}
	})
}

// Two nodes behind one browser: a session started on node 1 is the same session on node 2
// (PostgreSQL and Redis shared), so a form node 2 renders carries the same CSRF token.
func TestTwoNodesShareTheBrowserSession(t *testing.T) {
	b := browsertest.NewBrowser(t)
	node1 := browsertest.Start(t, browsertest.Options{})
	node2 := node1.Peer(t, browsertest.Options{})

	pc := b.NewPage(t, node1, browsertest.Desktop())
	token := func() string {
		var s string
		pc.Eval(`document.querySelector('form[action="/lang"] input[name=_csrf]').value`, &s)
		return s
	}
	pc.Go("/no-such-page")
	first := token()
	pc.Base = node2.URL
	pc.Go("/no-such-page")
	if second := token(); first == "" || second != first {
		t.Errorf("CSRF token on node 1 %q, on node 2 %q: node 2 does not see node 1's session", first, second)
	}
	pc.ClickNav("text=" + locale(t, "zh-CN", "nav.language.switch"))
	pc.WaitText("main", locale(t, "en", "error.404"))
	pc.Base = node1.URL
	pc.Go("/no-such-page")
	pc.WaitText("main", locale(t, "en", "error.404"))
	pc.Screenshot("node1-after-switch-on-node2")
}

// The harness must catch what it promises to catch, or a green browser test means nothing.
func TestPageReportsProblems(t *testing.T) {
	b := browsertest.NewBrowser(t)
	app := browsertest.Start(t, browsertest.Options{})
	tests := []struct {
		name, script, want string
	}{
		{"inline style attribute", `document.body.setAttribute('style', 'color: red')`, "CSP violation"},
		{"inline event handler", `document.body.insertAdjacentHTML('beforeend', '<button id="x" onclick="void 0">x</button>'); document.getElementById('x').click()`, "CSP violation"},
		{"image from another origin", `document.body.insertAdjacentHTML('beforeend', '<img src="http://example.invalid/a.png">')`, "CSP violation"},
		{"uncaught exception", `setTimeout(() => { throw new Error('boom') })`, "JavaScript exception: Uncaught Error: boom"},
		{"console error", `console.error('something broke')`, "console error: something broke"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := b.NewPage(t, app, browsertest.Desktop())
			p.Go("/_sandbox/phone")
			p.Eval(`(() => { `+tt.script+`; return new Promise(r => setTimeout(() => r(true), 100)) })()`, nil)
			got := p.TakeProblems()
			if len(got) == 0 || !strings.Contains(strings.Join(got, "\n"), tt.want) {
				t.Errorf("problems = %q, want one with %q", got, tt.want)
			}
		})
	}
	t.Run("allowed messages are not problems", func(t *testing.T) {
		p := b.NewPage(t, app, browsertest.Desktop())
		p.Go("/_sandbox/phone")
		p.AllowConsole("expected noise")
		p.Eval(`console.error('expected noise')`, nil)
		if got := p.Problems(); len(got) != 0 {
			t.Errorf("problems = %q, want none", got)
		}
	})
}

func TestPagesAreSeparatePeople(t *testing.T) {
	b := browsertest.NewBrowser(t)
	app := browsertest.Start(t, browsertest.Options{})

	alice := b.SandboxPhone(t, app, browsertest.Phone())
	alice.CreateUser("Alice", "")
	bob := b.SandboxPhone(t, app, browsertest.WeChat())
	if cur := bob.Current(); cur != "" {
		t.Errorf("a second browser context already has a current sandbox user %q: cookies are shared", cur)
	}
	var ua string
	bob.Eval(`navigator.userAgent`, &ua)
	if !strings.Contains(ua, "MicroMessenger") {
		t.Errorf("WeChat device user agent = %q, want MicroMessenger", ua)
	}
	bob.CreateUser("Bob", "")
	if !strings.Contains(alice.Current(), "Alice") {
		t.Error("Alice's phone lost its user when Bob created his")
	}
	bob.Use("Alice")
	if !strings.Contains(bob.Current(), "Alice") {
		t.Errorf("after Use(Alice) Bob's phone shows %q", bob.Current())
	}
	pc := b.NewPage(t, app, browsertest.Desktop())
	var desktopUA string
	pc.Eval(`navigator.userAgent`, &desktopUA)
	if strings.Contains(desktopUA, "Headless") || strings.Contains(desktopUA, "MicroMessenger") {
		t.Errorf("desktop user agent = %q, want a plain Chrome", desktopUA)
	}
}
