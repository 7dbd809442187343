package browsertest_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"scanboard/app/browsertest"
	"scanboard/app/reports"
	"scanboard/app/reports/gen"
	"scanboard/app/store"
	"scanboard/ent"
	"scanboard/ent/run"
	"scanboard/ent/user"
)

// TestDashboards signs a manager in through the sandbox, uploads two JMeter runs and two ZAP
// scans through the upload API, and opens the run report, the project's trends, the
// comparison, the security view and the overview in a real browser: every chart must draw
// (an ECharts canvas with data points), a time range selected on a chart must recompute the
// statistics table, and nothing may break the CSP. Screenshots go to screenshots/ (git-ignored).
func TestDashboards(t *testing.T) {
	b := browsertest.NewBrowser(t)
	app := browsertest.Start(t, browsertest.Options{})
	ctx := context.Background()

	// Sign in by scanning, as people do; the new user waits for approval.
	pc := b.NewPage(t, app, browsertest.Desktop())
	pc.Go("/login")
	pc.WaitVisible("img")
	phone := b.SandboxPhone(t, app, browsertest.WeChat())
	phone.CreateUser("王经理", "13800005678")
	phone.ScanLive("")
	phone.Go(phone.InboxLink("/login/confirm"))
	phone.ClickNav("text=确认登录")
	pc.WaitPath("/pending")

	// Approve them as a manager directly in the node's database (the approval pages are
	// another area's), and give them an API token to upload with.
	st, err := store.Open(ctx, app.DatabaseURL, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	u, err := st.Client.User.Query().Order(ent.Desc(user.FieldID)).First(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st.Client.User.UpdateOne(u).SetStatus(user.StatusActive).SetRole(user.RoleManager).ExecX(ctx)
	svc, err := reports.New(st, reports.Config{DataDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	if _, err := svc.CreateProject(ctx, reports.ProjectInput{Key: "shop", Name: "Shop 商城", SLARules: "p95<2s\nerror_rate<1%"}); err != nil {
		t.Fatal(err)
	}
	token, _, err := svc.CreateToken(ctx, u.ID, "browser test", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	client := &reports.Client{BaseURL: app.URL, Token: token}
	upload := func(name string, body []byte) int {
		t.Helper()
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, body, 0o600); err != nil {
			t.Fatal(err)
		}
		rc, err := client.Upload(ctx, "shop", p, reports.Tags{Build: name})
		if err != nil {
			t.Fatalf("upload %s: %v", name, err)
		}
		return rc.RunID
	}
	csv := func(rows int, seed uint64) []byte {
		var buf bytes.Buffer
		if _, err := gen.JMeterCSV(&buf, gen.Options{Rows: rows, Seed: seed, Labels: 10, RowsPerS: 200}); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	root, err := browsertest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	zap, err := os.ReadFile(filepath.Join(root, "..", "shared", "testdata", "examples", "zap-traditional.json"))
	if err != nil {
		t.Fatal(err)
	}
	a := upload("b1.csv", csv(40_000, 1))
	bRun := upload("b2.csv", csv(40_000, 2))
	upload("zap1.json", zap)
	z2 := upload("zap2.json", bytes.Replace(zap, []byte(`"uri": "https://shop.example.test/"`), []byte(`"uri": "https://shop.example.test/cart"`), 1))
	waitReady(t, st, 4)

	// drawn waits until every chart on the page has drawn (or said it has no data) and
	// returns how many drew points on a canvas.
	drawn := func(p *browsertest.Page) int {
		t.Helper()
		p.WaitVisible(".sb-chart[data-drawn]")
		var n int
		p.Eval(`new Promise(done => {
			const check = () => {
				const all = [...document.querySelectorAll('.sb-chart')];
				if (all.every(el => el.hasAttribute('data-drawn'))) {
					done(all.filter(el => Number(el.getAttribute('data-drawn')) > 0 && el.querySelector('canvas')).length);
				} else setTimeout(check, 100);
			};
			check();
		})`, &n)
		return n
	}

	t.Run("run report", func(t *testing.T) {
		pc.Go("/runs/" + strconv.Itoa(a))
		pc.WaitVisible("#stats-table table")
		if n := drawn(pc); n < 8 {
			t.Errorf("%d charts drew on the run report, want the 9 charts (codes may be one)", n)
		}
		// Select the middle of the run on the percentiles chart: the table is recomputed.
		pc.Eval(`(() => {
			const el = document.querySelector('.sb-chart[data-chart=percentiles]');
			echarts.getInstanceByDom(el).dispatchAction({type: 'dataZoom', start: 25, end: 60});
			return true;
		})()`, new(bool))
		pc.WaitVisible("#stats-table .sb-range")
		// Filter labels by regular expression.
		pc.Fill(`input[name=q]`, "/resource/[12]$/")
		var rows int
		pc.Eval(`new Promise(done => {
			const until = Date.now() + 10000;
			const check = () => {
				const n = document.querySelectorAll('#stats-table tbody tr').length;
				if (n === 3 || Date.now() > until) done(n); else setTimeout(check, 100);
			};
			check();
		})`, &rows)
		if rows != 3 { // two labels and the total
			t.Errorf("filtered table has %d rows, want 3", rows)
		}
		pc.Screenshot("run-report")
		pc.CheckClean()
	})

	t.Run("project trends", func(t *testing.T) {
		// Mark the first run as the baseline from its page.
		pc.Go("/runs/" + strconv.Itoa(a))
		pc.ClickNav(`form[action$="/baseline"] button`)
		pc.Go("/projects/shop")
		if n := drawn(pc); n < 4 {
			t.Errorf("%d trend charts drew, want 4", n)
		}
		pc.WaitText("#runs", "★")
		pc.Screenshot("project")
		pc.CheckClean()
	})

	t.Run("comparison", func(t *testing.T) {
		pc.Go("/compare?b=" + strconv.Itoa(bRun))
		pc.WaitVisible("#cmp-labels table")
		if n := drawn(pc); n != 2 {
			t.Errorf("%d comparison charts drew, want 2", n)
		}
		pc.Screenshot("compare")
		pc.CheckClean()
	})

	t.Run("security view", func(t *testing.T) {
		pc.Go("/runs/" + strconv.Itoa(z2))
		pc.WaitText("main", "Content Security Policy")
		if n := drawn(pc); n != 1 {
			t.Errorf("%d security charts drew, want 1", n)
		}
		pc.Screenshot("security")
		pc.CheckClean()
	})

	t.Run("overview", func(t *testing.T) {
		pc.Go("/overview")
		pc.WaitText("#overview", "shop")
		pc.Screenshot("overview")
		pc.CheckClean()
	})

	t.Run("run report on a phone", func(t *testing.T) {
		ph := browsertest.Phone()
		pc.Do(chromedp.EmulateViewport(ph.Width, ph.Height, chromedp.EmulateScale(ph.Scale), chromedp.EmulateMobile, chromedp.EmulateTouch))
		pc.Go("/runs/" + strconv.Itoa(a))
		if n := drawn(pc); n < 8 {
			t.Errorf("%d charts drew on a phone", n)
		}
		var fits bool
		pc.Eval(`[...document.querySelectorAll('.sb-chart canvas')].every(c => c.getBoundingClientRect().right <= window.innerWidth + 1)`, &fits)
		if !fits {
			t.Error("a chart is wider than the phone's screen")
		}
		pc.Screenshot("run-report-phone")
		pc.CheckClean()
	})
}

// waitReady waits until n runs are ready (the node's workers process uploads in the
// background); a failed run fails the test with its error.
func waitReady(t *testing.T, st *store.Store, n int) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(2 * time.Minute) // a guard against hangs, not a speed check
	for {
		runs := st.Client.Run.Query().AllX(ctx)
		ready := 0
		for _, r := range runs {
			switch r.Status {
			case run.StatusReady:
				ready++
			case run.StatusFailed:
				t.Fatalf("run %d failed: %s", r.ID, r.Error)
			}
		}
		if ready >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(fmt.Sprintf("%d of %d runs ready after 2 minutes", ready, n))
		}
		time.Sleep(200 * time.Millisecond)
	}
}
