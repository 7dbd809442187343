package browsertest_test

import (
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"scanboard/app/auth"
	"scanboard/app/browsertest"
)

// With MIS_LOGIN_QR=website, /login embeds the Open Platform's QR panel (the sandbox's, in
// an iframe built by its wxLogin.js); the sandbox phone scans it and confirms; the panel
// sends the PC's top window to our callback, which signs the new user in and lands on the
// pending page.
func TestInlineWebsiteQR(t *testing.T) {
	b := browsertest.NewBrowser(t)
	app := browsertest.Start(t, browsertest.Options{Env: map[string]string{"MIS_LOGIN_QR": "website"}})
	pc := b.NewPage(t, app, browsertest.Desktop())
	pc.Go("/login")
	pc.WaitVisible("#login-website iframe")
	if pc.Has("#login-qr") {
		t.Fatal("the OA QR is shown next to the website QR")
	}
	pc.Screenshot("inline-website-qr")

	phone := b.SandboxPhone(t, app, browsertest.WeChat())
	phone.CreateUser("小白", "13800007777")
	phone.ScanLive("")
	phone.ClickNav("text=确认登录")

	pc.WaitPath("/pending")
	pc.Screenshot("pending")
}

// The break-glass admin of the README: created with `mis user create-admin` (password on
// stdin), enrolled from the printed secret, signed in at /breakglass with password and a
// TOTP code, and kept to the admin pages.
func TestBreakGlassPasswordAndTOTP(t *testing.T) {
	b := browsertest.NewBrowser(t)
	app := browsertest.Start(t, browsertest.Options{})
	cmd := exec.Command(os.Getenv(browsertest.EnvBinary), "user", "create-admin", "--email", "ops@example.com", "--name", "Ops")
	cmd.Env = append(os.Environ(), "MIS_DATABASE_URL="+app.DatabaseURL, "MIS_DATA_DIR="+app.DataDir, "MIS_REDIS_URL="+app.RedisURL)
	cmd.Stdin = strings.NewReader("correct horse battery staple\n")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("create-admin: %v\n%s", err, out.String())
	}
	m := regexp.MustCompile(`secret: ([A-Z2-7]+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no TOTP secret printed:\n%s", out.String())
	}

	en := browsertest.Desktop()
	en.Lang = "en"
	pc := b.NewPage(t, app, en)
	pc.Go("/breakglass")
	pc.Fill("#bg-login", "ops@example.com")
	pc.Fill("#bg-password", "correct horse battery staple")
	pc.Fill("#bg-code", "000000")
	pc.ClickNav("#bg-submit")
	pc.WaitVisible("#breakglass-error")

	code, err := auth.TOTPCode(m[1], time.Now())
	if err != nil {
		t.Fatal(err)
	}
	pc.Fill("#bg-password", "correct horse battery staple")
	pc.Fill("#bg-code", code)
	pc.ClickNav("#bg-submit")
	pc.WaitPath("/admin/users")
	pc.Screenshot("breakglass-admin")
	if st := pc.Go("/"); st != 403 {
		t.Fatalf("home page for a break-glass session: %d, want 403", st)
	}
	if st := pc.Go("/admin/audit"); st != 200 {
		t.Fatalf("audit page: %d", st)
	}
	pc.WaitText("main", "BREAK-GLASS")
}
