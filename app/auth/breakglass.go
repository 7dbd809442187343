package auth

import (
	"context"
	"crypto/subtle"
	"strconv"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"scanboard/app/apperr"
	"scanboard/app/store"
	"scanboard/ent"
	"scanboard/ent/user"
)

// Audit actions of the break-glass admin. They are deliberately separate codes so the
// audit screen can be filtered for them.
const (
	ActionBreakGlassCreate     = "breakglass.create"
	ActionBreakGlassSignIn     = "breakglass.signin"
	ActionBreakGlassSignInFail = "breakglass.signin_failed"
	ActionBreakGlassRequest    = "breakglass.request"
)

// totpPeriod and totpDigits are what authenticator apps assume without being told.
const (
	totpPeriod = 30
	totpDigits = otp.DigitsSix
	totpIssuer = "Scanboard"
)

// Audit appends one entry to the hash-chained audit log in its own transaction, retrying
// when a concurrent writer took the same sequence number.
func Audit(ctx context.Context, st *store.Store, now time.Time, e AuditEntry) error {
	var err error
	for range 5 {
		err = st.Tx(ctx, func(tx *ent.Tx) error {
			_, err := appendAudit(ctx, tx, now, e)
			return err
		})
		if err == nil || !ent.IsConstraintError(err) {
			break
		}
	}
	if err != nil && apperr.KindOf(err) == apperr.Other {
		return apperr.E("auth.Audit", apperr.Unavailable, err)
	}
	return err
}

// TOTPEnrolment is what the operator types or scans into an authenticator app.
type TOTPEnrolment struct {
	Secret string // base32
	URI    string // otpauth://totp/Scanboard:<email>?secret=…&issuer=Scanboard
}

// CreateBreakGlass makes the break-glass admin: an active admin with an email login, an
// argon2id password and a fresh TOTP secret, audited in the same transaction.
func (p *Passwords) CreateBreakGlass(ctx context.Context, a Actor, email, name, pw, confirm string) (*ent.User, TOTPEnrolment, error) {
	const op = "auth.Passwords.CreateBreakGlass"
	norm, ok := normalizeEmail(email)
	if !ok {
		return nil, TOTPEnrolment{}, apperr.E(op, apperr.Invalid, apperr.Key("signin.password.error.email"), "not an email address: "+email)
	}
	if err := CheckPasswordPolicy(pw, confirm); err != nil {
		return nil, TOTPEnrolment{}, err
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: norm, Period: totpPeriod, Digits: totpDigits, SecretSize: 20})
	if err != nil {
		return nil, TOTPEnrolment{}, apperr.E(op, apperr.Internal, err)
	}
	hash, err := HashPassword(pw, p.params)
	if err != nil {
		return nil, TOTPEnrolment{}, apperr.E(op, apperr.Internal, err)
	}
	if name == "" {
		name = "break-glass admin"
	}
	var u *ent.User
	err = p.st.Tx(ctx, func(tx *ent.Tx) error {
		var err error
		u, err = tx.User.Create().SetStatus(user.StatusActive).SetRole(user.RoleAdmin).
			SetDisplayName(truncate(name, 128)).SetEmail(norm).SetPasswordHash(hash).
			SetTotpSecret(key.Secret()).SetRegisteredMethod(MethodBreakGlass).
			SetDecidedAt(p.now().UTC()).Save(ctx)
		if err != nil {
			return err
		}
		_, err = appendAudit(ctx, tx, p.now(), AuditEntry{
			Actor: a, Action: ActionBreakGlassCreate, TargetType: "user", TargetID: strconv.Itoa(u.ID),
			Reason: "break-glass admin created", Detail: map[string]any{"email": norm},
		})
		return err
	})
	if ent.IsConstraintError(err) {
		return nil, TOTPEnrolment{}, apperr.E(op, apperr.Conflict, apperr.Key("signin.password.error.email_taken"), "an account with this email exists: "+norm)
	}
	if err != nil {
		return nil, TOTPEnrolment{}, apperr.E(op, apperr.Unavailable, err)
	}
	return u, TOTPEnrolment{Secret: key.Secret(), URI: key.URL()}, nil
}

