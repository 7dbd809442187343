package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"scanboard/app/auth"
	"scanboard/ent"
	"scanboard/ent/auditlog"
	"scanboard/ent/loginlog"
	"scanboard/ent/phonebinding"
)

// withPasswords turns the password fallback on, with cheap argon2 parameters.
func (e *env) withPasswords() *auth.Passwords {
	e.t.Helper()
	pw, err := auth.NewPasswords(auth.PasswordsDeps{Store: e.store, KV: e.kv, Now: e.clock.Now,
		Argon2: auth.Argon2Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}})
	if err != nil {
		e.t.Fatal(err)
	}
	if e.srv.Login.Log == nil {
		e.srv.Login.Log = auth.NewLoginLog(e.store, e.clock.Now)
	}
	e.srv.Login.Channels.Passwords = pw
	return pw
}

func (e *env) loginRows(method, reason string) []*ent.LoginLog {
	e.t.Helper()
	rows, err := e.store.Client.LoginLog.Query().Where(loginlog.Method(method), loginlog.Reason(reason)).All(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return rows
}

func TestPasswordFallback(t *testing.T) {
	e := newEnv(t)
	e.withPasswords()
	ctx := context.Background()
	u := e.user("active", "employee", "Han Meimei")
	e.store.Client.PhoneBinding.Create().SetUser(u).SetPhone("+8613800002222").SetSource(phonebinding.SourceSms).SetVerifiedAt(time.Now()).ExecX(ctx)

	// The user sets a password (and an email) on /profile/password.
	b := e.browser()
	b.login(u)
	if r := b.get("/profile/password"); r.StatusCode != 200 {
		t.Fatalf("profile password page: %d", r.StatusCode)
	}
	r := b.post("/profile/password", url.Values{"email": {"han@example.com"}, "password": {"short"}, "confirm": {"short"}}, "")
	if body := readBody(r); r.StatusCode != 422 || !strings.Contains(body, `id="setpw-error"`) {
		t.Fatalf("short password: %d", r.StatusCode)
	}
	r = b.post("/profile/password", url.Values{"email": {"han@example.com"}, "password": {"meimei's passphrase"}, "confirm": {"meimei's passphrase"}}, "")
	if r.StatusCode != 303 || r.Header.Get("Location") != "/profile/password?saved=1" {
		t.Fatalf("set password: %d %s", r.StatusCode, readBody(r))
	}
	pending := e.user("pending", "employee", "P")
	bp := e.browser()
	bp.login(pending)
	if r := bp.get("/profile/password"); r.StatusCode != 403 {
		t.Fatalf("pending user on /profile/password: %d", r.StatusCode)
	}

	tests := []struct {
		name, login, pw string
		status          int
		reason          string
	}{
		{"unknown account", "nobody@example.com", "meimei's passphrase", 401, auth.ReasonBadCredentials},
		{"wrong password", "han@example.com", "meimei's passphrasE", 401, auth.ReasonBadCredentials},
		{"by email", "HAN@example.com", "meimei's passphrase", 303, ""},
		{"by phone", "13800002222", "meimei's passphrase", 303, ""},
	}
	var generic string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := e.browser()
			if r := b.get("/login/password"); r.StatusCode != 200 {
				t.Fatalf("form: %d", r.StatusCode)
			}
			r := b.post("/login/password", url.Values{"login": {tt.login}, "password": {tt.pw}}, "")
			body := readBody(r)
			if r.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", r.StatusCode, tt.status, body)
			}
			if tt.status == 401 {
				msg := body[strings.Index(body, `id="password-error"`):]
				msg = msg[:strings.Index(msg, "</p>")]
				if generic == "" {
					generic = msg
				} else if msg != generic {
					t.Fatalf("message differs between failures:\n%s\n%s", msg, generic)
				}
				if strings.Contains(body, tt.pw) {
					t.Fatal("the password was echoed back")
				}
				return
			}
			if loc := r.Header.Get("Location"); loc != "/" {
				t.Fatalf("landed on %q", loc)
			}
			if r := b.get("/devices"); r.StatusCode != 200 {
				t.Fatalf("signed in, /devices: %d", r.StatusCode)
			}
		})
	}
	if n := len(e.loginRows(auth.MethodPassword, "")); n != 2 {
		t.Fatalf("%d success rows, want 2", n)
	}
	bad := e.loginRows(auth.MethodPassword, auth.ReasonBadCredentials)
	if len(bad) != 2 {
		t.Fatalf("%d failure rows, want 2", len(bad))
	}
	for _, row := range bad {
		if row.Subject == "" || strings.Contains(row.Subject, "nobody") || row.IP == "" {
			t.Fatalf("failure row %+v: subject must be set and masked, IP kept", row)
		}
	}

	t.Run("lockout answers 429 with the lockout message, and logs it", func(t *testing.T) {
		b := e.browser()
		for range 5 {
			b.post("/login/password", url.Values{"login": {"han@example.com"}, "password": {"guess guess guess"}}, "")
		}
		r := b.post("/login/password", url.Values{"login": {"han@example.com"}, "password": {"meimei's passphrase"}}, "")
		if r.StatusCode != 429 {
			t.Fatalf("status %d", r.StatusCode)
		}
		if len(e.loginRows(auth.MethodPassword, auth.ReasonLockedOut)) != 1 {
			t.Fatal("no locked_out row")
		}
	})
	t.Run("off when not configured", func(t *testing.T) {
		e2 := newEnv(t)
		if r := e2.browser().get("/login/password"); r.StatusCode != 404 {
			t.Fatalf("%d", r.StatusCode)
		}
	})
}

