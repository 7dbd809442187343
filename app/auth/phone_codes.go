package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"time"

	"scanboard/app/apperr"
	"scanboard/app/kv"
	"scanboard/app/sms"
	"scanboard/app/store"
	"scanboard/ent"
	"scanboard/ent/phonebinding"
	"scanboard/ent/user"
)

// Limits of SMS verification codes.
const (
	CodeTTL          = 5 * time.Minute
	CodeMaxTries     = 5
	CodeResendGap    = time.Minute
	CodesPerPhoneDay = 10
	CodesPerIPHour   = 20
)

// CodePurpose separates codes for binding a number from codes for signing in with one.
type CodePurpose string

// The purposes.
const (
	PurposeBind   CodePurpose = "bind"
	PurposeSignIn CodePurpose = "signin"
)

// Phones binds phone numbers to accounts with SMS codes and signs in with them.
type Phones struct {
	st   *store.Store
	kv   kv.Store
	sms  sms.Sender
	now  func() time.Time
	text func(lang, code string) string
}

// NewPhones returns the phone service. text builds the SMS for a code in a language; now
// may be nil.
func NewPhones(st *store.Store, store kv.Store, sender sms.Sender, text func(lang, code string) string, now func() time.Time) *Phones {
	if now == nil {
		now = time.Now
	}
	return &Phones{st: st, kv: store, sms: sender, now: now, text: text}
}

type codeRecord struct {
	Hash   string `json:"h"`
	UserID int    `json:"u"`
	// Expires (unix seconds, the service's clock) ends the code even where the store keeps
	// it longer than its TTL: expiry is a security property, not a cache eviction.
	Expires int64 `json:"e"`
}

func codeKey(p CodePurpose, phone string) string  { return "sms:code:" + string(p) + ":" + phone }
func triesKey(p CodePurpose, phone string) string { return "sms:tries:" + string(p) + ":" + phone }
func codeHash(phone, code string) string {
	sum := sha256.Sum256([]byte(phone + "\x00" + code))
	return hex.EncodeToString(sum[:])
}

// SendCode sends a fresh 6-digit code to raw (normalised to E.164) and returns the
// normalised number. For PurposeBind, userID is the account asking; a number already
// verified on another account is refused with phone.error.already_bound. For
// PurposeSignIn the number must belong to an account. Resends are throttled per number
// (one a minute, CodesPerPhoneDay a day) and per client IP (CodesPerIPHour an hour).
func (p *Phones) SendCode(ctx context.Context, purpose CodePurpose, userID int, raw, ip, lang string) (string, error) {
	const op = "auth.Phones.SendCode"
	phone, err := NormalizePhone(raw)
	if err != nil {
		return "", err
	}
	b, err := p.binding(ctx, phone)
	if err != nil {
		return "", err
	}
	switch purpose {
	case PurposeBind:
		if b != nil && b.VerifiedAt != nil && b.Edges.User.ID != userID {
			return "", apperr.E(op, apperr.Conflict, apperr.Key("phone.error.already_bound"), "number verified on another account")
		}
	case PurposeSignIn:
		if b == nil {
			return "", apperr.E(op, apperr.NotFound, apperr.Key("phone.error.unknown"), "no account has this number")
		}
		userID = b.Edges.User.ID
	}
	if err := p.throttle(ctx, phone, ip); err != nil {
		return "", err
	}
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", apperr.E(op, apperr.Internal, err)
	}
	code := fmt.Sprintf("%06d", n.Int64())
	rec, _ := json.Marshal(codeRecord{Hash: codeHash(phone, code), UserID: userID, Expires: p.now().Add(CodeTTL).Unix()})
	if err := p.kv.Set(ctx, codeKey(purpose, phone), rec, CodeTTL); err != nil {
		return "", apperr.E(op, apperr.Unavailable, err)
	}
	if err := p.kv.Delete(ctx, triesKey(purpose, phone)); err != nil {
		return "", apperr.E(op, apperr.Unavailable, err)
	}
	if err := p.sms.Send(ctx, phone, p.text(lang, code)); err != nil {
		return "", apperr.E(op, apperr.Unavailable, apperr.Key("phone.error.sms_failed"), err)
	}
	return phone, nil
}

func (p *Phones) throttle(ctx context.Context, phone, ip string) error {
	const op = "auth.Phones.throttle"
	tooMany := apperr.E(op, apperr.TooMany, apperr.Key("phone.error.throttled"), "code requested too often")
	ok, err := p.kv.SetNX(ctx, "sms:gap:"+phone, []byte("1"), CodeResendGap)
	if err != nil {
		return apperr.E(op, apperr.Unavailable, err)
	}
	if !ok {
		return tooMany
	}
	n, err := p.kv.Incr(ctx, "sms:day:"+phone, 24*time.Hour)
	if err != nil {
		return apperr.E(op, apperr.Unavailable, err)
	}
	if n > CodesPerPhoneDay {
		return tooMany
	}
	n, err = p.kv.Incr(ctx, "sms:ip:"+ip, time.Hour)
	if err != nil {
		return apperr.E(op, apperr.Unavailable, err)
	}
	if n > CodesPerIPHour {
		return tooMany
	}
	return nil
}