// SignInBreakGlass checks email, password and a TOTP code. Every attempt on an existing
// break-glass account, success or failure, is written to the audit log; a code already
// used (or older than the last one used) is refused.
func (p *Passwords) SignInBreakGlass(ctx context.Context, email, pw, code, ip string) (PasswordOutcome, error) {
	out, err := p.check(ctx, email, pw, ip)
	if err != nil {
		return out, err
	}
	bg := out.User != nil && out.User.TotpSecret != nil
	if out.OK() && !bg {
		// An ordinary account has no business here: same answer as a wrong password.
		out.Reason = ReasonBadCredentials
		return out, p.failed(ctx, email, ip)
	}
	if out.OK() {
		out.Reason, err = p.checkTOTP(ctx, out.User.ID, *out.User.TotpSecret, code)
		if err != nil {
			return out, err
		}
		if out.Reason != "" {
			if err := p.failed(ctx, email, ip); err != nil {
				return out, err
			}
		} else {
			p.succeeded(ctx, email)
		}
	}
	if bg {
		action, reason := ActionBreakGlassSignIn, "BREAK-GLASS SIGN-IN"
		if out.Reason != "" {
			action, reason = ActionBreakGlassSignInFail, "BREAK-GLASS SIGN-IN FAILED: "+out.Reason
		}
		if err := Audit(ctx, p.st, p.now(), AuditEntry{
			Actor: Actor{UserID: out.User.ID, Label: "breakglass:" + out.User.DisplayName, IP: ip}, Action: action,
			TargetType: "user", TargetID: strconv.Itoa(out.User.ID), Reason: reason,
		}); err != nil {
			return out, err
		}
	}
	return out, nil
}

// checkTOTP accepts the code of the current 30 s step or one step either side (clock
// drift), once: the step it matched must be later than the last step used (RFC 6238 §5.2).
func (p *Passwords) checkTOTP(ctx context.Context, userID int, secret, code string) (string, error) {
	const op = "auth.Passwords.checkTOTP"
	if len(code) != int(totpDigits) {
		return ReasonTOTPWrong, nil
	}
	now := p.now()
	matched := int64(-1)
	for _, skew := range []int64{-1, 0, 1} {
		t := now.Add(time.Duration(skew*totpPeriod) * time.Second)
		want, err := totp.GenerateCodeCustom(secret, t, totp.ValidateOpts{Period: totpPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return "", apperr.E(op, apperr.Internal, err)
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			matched = t.Unix() / totpPeriod
		}
	}
	if matched < 0 {
		return ReasonTOTPWrong, nil
	}
	lastKey := "totp:last:" + strconv.Itoa(userID)
	last, err := p.kv.Get(ctx, lastKey)
	if err != nil {
		return "", apperr.E(op, apperr.Unavailable, err)
	}
	if n, err := strconv.ParseInt(string(last), 10, 64); err == nil && matched <= n {
		return ReasonTOTPReplay, nil
	}
	// SetNX on the step makes two concurrent uses of one code meet: one wins.
	ok, err := p.kv.SetNX(ctx, "totp:used:"+strconv.Itoa(userID)+":"+strconv.FormatInt(matched, 10), []byte("1"), 5*time.Minute)
	if err != nil {
		return "", apperr.E(op, apperr.Unavailable, err)
	}
	if !ok {
		return ReasonTOTPReplay, nil
	}
	if err := p.kv.Set(ctx, lastKey, []byte(strconv.FormatInt(matched, 10)), 10*time.Minute); err != nil {
		return "", apperr.E(op, apperr.Unavailable, err)
	}
	return "", nil
}

// TOTPCode is the code of secret at t: for tests and the browser harness, which play the
// authenticator app.
func TOTPCode(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, t, totp.ValidateOpts{Period: totpPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
}
