package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"scanboard/app/apperr"
	"scanboard/app/kv"
)

// AttemptStatus is where a QR sign-in attempt stands. The PC page follows it live.
type AttemptStatus string

// The statuses: waiting → scanned → confirmed | need_phone | denied; any open attempt
// becomes expired when its lifetime ends; a confirmed one becomes done when its browser
// takes the session.
const (
	AttemptWaiting   AttemptStatus = "waiting"
	AttemptScanned   AttemptStatus = "scanned"
	AttemptConfirmed AttemptStatus = "confirmed"
	AttemptNeedPhone AttemptStatus = "need_phone"
	AttemptDenied    AttemptStatus = "denied"
	AttemptExpired   AttemptStatus = "expired"
	AttemptDone      AttemptStatus = "done"
)

// Final reports whether the status can no longer change.
func (s AttemptStatus) Final() bool {
	return s == AttemptDenied || s == AttemptExpired || s == AttemptDone
}

// Attempt is one QR sign-in attempt, kept in the shared kv store (never in the database):
// every node sees it, and it disappears by itself.
type Attempt struct {
	ID         string        `json:"id"`    // ≥128 random bits; the PC page knows it
	Scene      string        `json:"scene"` // another ≥128 random bits; only WeChat and the scanner see it
	Method     string        `json:"method"`
	CookieHash string        `json:"cookie_hash"` // SHA-256 of the pre-login cookie that asked for it
	Status     AttemptStatus `json:"status"`
	Reason     string        `json:"reason,omitempty"`
	IP         string        `json:"ip"`
	UserAgent  string        `json:"ua"`
	Ticket     string        `json:"ticket,omitempty"` // the OA QR ticket
	QRContent  string        `json:"qr,omitempty"`     // what the QR encodes (the ticket's url, or our own URL)
	CreatedAt  time.Time     `json:"created_at"`
	ExpiresAt  time.Time     `json:"expires_at"`
	// The scanner, once known: only this WeChat user may confirm.
	AppID   string `json:"appid,omitempty"`
	OpenID  string `json:"openid,omitempty"`
	UnionID string `json:"unionid,omitempty"`
	UserID  int    `json:"user_id,omitempty"`
}

// Client is what the phone's confirmation page shows about the requesting browser.
func (a *Attempt) Client() ClientInfo { return ParseUserAgent(a.UserAgent) }

// Errors of the attempt service, wrapped in *apperr.Error with a message key.
var (
	ErrAttemptUnknown  = errors.New("login attempt unknown")
	ErrAttemptExpired  = errors.New("login attempt expired")
	ErrAttemptCookie   = errors.New("login attempt belongs to another browser")
	ErrAttemptState    = errors.New("login attempt is not in the expected state")
	ErrAttemptUsed     = errors.New("login attempt already completed")
	ErrScannedByOther  = errors.New("login attempt was scanned by another WeChat user")
	ErrConfirmTokenBad = errors.New("confirmation link unknown, used or expired")
)

// Attempts keeps QR sign-in attempts in kv.
type Attempts struct {
	kv  kv.Store
	ttl time.Duration
	now func() time.Time
}

// attemptGrace keeps an expired attempt readable a while, so a late scan is logged as
// qr_expired rather than unknown and the PC page can say "expired".
const attemptGrace = 10 * time.Minute

// DefaultAttemptTTL is the lifetime of an attempt (MIS_LOGIN_ATTEMPT_TTL).
const DefaultAttemptTTL = 5 * time.Minute

// NewAttempts returns the attempt service. ttl 0 means DefaultAttemptTTL; now may be nil.
func NewAttempts(store kv.Store, ttl time.Duration, now func() time.Time) *Attempts {
	if ttl <= 0 {
		ttl = DefaultAttemptTTL
	}
	if now == nil {
		now = time.Now
	}
	return &Attempts{kv: store, ttl: ttl, now: now}
}

// TTL is how long an attempt lives.
func (a *Attempts) TTL() time.Duration { return a.ttl }

func attemptKey(id string) string    { return "login:attempt:" + id }
func sceneKey(scene string) string   { return "login:scene:" + scene }
func scannerKey(id string) string    { return "login:scanner:" + id }
func doneKey(id string) string       { return "login:done:" + id }
func confirmKey(token string) string { return "login:confirm:" + HashID(token) }