// checkCode verifies and uses up a code. Each wrong guess counts; after CodeMaxTries the
// code is void.
func (p *Phones) checkCode(ctx context.Context, purpose CodePurpose, phone, code string) (codeRecord, error) {
	const op = "auth.Phones.checkCode"
	var rec codeRecord
	tries, err := p.kv.Incr(ctx, triesKey(purpose, phone), CodeTTL)
	if err != nil {
		return rec, apperr.E(op, apperr.Unavailable, err)
	}
	if tries > CodeMaxTries {
		_ = p.kv.Delete(ctx, codeKey(purpose, phone))
		return rec, apperr.E(op, apperr.TooMany, apperr.Key("phone.error.too_many"), "too many wrong codes")
	}
	b, err := p.kv.Get(ctx, codeKey(purpose, phone))
	if err != nil {
		return rec, apperr.E(op, apperr.Unavailable, err)
	}
	if b == nil {
		return rec, apperr.E(op, apperr.Invalid, apperr.Key("phone.error.expired"), "no live code")
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		return rec, apperr.E(op, apperr.Internal, err)
	}
	if !p.now().Before(time.Unix(rec.Expires, 0)) {
		_ = p.kv.Delete(ctx, codeKey(purpose, phone))
		return rec, apperr.E(op, apperr.Invalid, apperr.Key("phone.error.expired"), "code expired")
	}
	if subtle.ConstantTimeCompare([]byte(codeHash(phone, code)), []byte(rec.Hash)) != 1 {
		return rec, apperr.E(op, apperr.Invalid, apperr.Key("phone.error.wrong"), "wrong code")
	}
	// Single use: of two concurrent right answers one wins.
	if b, err := p.kv.Take(ctx, codeKey(purpose, phone)); err != nil || b == nil {
		return rec, apperr.E(op, apperr.Invalid, apperr.Key("phone.error.expired"), "code already used")
	}
	return rec, nil
}

// BindResult is the account a verified number ended up on.
type BindResult struct {
	Phone  string
	UserID int  // the account now holding the number
	Joined bool // the number was pre-registered by an admin: the caller's identities moved there
}

// VerifyBind checks the code and binds the number to userID. When an admin pre-registered
// the number on another (pending or active) account, the caller's WeChat identities join
// that account, the caller's own fresh account is disabled as merged, and the caller must
// be signed in again as BindResult.UserID.
func (p *Phones) VerifyBind(ctx context.Context, userID int, raw, code string) (BindResult, error) {
	const op = "auth.Phones.VerifyBind"
	phone, err := NormalizePhone(raw)
	if err != nil {
		return BindResult{}, err
	}
	rec, err := p.checkCode(ctx, PurposeBind, phone, code)
	if err != nil {
		return BindResult{}, err
	}
	if rec.UserID != userID {
		return BindResult{}, apperr.E(op, apperr.Invalid, apperr.Key("phone.error.wrong"), "code was sent for another account")
	}
	return BindVerifiedPhone(ctx, p.st, p.now(), userID, phone, phonebinding.SourceSms)
}

// VerifySignIn checks a sign-in code and returns the account holding the number.
func (p *Phones) VerifySignIn(ctx context.Context, raw, code string) (*ent.User, string, error) {
	phone, err := NormalizePhone(raw)
	if err != nil {
		return nil, "", err
	}
	if _, err := p.checkCode(ctx, PurposeSignIn, phone, code); err != nil {
		return nil, phone, err
	}
	b, err := p.binding(ctx, phone)
	if err != nil {
		return nil, phone, err
	}
	if b == nil {
		return nil, phone, apperr.E("auth.Phones.VerifySignIn", apperr.NotFound, apperr.Key("phone.error.unknown"), "number unbound meanwhile")
	}
	if b.VerifiedAt == nil {
		if err := b.Update().SetVerifiedAt(p.now().UTC()).Exec(ctx); err != nil {
			return nil, phone, apperr.E("auth.Phones.VerifySignIn", apperr.Unavailable, err)
		}
	}
	return b.Edges.User, phone, nil
}

// HasVerified reports whether a user has a verified phone number.
func (p *Phones) HasVerified(ctx context.Context, userID int) (bool, error) {
	ok, err := p.st.Client.PhoneBinding.Query().
		Where(phonebinding.HasUserWith(user.ID(userID)), phonebinding.VerifiedAtNotNil()).Exist(ctx)
	if err != nil {
		return false, apperr.E("auth.Phones.HasVerified", apperr.Unavailable, err)
	}
	return ok, nil
}

func (p *Phones) binding(ctx context.Context, phone string) (*ent.PhoneBinding, error) {
	b, err := p.st.Client.PhoneBinding.Query().Where(phonebinding.Phone(phone)).WithUser().Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, apperr.E("auth.Phones.binding", apperr.Unavailable, err)
	}
	return b, nil
}
