package web

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"scanboard/app/auth"
	"scanboard/app/wechat"
	"scanboard/views/i18n"
)

// PhonePolicy says when a phone number must be bound (MIS_PHONE_POLICY).
type PhonePolicy string

// The phone policies.
const (
	PhoneOff     PhonePolicy = "off"     // never asked
	PhonePending PhonePolicy = "pending" // asked on the pending page, before approval (default)
	PhoneSignIn  PhonePolicy = "signin"  // required before the first session
)

// Login is what the sign-in screens need. The WeChat client and push receiver talk to the
// real WeChat or to the built-in sandbox; nothing here knows which.
type Login struct {
	WeChat     *wechat.Client       // the Official Account
	Push       *wechat.PushReceiver // verifies and decodes the OA's pushes
	Attempts   *auth.Attempts
	Identities *auth.Identities
	Log        *auth.LoginLog
	Phones     *auth.Phones // nil: phone binding and phone-code sign-in are off

	// OwnQR shows a QR of our own URL (confirmed on the phone after OA web OAuth) instead
	// of the OA's parameterized QR.
	OwnQR bool
	// AutoConfirm completes an OA QR attempt on the scan itself, without the confirm link.
	AutoConfirm bool
	// OAuthProfile makes inside-WeChat sign-in ask for snsapi_userinfo so a first sign-in
	// names the new pending account with the WeChat nickname and avatar. It is also what
	// exposes snapshot-page users (WeChat's virtual "preview" accounts), which are refused.
	OAuthProfile bool
	Unsubscribe  auth.UnsubscribePolicy
	PhonePolicy  PhonePolicy
	// AttemptsPerMinute caps new QR attempts per client IP (each costs a WeChat API call).
	AttemptsPerMinute int
	// LongPoll is how long a status request is held open waiting for a change.
	LongPoll time.Duration
	// Channels are the other ways in: website QR, Mini Program, WeCom, password.
	Channels Channels
}

func (l Login) longPoll() time.Duration {
	if l.LongPoll <= 0 {
		return 25 * time.Second
	}
	return l.LongPoll
}

// tr translates key for the request's language.
func tr(c *fiber.Ctx, key string, data ...map[string]any) string {
	return i18n.T(c.UserContext(), key, data...)
}
