package browsertest

import (
	"fmt"
	"strings"
	"testing"
)

// PhonePath is the sandbox's simulated phone, relative to the app URL.
const PhonePath = sandboxPath + "/phone"

// sandboxPath is where the app mounts the WeChat sandbox.
const sandboxPath = "/_sandbox"

// PhonePage is a Page on the WeChat sandbox's simulated phone (/_sandbox/phone), in a phone-sized
// browser context of its own. Its methods click through the phone page as a person would;
// the control API (App.Sandbox) does the same things without the page.
type PhonePage struct {
	*Page
}

// SandboxPhone opens the sandbox phone in a new browser context presented as d: Phone() for
// a phone browser, WeChat() when the flow needs the MicroMessenger user agent (links opened
// from the phone then look like WeChat's in-app browser to the app).
func (b *Browser) SandboxPhone(t testing.TB, app *App, d Device) *PhonePage {
	t.Helper()
	ph := &PhonePage{b.NewPage(t, app, d)}
	if status := ph.Go(PhonePath); status != 200 {
		t.Fatalf("browsertest: [%s] %s answered %d", ph.Name, PhonePath, status)
	}
	return ph
}

// Tab opens a tab of the phone: "home", "scan", "inbox" or "mini".
func (ph *PhonePage) Tab(name string) {
	ph.t.Helper()
	if status := ph.Go(PhonePath + "?tab=" + name); status != 200 {
		ph.t.Fatalf("browsertest: [%s] phone tab %s answered %d", ph.Name, name, status)
	}
}

// CreateUser fills in and submits the phone's "new user" form (phone may be empty); the new
// user becomes the phone's current user.
func (ph *PhonePage) CreateUser(nickname, phone string) {
	ph.t.Helper()
	ph.Tab("home")
	ph.Fill("#nickname", nickname)
	if phone != "" {
		ph.Fill("#phone", phone)
	}
	if status := ph.ClickNav(`form[action$="/phone/users"] button[type=submit]`); status != 200 {
		ph.t.Fatalf("browsertest: [%s] creating %q: the phone page answered %d", ph.Name, nickname, status)
	}
	ph.WaitText(".flash", nickname+" ✓")
}

// Use makes the user with this nickname the phone's current user.
func (ph *PhonePage) Use(nickname string) {
	ph.t.Helper()
	ph.Tab("home")
	sel := ph.mark(fmt.Sprintf(`(() => {
		for (const li of document.querySelectorAll('.list li')) {
			if (li.querySelector('.who') && li.innerText.includes(%s)) return li.querySelector('form[action$="/phone/select"] button');
		}
		return null;
	})()`, jsString(nickname)), "user "+nickname)
	ph.ClickNav(sel)
}

// Current is the nickname line of the phone's current user ("" when none is chosen).
func (ph *PhonePage) Current() string {
	ph.t.Helper()
	var s string
	// The current user's card holds .who directly; the user list nests it in li.
	ph.Eval(`(() => { const e = document.querySelector('section.card > .who'); return e ? e.innerText : '' })()`, &s)
	return strings.TrimSpace(s)
}

// Follow follows the Official Account from the phone's home tab.
func (ph *PhonePage) Follow() {
	ph.t.Helper()
	ph.Tab("home")
	ph.ClickNav(`form[action$="/phone/follow"] button`)
}

// ScanLive opens the scan tab and scans the first live QR code whose label or details
// contain match ("" for the newest), as tapping it in the list does. An Official Account
// ticket is then scanned as the current user (the ticket page's button), which pushes the
// event to the app and lands on the inbox; a website or WeCom login QR stays on its confirm
// page, where the test clicks confirm or deny ("text=…"). It returns the status of the page
// it ends on.
func (ph *PhonePage) ScanLive(match string) int {
	ph.t.Helper()
	ph.Tab("scan")
	sel := ph.mark(fmt.Sprintf(`(() => {
		for (const li of document.querySelectorAll('.list li')) {
			if (li.innerText.includes(%s)) return li.querySelector('a.btn');
		}
		return null;
	})()`, jsString(match)), "a live QR code matching "+jsString(match))
	status := ph.ClickNav(sel)
	if strings.HasPrefix(ph.Path(), sandboxPath+"/q/") {
		status = ph.ClickNav(`form[action*="/q/"] button[type=submit]`)
	}
	return status
}

// ScanContent pastes QR content (a URL read off the PC's page) into the scan tab and submits
// it; any other web address opens in the phone as if inside WeChat. It returns the status of
// the page the scan opens.
func (ph *PhonePage) ScanContent(content string) int {
	ph.t.Helper()
	ph.Tab("scan")
	ph.Fill(`form[action$="/phone/scan"] textarea[name=content]`, content)
	return ph.ClickNav(`form[action$="/phone/scan"] button[type=submit]`)
}

// mark waits until the expression finds an element, tags it and returns a CSS selector for
// it, so the click that follows is a real mouse click on that element.
func (p *Page) mark(expr, what string) string {
	p.t.Helper()
	p.marks++
	id := fmt.Sprintf("m%d", p.marks)
	p.waitJS(what, fmt.Sprintf(`(() => { const e = %s; if (!e) return false; e.setAttribute('data-browsertest', %s); return true })()`, expr, jsString(id)))
	return fmt.Sprintf(`[data-browsertest="%s"]`, id)
}

// InboxLink returns the newest web address in the phone's inbox (passive replies, template
// messages, SMS) that contains match, e.g. the confirm link of a sign-in reply; the test then
// opens it with Go, as tapping it in WeChat would. It fails the test when there is none.
func (ph *PhonePage) InboxLink(match string) string {
	ph.t.Helper()
	ph.Tab("inbox")
	var link string
	ph.Eval(fmt.Sprintf(`(() => {
		const want = %s;
		for (const m of document.querySelectorAll('.msg')) {
			for (const u of m.innerText.match(/https?:\/\/[^\s，。；,;<>"']+/g) ?? []) {
				if (u.includes(want)) return u;
			}
		}
		return '';
	})()`, jsString(match)), &link)
	if link == "" {
		ph.t.Fatalf("browsertest: [%s] no link containing %q in the phone's inbox", ph.Name, match)
	}
	return link
}
