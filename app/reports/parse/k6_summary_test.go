package parse

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"strings"
	"testing"
)

func TestReadK6SummaryGolden(t *testing.T) {
	tests := []struct {
		name, file, golden string
		format             Format
	}{
		{"example export", "examples/k6-summary-export.json", "k6/example-summary-export.golden.json", K6SummaryExport},
		{"example handleSummary", "examples/k6-handlesummary-data.json", "k6/example-handlesummary.golden.json", K6HandleSummary},
		{"real export", "real/k6-summary-export.json", "k6/real-summary-export.golden.json", K6SummaryExport},
		{"real handleSummary", "real/k6-handle-summary.json", "k6/real-handle-summary.golden.json", K6HandleSummary},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sum, err := ReadK6Summary(perfOpen(t, perfSharedFile(t, tt.file)), tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Format != tt.format {
				t.Errorf("format = %q, want %q", sum.Format, tt.format)
			}
			perfGolden(t, tt.golden, goldenSummary(sum))
		})
	}
}

// k6Truth is the part of a .truth.json that a summary can state.
type k6Truth struct {
	HTTPReqs struct {
		Count int64 `json:"count"`
	} `json:"http_reqs"`
	Iterations struct {
		Count int64 `json:"count"`
	} `json:"iterations"`
	Failed struct {
		Rate   float64 `json:"rate"`
		Passes int64   `json:"non_zero_values(passes)"`
		Fails  int64   `json:"zero_values(fails)"`
	} `json:"http_req_failed"`
	Trends      map[string]json.RawMessage `json:"-"`
	ChecksTotal struct {
		Passes int64 `json:"passes"`
		Fails  int64 `json:"fails"`
	} `json:"checks_total"`
	Checks     map[string]struct{ Passes, Fails int64 } `json:"checks_by_group_and_name"`
	Thresholds map[string]struct {
		Passed bool `json:"passed"`
	} `json:"thresholds"`
}

type k6TruthTrend struct {
	Count  int64              `json:"count"`
	Min    float64            `json:"min"`
	Max    float64            `json:"max"`
	Avg    float64            `json:"avg"`
	Interp map[string]float64 `json:"k6_linear_interpolation"`
}

