package reports

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"scanboard/app/apperr"
	"scanboard/app/reports/agg"
	"scanboard/app/reports/parse"
	"scanboard/app/reports/stats"
	"scanboard/ent/user"
)

// TestDashRunEqualsReportStats ingests the real files through the service and checks that
// the run page's statistics table holds exactly what `mis report stats` prints for them.
func TestDashRunEqualsReportStats(t *testing.T) {
	files := []string{"jmeter-2.13-header.csv", "k6-summary-export.json", "k6-handle-summary.json"}
	for _, name := range files {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			path := filepath.Join("../../../shared/testdata/real", name)
			rc := f.ingestFile(t, path)
			drain(t, f.svc)
			rep, err := NewDash(f.svc, 0).Run(ctx, f.viewer(), rc.RunID)
			if err != nil {
				t.Fatal(err)
			}
			want, err := stats.Build(ctx, []string{path})
			if err != nil {
				t.Fatal(err)
			}
			compareStatsRow(t, rep.Overall, &want.Overall)
			got := map[string]*LabelStats{}
			for _, l := range rep.Labels {
				got[l.Label] = l
			}
			if len(want.Labels) == 0 {
				t.Fatal("the reference report has no labels")
			}
			for i := range want.Labels {
				w := &want.Labels[i]
				g := got[w.Label]
				if g == nil {
					t.Errorf("label %q missing from the run report", w.Label)
					continue
				}
				compareStatsRow(t, g, w)
			}
		})
	}
}

func compareStatsRow(t *testing.T, g *LabelStats, w *stats.Row) {
	t.Helper()
	if g.Count != w.Count || g.Errors != w.Errors || g.MinMS != w.MinMS || g.MaxMS != w.MaxMS ||
		g.ThroughputPerS != w.ThroughputPerS || g.Transaction != w.Transaction {
		t.Errorf("%q: got n=%d err=%d min=%v max=%v tput=%v tx=%v; stats n=%d err=%d min=%v max=%v tput=%v tx=%v", w.Label,
			g.Count, g.Errors, g.MinMS, g.MaxMS, g.ThroughputPerS, g.Transaction, w.Count, w.Errors, w.MinMS, w.MaxMS, w.ThroughputPerS, w.Transaction)
	}
	// A stated row without samples (a k6 scenario) is stored as sum = mean × count, which
	// loses its mean; every other row must agree.
	if w.Count > 0 && math.Abs(g.MeanMS-w.MeanMS) > 0.0011 {
		t.Errorf("%q mean %v, stats %v", w.Label, g.MeanMS, w.MeanMS)
	}
	for _, p := range []struct {
		name string
		g, w *float64
	}{{"p50", g.P50, w.P50MS}, {"p90", g.P90, w.P90MS}, {"p95", g.P95, w.P95MS}, {"p99", g.P99, w.P99MS}} {
		if (p.g == nil) != (p.w == nil) || (p.g != nil && *p.g != *p.w) {
			t.Errorf("%q %s: got %v, stats %v", w.Label, p.name, optv(p.g), optv(p.w))
		}
	}
}

