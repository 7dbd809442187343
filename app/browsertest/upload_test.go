package browsertest_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"scanboard/app/browsertest"
)

// TestUploadPage is issue 7's walk-through as a new user would do it: sign in by scanning,
// be granted a role and get a project through the CLI, upload the real JMeter file on the
// upload page, watch the bars, and see the run become ready with the figures `mis report
// stats` prints for the same file.
func TestUploadPage(t *testing.T) {
	b := browsertest.NewBrowser(t)
	app := browsertest.Start(t, browsertest.Options{})
	real := filepath.Join(repoRoot(t), "..", "shared", "testdata", "real", "jmeter-2.13-header.csv")

	pc := b.NewPage(t, app, browsertest.Desktop())
	pc.Go("/login")
	pc.WaitVisible("img")
	phone := b.SandboxPhone(t, app, browsertest.WeChat())
	phone.CreateUser("上传者", "13800009999")
	phone.ScanLive("")
	phone.Go(phone.InboxLink("/login/confirm"))
	phone.ClickNav("text=确认登录")
	pc.WaitPath("/pending")

	out := app.CLI(t, "user", "list")
	id := regexp.MustCompile(`(?m)^\s*(\d+)\s`).FindStringSubmatch(out)
	if id == nil {
		t.Fatalf("no user id in `mis user list`:\n%s", out)
	}
	app.CLI(t, "user", "grant", "--role", "employee", "--reason", "browser test", id[1])
	app.CLI(t, "project", "create", "--key", "shop", "--name", "Shop")

	pc.WaitPath("/") // the pending page moves on by itself once approved
	pc.Go("/upload")
	pc.WaitVisible("#upload-files")
	pc.Do(chromedp.SetUploadFiles(chromedp.CSS("#upload-files"), []string{real}))
	pc.WaitText("#upload-list", "已完成") // transfer bar, then processing bar, then ready
	pc.Screenshot("upload-ready")
	pc.ClickNav("text=打开运行")
	pc.WaitVisible("#stats-table table")

	var want struct {
		Overall struct {
			Count  int64 `json:"count"`
			Errors int64 `json:"errors"`
		} `json:"overall"`
	}
	if err := json.Unmarshal([]byte(app.CLI(t, "report", "stats", "--json", real)), &want); err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(pc.Text("#stats-table"), ",", "")
	for _, n := range []int64{want.Overall.Count, want.Overall.Errors} {
		if !strings.Contains(text, strconv.FormatInt(n, 10)) {
			t.Errorf("the run's statistics table lacks %d from `mis report stats`:\n%s", n, text)
		}
	}
	pc.Screenshot("upload-run")
}

// repoRoot is the module root (the folder with go.mod); ../shared sits beside it.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		if filepath.Dir(dir) == dir {
			t.Fatal("go.mod not found")
		}
		dir = filepath.Dir(dir)
	}
}