// TestReadK6SummaryTruth checks every figure of the real files' .truth.json that the
// summary itself states. Counts and errors must match exactly; the percentiles are k6's own
// linear interpolation and must match as printed; means may differ in the last bits because
// the truth was summed in another order.
func TestReadK6SummaryTruth(t *testing.T) {
	for _, file := range []string{"real/k6-summary-export.json", "real/k6-handle-summary.json"} {
		t.Run(file, func(t *testing.T) {
			sum, err := ReadK6Summary(perfOpen(t, perfSharedFile(t, file)), file)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := os.ReadFile(perfSharedFile(t, file+".truth.json"))
			if err != nil {
				t.Fatal(err)
			}
			var truth k6Truth
			if err := json.Unmarshal(raw, &truth); err != nil {
				t.Fatal(err)
			}
			var all map[string]json.RawMessage
			if err := json.Unmarshal(raw, &all); err != nil {
				t.Fatal(err)
			}

			if sum.Overall.Count != truth.HTTPReqs.Count {
				t.Errorf("overall count = %d, want %d", sum.Overall.Count, truth.HTTPReqs.Count)
			}
			if sum.Overall.Errors != truth.Failed.Passes {
				t.Errorf("overall errors = %d, want %d (http_req_failed passes)", sum.Overall.Errors, truth.Failed.Passes)
			}
			if ok := sum.Overall.Count - sum.Overall.Errors; ok != truth.Failed.Fails {
				t.Errorf("overall successes = %d, want %d (http_req_failed fails)", ok, truth.Failed.Fails)
			}
			if got := float64(sum.Overall.Errors) / float64(sum.Overall.Count); math.Abs(got-truth.Failed.Rate) > 1e-15 {
				t.Errorf("error rate = %v, want %v", got, truth.Failed.Rate)
			}
			rows := map[string]Stats{"http_req_duration": sum.Overall}
			for _, l := range sum.Labels {
				rows["http_req_duration{"+l.Label+"}"] = l
			}
			for _, o := range sum.Other {
				rows[o.Label] = o
			}
			if it := rows["iterations"]; it.Count != truth.Iterations.Count {
				t.Errorf("iterations = %d, want %d", it.Count, truth.Iterations.Count)
			}
			trends := 0
			for _, key := range perfSortedKeys(all) {
				var tr k6TruthTrend
				if json.Unmarshal(all[key], &tr) != nil || tr.Interp == nil {
					continue
				}
				trends++
				got, ok := rows[key]
				if !ok {
					t.Errorf("%s: not in the summary", key)
					continue
				}
				k6CheckClose(t, key+" min", got.MinMS, tr.Min, 0)
				k6CheckClose(t, key+" max", got.MaxMS, tr.Max, 0)
				k6CheckClose(t, key+" avg", got.MeanMS, tr.Avg, 1e-12)
				for stat, want := range tr.Interp {
					p := 50.0
					if stat != "med" {
						var ok bool
						if p, ok = k6PercentileKey(stat); !ok {
							t.Fatalf("truth stat %q", stat)
						}
					}
					v, stated := got.Percentiles[p]
					if !stated {
						if p == 99 {
							continue // the files were written with the default stats, which stop at p(95)
						}
						t.Errorf("%s %s: not stated", key, stat)
						continue
					}
					k6CheckClose(t, key+" "+stat, v, want, 0)
				}
			}
			if trends != 4 {
				t.Errorf("compared %d trends from the truth file, want 4", trends)
			}

			checks := map[string]Check{}
			var passes, fails int64
			for _, c := range sum.Checks {
				checks[c.Name] = c
				if !c.Threshold {
					passes += c.Passes
					fails += c.Fails
				}
			}
			if passes != truth.ChecksTotal.Passes || fails != truth.ChecksTotal.Fails {
				t.Errorf("checks total = %d/%d, want %d/%d", passes, fails, truth.ChecksTotal.Passes, truth.ChecksTotal.Fails)
			}
			for path, want := range truth.Checks {
				got, ok := checks[path]
				if !ok || got.Threshold || got.Passes != want.Passes || got.Fails != want.Fails {
					t.Errorf("check %q = %+v, want passes %d fails %d", path, got, want.Passes, want.Fails)
				}
			}
			for name, want := range truth.Thresholds {
				got, ok := checks[name]
				if !ok || !got.Threshold {
					t.Errorf("threshold %q missing", name)
					continue
				}
				if held := got.Passes == 1 && got.Fails == 0; held != want.Passed {
					t.Errorf("threshold %q held = %v, want %v", name, held, want.Passed)
				}
			}
		})
	}
}