// AttemptChannel is the pub/sub channel on which an attempt's status changes are announced.
func AttemptChannel(id string) string { return "login:attempt:" + id }

// NewSecret returns 130 random bits as 26 base32 characters: attempt ids, scenes, pre-login
// cookies, confirmation tokens and OAuth states all use it.
func NewSecret() string { return rand.Text() }

// NewAttempt describes an attempt being started.
type NewAttempt struct {
	Scene      string // from NewScene; the QR was made for it
	Method     string
	BrowserKey string // the pre-login cookie value (only its hash is stored)
	IP         string
	UserAgent  string
	Ticket     string
	QRContent  string
}

// NewScene returns a fresh QR scene: "L" and 130 random bits, within the 64-character
// scene_str limit.
func NewScene() string { return "L" + NewSecret() }

// Create stores a new waiting attempt.
func (a *Attempts) Create(ctx context.Context, in NewAttempt) (*Attempt, error) {
	const op = "auth.Attempts.Create"
	now := a.now().UTC()
	at := &Attempt{
		ID: NewSecret(), Scene: in.Scene, Method: in.Method, CookieHash: HashID(in.BrowserKey),
		Status: AttemptWaiting, IP: truncate(in.IP, 64), UserAgent: truncate(in.UserAgent, 512),
		Ticket: in.Ticket, QRContent: in.QRContent, CreatedAt: now, ExpiresAt: now.Add(a.ttl),
	}
	if in.Scene == "" || in.BrowserKey == "" {
		return nil, apperr.E(op, apperr.Invalid, "scene and browser key are required")
	}
	if err := a.save(ctx, at); err != nil {
		return nil, err
	}
	if err := a.kv.Set(ctx, sceneKey(at.Scene), []byte(at.ID), a.ttl+attemptGrace); err != nil {
		return nil, apperr.E(op, apperr.Unavailable, err)
	}
	return at, nil
}

func (a *Attempts) save(ctx context.Context, at *Attempt) error {
	b, err := json.Marshal(at)
	if err != nil {
		return apperr.E("auth.Attempts.save", apperr.Internal, err)
	}
	ttl := at.ExpiresAt.Add(attemptGrace).Sub(a.now())
	if ttl <= 0 {
		ttl = time.Second
	}
	if err := a.kv.Set(ctx, attemptKey(at.ID), b, ttl); err != nil {
		return apperr.E("auth.Attempts.save", apperr.Unavailable, err)
	}
	return nil
}

// Get returns an attempt with its status as of now (an open attempt past its lifetime
// reads as expired), or an error of kind NotFound.
func (a *Attempts) Get(ctx context.Context, id string) (*Attempt, error) {
	const op = "auth.Attempts.Get"
	if id == "" || len(id) > 64 {
		return nil, apperr.E(op, apperr.NotFound, apperr.Key("login.error.unknown"), ErrAttemptUnknown)
	}
	b, err := a.kv.Get(ctx, attemptKey(id))
	if err != nil {
		return nil, apperr.E(op, apperr.Unavailable, err)
	}
	if b == nil {
		return nil, apperr.E(op, apperr.NotFound, apperr.Key("login.error.unknown"), ErrAttemptUnknown)
	}
	var at Attempt
	if err := json.Unmarshal(b, &at); err != nil {
		return nil, apperr.E(op, apperr.Internal, err)
	}
	if !at.Status.Final() && !a.now().Before(at.ExpiresAt) {
		at.Status = AttemptExpired
		at.Reason = ReasonQRExpired
	}
	return &at, nil
}

// ByScene finds the attempt a scanned QR belongs to.
func (a *Attempts) ByScene(ctx context.Context, scene string) (*Attempt, error) {
	const op = "auth.Attempts.ByScene"
	if scene == "" || len(scene) > 64 {
		return nil, apperr.E(op, apperr.NotFound, ErrAttemptUnknown)
	}
	id, err := a.kv.Get(ctx, sceneKey(scene))
	if err != nil {
		return nil, apperr.E(op, apperr.Unavailable, err)
	}
	if id == nil {
		return nil, apperr.E(op, apperr.NotFound, ErrAttemptUnknown)
	}
	return a.Get(ctx, string(id))
}

// Owns reports, in constant time, whether browserKey is the pre-login cookie the attempt
// was created for. An attempt id alone proves nothing (WX-09).
func (at *Attempt) Owns(browserKey string) bool {
	if browserKey == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(HashID(browserKey)), []byte(at.CookieHash)) == 1
}

