package web

import (
	"time"

	"scanboard/app/auth"
	"scanboard/app/wechat"
)

// Channels are the ways in beyond the Official Account QR (issue 5). Each nil field is a
// channel that is off; which ones are on is configuration (cmd/mis), never code.
type Channels struct {
	// Passwords is the phone/email + password fallback and the break-glass admin.
	Passwords *auth.Passwords
	// Website is the Open Platform website app (qrconnect, snsapi_login). When set, /login
	// shows its inline QR instead of the OA QR, and /login/website redirects to its page.
	Website *wechat.Client
	// InlineWebsite puts the website app's inline QR on /login instead of the OA QR
	// (MIS_LOGIN_QR=website, or auto with the Open Platform configured).
	InlineWebsite bool
	// MiniProgram answers the Mini Program's JSON API under /api/mp/.
	MiniProgram *wechat.Client
	// MiniKeyTTL is how long a Mini Program login key lives (0: 7 days).
	MiniKeyTTL time.Duration
	// WeCom is the WeCom self-built app whose members sign in through its QR page.
	WeCom *wechat.WorkClient
}

func (ch Channels) miniKeyTTL() time.Duration {
	if ch.MiniKeyTTL <= 0 {
		return 7 * 24 * time.Hour
	}
	return ch.MiniKeyTTL
}