func k6CheckClose(t *testing.T, what string, got, want, rel float64) {
	t.Helper()
	if got == want {
		return
	}
	if rel == 0 || math.Abs(got-want) > rel*math.Abs(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func TestReadK6SummaryShapes(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		check func(t *testing.T, s *Summary)
	}{
		{
			name: "name submetric becomes the request label with its own counts",
			in: `{"metrics":{
				"http_req_duration":{"avg":2,"min":1,"med":2,"max":3,"p(90)":3,"p(99.9)":3},
				"http_req_duration{name:GET /a}":{"avg":1,"min":1,"med":1,"max":1,"p(90)":1,"count":4},
				"http_req_failed{name:GET /a}":{"passes":1,"fails":3,"value":0.25},
				"http_reqs":{"count":10,"rate":2}}}`,
			check: func(t *testing.T, s *Summary) {
				if len(s.Labels) != 1 || s.Labels[0].Label != "GET /a" || s.Labels[0].Count != 4 || s.Labels[0].Errors != 1 {
					t.Errorf("labels = %+v", s.Labels)
				}
				if s.Overall.Percentiles[99.9] != 3 || s.Overall.Count != 10 || s.Overall.ThroughputPerS != 2 {
					t.Errorf("overall = %+v", s.Overall)
				}
			},
		},
		{
			name: "count from http_req_failed when http_reqs is absent",
			in:   `{"metrics":{"http_req_failed":{"type":"rate","values":{"rate":0.5,"passes":2,"fails":2}}}}`,
			check: func(t *testing.T, s *Summary) {
				if s.Format != K6HandleSummary || s.Overall.Count != 4 || s.Overall.Errors != 2 {
					t.Errorf("overall = %+v format %s", s.Overall, s.Format)
				}
			},
		},
		{
			name: "export threshold true means crossed",
			in:   `{"metrics":{"http_reqs":{"count":1,"rate":1,"thresholds":{"count>5":true,"count<5":false}}}}`,
			check: func(t *testing.T, s *Summary) {
				want := []Check{{Name: "http_reqs: count<5", Passes: 1, Threshold: true}, {Name: "http_reqs: count>5", Fails: 1, Threshold: true}}
				if len(s.Checks) != 2 || s.Checks[0] != want[0] || s.Checks[1] != want[1] {
					t.Errorf("checks = %+v, want %+v", s.Checks, want)
				}
			},
		},
		{
			name: "machine-readable summary: matches are the failed requests",
			in: `{"version":"1.0.0","config":{"duration":1000},"metadata":{"k6Version":"1.5.0"},"results":{
				"checks":{"metrics":[],"results":[{"name":"status is 200","passes":9,"fails":1}]},
				"metrics":[
					{"name":"http_req_duration","type":"trend","contains":"time","values":{"avg":2,"min":1,"med":2,"max":3,"p(90)":3,"p(95)":3}},
					{"name":"http_req_failed","type":"rate","contains":"default","values":{"matches":1,"rate":0.1,"total":10}},
					{"name":"http_reqs","type":"counter","contains":"default","values":{"count":10}}]}}`,
			check: func(t *testing.T, s *Summary) {
				if s.Overall.Count != 10 || s.Overall.Errors != 1 || s.Overall.Percentiles[95] != 3 {
					t.Errorf("overall = %+v", s.Overall)
				}
				if len(s.Checks) != 1 || s.Checks[0] != (Check{Name: "status is 200", Passes: 9, Fails: 1}) {
					t.Errorf("checks = %+v", s.Checks)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ReadK6Summary(strings.NewReader(tt.in), "t.json")
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, s)
		})
	}
}

func TestReadK6SummaryErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "t.json: the file is empty"},
		{"truncated", "{\n \"metrics\": {\"http_reqs\": {\"count\": 1", "t.json:2:"},
		{"truncated says so", "{\"metrics\": {", "ends in the middle"},
		{"not an object", "[1,2]", "t.json:1:1: "},
		{"no metrics", `{"root_group":{}}`, `no "metrics" object`},
		{"machine-readable summary, bad metric", `{"version":"1.0.0","config":{},"results":{"metrics":[{"name":"x","values":{"count":true}}]}}`, `results.metrics[0] (x).values."count": want a number`},
		{"metric not an object", `{"metrics":{"http_reqs":5}}`, `metrics."http_reqs": want an object`},
		{"value not a number", `{"metrics":{"http_reqs":{"count":"many"}}}`, `metrics."http_reqs"."count": want a number, got "many"`},
		{"bad threshold", `{"metrics":{"http_reqs":{"count":1,"thresholds":{"x":"yes"}}}}`, "thresholds: want an object of booleans"},
		{"check without counts", `{"metrics":{},"root_group":{"checks":[{"name":"c"}]}}`, "each check needs numeric passes and fails"},
		{"syntax error located", "{\"metrics\":\n  {\"a\" 1}}", "t.json:2:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadK6Summary(strings.NewReader(tt.in), "t.json")
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a *parse.Error", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func FuzzK6Summary(f *testing.F) {
	for _, file := range []string{"examples/k6-summary-export.json", "examples/k6-handlesummary-data.json"} {
		b, err := os.ReadFile("../../../../shared/testdata/" + file)
		if err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"metrics":{"http_reqs":{"count":1}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ReadK6Summary(strings.NewReader(string(data)), "fuzz")
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error is not a *parse.Error: %v", err)
			}
			return
		}
		if s.Format != K6SummaryExport && s.Format != K6HandleSummary {
			t.Fatalf("format %q", s.Format)
		}
		for _, c := range s.Checks {
			if c.Threshold && c.Passes+c.Fails != 1 {
				t.Fatalf("threshold %+v is neither held nor crossed", c)
			}
		}
	})
}
