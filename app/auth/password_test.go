package auth_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"scanboard/app/apperr"
	"scanboard/app/auth"
	"scanboard/app/kv"
	"scanboard/app/store/storetest"
	"scanboard/ent"
	"scanboard/ent/auditlog"
	"scanboard/ent/phonebinding"
)

// cheapArgon2 keeps tests fast; the production cost is exercised by BenchmarkHashPassword.
func cheapArgon2() auth.Argon2Params {
	return auth.Argon2Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}
}

type pwClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *pwClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *pwClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type pwFixture struct {
	t     *testing.T
	pw    *auth.Passwords
	db    *ent.Client
	clock *pwClock
}

func newPwFixture(t *testing.T) *pwFixture {
	t.Helper()
	st := storetest.New(t)
	ck := &pwClock{now: time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)}
	m := kv.NewMemory(ck.Now)
	t.Cleanup(func() { m.Close() })
	p, err := auth.NewPasswords(auth.PasswordsDeps{Store: st, KV: m, Now: ck.Now, Argon2: cheapArgon2()})
	if err != nil {
		t.Fatal(err)
	}
	return &pwFixture{t: t, pw: p, db: st.Client, clock: ck}
}

// userWithPassword makes an active user with a phone and sets email + password.
func (f *pwFixture) userWithPassword(phone, email, pw string) *ent.User {
	f.t.Helper()
	ctx := context.Background()
	u := f.db.User.Create().SetStatus("active").SetDisplayName("P").SaveX(ctx)
	if phone != "" {
		f.db.PhoneBinding.Create().SetUser(u).SetPhone(phone).SetSource(phonebinding.SourceSms).SetVerifiedAt(time.Now()).ExecX(ctx)
	}
	if err := f.pw.Set(ctx, u.ID, email, pw, pw); err != nil {
		f.t.Fatal(err)
	}
	return u
}

func TestHashPasswordPHC(t *testing.T) {
	h, err := auth.HashPassword("correct horse battery", cheapArgon2())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("not a PHC argon2id string: %s", h)
	}
	h2, _ := auth.HashPassword("correct horse battery", cheapArgon2())
	if h == h2 {
		t.Fatal("two hashes of one password are equal: salt missing")
	}
	tests := []struct {
		name, phc, pw string
		ok            bool
		err           bool
	}{
		{"right", h, "correct horse battery", true, false},
		{"wrong", h, "correct horse batterY", false, false},
		{"bcrypt is not read", "$2a$10$abcdefghijklmnopqrstuuOv0Z5rr0Zc3yyBr2gZMcrb7uS1Z4wXy", "x", false, true},
		{"argon2i is refused", strings.Replace(h, "argon2id", "argon2i", 1), "correct horse battery", false, true},
		{"absurd memory is refused", strings.Replace(h, "m=1024", "m=99999999", 1), "correct horse battery", false, true},
		{"empty", "", "x", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := auth.VerifyPassword(tt.phc, tt.pw)
			if ok != tt.ok || (err != nil) != tt.err {
				t.Fatalf("VerifyPassword = %v, %v; want %v, err %v", ok, err, tt.ok, tt.err)
			}
		})
	}
}

func TestPasswordPolicy(t *testing.T) {
	tests := []struct {
		name, pw, confirm, key string
	}{
		{"short", "elevenchars", "elevenchars", "signin.password.error.short"},
		{"mismatch", "twelve chars!", "twelve chars?", "signin.password.error.mismatch"},
		{"long", strings.Repeat("x", 257), strings.Repeat("x", 257), "signin.password.error.long"},
		{"fine, in characters not bytes", "密码密码密码密码密码密码", "密码密码密码密码密码密码", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := auth.CheckPasswordPolicy(tt.pw, tt.confirm)
			if got := apperr.KeyOf(err); string(got) != tt.key {
				t.Fatalf("key %q, want %q (err %v)", got, tt.key, err)
			}
		})
	}
}

func TestPasswordSignIn(t *testing.T) {
	ctx := context.Background()
	f := newPwFixture(t)
	u := f.userWithPassword("+8613800001111", "Li.Lei@Example.com", "a long passphrase")
	noPw := f.db.User.Create().SetStatus("active").SetEmail("nopw@example.com").SaveX(ctx)
	tests := []struct {
		name, login, pw, ip string
		reason              string
		user                int
	}{
		{"phone as typed", "138 0000 1111", "a long passphrase", "10.0.0.1", "", u.ID},
		{"email any case", " li.lei@EXAMPLE.com ", "a long passphrase", "10.0.0.1", "", u.ID},
		{"wrong password", "li.lei@example.com", "a long passphrasE", "10.0.0.2", auth.ReasonBadCredentials, u.ID},
		{"unknown account", "nobody@example.com", "a long passphrase", "10.0.0.3", auth.ReasonBadCredentials, 0},
		{"account without a password", "nopw@example.com", "", "10.0.0.4", auth.ReasonBadCredentials, noPw.ID},
		{"junk login", "<script>", "x", "10.0.0.5", auth.ReasonBadCredentials, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := f.pw.SignIn(ctx, tt.login, tt.pw, tt.ip)
			if err != nil {
				t.Fatal(err)
			}
			if out.Reason != tt.reason {
				t.Fatalf("reason %q, want %q", out.Reason, tt.reason)
			}
			got := 0
			if out.User != nil {
				got = out.User.ID
			}
			if got != tt.user {
				t.Fatalf("user %d, want %d", got, tt.user)
			}
			if out.Subject == "" || strings.Contains(out.Subject, "0000") {
				t.Fatalf("subject %q must be set and masked", out.Subject)
			}
		})
	}
}