func TestBreakGlassSession(t *testing.T) {
	e := newEnv(t)
	pw := e.withPasswords()
	ctx := context.Background()
	admin, enr, err := pw.CreateBreakGlass(ctx, auth.Actor{Label: "cli:test"}, "root@example.com", "Root", "emergency passphrase", "emergency passphrase")
	if err != nil {
		t.Fatal(err)
	}
	code := func(at time.Time) string {
		c, err := auth.TOTPCode(enr.Secret, at)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	b := e.browser()
	if r := b.get("/breakglass"); r.StatusCode != 200 {
		t.Fatalf("form: %d", r.StatusCode)
	}
	r := b.post("/breakglass", url.Values{"login": {"root@example.com"}, "password": {"emergency passphrase"}, "code": {"000000"}}, "")
	if r.StatusCode != 401 {
		t.Fatalf("wrong code: %d", r.StatusCode)
	}
	r = b.post("/login/password", url.Values{"login": {"root@example.com"}, "password": {"emergency passphrase"}}, "")
	if r.StatusCode != 401 {
		t.Fatalf("break-glass account on the ordinary form: %d", r.StatusCode)
	}
	good := code(e.clock.Now())
	r = b.post("/breakglass", url.Values{"login": {"root@example.com"}, "password": {"emergency passphrase"}, "code": {good}}, "")
	if r.StatusCode != 303 || r.Header.Get("Location") != "/admin/users" {
		t.Fatalf("sign-in: %d %s %s", r.StatusCode, r.Header.Get("Location"), readBody(r))
	}
	replay := e.browser()
	r = replay.post("/breakglass", url.Values{"login": {"root@example.com"}, "password": {"emergency passphrase"}, "code": {good}}, "")
	if r.StatusCode != 401 || len(e.loginRows(auth.MethodBreakGlass, auth.ReasonTOTPReplay)) != 1 {
		t.Fatalf("replayed code: %d", r.StatusCode)
	}

	before := e.store.Client.AuditLog.Query().Where(auditlog.Action(auth.ActionBreakGlassRequest)).CountX(ctx)
	tests := []struct {
		name, method, path string
		status             int
	}{
		{"admin users", "GET", "/admin/users", 200},
		{"admin audit", "GET", "/admin/audit", 200},
		{"approvals", "GET", "/admin/approvals", 200},
		{"home", "GET", "/", 403},
		{"devices", "GET", "/devices", 403},
		{"profile password", "GET", "/profile/password", 403},
		{"pending page", "GET", "/pending", 403},
		{"login page", "GET", "/login", 403},
		{"static asset", "GET", "/static/css/login.css", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := b.get(tt.path); r.StatusCode != tt.status {
				t.Fatalf("%s: %d, want %d", tt.path, r.StatusCode, tt.status)
			}
		})
	}
	after := e.store.Client.AuditLog.Query().Where(auditlog.Action(auth.ActionBreakGlassRequest)).CountX(ctx)
	if after-before != 3 {
		t.Fatalf("%d audited admin requests, want 3 (one per admin page)", after-before)
	}
	row := e.store.Client.AuditLog.Query().Where(auditlog.Action(auth.ActionBreakGlassRequest)).FirstX(ctx)
	if row.ActorLabel != "breakglass:Root" || !strings.HasPrefix(row.TargetID, "GET /admin/") {
		t.Fatalf("audit row %+v", row)
	}
	if n := e.store.Client.AuditLog.Query().Where(auditlog.Action(auth.ActionBreakGlassSignIn)).CountX(ctx); n != 1 {
		t.Fatalf("%d sign-in audit rows", n)
	}
	// The nav shows admin pages only.
	body := readBody(b.get("/admin/users"))
	if strings.Contains(body, `href="/devices"`) || !strings.Contains(body, `href="/admin/audit"`) {
		t.Fatal("break-glass nav lists pages it cannot open")
	}
	if r := b.post("/logout", nil, ""); r.StatusCode >= 400 {
		t.Fatalf("logout: %d", r.StatusCode)
	}
	if r := b.get("/admin/users"); r.StatusCode != 303 {
		t.Fatalf("after logout: %d", r.StatusCode)
	}
	// An ordinary admin session is not affected by the gate.
	ordinary := e.user("active", "admin", "A")
	ob := e.browser()
	ob.login(ordinary)
	if r := ob.get("/devices"); r.StatusCode != 200 {
		t.Fatalf("ordinary admin /devices: %d", r.StatusCode)
	}
	_ = admin
}