// Scanner is the WeChat user who scanned (or opened) an attempt's QR.
type Scanner struct {
	AppID, OpenID, UnionID string
}

// Scanned records that a WeChat user scanned the attempt's QR and returns a single-use
// confirmation token for that user alone. The first scanner owns the attempt: a scan by
// anybody else is ErrScannedByOther, and the same user scanning again gets a fresh token.
func (a *Attempts) Scanned(ctx context.Context, at *Attempt, who Scanner) (string, error) {
	const op = "auth.Attempts.Scanned"
	if at.Status == AttemptExpired {
		return "", apperr.E(op, apperr.Conflict, apperr.Key("login.error.expired"), ErrAttemptExpired)
	}
	if at.Status != AttemptWaiting && at.Status != AttemptScanned {
		return "", apperr.E(op, apperr.Conflict, ErrAttemptState)
	}
	remaining := at.ExpiresAt.Sub(a.now())
	ok, err := a.kv.SetNX(ctx, scannerKey(at.ID), []byte(who.AppID+"\x00"+who.OpenID), remaining+attemptGrace)
	if err != nil {
		return "", apperr.E(op, apperr.Unavailable, err)
	}
	if !ok {
		owner, err := a.kv.Get(ctx, scannerKey(at.ID))
		if err != nil {
			return "", apperr.E(op, apperr.Unavailable, err)
		}
		if string(owner) != who.AppID+"\x00"+who.OpenID {
			return "", apperr.E(op, apperr.Conflict, apperr.Key("login.error.scanned_by_other"), ErrScannedByOther)
		}
	}
	at.Status, at.AppID, at.OpenID, at.UnionID = AttemptScanned, who.AppID, who.OpenID, who.UnionID
	if err := a.save(ctx, at); err != nil {
		return "", err
	}
	token := NewSecret()
	ref, _ := json.Marshal(confirmRef{AttemptID: at.ID, AppID: who.AppID, OpenID: who.OpenID})
	if err := a.kv.Set(ctx, confirmKey(token), ref, remaining); err != nil {
		return "", apperr.E(op, apperr.Unavailable, err)
	}
	a.publish(ctx, at)
	return token, nil
}

type confirmRef struct {
	AttemptID string `json:"a"`
	AppID     string `json:"app"`
	OpenID    string `json:"o"`
}

// PeekConfirm returns the attempt a confirmation token is for, without using it up (the
// phone's page shows what is being confirmed).
func (a *Attempts) PeekConfirm(ctx context.Context, token string) (*Attempt, error) {
	b, err := a.kv.Get(ctx, confirmKey(token))
	return a.confirmTarget(ctx, "auth.Attempts.PeekConfirm", b, err)
}

// TakeConfirm uses up a confirmation token and returns its attempt, which is still in the
// scanned state and was scanned by the token's WeChat user. Of two concurrent callers, one
// gets it.
func (a *Attempts) TakeConfirm(ctx context.Context, token string) (*Attempt, error) {
	b, err := a.kv.Take(ctx, confirmKey(token))
	return a.confirmTarget(ctx, "auth.Attempts.TakeConfirm", b, err)
}

func (a *Attempts) confirmTarget(ctx context.Context, op string, b []byte, err error) (*Attempt, error) {
	if err != nil {
		return nil, apperr.E(op, apperr.Unavailable, err)
	}
	if b == nil {
		return nil, apperr.E(op, apperr.NotFound, apperr.Key("login.error.confirm_link"), ErrConfirmTokenBad)
	}
	var ref confirmRef
	if err := json.Unmarshal(b, &ref); err != nil {
		return nil, apperr.E(op, apperr.Internal, err)
	}
	at, err := a.Get(ctx, ref.AttemptID)
	if err != nil {
		return nil, err
	}
	if at.Status == AttemptExpired {
		return nil, apperr.E(op, apperr.Conflict, apperr.Key("login.error.expired"), ErrAttemptExpired)
	}
	if at.Status != AttemptScanned || at.OpenID != ref.OpenID || at.AppID != ref.AppID {
		return nil, apperr.E(op, apperr.Conflict, apperr.Key("login.error.confirm_link"), ErrAttemptState)
	}
	return at, nil
}

