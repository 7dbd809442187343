package agg_test

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"scanboard/app/reports/agg"
	"scanboard/app/reports/parse"
)

// sharedReal is where the project keeps real result files with independently computed figures.
const sharedReal = "../../../../shared/testdata/real"

type truthFigures struct {
	Count  int64   `json:"count"`
	Errors int64   `json:"errors"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	Sum    float64 `json:"sum"`
	P50    float64 `json:"p50"`
	P90    float64 `json:"p90"`
	P95    float64 `json:"p95"`
	P99    float64 `json:"p99"`
}

type jmeterTruth struct {
	Records      int64                       `json:"records"`
	Overall      truthFigures                `json:"overall"`
	OverallNoTC  truthFigures                `json:"overall_excluding_transaction_controller_rows"`
	TCLabels     []string                    `json:"transaction_controller_labels"`
	Labels       map[string]truthFigures     `json:"labels"`
	CodesByLabel map[string]map[string]int64 `json:"response_codes_by_label"`
	TimeRange    map[string]int64            `json:"time_range"`
}

func aggregateFile(t *testing.T, path string) *agg.Result {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	a := agg.New(agg.Options{})
	if err := parse.ReadJMeterCSV(f, parse.CSVOptions{File: filepath.Base(path)}, a); err != nil {
		t.Fatal(err)
	}
	return a.Result()
}

func checkFigures(t *testing.T, name string, want truthFigures, got *agg.Label) {
	t.Helper()
	if got.Count != want.Count || got.Errors != want.Errors {
		t.Errorf("%s: count/errors = %d/%d, want %d/%d", name, got.Count, got.Errors, want.Count, want.Errors)
	}
	if got.MinMS != want.Min || got.MaxMS != want.Max || got.SumMS != want.Sum {
		t.Errorf("%s: min/max/sum = %v/%v/%v, want %v/%v/%v", name, got.MinMS, got.MaxMS, got.SumMS, want.Min, want.Max, want.Sum)
	}
	for _, c := range []struct {
		p    float64
		want float64
	}{{50, want.P50}, {90, want.P90}, {95, want.P95}, {99, want.P99}} {
		v := got.All.PercentileMS(c.p)
		if math.Abs(v-c.want) > 0.001*math.Max(c.want, 1e-9) && !(c.want == 0 && v == 0) {
			t.Errorf("%s: p%v = %v, want %v (±0.1%%)", name, c.p, v, c.want)
		}
	}
}

func TestRealJMeterTruth(t *testing.T) {
	path := filepath.Join(sharedReal, "jmeter-2.13-header.csv")
	var truth jmeterTruth
	raw, err := os.ReadFile(path + ".truth.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &truth); err != nil {
		t.Fatal(err)
	}
	res := aggregateFile(t, path)

	t.Run("overall", func(t *testing.T) { checkFigures(t, "overall", truth.Overall, res.Overall) })
	t.Run("overall without transaction rows", func(t *testing.T) {
		noTC := agg.New(agg.Options{}).Result().Overall
		for _, l := range res.Labels {
			if !l.Transaction && !l.Sub {
				if err := noTC.All.Merge(l.All); err != nil {
					t.Fatal(err)
				}
				noTC.Counters.Merge(&l.Counters)
			}
		}
		checkFigures(t, "overall_excluding_tc", truth.OverallNoTC, noTC)
	})
	t.Run("labels", func(t *testing.T) {
		if len(res.Labels) != len(truth.Labels) {
			t.Errorf("got %d labels, want %d", len(res.Labels), len(truth.Labels))
		}
		tc := map[string]bool{}
		for _, n := range truth.TCLabels {
			tc[n] = true
		}
		for _, l := range res.Labels {
			want, ok := truth.Labels[l.Name]
			if !ok {
				t.Errorf("unexpected label %q", l.Name)
				continue
			}
			checkFigures(t, l.Name, want, l)
			if l.Transaction != tc[l.Name] {
				t.Errorf("%s: transaction = %v, want %v", l.Name, l.Transaction, tc[l.Name])
			}
			codes := map[string]int64{}
			for _, c := range l.Codes {
				codes[c.Code] = c.Count
			}
			if len(codes) != len(truth.CodesByLabel[l.Name]) {
				t.Errorf("%s: codes %v, want %v", l.Name, codes, truth.CodesByLabel[l.Name])
			}
			for code, n := range truth.CodesByLabel[l.Name] {
				if codes[code] != n {
					t.Errorf("%s: code %q = %d, want %d", l.Name, code, codes[code], n)
				}
			}
		}
	})
	t.Run("time range", func(t *testing.T) {
		if res.Overall.FirstStartMS != truth.TimeRange["first_timeStamp_ms"] || res.Overall.LastEndMS != truth.TimeRange["last_timeStamp_plus_elapsed_ms"] {
			t.Errorf("time range %d–%d, want %v", res.Overall.FirstStartMS, res.Overall.LastEndMS, truth.TimeRange)
		}
	})
}
