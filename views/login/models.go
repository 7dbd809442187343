// Package login draws the sign-in screens: the QR page on a PC, the confirmation page on
// the phone, the phone-code form and the outcome pages.
package login

// Model is the /login page.
type Model struct {
	Device     string // desktop, mobile (wechat is redirected before rendering)
	OwnQR      bool   // the QR opens our own page instead of the Official Account
	PhoneLogin bool   // phone-code sign-in is available
	// Website, when set, replaces the OA QR with the Open Platform's inline QR panel.
	Website  *WebsiteQR
	Password bool // the password form is offered as a secondary way
	WeCom    bool // WeCom web login is offered as a secondary way
}

// WebsiteQR is what the inline Open Platform QR needs: WeChat's script and its options.
type WebsiteQR struct {
	ScriptURL string
	Options   string // JSON for new WxLogin(…)
}

// ConfirmModel is the phone's "sign in on that computer?" page.
type ConfirmModel struct {
	Token   string
	Browser string
	OS      string
	IP      string
	Time    string
}

// PhoneModel is the phone-number form.
type PhoneModel struct {
	Mode     string // bind or signin
	Phone    string
	Sent     bool   // a code was sent: show the code field
	ErrorKey string // message id of what went wrong, "" for none
}

// states lists the attempt statuses the QR panel has a text for, in display order.
var states = []string{"loading", "waiting", "scanned", "confirmed", "need_phone", "denied", "expired", "error"}
