package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"scanboard/app/auth"
	"scanboard/ent/auditlog"
	"strconv"
	"strings"
	"testing"

	"scanboard/app/reports"
	"scanboard/app/reports/gen"
	"scanboard/app/reports/stats"
	"scanboard/app/web"
	"scanboard/ent"
)

// dashEnv is a server with the reports service, three users and two projects: "shop"
// (open to every active user) and "vault" (restricted to its member).
type dashEnv struct {
	*env
	svc                         *reports.Service
	employee, manager, outsider *ent.User
	runs                        map[string]int // by name
}

func newDashEnv(t *testing.T) *dashEnv {
	t.Helper()
	var svc *reports.Service
	e := newEnv(t, func(d *web.Deps) {
		s, err := reports.New(d.Store, reports.Config{DataDir: t.TempDir(), Logger: d.Log})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		svc = s
		d.Reports = s
	})
	de := &dashEnv{env: e, svc: svc, runs: map[string]int{}}
	de.employee = e.user("active", "employee", "Emma")
	de.outsider = e.user("active", "employee", "Otto")
	de.manager = e.user("active", "manager", "Max")
	ctx := context.Background()
	if _, err := svc.CreateProject(ctx, reports.ProjectInput{Key: "shop", Name: "Shop", SLARules: "p95<100000ms\nerror_rate<0.5%"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateProject(ctx, reports.ProjectInput{Key: "vault", Name: "Vault", Restricted: true, MemberIDs: []int{de.employee.ID}}); err != nil {
		t.Fatal(err)
	}
	return de
}

// upload ingests a file into a project as the employee and processes it.
func (de *dashEnv) upload(name, project, filename string, body []byte) int {
	de.t.Helper()
	ctx := context.Background()
	rc, err := de.svc.Ingest(ctx, reports.IngestRequest{ProjectKey: project, UploaderID: de.employee.ID, Filename: filename, Body: bytes.NewReader(body)})
	if err != nil {
		de.t.Fatalf("ingest %s: %v", filename, err)
	}
	for {
		did, err := de.svc.ProcessNext(ctx)
		if err != nil {
			de.t.Fatal(err)
		}
		if !did {
			break
		}
	}
	de.runs[name] = rc.RunID
	return rc.RunID
}

func genCSV(t testing.TB, rows int, seed uint64) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := gen.JMeterCSV(&b, gen.Options{Rows: rows, Seed: seed, Labels: 8}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func sharedFile(t *testing.T, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../../../shared/testdata", dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// seed uploads two performance runs, a hostile-label run, two scans and a JUnit file to shop
// and one run to vault.
func (de *dashEnv) seed() {
	t := de.t
	t.Helper()
	de.upload("perf1", "shop", "a.csv", genCSV(t, 3_000, 1))
	de.upload("perf2", "shop", "b.csv", genCSV(t, 3_000, 2))
	hostile := "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect\n" +
		"1767225600000,120,\"=HYPERLINK(\"\"http://evil\"\")\",200,OK,t1,text,true,,100,10,1,1,http://x/,10,0,1\n" +
		"1767225601000,80,<script>alert(1)</script>,500,ERR,t1,text,false,\"@SUM(1,2)\",100,10,1,1,http://x/,10,0,1\n"
	de.upload("hostile", "shop", "h.csv", []byte(hostile))
	zap := sharedFile(t, "examples", "zap-traditional.json")
	de.upload("zap1", "shop", "z1.json", zap)
	de.upload("zap2", "shop", "z2.json", bytes.Replace(zap, []byte(`"uri": "https://shop.example.test/"`), []byte(`"uri": "https://shop.example.test/cart"`), 1))
	de.upload("junit", "shop", "j.xml", sharedFile(t, "examples", "junit-pytest.xml"))
	de.upload("vault", "vault", "v.csv", genCSV(t, 500, 3))
}

func (de *dashEnv) path(tmpl string) string {
	for name, id := range de.runs {
		tmpl = strings.ReplaceAll(tmpl, "{"+name+"}", strconv.Itoa(id))
	}
	return tmpl
}

// TestDashboardPages walks every dashboard page and export as each kind of user.
func TestDashboardPages(t *testing.T) {
	de := newDashEnv(t)
	de.seed()
	type who int
	const (
		anon who = iota
		employee
		outsider
		manager
	)
	tests := []struct {
		name    string
		as      who
		path    string
		status  int
		want    []string
		notWant []string
	}{
		{"anonymous run page goes to sign-in", anon, "/runs/{perf1}", http.StatusSeeOther, nil, nil},
		{"projects list", employee, "/projects", 200, []string{"/projects/shop", "/projects/vault"}, nil},
		{"projects list hides restricted", outsider, "/projects", 200, []string{"/projects/shop"}, []string{"/projects/vault"}},
		{"project page", employee, "/projects/shop", 200, []string{"trend.json", "data-chart=\"trend-p95\"", "/runs/{perf2}", "/projects/shop/runs.csv"}, []string{"sla_rules"}},
		{"project page for managers has settings", manager, "/projects/shop", 200, []string{"sla_rules", "p95&lt;100000ms"}, nil},
		{"restricted project is 404 to outsiders", outsider, "/projects/vault", 404, nil, []string{"Vault"}},
		{"restricted run is 404 to outsiders", outsider, "/runs/{vault}", 404, nil, nil},
		{"restricted run series is 404 to outsiders", outsider, "/runs/{vault}/series.json", 404, nil, nil},
		{"restricted run CSV is 404 to outsiders", outsider, "/runs/{vault}/stats.csv", 404, nil, nil},
		{"restricted run visible to its member", employee, "/runs/{vault}", 200, []string{"Vault"}, nil},
		{"unknown run", employee, "/runs/999999", 404, nil, nil},
		{"non-numeric run", employee, "/runs/abc", 404, nil, nil},
		{"run report", employee, "/runs/{perf1}", 200, []string{"APDEX", "id=\"stats-table\"", "data-src=\"/runs/{perf1}/series.json\"",
			"data-chart=\"percentiles\"", "data-chart=\"distribution\"", "/runs/{perf1}/errors.csv", "sb-total", "js/charts.js", "vendor/echarts.min.js"}, nil},
		{"run report escapes labels", employee, "/runs/{hostile}", 200, []string{"&lt;script&gt;alert(1)&lt;/script&gt;"}, []string{"<script>alert(1)"}},
		{"series JSON", employee, "/runs/{perf1}/series.json", 200, []string{`"bucket_ms"`, `"p95"`, `"dist"`, `"curve"`}, nil},
		{"stats fragment filtered", employee, "/runs/{perf1}/table?q=resource/1", 200, []string{"GET /api/v1/resource/1"}, []string{"GET /api/v1/resource/2<", "<html"}},
		{"stats fragment by regex", employee, "/runs/{perf1}/table?q=/resource/[23]$/", 200, []string{"resource/2", "resource/3"}, []string{"resource/4"}},
		{"stats fragment bad regex", employee, "/runs/{perf1}/table?q=/(/", 400, nil, nil},
		{"verdict JSON", employee, "/runs/{perf1}/verdict.json", 200, []string{`"verdict":"fail"`, `"rule":"error_rate\u003c0.5%"`}, nil},
		{"security view", employee, "/runs/{zap2}", 200, []string{"Content Security Policy", "/runs/{zap2}/findings.csv", "security-trend.json", "shop.example.test/cart"}, nil},
		{"security trend", employee, "/projects/shop/security-trend.json", 200, []string{`"medium":1`}, nil},
		{"junit view", employee, "/runs/{junit}", 200, []string{"test_remove", "AssertionError"}, nil},
		{"trend JSON", employee, "/projects/shop/trend.json", 200, []string{`"p95"`, `"run_id":{perf1}`}, nil},
		{"compare without baseline", employee, "/compare?b={perf2}", 400, nil, nil},
		{"compare two runs", employee, "/compare?a={perf1}&b={perf2}", 200, []string{"compare/series.json", "/compare.csv?a={perf1}&amp;b={perf2}"}, nil},
		{"compare across projects refused", manager, "/compare?a={vault}&b={perf2}", 400, nil, nil},
		{"compare a hidden run is 404", outsider, "/compare?a={vault}&b={perf2}", 404, nil, nil},
		{"overview for managers", manager, "/overview", 200, []string{"/projects/shop", "/projects/vault", "overview.csv"}, nil},
		{"overview refused to employees", employee, "/overview", 403, nil, []string{"/projects/shop"}},
		{"overview CSV refused to employees", employee, "/overview.csv", 403, nil, nil},
	}
	browsers := map[who]*browser{anon: de.browser(), employee: de.browser(), outsider: de.browser(), manager: de.browser()}
	browsers[employee].login(de.employee)
	browsers[outsider].login(de.outsider)
	browsers[manager].login(de.manager)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := browsers[tt.as].get(de.path(tt.path))
			body := readBody(resp)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d\n%.2000s", resp.StatusCode, tt.status, body)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, de.path(w)) {
					t.Errorf("body lacks %q\n%.3000s", de.path(w), body)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(body, de.path(w)) {
					t.Errorf("body contains %q", de.path(w))
				}
			}
		})
	}
}

