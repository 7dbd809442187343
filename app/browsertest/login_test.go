package browsertest_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"scanboard/app/browsertest"
	"scanboard/app/store"
	"scanboard/ent/loginlog"
)

// loginText reads a sign-in translation, so the test follows the words people see.
func loginText(t *testing.T, lang, key string) string {
	t.Helper()
	root, err := browsertest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(root, "views", "i18n", "locales", "login."+lang+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if m[key] == "" {
		t.Fatalf("login.%s.json has no %q", lang, key)
	}
	return m[key]
}

var confirmLink = regexp.MustCompile(`/login/confirm\?t=[A-Z2-7]+`)

// TestScanToLogin is the acceptance walk of issue 4 in a real browser: a desktop opens
// /login and shows the OA QR; the sandbox phone scans it, reads the Official Account's
// reply, opens its confirm link and confirms; the desktop moves on by itself to the pending
// page, and the login log holds the attempt.
func TestScanToLogin(t *testing.T) {
	b := browsertest.NewBrowser(t)
	app := browsertest.Start(t, browsertest.Options{})

	pc := b.NewPage(t, app, browsertest.Desktop())
	if status := pc.Go("/login"); status != 200 {
		t.Fatalf("/login answered %d", status)
	}
	pc.WaitVisible("#login-qr-img")
	pc.Screenshot("login-qr")

	phone := b.SandboxPhone(t, app, browsertest.Phone())
	phone.CreateUser("小明", "13800001234")
	// Scanning the live QR pushes the event to the app and lands on the phone's inbox, where
	// the Official Account's reply carries the confirm link; tapping it opens it.
	if status := phone.ScanLive(""); status != 200 {
		t.Fatalf("scanning answered %d", status)
	}
	link := phone.InboxLink("/login/confirm?t=")
	if !confirmLink.MatchString(link) {
		t.Fatalf("confirm link %q", link)
	}
	if status := phone.Go(link); status != 200 {
		t.Fatalf("confirm page answered %d", status)
	}
	phone.WaitText("h1", loginText(t, "zh-CN", "login.confirm.heading"))
	if status := phone.ClickNav("#confirm-yes"); status != 200 {
		t.Fatalf("confirming answered %d", status)
	}
	phone.WaitText("#login-result", loginText(t, "zh-CN", "login.confirm.confirmed_done"))

	pc.WaitPath("/pending")
	pc.WaitVisible("#pending")
	pc.Screenshot("pending")
	pc.CheckClean()
	phone.CheckClean()

	// The login log (read from the node's database) holds the attempt.
	st, err := store.Open(context.Background(), app.DatabaseURL, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.Client.LoginLog.Query().All(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ok := false
	for _, r := range rows {
		ok = ok || (r.Method == "oa_qr" && r.Outcome == loginlog.OutcomeSuccess && r.Reason == "pending_approval" && r.Browser != "")
	}
	if !ok {
		t.Fatalf("no successful oa_qr pending_approval row with the browser in the login log: %+v", rows)
	}
}