func TestPasswordLockouts(t *testing.T) {
	ctx := context.Background()
	t.Run("account locks after 5 failures, from any IP, even with the right password", func(t *testing.T) {
		f := newPwFixture(t)
		f.userWithPassword("", "a@example.com", "a long passphrase")
		for i := range 5 {
			out, _ := f.pw.SignIn(ctx, "a@example.com", "wrong wrong wrong", "10.0.1."+itoa(i))
			if out.Reason != auth.ReasonBadCredentials {
				t.Fatalf("try %d: %q", i, out.Reason)
			}
		}
		out, _ := f.pw.SignIn(ctx, "a@example.com", "a long passphrase", "10.9.9.9")
		if out.Reason != auth.ReasonLockedOut {
			t.Fatalf("after 5 failures: %q, want locked_out", out.Reason)
		}
		f.clock.Add(16 * time.Minute)
		if out, _ := f.pw.SignIn(ctx, "a@example.com", "a long passphrase", "10.9.9.9"); !out.OK() {
			t.Fatalf("after the lockout: %q", out.Reason)
		}
	})
	t.Run("unknown accounts lock the same way (no enumeration by lockout)", func(t *testing.T) {
		f := newPwFixture(t)
		for i := range 5 {
			f.pw.SignIn(ctx, "ghost@example.com", "x", "10.0.2."+itoa(i))
		}
		if out, _ := f.pw.SignIn(ctx, "ghost@example.com", "x", "10.0.3.1"); out.Reason != auth.ReasonLockedOut {
			t.Fatalf("%q", out.Reason)
		}
	})
	t.Run("an IP spraying many accounts is stopped", func(t *testing.T) {
		f := newPwFixture(t)
		f.userWithPassword("", "victim@example.com", "a long passphrase")
		for i := range 30 {
			f.pw.SignIn(ctx, "user"+itoa(i)+"@example.com", "Summer2026!", "10.0.4.4")
		}
		if out, _ := f.pw.SignIn(ctx, "victim@example.com", "a long passphrase", "10.0.4.4"); out.Reason != auth.ReasonRateLimited {
			t.Fatalf("%q, want rate_limited", out.Reason)
		}
		if out, _ := f.pw.SignIn(ctx, "victim@example.com", "a long passphrase", "10.0.4.5"); !out.OK() {
			t.Fatalf("another IP: %q", out.Reason)
		}
	})
	t.Run("success clears the account's count", func(t *testing.T) {
		f := newPwFixture(t)
		f.userWithPassword("", "b@example.com", "a long passphrase")
		for range 4 {
			f.pw.SignIn(ctx, "b@example.com", "nope", "10.0.5.1")
		}
		f.pw.SignIn(ctx, "b@example.com", "a long passphrase", "10.0.5.1")
		for range 4 {
			f.pw.SignIn(ctx, "b@example.com", "nope", "10.0.5.1")
		}
		if out, _ := f.pw.SignIn(ctx, "b@example.com", "a long passphrase", "10.0.5.1"); !out.OK() {
			t.Fatalf("%q", out.Reason)
		}
	})
}

func TestSetPasswordEmailTaken(t *testing.T) {
	ctx := context.Background()
	f := newPwFixture(t)
	f.userWithPassword("", "taken@example.com", "a long passphrase")
	other := f.db.User.Create().SetStatus("active").SaveX(ctx)
	err := f.pw.Set(ctx, other.ID, "TAKEN@example.com", "another passphrase", "another passphrase")
	if apperr.KindOf(err) != apperr.Conflict || string(apperr.KeyOf(err)) != "signin.password.error.email_taken" {
		t.Fatalf("err %v", err)
	}
	if err := f.pw.Set(ctx, other.ID, "not an email", "another passphrase", "another passphrase"); apperr.KindOf(err) != apperr.Invalid {
		t.Fatalf("bad email: %v", err)
	}
}