func parseCSV(t *testing.T, resp *http.Response) [][]string {
	t.Helper()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, readBody(resp))
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Fatalf("content type %q", ct)
	}
	body := readBody(resp)
	if !strings.Contains(body, "\r\n") {
		t.Error("RFC 4180 wants CRLF line ends")
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v\n%s", err, body)
	}
	return recs
}

// TestDashboardExports downloads every table and checks its shape, its numbers (raw,
// not locale-formatted) and formula-injection escaping.
func TestDashboardExports(t *testing.T) {
	de := newDashEnv(t)
	de.seed()
	if err := reports.NewDash(de.svc, 0).SetBaseline(context.Background(), reports.Viewer{UserID: de.manager.ID, Role: "manager"}, "shop", de.runs["perf1"]); err != nil {
		t.Fatal(err)
	}
	b := de.browser()
	b.login(de.employee)
	m := de.browser()
	m.login(de.manager)
	tests := []struct {
		name    string
		b       *browser
		path    string
		header  string // first column header (zh-CN, the default locale)
		minRows int
	}{
		{"statistics", b, "/runs/{perf1}/stats.csv", "标签", 9},
		{"statistics of a range", b, "/runs/{perf1}/stats.csv?from=1767225600000&to=1767225601500", "标签", 1},
		{"apdex", b, "/runs/{perf1}/apdex.csv", "标签", 9},
		{"errors", b, "/runs/{perf1}/errors.csv", "错误类型", 1},
		{"top errors", b, "/runs/{perf1}/top-errors.csv", "标签", 1},
		{"findings", b, "/runs/{zap1}/findings.csv", "规则", 1},
		{"tests", b, "/runs/{junit}/cases.csv", "测试", 2},
		{"runs", b, "/projects/shop/runs.csv", "运行", 6},
		{"projects", b, "/projects.csv", "标识", 2},
		{"compare with baseline", b, "/compare.csv?b={perf2}", "标签", 9},
		{"overview", m, "/overview.csv", "项目", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs := parseCSV(t, tt.b.get(de.path(tt.path)))
			if recs[0][0] != tt.header || len(recs)-1 < tt.minRows {
				t.Errorf("header %q and %d rows; want %q and at least %d", recs[0][0], len(recs)-1, tt.header, tt.minRows)
			}
		})
	}

	t.Run("statistics equal mis report stats", func(t *testing.T) {
		want, err := stats.Build(context.Background(), []string{writeTemp(t, genCSV(t, 3_000, 1))})
		if err != nil {
			t.Fatal(err)
		}
		recs := parseCSV(t, b.get(de.path("/runs/{perf1}/stats.csv")))
		total := recs[len(recs)-1]
		w := want.Overall
		got := []string{total[1], total[2], total[5], total[6], total[7], total[8], total[9], total[10], total[11]}
		exp := []string{strconv.FormatInt(w.Count, 10), strconv.FormatInt(w.Errors, 10), num(w.MinMS), num(w.MaxMS), num(*w.P50MS), num(*w.P90MS), num(*w.P95MS), num(*w.P99MS), num(w.ThroughputPerS)}
		if strings.Join(got, ",") != strings.Join(exp, ",") {
			t.Errorf("total row %v, mis report stats %v", got, exp)
		}
	})

	t.Run("formula injection is neutralised", func(t *testing.T) {
		for _, p := range []string{"/runs/{hostile}/stats.csv", "/runs/{hostile}/errors.csv"} {
			recs := parseCSV(t, b.get(de.path(p)))
			for _, r := range recs {
				for _, c := range r {
					if c != "" && strings.ContainsRune("=+@", rune(c[0])) {
						t.Errorf("%s: cell %q starts a formula", p, c)
					}
				}
			}
		}
		body := readBody(b.get(de.path("/runs/{hostile}/stats.csv")))
		if !strings.Contains(body, `'=HYPERLINK`) {
			t.Errorf("the hostile label is not escaped:\n%s", body)
		}
	})
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func writeTemp(t *testing.T, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f.csv")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDashboardActions covers the pages' writes: baseline, settings, and their access rules.
func TestDashboardActions(t *testing.T) {
	de := newDashEnv(t)
	de.seed()
	b := de.browser()
	b.login(de.employee)
	o := de.browser()
	o.login(de.outsider)
	m := de.browser()
	m.login(de.manager)
	form := func(kv ...string) map[string][]string {
		f := map[string][]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			f[kv[i]] = []string{kv[i+1]}
		}
		return f
	}
	tests := []struct {
		name   string
		b      *browser
		path   string
		form   map[string][]string
		status int
	}{
		{"employee marks the baseline", b, "/projects/shop/baseline", form("run_id", de.path("{perf1}")), http.StatusSeeOther},
		{"baseline must be a run of the project", b, "/projects/shop/baseline", form("run_id", de.path("{vault}")), 400},
		{"outsider cannot touch a hidden project", o, "/projects/vault/baseline", form("run_id", de.path("{vault}")), 404},
		{"employee cannot edit settings", b, "/projects/shop/settings", form("sla_rules", "p95<1s"), 403},
		{"bad SLA rule", m, "/projects/shop/settings", form("sla_rules", "p95 <", "apdex_satisfied_ms", "500", "apdex_tolerated_ms", "1500", "regression_pct", "10", "regression_error_pts", "1", "regression_min_count", "100"), 400},
		{"manager saves settings", m, "/projects/shop/settings", form("sla_rules", "p95<100000ms", "apdex_satisfied_ms", "300", "apdex_tolerated_ms", "1200", "regression_pct", "5", "regression_error_pts", "1", "regression_min_count", "10"), http.StatusSeeOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := tt.b.post(tt.path, tt.form, "")
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %.1000s", resp.StatusCode, tt.status, readBody(resp))
			}
		})
	}
	// The baseline now drives the comparison default and the new rules the verdict.
	if resp := b.get(de.path("/compare?b={perf2}")); resp.StatusCode != 200 {
		t.Errorf("compare with baseline: %d", resp.StatusCode)
	}
	var v reports.Verdict
	if err := json.Unmarshal([]byte(readBody(b.get(de.path("/runs/{perf1}/verdict.json")))), &v); err != nil {
		t.Fatal(err)
	}
	if v.Verdict != "pass" || len(v.Rules) != 1 {
		t.Errorf("verdict after new rules: %+v", v)
	}
	// Both kinds of change are on the audit chain, with who made them and what they set.
	for action, actor := range map[string]int{"project.baseline": de.employee.ID, "project.settings": de.manager.ID} {
		rows := de.store.Client.AuditLog.Query().Where(auditlog.Action(action)).WithActor().AllX(context.Background())
		if len(rows) != 1 || rows[0].TargetID != "shop" || rows[0].Edges.Actor == nil || rows[0].Edges.Actor.ID != actor {
			t.Errorf("audit rows for %s: %+v", action, rows)
		}
	}
	if res, err := auth.VerifyAudit(context.Background(), de.store.Client); err != nil || res.Bad != nil {
		t.Errorf("audit chain after settings changes: %+v %v", res, err)
	}
}

