package agg

import (
	"fmt"
	"testing"

	"scanboard/app/reports/parse"
)

func TestRebucketingKeepsTotalsAndBound(t *testing.T) {
	a := New(Options{MaxBuckets: 100})
	const start = 1_700_000_000_000
	n := 0
	// Ten hours at one sample per second, out of order within each minute.
	for i := range 36_000 {
		ts := int64(start + (i/60*60+(59-i%60))*1000)
		s := parse.Sample{Label: []string{"a", "b"}[i%2], StartMS: ts, ElapsedMS: float64(i % 500), OK: i%10 != 0, Code: "200", Threads: i % 7}
		if err := a.Sample(&s); err != nil {
			t.Fatal(err)
		}
		n++
	}
	res := a.Result()
	buckets := res.Overall.Buckets()
	if len(buckets) > 100 || len(buckets) < 50 {
		t.Errorf("%d buckets of %d ms; want at most 100 and not far fewer", len(buckets), res.BucketMS)
	}
	var count, errs int64
	var hist uint64
	for _, b := range buckets {
		count += b.Count
		errs += b.Errors
		hist += b.Hist.Count()
		if b.StartMS%res.BucketMS != 0 {
			t.Errorf("bucket %d not aligned to %d", b.StartMS, res.BucketMS)
		}
	}
	if count != int64(n) || errs != int64(n/10) || hist != uint64(n) || res.Overall.Count != int64(n) {
		t.Errorf("bucket totals %d/%d/%d, overall %d; want %d", count, errs, hist, res.Overall.Count, n)
	}
	if res.Overall.MaxThreads != 6 {
		t.Errorf("max threads %d", res.Overall.MaxThreads)
	}
}

func TestSubResultsAndTransactions(t *testing.T) {
	a := New(Options{})
	for _, s := range []parse.Sample{
		{Label: "GET /", ElapsedMS: 10, OK: true, StartMS: 1000},
		{Label: "GET /-0", ElapsedMS: 4, OK: true, StartMS: 1000, Sub: true},
		{Label: "TC", ElapsedMS: 12, OK: false, Code: "", Message: "Number of samples in transaction : 1, number of failing samples : 1", StartMS: 1000, Transaction: true},
		{Label: "GET /", ElapsedMS: 20, OK: false, Code: "500", Message: "Server Error", StartMS: 2000},
	} {
		if err := a.Sample(&s); err != nil {
			t.Fatal(err)
		}
	}
	res := a.Result()
	if res.Overall.Count != 3 || res.Overall.Errors != 2 || res.Overall.Transaction {
		t.Errorf("overall %+v", res.Overall.Counters)
	}
	if len(res.Labels) != 3 || !res.Labels[0].Sub == (res.Labels[0].Name == "GET /-0") {
		for _, l := range res.Labels {
			t.Logf("%s sub=%v tc=%v", l.Name, l.Sub, l.Transaction)
		}
	}
	errs := res.Overall.ErrorKeys.Top(10)
	if len(errs) != 2 || errs[0].Key != "500/Server Error" && errs[1].Key != "500/Server Error" {
		t.Errorf("error keys %+v", errs)
	}
}

func TestTopErrorsBounded(t *testing.T) {
	te := newTopErrors(10)
	for i := range 10_000 {
		te.Add("500", string(rune('a'+i%26))+"-"+string(rune('A'+i%7)), 1)
		te.Add("404", "Not Found", 1) // the frequent one must survive
	}
	top := te.Top(3)
	if len(te.entries) > 10 || top[0].Key != "404/Not Found" || top[0].Count != 10_000 {
		t.Errorf("top %+v (table %d)", top, len(te.entries))
	}
}

func TestSlicesCoverLabelsWithinBudget(t *testing.T) {
	tests := []struct {
		name   string
		labels int
		cells  int
	}{
		{"few labels", 3, 0},
		{"many labels small budget", 40, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := New(Options{MaxSlices: tt.cells})
			const start = 1_700_000_000_000
			n := 20_000
			for i := range n {
				// Two hours, out of order within each minute, with one sub-result per 10.
				ts := int64(start + (i/60*60+(59-i%60))*360)
				s := parse.Sample{Label: fmt.Sprintf("L%02d", i%tt.labels), StartMS: ts, ElapsedMS: float64(1 + i%900), OK: i%13 != 0, Code: "200"}
				if err := a.Sample(&s); err != nil {
					t.Fatal(err)
				}
				if i%10 == 0 {
					sub := parse.Sample{Label: "sub", Sub: true, StartMS: ts, ElapsedMS: 3, OK: true}
					_ = a.Sample(&sub)
				}
			}
			res := a.Result()
			budget := tt.cells
			if budget == 0 {
				budget = 4096
			}
			cells := 0
			for _, l := range res.Labels {
				sl := l.Slices()
				if l.Sub {
					if len(sl) != 0 {
						t.Errorf("sub-result label %q has %d slices", l.Name, len(sl))
					}
					continue
				}
				cells += len(sl)
				var count, errs int64
				var hist uint64
				for _, b := range sl {
					if b.StartMS%res.SliceMS != 0 {
						t.Errorf("slice %d not aligned to %d", b.StartMS, res.SliceMS)
					}
					count += b.Count
					errs += b.Errors
					hist += b.Fine.Count()
				}
				if count != l.Count || errs != l.Errors || hist != uint64(l.Count) {
					t.Errorf("%s: slices hold %d/%d/%d, label %d/%d", l.Name, count, errs, hist, l.Count, l.Errors)
				}
			}
			if cells > budget {
				t.Errorf("%d slices over the budget of %d", cells, budget)
			}
			if res.SliceMS < res.BucketMS || res.SliceMS%res.BucketMS != 0 {
				t.Errorf("slice %d ms vs bucket %d ms", res.SliceMS, res.BucketMS)
			}
		})
	}
}

// TestMoreLabelsThanSliceBudget feeds more top-level labels than MaxSlices allows slices:
// no slice size fits, so each label must end with the slice (or two, by alignment) that
// spans the run, rather than the slices widening without end.
func TestMoreLabelsThanSliceBudget(t *testing.T) {
	a := New(Options{MaxSlices: 20})
	const start = 1_700_000_000_000
	for i := range 30_000 {
		s := parse.Sample{Label: fmt.Sprintf("L%02d", i%50), StartMS: int64(start + i*100), ElapsedMS: float64(1 + i%700), OK: true, Code: "200"}
		if err := a.Sample(&s); err != nil {
			t.Fatal(err)
		}
	}
	res := a.Result()
	if len(res.Labels) != 50 {
		t.Fatalf("%d labels", len(res.Labels))
	}
	for _, l := range res.Labels {
		sl := l.Slices()
		var n int64
		for _, b := range sl {
			n += b.Count
		}
		if len(sl) > 2 || n != l.Count {
			t.Errorf("%s: %d slices of %d ms holding %d of %d samples", l.Name, len(sl), res.SliceMS, n, l.Count)
		}
	}
}
