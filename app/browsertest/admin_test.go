package browsertest_test

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"scanboard/app/browsertest"
)

// scanIn signs a new sandbox person in on pc through the phone: the OA QR, the confirm link
// in the OA's reply, then the pending page.
func scanIn(t *testing.T, phone *browsertest.PhonePage, pc *browsertest.Page, nickname, number string) {
	t.Helper()
	pc.Go("/login")
	pc.WaitVisible("img")
	phone.CreateUser(nickname, number)
	phone.ScanLive("")
	phone.Go(phone.InboxLink("/login/confirm"))
	phone.ClickNav("text=确认登录")
	pc.WaitPath("/pending")
}

// misCLI runs the same mis binary against app's database, as an operator on the server would.
func misCLI(t *testing.T, app *browsertest.App, args ...string) string {
	t.Helper()
	cmd := exec.Command(os.Getenv(browsertest.EnvBinary), args...)
	cmd.Env = append(os.Environ(), "MIS_DATABASE_URL="+app.DatabaseURL, "MIS_DATA_DIR="+app.DataDir, "MIS_REDIS_URL="+app.RedisURL)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("mis %s: %v\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

// The acceptance path of issue 6: the first admin is granted from the command line; a new
// user scans in and waits; the admin approves them as an employee in another browser; the
// waiting page moves on to the home page by itself; the admin forces them out; all three
// actions are in the audit log, and the chain verifies.
func TestApproveAWaitingUserInTheBrowser(t *testing.T) {
	b := browsertest.NewBrowser(t)
	app := browsertest.Start(t, browsertest.Options{})
	phone := b.SandboxPhone(t, app, browsertest.WeChat())

	en := browsertest.Desktop()
	en.Lang = "en"
	adminPC := b.NewPage(t, app, en)
	scanIn(t, phone, adminPC, "管理员", "13800009999")
	// The operator looks the new account up (no phone is bound yet) and grants it by id.
	list := strings.Split(strings.TrimSpace(misCLI(t, app, "user", "list", "--status", "pending")), "\n")
	if len(list) != 2 {
		t.Fatalf("mis user list: want one pending user:\n%s", strings.Join(list, "\n"))
	}
	id := strings.Fields(list[1])[0]
	if out := misCLI(t, app, "user", "grant", "--role", "admin", id); !strings.Contains(out, "is now an active admin") {
		t.Fatalf("grant: %s", out)
	}

	userPC := b.NewPage(t, app, browsertest.Desktop())
	scanIn(t, phone, userPC, "小红", "13800001111")

	adminPC.Go("/admin/approvals")
	adminPC.WaitVisible(`button[data-action="approve"]`) // WeChat no longer gives nicknames: one row, "#id"
	adminPC.Screenshot("queue")
	adminPC.ClickNav(`button[data-action="approve"]`) // the role select defaults to employee
	adminPC.WaitText("main", "The user was approved.")
	adminPC.WaitVisible("#queue-empty")

	// No reload: the pending page hears the decision and moves on.
	userPC.WaitPath("/")
	userPC.Screenshot("approved-home")

	// The approved user got the OA template message; the admin got the "waiting" one.
	u := app.Sandbox.UserByNickname(t, "小红")
	var approved bool
	for _, m := range app.Sandbox.Messages(t, u.ID) {
		approved = approved || (m.Kind == "template" && m.Title == "sandbox-approved")
	}
	if !approved {
		t.Errorf("no approval template message for the user: %+v", app.Sandbox.Messages(t, u.ID))
	}
	adm := app.Sandbox.UserByNickname(t, "管理员")
	var told bool
	for _, m := range app.Sandbox.Messages(t, adm.ID) {
		told = told || (m.Kind == "template" && m.Title == "sandbox-waiting")
	}
	if !told {
		t.Errorf("the admin was not told that a user waits: %+v", app.Sandbox.Messages(t, adm.ID))
	}

	adminPC.Go("/admin/sessions")
	adminPC.WaitVisible(`form[action^="/admin/sessions/"] button`) // the only other session is the user's
	adminPC.ClickNav(`form[action^="/admin/sessions/"] button`)
	adminPC.WaitText("main", "Signed out.")
	userPC.Go("/")
	userPC.WaitPath("/login")

	adminPC.Go("/admin/audit")
	for _, action := range []string{"user.grant", "user.approve", "session.revoke"} {
		if !adminPC.Has(`td[data-action="` + action + `"]`) {
			t.Errorf("audit log lacks %s", action)
		}
	}
	adminPC.Screenshot("audit")
	if out := misCLI(t, app, "audit", "verify"); !strings.Contains(out, "intact: 3 rows") {
		t.Errorf("audit verify: %s", out)
	}
	adminPC.CheckClean()
	userPC.CheckClean()
}
