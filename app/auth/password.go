package auth

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"scanboard/app/apperr"
	"scanboard/app/kv"
	"scanboard/app/store"
	"scanboard/ent"
	"scanboard/ent/phonebinding"
	"scanboard/ent/user"
)

// Sign-in methods of the fallbacks (login log and Session rows).
const (
	MethodPassword   = "password"
	MethodBreakGlass = "breakglass"
)

// Reason codes of password and break-glass sign-ins.
const (
	ReasonBadCredentials = "bad_credentials" // unknown account, no password set, or wrong password: one reason, one message
	ReasonLockedOut      = "locked_out"      // too many failures for this account
	ReasonRateLimited    = "rate_limited"    // too many failures from this IP
	ReasonTOTPWrong      = "totp_wrong"
	ReasonTOTPReplay     = "totp_replay"
	ReasonBreakGlassOnly = "breakglass_only" // a break-glass account tried the ordinary form
)

// PasswordLimits bound guessing: failures per account and per IP within Window lock that
// account or IP out for Lockout.
type PasswordLimits struct {
	AccountFailures int
	IPFailures      int
	Window          time.Duration
	Lockout         time.Duration
}

// DefaultPasswordLimits: 5 failures per account, 30 per IP, in 15 minutes, lock 15 minutes.
func DefaultPasswordLimits() PasswordLimits {
	return PasswordLimits{AccountFailures: 5, IPFailures: 30, Window: 15 * time.Minute, Lockout: 15 * time.Minute}
}

// MinPasswordLen and MaxPasswordLen bound what Set accepts (characters). Long passphrases
// are welcome; the cap only keeps hashing cheap to refuse.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 256
)

// PasswordsDeps is what NewPasswords needs; zero Argon2 and Limits mean the defaults, a
// nil Now means time.Now.
type PasswordsDeps struct {
	Store  *store.Store
	KV     kv.Store
	Now    func() time.Time
	Argon2 Argon2Params
	Limits PasswordLimits
}

// Passwords is the password fallback and the break-glass admin: argon2id hashes on the
// user row, failure counters and lockouts in kv (shared by every node).
type Passwords struct {
	st     *store.Store
	kv     kv.Store
	now    func() time.Time
	params Argon2Params
	limits PasswordLimits
	// dummy is verified against when there is no account or no password, so an unknown
	// login costs the same time as a wrong password.
	dummy string
}

// NewPasswords returns the password service. It hashes one throw-away password at start.
func NewPasswords(d PasswordsDeps) (*Passwords, error) {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Argon2 == (Argon2Params{}) {
		d.Argon2 = DefaultArgon2()
	}
	if d.Limits == (PasswordLimits{}) {
		d.Limits = DefaultPasswordLimits()
	}
	dummy, err := HashPassword(NewSecret(), d.Argon2)
	if err != nil {
		return nil, apperr.E("auth.NewPasswords", apperr.Internal, err)
	}
	return &Passwords{st: d.Store, kv: d.KV, now: d.Now, params: d.Argon2, limits: d.Limits, dummy: dummy}, nil
}

// CheckPasswordPolicy says what is wrong with a new password, as an Invalid error with a
// message key, or nil.
func CheckPasswordPolicy(pw, confirm string) error {
	const op = "auth.CheckPasswordPolicy"
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinPasswordLen:
		return apperr.E(op, apperr.Invalid, apperr.Key("signin.password.error.short"), "password too short")
	case n > MaxPasswordLen:
		return apperr.E(op, apperr.Invalid, apperr.Key("signin.password.error.long"), "password too long")
	case pw != confirm:
		return apperr.E(op, apperr.Invalid, apperr.Key("signin.password.error.mismatch"), "passwords differ")
	}
	return nil
}

// Set gives an account a password (and, when email is not empty, the email address it
// may sign in with). Break-glass accounts change theirs only from the command line.
func (p *Passwords) Set(ctx context.Context, userID int, email, pw, confirm string) error {
	const op = "auth.Passwords.Set"
	if err := CheckPasswordPolicy(pw, confirm); err != nil {
		return err
	}
	u, err := p.st.Client.User.Get(ctx, userID)
	if err != nil {
		return apperr.E(op, apperr.Unavailable, err)
	}
	if u.TotpSecret != nil {
		return apperr.E(op, apperr.Forbidden, apperr.Key("signin.password.error.breakglass"), "break-glass account")
	}
	hash, err := HashPassword(pw, p.params)
	if err != nil {
		return apperr.E(op, apperr.Internal, err)
	}
	upd := p.st.Client.User.UpdateOneID(userID).SetPasswordHash(hash)
	if email = strings.TrimSpace(email); email != "" {
		norm, ok := normalizeEmail(email)
		if !ok {
			return apperr.E(op, apperr.Invalid, apperr.Key("signin.password.error.email"), "not an email address")
		}
		upd.SetEmail(norm)
	}
	if err := upd.Exec(ctx); err != nil {
		if ent.IsConstraintError(err) {
			return apperr.E(op, apperr.Conflict, apperr.Key("signin.password.error.email_taken"), err)
		}
		return apperr.E(op, apperr.Unavailable, err)
	}
	return nil
}

// HasPassword reports whether the user has set a password.
func (p *Passwords) HasPassword(ctx context.Context, userID int) (bool, error) {
	u, err := p.st.Client.User.Get(ctx, userID)
	if err != nil {
		return false, apperr.E("auth.Passwords.HasPassword", apperr.Unavailable, err)
	}
	return u.PasswordHash != "", nil
}

