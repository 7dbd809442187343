// Package sandbox holds the templ pages of the WeChat sandbox: the simulated phone and the
// pages that stand in for WeChat's own (QR login, consent, errors). Components take small view
// models and never touch the sandbox's state.
package sandbox

import "strings"

// Page is what every sandbox page needs.
type Page struct {
	Lang  string // "zh-CN" or "en"
	Title string
	Base  string // sandbox path prefix for links, e.g. "/_sandbox"
	// Self is the current path and query without "lang", for the language switch.
	Self string
}

// L translates key for the page's language.
func (p Page) L(key string) string { return T(p.Lang, key) }

// HTMLLang is the value of <html lang>.
func (p Page) HTMLLang() string {
	if p.Lang == "en" {
		return "en"
	}
	return "zh-CN"
}

// LangURL returns Self with lang set.
func (p Page) LangURL(lang string) string {
	sep := "?"
	if strings.Contains(p.Self, "?") {
		sep = "&"
	}
	return p.Self + sep + "lang=" + lang
}

// UserCard is a simulated WeChat user as the phone shows it.
type UserCard struct {
	ID        string
	Nickname  string
	Color     string // #rrggbb
	Snapshot  bool
	Phone     string
	WeComID   string
	Following bool
}

// Initial is the avatar letter.
func (u UserCard) Initial() string {
	for _, r := range u.Nickname {
		return strings.ToUpper(string(r))
	}
	return "?"
}

// ColorClass maps the avatar colour to a CSS class (no inline styles under the CSP).
func ColorClass(c string) string {
	switch strings.ToLower(c) {
	case "#07c160", "#1989fa", "#ff976a", "#ee0a24", "#7232dd", "#333333":
		return "avatar c-" + strings.ToLower(c[1:])
	}
	return "avatar c-other"
}

// Field is a hidden form field.
type Field struct{ Name, Value string }

// Action is a POST button.
type Action struct {
	Label  string
	URL    string
	Fields []Field
	Kind   string // "" primary, "secondary", "danger"
}

// ButtonClass is the CSS class of an action's button.
func (a Action) ButtonClass() string {
	if a.Kind == "" {
		return "wide"
	}
	return "wide " + a.Kind
}

// Link is a plain link.
type Link struct{ Label, URL string }

// ActionView is a generic page: a message, an optional user, and buttons. It serves as the
// error page, the consent page, the scan-confirmation page and "open in WeChat".
type ActionView struct {
	Page
	Heading string
	Text    string
	Detail  string // monospace detail such as an error code
	Error   bool
	User    *UserCard
	Actions []Action
	Links   []Link
}

// LiveQR is a QR code the phone can scan.
type LiveQR struct {
	Label string
	Meta  string
	URL   string // page that scans it
}

// Msg is a received message.
type Msg struct {
	Kind, From, Title, Text, URL, At string
}

// PushRow is a recorded event push.
type PushRow struct {
	ID, Event, Outcome, Problem, At string
	Attempts                        int
}

// MiniResult is a value the Mini Program panel produced.
type MiniResult struct{ Label, Value string }

// PhoneView is the simulated phone's home page.
type PhoneView struct {
	Page
	Tab      string // home | scan | inbox | mini
	Flash    string
	FlashErr bool
	Current  *UserCard
	Users    []UserCard
	Colors   []string
	OAName   string
	MiniName string
	LiveQRs  []LiveQR
	Inbox    []Msg
	SMS      []Msg
	Pushes   []PushRow
	Mini     []MiniResult
}

// TabURL is the link to a phone tab.
func (v PhoneView) TabURL(tab string) string { return v.Base + "/phone?tab=" + tab }

// TabClass marks the current tab.
func (v PhoneView) TabClass(tab string) string {
	if v.Tab == tab {
		return "on"
	}
	return ""
}

// QRLoginView is the website (qrconnect) or WeCom QR login page.
type QRLoginView struct {
	Page
	WeCom        bool
	Compact      bool // login_type=jssdk: the inline panel inside the relying party's iframe
	Style        string
	AppName      string
	QRImage      string
	UUID         string
	PollURL      string
	RedirectURI  string
	State        string
	SelfRedirect bool
	DenyRedirect bool
}

// BodyClass picks the page style.
func (v QRLoginView) BodyClass() string {
	c := "qr"
	if v.WeCom {
		c += " wecom"
	}
	if v.Compact {
		c += " compact"
	}
	if v.Style == "white" {
		c += " white"
	} else {
		c += " black"
	}
	return c
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