// Decide moves a scanned attempt to its outcome: confirmed (userID may now be signed in by
// the attempt's browser), need_phone, or denied with a reason code.
func (a *Attempts) Decide(ctx context.Context, at *Attempt, status AttemptStatus, reason string, userID int) error {
	const op = "auth.Attempts.Decide"
	if at.Status != AttemptScanned {
		return apperr.E(op, apperr.Conflict, ErrAttemptState)
	}
	at.Status, at.Reason, at.UserID = status, reason, userID
	if status == AttemptConfirmed || status == AttemptNeedPhone {
		// The one-shot key Complete takes: its atomic Take is what makes completion single.
		remaining := at.ExpiresAt.Sub(a.now())
		if remaining <= 0 {
			return apperr.E(op, apperr.Conflict, apperr.Key("login.error.expired"), ErrAttemptExpired)
		}
		if err := a.kv.Set(ctx, doneKey(at.ID), []byte(strconv.Itoa(userID)), remaining); err != nil {
			return apperr.E(op, apperr.Unavailable, err)
		}
	}
	if err := a.save(ctx, at); err != nil {
		return err
	}
	a.publish(ctx, at)
	return nil
}

// Complete hands a decided attempt to the browser that created it, once. It checks the
// pre-login cookie (constant time) before anything else, then takes the one-shot key: with
// any number of concurrent callers exactly one receives the user id (WX-10). The returned
// attempt says whether the user confirmed or still needs a phone.
func (a *Attempts) Complete(ctx context.Context, id, browserKey string) (*Attempt, error) {
	const op = "auth.Attempts.Complete"
	at, err := a.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !at.Owns(browserKey) {
		return nil, apperr.E(op, apperr.Forbidden, apperr.Key("login.error.other_browser"), ErrAttemptCookie)
	}
	switch at.Status {
	case AttemptConfirmed, AttemptNeedPhone:
	case AttemptExpired:
		return at, apperr.E(op, apperr.Conflict, apperr.Key("login.error.expired"), ErrAttemptExpired)
	case AttemptDone:
		return at, apperr.E(op, apperr.Conflict, apperr.Key("login.error.used"), ErrAttemptUsed)
	default:
		return at, apperr.E(op, apperr.Conflict, apperr.Key("login.error.not_confirmed"), ErrAttemptState)
	}
	b, err := a.kv.Take(ctx, doneKey(at.ID))
	if err != nil {
		return nil, apperr.E(op, apperr.Unavailable, err)
	}
	if b == nil {
		return at, apperr.E(op, apperr.Conflict, apperr.Key("login.error.used"), ErrAttemptUsed)
	}
	uid, err := strconv.Atoi(string(b))
	if err != nil || uid != at.UserID {
		return nil, apperr.E(op, apperr.Internal, "completion key does not match the attempt")
	}
	decided := at.Status
	at.Status = AttemptDone
	if err := a.save(ctx, at); err != nil {
		return nil, err
	}
	a.publish(ctx, at)
	at.Status = decided
	return at, nil
}

// Wait returns the attempt as soon as its status differs from since, or when max has
// passed (then with the unchanged status), listening on the attempt's channel so a push
// handled by any node wakes it. Missing a message costs at most max: the status is
// re-read from kv before returning.
func (a *Attempts) Wait(ctx context.Context, id string, since AttemptStatus, max time.Duration) (*Attempt, error) {
	sub, err := a.kv.Subscribe(ctx, AttemptChannel(id))
	if err != nil {
		return nil, apperr.E("auth.Attempts.Wait", apperr.Unavailable, err)
	}
	defer sub.Close()
	at, err := a.Get(ctx, id)
	if err != nil || at.Status != since {
		return at, err
	}
	// Expiry publishes nothing: wake up for it too.
	until := at.ExpiresAt.Sub(a.now())
	if until > 0 && until < max {
		max = until
	}
	timer := time.NewTimer(max)
	defer timer.Stop()
	select {
	case <-sub.C():
	case <-timer.C:
	case <-ctx.Done():
	}
	return a.Get(context.WithoutCancel(ctx), id)
}

func (a *Attempts) publish(ctx context.Context, at *Attempt) {
	// Best effort: waiters re-read kv on their own timer.
	_ = a.kv.Publish(ctx, AttemptChannel(at.ID), []byte(at.Status))
}