// TestTOTPRFC6238Vectors checks the code generator on RFC 6238 appendix B (SHA-1, secret
// "12345678901234567890"), last six of the eight published digits.
func TestTOTPRFC6238Vectors(t *testing.T) {
	const secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	tests := []struct {
		unix int64
		want string
	}{
		{59, "287082"}, {1111111109, "081804"}, {1111111111, "050471"},
		{1234567890, "005924"}, {2000000000, "279037"}, {20000000000, "353130"},
	}
	for _, tt := range tests {
		t.Run(itoa(int(tt.unix)), func(t *testing.T) {
			got, err := auth.TOTPCode(secret, time.Unix(tt.unix, 0))
			if err != nil || got != tt.want {
				t.Fatalf("code %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestBreakGlass(t *testing.T) {
	ctx := context.Background()
	f := newPwFixture(t)
	admin, enr, err := f.pw.CreateBreakGlass(ctx, auth.Actor{Label: "cli:test"}, "Root@Example.com", "", "emergency passphrase", "emergency passphrase")
	if err != nil {
		t.Fatal(err)
	}
	if admin.Role != "admin" || admin.Status != "active" || len(enr.Secret) < 32 ||
		!strings.HasPrefix(enr.URI, "otpauth://totp/Scanboard:root@example.com?") || !strings.Contains(enr.URI, "secret="+enr.Secret) {
		t.Fatalf("admin %+v, enrolment %+v", admin, enr)
	}
	if _, _, err := f.pw.CreateBreakGlass(ctx, auth.Actor{}, "root@example.com", "", "emergency passphrase", "emergency passphrase"); apperr.KindOf(err) != apperr.Conflict {
		t.Fatalf("second create with the same email: %v", err)
	}
	code := func() string {
		c, err := auth.TOTPCode(enr.Secret, f.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	audits := func(action string) int {
		return f.db.AuditLog.Query().Where(auditlog.Action(action)).CountX(ctx)
	}

	if out, _ := f.pw.SignIn(ctx, "root@example.com", "emergency passphrase", "10.1.0.1"); out.Reason != auth.ReasonBreakGlassOnly {
		t.Fatalf("ordinary form: %q", out.Reason)
	}
	if err := f.pw.Set(ctx, admin.ID, "", "new passphrase!", "new passphrase!"); apperr.KindOf(err) != apperr.Forbidden {
		t.Fatalf("web password change of a break-glass account: %v", err)
	}
	steps := []struct {
		name, pw, code, reason string
	}{
		{"wrong code", "emergency passphrase", "000000", auth.ReasonTOTPWrong},
		{"wrong password, right code", "emergency passphrasE", code(), auth.ReasonBadCredentials},
		{"right", "emergency passphrase", code(), ""},
		{"the same code again", "emergency passphrase", code(), auth.ReasonTOTPReplay},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			out, err := f.pw.SignInBreakGlass(ctx, "root@example.com", s.pw, s.code, "10.1.0.2")
			if err != nil || out.Reason != s.reason {
				t.Fatalf("reason %q err %v; want %q", out.Reason, err, s.reason)
			}
		})
	}
	t.Run("the previous step's code after a newer one was used", func(t *testing.T) {
		prev, _ := auth.TOTPCode(enr.Secret, f.clock.Now().Add(-30*time.Second))
		f.clock.Add(30 * time.Second)
		if out, _ := f.pw.SignInBreakGlass(ctx, "root@example.com", "emergency passphrase", code(), "10.1.0.2"); !out.OK() {
			t.Fatalf("next step's code: %q", out.Reason)
		}
		// prev is now two steps back: outside the window as well as older than the last use.
		if out, _ := f.pw.SignInBreakGlass(ctx, "root@example.com", "emergency passphrase", prev, "10.1.0.2"); out.OK() {
			t.Fatal("an older code was accepted")
		}
	})
	if n := audits(auth.ActionBreakGlassSignIn); n != 2 {
		t.Fatalf("%d success audit rows, want 2", n)
	}
	if n := audits(auth.ActionBreakGlassSignInFail); n != 4 {
		t.Fatalf("%d failure audit rows, want 4", n)
	}
	if n := audits(auth.ActionBreakGlassCreate); n != 1 {
		t.Fatalf("%d create audit rows", n)
	}
	t.Run("ordinary password account at the break-glass door", func(t *testing.T) {
		f.userWithPassword("", "plain@example.com", "a long passphrase")
		out, _ := f.pw.SignInBreakGlass(ctx, "plain@example.com", "a long passphrase", "123456", "10.1.0.3")
		if out.Reason != auth.ReasonBadCredentials {
			t.Fatalf("%q", out.Reason)
		}
	})
}

func BenchmarkHashPassword(b *testing.B) {
	p := auth.DefaultArgon2()
	for b.Loop() {
		if _, err := auth.HashPassword("a long passphrase", p); err != nil {
			b.Fatal(err)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
