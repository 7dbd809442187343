package reports

import (
	"context"
	"math"
	"testing"

	"scanboard/app/reports/agg"
	"scanboard/app/reports/parse"
)

func TestListRunsPages(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for i := range 5 {
		f.ingestFile(t, generated(t, 500, uint64(i+1)))
	}
	var got []int
	page := RunPage{Limit: 2}
	for {
		runs, next, err := f.svc.ListRuns(ctx, f.viewer(), "shop", page)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range runs {
			got = append(got, r.ID)
		}
		if next == 0 {
			break
		}
		page.BeforeID = next
	}
	if len(got) != 5 || got[0] != 5 || got[4] != 1 {
		t.Errorf("pages gave %v, want 5..1", got)
	}
}

// TestTimeRangeTable checks that a table recomputed from stored slices for a time range
// matches the statistics of exactly the samples in that range: counts and errors exactly,
// percentiles as a 0.1% histogram of those samples gives them (slices merge exactly).
func TestTimeRangeTable(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	file := generated(t, 60_000, 11)
	rc := f.ingestFile(t, file)
	drain(t, f.svc)
	r := f.st.Client.Run.GetX(ctx, rc.RunID)
	from := (r.StartedMs/1000)*1000 + 10_000
	to := from + 20_000
	if r.LabelBucketMs == 0 || (to-from)%r.LabelBucketMs != 0 || from%r.LabelBucketMs != 0 {
		t.Fatalf("slices of %d ms do not divide the test range", r.LabelBucketMs)
	}

	want := agg.New(agg.Options{})
	err := parse.ReadJMeterCSV(openT(t, file), parse.CSVOptions{}, parse.SinkFunc(func(s *parse.Sample) error {
		if s.StartMS >= from && s.StartMS < to {
			return want.Sample(s)
		}
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	wres := want.Result()
	wantBy := map[string]*agg.Label{"": wres.Overall}
	for _, l := range wres.Labels {
		wantBy[l.Name] = l
	}

	tests := []struct {
		name string
		sel  Selection
	}{
		{"whole run", Selection{RunIDs: []int{r.ID}}},
		{"time range", Selection{RunIDs: []int{r.ID}, FromMS: from, ToMS: to}},
		{"time range, two labels", Selection{RunIDs: []int{r.ID}, FromMS: from, ToMS: to, Labels: []string{wres.Labels[0].Name, wres.Labels[1].Name}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			labels, overall, err := f.svc.Table(ctx, f.viewer(), tt.sel)
			if err != nil {
				t.Fatal(err)
			}
			if tt.sel.FromMS == 0 {
				if overall.Count != r.SampleCount || len(labels) != 12 {
					t.Errorf("whole run: %d samples in %d labels, run has %d", overall.Count, len(labels), r.SampleCount)
				}
				return
			}
			if len(tt.sel.Labels) > 0 && len(labels) != len(tt.sel.Labels) {
				t.Fatalf("%d labels, want %d", len(labels), len(tt.sel.Labels))
			}
			var sumCount int64
			for _, got := range labels {
				sumCount += got.Count
				compareFigures(t, got, wantBy[got.Label])
			}
			if len(tt.sel.Labels) == 0 {
				compareFigures(t, overall, wres.Overall)
			} else if overall.Count != sumCount {
				t.Errorf("overall of a label subset has %d samples, labels %d", overall.Count, sumCount)
			}
		})
	}
}

func compareFigures(t *testing.T, got *Figures, want *agg.Label) {
	t.Helper()
	if want == nil {
		t.Fatalf("label %q not in the expected figures", got.Label)
	}
	if got.Count != want.Count || got.Errors != want.Errors || got.MinMS != want.MinMS || got.MaxMS != want.MaxMS {
		t.Errorf("%q: %d/%d samples/errors, min %v max %v; want %d/%d, %v, %v", got.Label,
			got.Count, got.Errors, got.MinMS, got.MaxMS, want.Count, want.Errors, want.MinMS, want.MaxMS)
	}
	for _, p := range []float64{50, 90, 95, 99} {
		g, ok := got.Percentile(p)
		w := want.All.PercentileMS(p)
		if !ok || g != math.Round(w*1000)/1000 {
			t.Errorf("%q p%v: %v, want %v", got.Label, p, g, w)
		}
	}
}

// TestMergeEncodedMixedPrecision merges stored slices of both precisions (coarse ones from
// runs stored before slices were fine): the merge falls back to the coarse precision
// instead of failing, in either order.
func TestMergeEncodedMixedPrecision(t *testing.T) {
	fine, coarse := agg.NewSparseHist(), agg.NewCoarseHist()
	for v := 1.0; v < 3000; v *= 1.01 {
		fine.RecordMS(math.Round(v))
		coarse.RecordMS(math.Round(v * 2))
	}
	fenc, _ := fine.MarshalBinary()
	cenc, _ := coarse.MarshalBinary()
	tests := []struct {
		name  string
		order [][]byte
		fine  bool
	}{
		{"fine only", [][]byte{fenc, fenc}, true},
		{"fine then coarse", [][]byte{fenc, cenc}, false},
		{"coarse then fine", [][]byte{cenc, fenc}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := agg.NewHist()
			var want uint64
			for _, enc := range tt.order {
				if err := mergeEncoded(&h, &enc); err != nil {
					t.Fatal(err)
				}
				var d agg.Hist
				_ = d.UnmarshalBinary(enc)
				want += d.Count()
			}
			if h.Count() != want || h.Fine() != tt.fine {
				t.Errorf("merged %d values (fine=%v), want %d (fine=%v)", h.Count(), h.Fine(), want, tt.fine)
			}
		})
	}
}