func optv(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// samplesOf re-reads a generated file, keeping the samples for which keep is true.
func samplesOf(t *testing.T, path string, keep func(*parse.Sample) bool) []parse.Sample {
	t.Helper()
	var out []parse.Sample
	err := parse.ReadJMeterCSV(openT(t, path), parse.CSVOptions{}, parse.SinkFunc(func(s *parse.Sample) error {
		if keep(s) {
			c := *s
			out = append(out, c)
		}
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDashApdexAndErrors(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	path := generated(t, 20_000, 3)
	rc := f.ingestFile(t, path)
	drain(t, f.svc)
	rep, err := NewDash(f.svc, 0).Run(ctx, f.viewer(), rc.RunID)
	if err != nil {
		t.Fatal(err)
	}
	type tally struct{ s, tol, n int64 }
	want := map[string]*tally{"": {}}
	for _, s := range samplesOf(t, path, func(*parse.Sample) bool { return true }) {
		for _, k := range []string{"", s.Label} {
			w := want[k]
			if w == nil {
				w = &tally{}
				want[k] = w
			}
			w.n++
			switch {
			case s.OK && s.ElapsedMS <= 500:
				w.s++
			case s.OK && s.ElapsedMS <= 1500:
				w.tol++
			}
		}
	}
	for _, l := range append([]*LabelStats{rep.Overall}, rep.Labels...) {
		w := want[l.Label]
		if l.Apdex == nil || w == nil {
			t.Fatalf("%q: no APDEX", l.Label)
		}
		if l.Apdex.Satisfied != w.s || l.Apdex.Tolerated != w.tol || l.Apdex.Frustrated != w.n-w.s-w.tol {
			t.Errorf("%q APDEX counts %+v, want S=%d T=%d of %d", l.Label, *l.Apdex, w.s, w.tol, w.n)
		}
	}
	if len(rep.Errors) == 0 || len(rep.TopErrors) == 0 {
		t.Fatalf("no errors listed: %d types, %d labels", len(rep.Errors), len(rep.TopErrors))
	}
	var sum int64
	for _, e := range rep.Errors {
		sum += e.Count
	}
	if sum != rep.Overall.Errors {
		t.Errorf("error types add up to %d, the run has %d errors", sum, rep.Overall.Errors)
	}
	for _, le := range rep.TopErrors {
		if len(le.Top) > 5 {
			t.Errorf("%q lists %d errors, want at most 5", le.Label, len(le.Top))
		}
	}
}

// TestDashRangeEqualsSamples checks a time-range table against the statistics of exactly
// the samples that started in the (slice-snapped) range of a generated run: counts, errors,
// min and max exactly, percentiles within 0.1% of the nearest-rank values of the raw samples
// (issue 8's acceptance), for several ranges and every label.
func TestDashRangeEqualsSamples(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	path := generated(t, 120_000, 7)
	rc := f.ingestFile(t, path)
	drain(t, f.svc)
	r := f.st.Client.Run.GetX(ctx, rc.RunID)
	d := NewDash(f.svc, 0)
	slice := r.LabelBucketMs
	if slice <= 0 {
		t.Fatal("the run has no slices")
	}
	base := floorDiv(r.StartedMs, slice) * slice
	tests := []struct {
		name     string
		from, to int64
		snapped  bool
	}{
		{"aligned middle", base + 30*slice, base + 60*slice, false},
		{"one slice", base + 50*slice, base + 51*slice, false},
		{"unaligned", r.StartedMs + 12_345, r.StartedMs + 77_777, true},
		{"first seconds", r.StartedMs, r.StartedMs + 5_000, true},
		{"last seconds, past the end", r.EndedMs - 9_999, r.EndedMs + 3_000, true},
		{"whole run", r.StartedMs, r.EndedMs + 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt, err := d.Range(ctx, f.viewer(), r.ID, tt.from, tt.to)
			if err != nil {
				t.Fatal(err)
			}
			if rt.FromMS > tt.from || rt.ToMS < tt.to || rt.FromMS <= tt.from-slice || rt.ToMS >= tt.to+slice ||
				rt.FromMS%slice != 0 || rt.ToMS%slice != 0 {
				t.Fatalf("snapped range [%d,%d) is not [%d,%d) widened to the next %d-ms slice edges", rt.FromMS, rt.ToMS, tt.from, tt.to, slice)
			}
			if rt.Snapped != tt.snapped || rt.RequestedFromMS != tt.from || rt.RequestedToMS != tt.to || rt.SliceMS != slice {
				t.Errorf("snapped=%v requested [%d,%d) slice %d; want %v [%d,%d) %d", rt.Snapped, rt.RequestedFromMS, rt.RequestedToMS, rt.SliceMS, tt.snapped, tt.from, tt.to, slice)
			}
			in := samplesOf(t, path, func(s *parse.Sample) bool { return s.StartMS >= rt.FromMS && s.StartMS < rt.ToMS })
			want := agg.New(agg.Options{})
			raw := map[string][]float64{}
			for i := range in {
				_ = want.Sample(&in[i])
				raw[in[i].Label] = append(raw[in[i].Label], in[i].ElapsedMS)
				raw[""] = append(raw[""], in[i].ElapsedMS)
			}
			res := want.Result()
			byName := map[string]*agg.Label{}
			for _, l := range res.Labels {
				byName[l.Name] = l
			}
			rangeRow(t, rt.Overall, res.Overall, raw[""])
			if len(rt.Labels) != len(res.Labels) {
				t.Errorf("%d labels, samples have %d", len(rt.Labels), len(res.Labels))
			}
			for _, l := range rt.Labels {
				rangeRow(t, l, byName[l.Label], raw[l.Label])
			}
		})
	}
}

// rangeRow compares a range row with the figures of the samples in the range: counts,
// errors, min and max exactly, the mean to the table's rounding, percentiles within 0.1% of
// the raw samples' nearest-rank values (and equal to a 0.1% histogram of those samples:
// merging slices loses nothing).
func rangeRow(t *testing.T, g *LabelStats, w *agg.Label, raw []float64) {
	t.Helper()
	if w == nil {
		t.Fatalf("label %q has no samples in the range", g.Label)
	}
	if g.Count != w.Count || g.Errors != w.Errors || g.MinMS != w.MinMS || g.MaxMS != w.MaxMS {
		t.Errorf("%q: n=%d err=%d min=%v max=%v; want %d %d %v %v", g.Label, g.Count, g.Errors, g.MinMS, g.MaxMS, w.Count, w.Errors, w.MinMS, w.MaxMS)
	}
	if m := w.MeanMS(); math.Abs(g.MeanMS-m) > 0.0005+1e-9*m {
		t.Errorf("%q mean %v, want %v", g.Label, g.MeanMS, m)
	}
	sorted := slices.Sorted(slices.Values(raw))
	for _, p := range []struct {
		p float64
		g *float64
	}{{50, g.P50}, {90, g.P90}, {95, g.P95}, {99, g.P99}} {
		exact := sorted[agg.Rank(p.p, uint64(len(sorted)))-1]
		if p.g == nil || math.Abs(*p.g-exact) > 0.001*exact {
			t.Errorf("%q p%v: %v, want %v within 0.1%%", g.Label, p.p, optv(p.g), exact)
			continue
		}
		if h := math.Round(w.All.PercentileMS(p.p)*1000) / 1000; *p.g != h {
			t.Errorf("%q p%v: %v, a histogram of the samples gives %v", g.Label, p.p, *p.g, h)
		}
	}
}

func TestDashSeriesAddsUp(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rc := f.ingestFile(t, generated(t, 30_000, 5))
	drain(t, f.svc)
	s, err := NewDash(f.svc, 0).Series(ctx, f.viewer(), rc.RunID)
	if err != nil {
		t.Fatal(err)
	}
	r := f.st.Client.Run.GetX(ctx, rc.RunID)
	secs := float64(s.BucketMS) / 1000
	var hits, dist, labelHits float64
	for i := range s.T {
		hits += s.Hits[i] * secs
		if s.P50[i] > s.P99[i] {
			t.Errorf("bucket %d: p50 %v above p99 %v", i, s.P50[i], s.P99[i])
		}
	}
	for _, l := range s.Labels {
		for _, v := range l.TPS {
			labelHits += v * secs
		}
	}
	for _, c := range s.Dist.Counts {
		dist += float64(c)
	}
	n := float64(r.SampleCount)
	for name, got := range map[string]float64{"hits": hits, "label tps": labelHits, "distribution": dist} {
		if math.Abs(got-n) > 0.5 {
			t.Errorf("%s add up to %v samples, run has %v", name, got, n)
		}
	}
	if last := s.Curve.MS[len(s.Curve.MS)-1]; last != f.st.Client.RunLabel.Query().FirstX(ctx).MaxMs {
		t.Errorf("curve ends at %v, not at the maximum", last)
	}
}

func TestDashHidesRestrictedRuns(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	p, err := f.svc.CreateProject(ctx, ProjectInput{Key: "secret", Restricted: true, MemberIDs: []int{f.user.ID}})
	if err != nil {
		t.Fatal(err)
	}
	outsider := f.st.Client.User.Create().SetStatus(user.StatusActive).SetDisplayName("outsider").SaveX(ctx)
	fh := openT(t, generated(t, 100, 1))
	rc, err := f.svc.Ingest(ctx, IngestRequest{ProjectKey: p.Key, UploaderID: f.user.ID, Filename: "x.csv", Body: fh})
	if err != nil {
		t.Fatal(err)
	}
	drain(t, f.svc)
	d := NewDash(f.svc, 0)
	calls := map[string]func(Viewer) error{
		"run":    func(v Viewer) error { _, err := d.Run(ctx, v, rc.RunID); return err },
		"series": func(v Viewer) error { _, err := d.Series(ctx, v, rc.RunID); return err },
		"range": func(v Viewer) error {
			r := f.st.Client.Run.GetX(ctx, rc.RunID)
			_, err := d.Range(ctx, v, rc.RunID, r.StartedMs, r.EndedMs)
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			if err := call(f.viewer()); err != nil {
				t.Errorf("member: %v", err)
			}
			if err := call(Viewer{UserID: outsider.ID, Role: "employee"}); apperr.KindOf(err) != apperr.NotFound {
				t.Errorf("employee outside the project: %v, want NotFound", err)
			}
			if err := call(Viewer{UserID: outsider.ID, Role: "manager"}); err != nil {
				t.Errorf("manager: %v", err)
			}
		})
	}
}
