package reports

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"scanboard/app/apperr"
	"scanboard/ent/user"
)

func (f *fixture) ingestBytes(t *testing.T, name string, body []byte) int {
	t.Helper()
	rc, err := f.svc.Ingest(context.Background(), IngestRequest{ProjectKey: "shop", UploaderID: f.user.ID, Filename: name, Body: bytes.NewReader(body)})
	if err != nil {
		t.Fatalf("ingest %s: %v", name, err)
	}
	drain(t, f.svc)
	return rc.RunID
}

func readShared(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../../../shared/testdata/examples/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func manager(f *fixture) Viewer { return Viewer{UserID: f.user.ID, Role: string(user.RoleManager)} }

func TestDashTrendBaselineCompareVerdict(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := NewDash(f.svc, 0)
	a := f.ingestFile(t, generated(t, 5_000, 1)).RunID
	b := f.ingestFile(t, generated(t, 5_000, 2)).RunID
	drain(t, f.svc)

	trend, err := d.Trend(ctx, f.viewer(), "shop", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(trend) != 2 || trend[0].RunID != a || trend[1].RunID != b || trend[0].P95 == nil {
		t.Fatalf("trend %+v, want runs %d then %d with p95", trend, a, b)
	}
	if _, err := d.Compare(ctx, f.viewer(), 0, b); apperr.KindOf(err) != apperr.Invalid {
		t.Errorf("compare without baseline: %v, want Invalid", err)
	}
	if err := d.SetBaseline(ctx, f.viewer(), "shop", a); err != nil {
		t.Fatal(err)
	}
	if err := d.SetBaseline(ctx, f.viewer(), "shop", 9999); apperr.KindOf(err) != apperr.Invalid {
		t.Errorf("baseline of a missing run: %v, want Invalid", err)
	}
	c, err := d.Compare(ctx, f.viewer(), 0, b)
	if err != nil {
		t.Fatal(err)
	}
	if c.A.ID != a || len(c.Rows) != 12 {
		t.Fatalf("compared %d with %d over %d labels", c.A.ID, c.B.ID, len(c.Rows))
	}
	// Same generator, other seed: nothing moves by 10%, so no label may be flagged
	// for p95 growth unless its figures say so.
	for _, r := range c.Rows {
		if r.Change == ChangeRegressed && (r.DP95 == nil || *r.DP95 <= 10) && (r.DP99 == nil || *r.DP99 <= 10) && (r.DErr == nil || *r.DErr <= 1) {
			t.Errorf("%q flagged regressed without a figure over the threshold: %+v", r.Label, r)
		}
	}

	// A run twice as slow is a regression; the reverse comparison an improvement.
	slow := strings.Builder{}
	for i, line := range strings.Split(readGenerated(t, generated(t, 5_000, 1)), "\n") {
		if i == 0 || line == "" {
			slow.WriteString(line + "\n")
			continue
		}
		parts := strings.SplitN(line, ",", 3)
		n := atoiT(t, parts[1])
		slow.WriteString(parts[0] + "," + itoaT(2*n) + "," + parts[2] + "\n")
	}
	s := f.ingestBytes(t, "slow.csv", []byte(slow.String()))
	c, err = d.Compare(ctx, f.viewer(), a, s)
	if err != nil {
		t.Fatal(err)
	}
	if c.Overall.Change != ChangeRegressed {
		t.Errorf("twice as slow: overall %q (%s)", c.Overall.Change, c.Overall.Why)
	}
	if c, _ := d.Compare(ctx, f.viewer(), s, a); c.Overall.Change != ChangeImproved {
		t.Errorf("twice as fast: overall %q", c.Overall.Change)
	}

	// SLA rules: saved by managers only, evaluated on the stored figures.
	if err := d.SaveSettings(ctx, f.viewer(), "shop", Settings{SLARules: "p95<1s"}); apperr.KindOf(err) != apperr.Forbidden {
		t.Errorf("employee saving rules: %v, want Forbidden", err)
	}
	set := Settings{ApdexSatisfiedMS: 500, ApdexToleratedMS: 1500, RegressionPct: 10, RegressionErrorPts: 1, RegressionMinCount: 100}
	set.SLARules = "p95 <"
	if err := d.SaveSettings(ctx, manager(f), "shop", set); apperr.KindOf(err) != apperr.Invalid {
		t.Errorf("bad rule: %v, want Invalid", err)
	}
	set.SLARules = "p95<100000ms\nerror_rate<0.1%\n# comment"
	if err := d.SaveSettings(ctx, manager(f), "shop", set); err != nil {
		t.Fatal(err)
	}
	v, err := d.Verdict(ctx, f.viewer(), b)
	if err != nil {
		t.Fatal(err)
	}
	if v.Verdict != "fail" || len(v.Rules) != 2 || !v.Rules[0].Pass || v.Rules[1].Pass {
		t.Errorf("verdict %+v: want p95 pass, error rate (2%%) fail", v)
	}
}

func readGenerated(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDashSecurityDiffAndTrend(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := NewDash(f.svc, 0)
	zap := readShared(t, "zap-traditional.json")
	first := f.ingestBytes(t, "zap1.json", []byte(zap))
	moved := strings.Replace(zap, `"uri": "https://shop.example.test/"`, `"uri": "https://shop.example.test/cart"`, 1)
	if moved == zap {
		t.Fatal("test file changed: no uri to move")
	}
	second := f.ingestBytes(t, "zap2.json", []byte(moved))

	sv, err := d.Security(ctx, f.viewer(), first)
	if err != nil {
		t.Fatal(err)
	}
	if sv.Previous != nil || len(sv.Groups) != 1 || sv.Matrix["medium"]["high"] != 1 {
		t.Errorf("first scan: previous %v, %d groups, matrix %v", sv.Previous, len(sv.Groups), sv.Matrix)
	}
	sv, err = d.Security(ctx, f.viewer(), second)
	if err != nil {
		t.Fatal(err)
	}
	if sv.Previous == nil || sv.New != 1 || len(sv.Fixed) != 1 || sv.StillOpen != 0 {
		t.Errorf("second scan: new %d, fixed %d, still open %d; want 1, 1, 0", sv.New, len(sv.Fixed), sv.StillOpen)
	}
	tr, err := d.SecurityTrend(ctx, f.viewer(), "shop", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr) != 2 || tr[1].Counts["medium"] != 1 {
		t.Errorf("trend %+v", tr)
	}
}

func TestDashFunctionalFlaky(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := NewDash(f.svc, 0)
	x := readShared(t, "junit-pytest.xml")
	f.ingestBytes(t, "j1.xml", []byte(x))
	// The next run passes test_remove: it flipped, so it is flaky.
	pass := strings.Replace(x, `<failure message="AssertionError: assert 500 == 200">def test_remove(): ...
E   AssertionError: assert 500 == 200</failure>`, "", 1)
	pass = strings.Replace(pass, `failures="1"`, `failures="0"`, 1)
	if pass == x {
		t.Fatal("test file changed: no failure to remove")
	}
	id := f.ingestBytes(t, "j2.xml", []byte(pass))
	fv, err := d.Functional(ctx, f.viewer(), id)
	if err != nil {
		t.Fatal(err)
	}
	if fv.Total != 2 || fv.Passed != 2 || fv.FlakyCount != 1 || fv.History != 2 {
		t.Fatalf("view: %+v", fv)
	}
	if !fv.Cases[0].Flaky || fv.Cases[0].Name != "test_remove" {
		t.Errorf("first case %q flaky=%v, want test_remove flagged", fv.Cases[0].Name, fv.Cases[0].Flaky)
	}
}

func TestDashOverview(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := NewDash(f.svc, 0)
	f.ingestFile(t, generated(t, 2_000, 1))
	f.ingestFile(t, generated(t, 2_000, 2))
	f.ingestBytes(t, "zap.json", []byte(readShared(t, "zap-traditional.json")))
	if _, err := d.Overview(ctx, f.viewer(), OverviewFilter{}); apperr.KindOf(err) != apperr.Forbidden {
		t.Errorf("employee: %v, want Forbidden", err)
	}
	if _, err := f.svc.CreateProject(ctx, ProjectInput{Key: "empty"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		filter OverviewFilter
		want   []string
	}{
		{"all", OverviewFilter{}, []string{"empty", "shop"}},
		{"query", OverviewFilter{Query: "SHO"}, []string{"shop"}},
		{"high risk only", OverviewFilter{HighRisk: true}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := d.Overview(ctx, manager(f), tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range rows {
				got = append(got, r.Project.Key)
				if r.Project.Key == "shop" && (r.Latest == nil || r.P95 == nil || r.Trend == TrendNone) {
					t.Errorf("shop row lacks latest run, p95 or trend: %+v", r)
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("projects %v, want %v", got, tt.want)
			}
		})
	}
}

func atoiT(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func itoaT(n int) string { return strconv.Itoa(n) }