// TestVerdictAPI is the CI gate: a bearer token, and ?gate=1 turns a failed verdict into 412.
func TestVerdictAPI(t *testing.T) {
	de := newDashEnv(t)
	de.seed()
	ctx := context.Background()
	raw, _, err := de.svc.CreateToken(ctx, de.employee.ID, "ci", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		auth   string
		path   string
		status int
		want   string
	}{
		{"no token", "", "/api/v1/runs/{perf1}/verdict", 401, ""},
		{"verdict", "Bearer " + raw, "/api/v1/runs/{perf1}/verdict", 200, `"verdict":"fail"`},
		{"gate", "Bearer " + raw, "/api/v1/runs/{perf1}/verdict?gate=1", 412, `"verdict":"fail"`},
		{"hidden project", "Bearer " + raw, "/api/v1/runs/999999/verdict", 404, ""},
	}
	b := de.browser()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var resp *http.Response
			if tt.auth != "" {
				resp = b.get(de.path(tt.path), "Authorization", tt.auth, "Accept", "application/json")
			} else {
				resp = b.get(de.path(tt.path), "Accept", "application/json")
			}
			body := readBody(resp)
			if resp.StatusCode != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("status %d body %s; want %d with %q", resp.StatusCode, body, tt.status, tt.want)
			}
		})
	}
}

// TestDashboardLocales renders the run report in both languages: words from the locale
// files, numbers grouped and times written the locale's way.
func TestDashboardLocales(t *testing.T) {
	de := newDashEnv(t)
	var csvBody bytes.Buffer
	// Mid-month, so the date reads the same in every time zone the server may run in.
	if _, err := gen.JMeterCSV(&csvBody, gen.Options{Rows: 12_345, Seed: 9, Labels: 4, StartMS: 1768478400000}); err != nil { // 2026-01-15 12:00 UTC
		t.Fatal(err)
	}
	id := de.upload("big", "shop", "big.csv", csvBody.Bytes())
	b := de.browser()
	b.login(de.employee)
	tests := []struct {
		lang string
		want []string
	}{
		{"en", []string{`lang="en"`, "Samples", "12,345", "15 Jan 2026", "Statistics", "Transactions/s"}},
		{"zh-CN", []string{`lang="zh-CN"`, "样本数", "12,345", "2026年1月15日", "统计", "事务/秒"}},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			body := readBody(b.get("/runs/"+strconv.Itoa(id), "Accept-Language", tt.lang))
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("%s page lacks %q", tt.lang, w)
				}
			}
		})
	}
}
