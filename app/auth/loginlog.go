package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"scanboard/app/apperr"
	"scanboard/app/store"
	"scanboard/ent"
	"scanboard/ent/loginlog"
)

// Sign-in methods recorded in the login log and on sessions.
const (
	MethodOAQR      = "oa_qr"
	MethodOwnQR     = "own_qr"
	MethodOAOAuth   = "oa_oauth"
	MethodPhoneCode = "phone_code"
)

// Reason codes of the login log: machine-readable, stable, shown translated on the log screen.
const (
	ReasonPendingApproval = "pending_approval"
	ReasonDisabled        = "disabled"
	ReasonRejected        = "rejected"
	ReasonQRExpired       = "qr_expired"
	ReasonUnknownScene    = "unknown_scene"
	ReasonStateMismatch   = "state_mismatch"
	ReasonCookieMismatch  = "cookie_mismatch"
	ReasonUserDenied      = "user_denied"
	ReasonOAuthRefused    = "oauth_refused"
	ReasonSnapshotUser    = "snapshot_user"
	ReasonScannedByOther  = "scanned_by_other"
	ReasonNeedPhone       = "need_phone"
	ReasonCodeWrong       = "code_wrong"
	ReasonCodeExpired     = "code_expired"
	ReasonCodeTooMany     = "code_too_many"
	ReasonPhoneBound      = "phone_already_bound"
	ReasonPhoneUnknown    = "phone_unknown"
	ReasonWeChatError     = "wechat_error"
)

// LoginEvent is one sign-in attempt as the login log keeps it.
type LoginEvent struct {
	Method    string
	Success   bool
	Reason    string
	UserID    int    // 0 when no account is known
	Subject   string // who tried when no user is known: SubjectOpenID, a masked phone…
	IP        string // the trusted client IP (c.IP())
	UserAgent string
}

// LoginLog appends to the login log.
type LoginLog struct {
	db  *ent.Client
	now func() time.Time
}

// NewLoginLog returns the login log. now may be nil (time.Now).
func NewLoginLog(st *store.Store, now func() time.Time) *LoginLog {
	if now == nil {
		now = time.Now
	}
	return &LoginLog{db: st.Client, now: now}
}

// Record writes one row: browser and OS are parsed from the user agent here, so every
// caller gets the same parsing.
func (l *LoginLog) Record(ctx context.Context, ev LoginEvent) error {
	info := ParseUserAgent(ev.UserAgent)
	outcome := loginlog.OutcomeFailure
	if ev.Success {
		outcome = loginlog.OutcomeSuccess
	}
	c := l.db.LoginLog.Create().
		SetCreatedAt(l.now().UTC()).
		SetMethod(truncate(ev.Method, 32)).
		SetOutcome(outcome).
		SetReason(truncate(ev.Reason, 64)).
		SetSubject(truncate(ev.Subject, 128)).
		SetIP(truncate(ev.IP, 64)).
		SetUserAgent(truncate(ev.UserAgent, 512)).
		SetBrowser(info.Browser).
		SetOs(info.OS)
	if ev.UserID != 0 {
		c.SetUserID(ev.UserID)
	}
	if err := c.Exec(ctx); err != nil {
		return apperr.E("auth.LoginLog.Record", apperr.Unavailable, err)
	}
	return nil
}

// SubjectOpenID is how an openid appears in the log when no user is known yet: a short
// hash, so the log does not become a list of raw openids (LOG-03).
func SubjectOpenID(appID, openID string) string {
	sum := sha256.Sum256([]byte(appID + "\x00" + openID))
	return "openid:" + hex.EncodeToString(sum[:8])
}

// MaskPhone keeps the country code and last four digits of an E.164 number.
func MaskPhone(e164 string) string {
	if len(e164) <= 7 {
		return "***"
	}
	return e164[:3] + "****" + e164[len(e164)-4:]
}