// PasswordOutcome is the result of one password check. Reason is "" on success; a
// failure's Reason is for the login log, never for the person at the keyboard, who sees
// one generic message whatever it is.
type PasswordOutcome struct {
	User    *ent.User // the account when known (also on some failures, for the log)
	Reason  string
	Subject string // how the login appears in the log when no account is known
}

// OK reports success.
func (o PasswordOutcome) OK() bool { return o.Reason == "" && o.User != nil }

// SignIn checks login (a phone number or an email address) and password for the
// ordinary password form. Break-glass accounts are refused here (ReasonBreakGlassOnly).
func (p *Passwords) SignIn(ctx context.Context, login, pw, ip string) (PasswordOutcome, error) {
	out, err := p.check(ctx, login, pw, ip)
	if err != nil || !out.OK() {
		return out, err
	}
	if out.User.TotpSecret != nil {
		out.Reason = ReasonBreakGlassOnly
		return out, p.failed(ctx, login, ip)
	}
	p.succeeded(ctx, login)
	return out, nil
}

// check is the part every password sign-in shares: throttles, lookup, constant-cost
// verification, failure counting.
func (p *Passwords) check(ctx context.Context, login, pw, ip string) (PasswordOutcome, error) {
	key := loginKey(login)
	out := PasswordOutcome{Subject: maskLogin(key)}
	for _, k := range []string{"pw:lock:ip:" + ip, "pw:lock:acct:" + HashID(key)} {
		b, err := p.kv.Get(ctx, k)
		if err != nil {
			return out, apperr.E("auth.Passwords.check", apperr.Unavailable, err)
		}
		if b != nil {
			// Still hash: a locked account answers no faster than an open one.
			_, _ = VerifyPassword(p.dummy, pw)
			out.Reason = ReasonLockedOut
			if strings.HasPrefix(k, "pw:lock:ip:") {
				out.Reason = ReasonRateLimited
			}
			return out, nil
		}
	}
	u, err := p.lookup(ctx, key)
	if err != nil {
		return out, err
	}
	hash := p.dummy
	if u != nil && u.PasswordHash != "" {
		hash = u.PasswordHash
	}
	ok, verr := VerifyPassword(hash, pw)
	if u == nil || u.PasswordHash == "" || verr != nil || !ok {
		out.User = u
		out.Reason = ReasonBadCredentials
		return out, p.failed(ctx, login, ip)
	}
	out.User = u
	return out, nil
}

// failed counts a failure against the account and the IP and locks either out at its limit.
func (p *Passwords) failed(ctx context.Context, login, ip string) error {
	const op = "auth.Passwords.failed"
	l := p.limits
	acct := HashID(loginKey(login))
	for _, c := range []struct {
		counter, lock string
		limit         int
	}{
		{"pw:fail:acct:" + acct, "pw:lock:acct:" + acct, l.AccountFailures},
		{"pw:fail:ip:" + ip, "pw:lock:ip:" + ip, l.IPFailures},
	} {
		n, err := p.kv.Incr(ctx, c.counter, l.Window)
		if err != nil {
			return apperr.E(op, apperr.Unavailable, err)
		}
		if n >= int64(c.limit) {
			if err := p.kv.Set(ctx, c.lock, []byte("1"), l.Lockout); err != nil {
				return apperr.E(op, apperr.Unavailable, err)
			}
			_ = p.kv.Delete(ctx, c.counter)
		}
	}
	return nil
}

// succeeded clears the account's failure count (the IP's stays: one good password must not
// reset a spray from that address).
func (p *Passwords) succeeded(ctx context.Context, login string) {
	_ = p.kv.Delete(ctx, "pw:fail:acct:"+HashID(loginKey(login)))
}

// lookup finds the account of a normalized login: an email address, else a bound phone.
func (p *Passwords) lookup(ctx context.Context, key string) (*ent.User, error) {
	const op = "auth.Passwords.lookup"
	var u *ent.User
	var err error
	if strings.Contains(key, "@") {
		u, err = p.st.Client.User.Query().Where(user.EmailEQ(key)).Only(ctx)
	} else {
		var b *ent.PhoneBinding
		b, err = p.st.Client.PhoneBinding.Query().Where(phonebinding.Phone(key)).WithUser().Only(ctx)
		if err == nil {
			u = b.Edges.User
		}
	}
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, apperr.E(op, apperr.Unavailable, err)
	}
	return u, nil
}

// loginKey normalizes what was typed: a lower-cased email address, an E.164 phone number,
// or (when it is neither) the trimmed text, so counters of junk logins still add up.
func loginKey(login string) string {
	login = strings.TrimSpace(login)
	if strings.Contains(login, "@") {
		if e, ok := normalizeEmail(login); ok {
			return e
		}
		return strings.ToLower(login)
	}
	if ph, err := NormalizePhone(login); err == nil {
		return ph
	}
	return strings.ToLower(login)
}

// normalizeEmail lower-cases a plausible address (one @, something on both sides, a dot
// in the domain, no spaces) of at most 254 bytes.
func normalizeEmail(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	at := strings.IndexByte(s, '@')
	if len(s) > 254 || at < 1 || at != strings.LastIndexByte(s, '@') || !strings.Contains(s[at+1:], ".") ||
		strings.ContainsAny(s, " \t\r\n<>\"") {
		return "", false
	}
	return s, true
}

// maskLogin is how a login appears in the log: a masked phone, or the email's domain.
func maskLogin(key string) string {
	if strings.HasPrefix(key, "+") {
		return "phone:" + MaskPhone(key)
	}
	if at := strings.IndexByte(key, '@'); at >= 0 {
		return "email:***" + truncate(key[at:], 100)
	}
	return "login:?"
}
