package stats

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const shared = "../../../../shared/testdata"

func runMain(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestGoldenJSON pins the JSON report of every shared file that has statistics.
func TestGoldenJSON(t *testing.T) {
	files := []string{
		"examples/jmeter-default.jtl.csv",
		"examples/jmeter-headerless-formatted.jtl.csv",
		"examples/jmeter.jtl.xml",
		"examples/k6-out.csv",
		"examples/k6-out.ndjson",
		"examples/gatling-3.9-simulation.log",
		"examples/k6-summary-export.json",
		"examples/k6-handlesummary-data.json",
		"examples/locust_stats.csv",
		"examples/gatling-global_stats.json",
		"real/jmeter-2.13-header.csv",
		"real/k6-summary-export.json",
		"real/k6-handle-summary.json",
	}
	for _, rel := range files {
		t.Run(rel, func(t *testing.T) {
			code, out, errOut := runMain(t, "--json", filepath.Join(shared, rel))
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			golden := filepath.Join("testdata", strings.ReplaceAll(rel, "/", "_")+".golden.json")
			if *update {
				if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if out != string(want) {
				t.Errorf("output differs from %s:\n%s", golden, out)
			}
		})
	}
}

type truthFig struct {
	Count  int64   `json:"count"`
	Errors int64   `json:"errors"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	Mean   float64 `json:"mean"`
	P50    float64 `json:"p50"`
	P90    float64 `json:"p90"`
	P95    float64 `json:"p95"`
	P99    float64 `json:"p99"`
}

// TestRealJMeterMatchesTruth checks the printed JSON (not just the aggregation) against the
// independently computed truth file.
func TestRealJMeterMatchesTruth(t *testing.T) {
	path := filepath.Join(shared, "real/jmeter-2.13-header.csv")
	var truth struct {
		Overall  truthFig            `json:"overall"`
		Labels   map[string]truthFig `json:"labels"`
		TCLabels []string            `json:"transaction_controller_labels"`
	}
	raw, err := os.ReadFile(path + ".truth.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &truth); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runMain(t, path, "--json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Format != "jmeter-csv" {
		t.Errorf("format %q", rep.Format)
	}
	check := func(name string, r Row, w truthFig) {
		t.Helper()
		near := func(got *float64, want float64) bool {
			return got != nil && math.Abs(*got-want) <= 0.001*want+1e-9
		}
		if r.Count != w.Count || r.Errors != w.Errors || r.MinMS != w.Min || r.MaxMS != w.Max ||
			math.Abs(r.MeanMS-w.Mean) > 0.001 || !near(r.P50MS, w.P50) || !near(r.P90MS, w.P90) ||
			!near(r.P95MS, w.P95) || !near(r.P99MS, w.P99) {
			t.Errorf("%s: got %+v, want %+v", name, r, w)
		}
	}
	check("overall", rep.Overall, truth.Overall)
	tc := map[string]bool{}
	for _, l := range truth.TCLabels {
		tc[l] = true
	}
	if len(rep.Labels) != len(truth.Labels) {
		t.Errorf("%d labels, want %d", len(rep.Labels), len(truth.Labels))
	}
	for _, r := range rep.Labels {
		check(r.Label, r, truth.Labels[r.Label])
		if r.Transaction != tc[r.Label] {
			t.Errorf("%s: transaction=%v", r.Label, r.Transaction)
		}
	}
}

func TestMainExitCodes(t *testing.T) {
	real := filepath.Join(shared, "real/jmeter-2.13-header.csv")
	dir := t.TempDir()
	gz := filepath.Join(dir, "run.csv.gz")
	{
		data, err := os.ReadFile(real)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(data)
		zw.Close()
		if err := os.WriteFile(gz, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	truncated := filepath.Join(dir, "cut.csv")
	if err := os.WriteFile(truncated, []byte("timeStamp,elapsed,label,success\n1719846000123,187,\"GET /x"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		args      []string
		want      int
		stdoutHas string
		stderrHas string
	}{
		{"table", []string{real}, ExitOK, "TX checkout, 下单 [transaction]", ""},
		{"gzip", []string{"--json", gz}, ExitOK, `"count": 20700`, ""},
		{"sla met", []string{real, "--sla", "p95<500ms", "--sla", "error_rate<20%", "--sla=throughput>=1/s"}, ExitOK, "", ""},
		{"sla violated", []string{real, "--sla", "p99<=100ms", "--sla", "error_rate<1%"}, ExitViolation, "", "p99<=100ms: violated (actual 138ms)"},
		{"per-label sla", []string{real, "--sla", `"GET /api/slow ""quoted"""::p95<100`}, ExitViolation, "", "actual 134ms"},
		{"per-label sla met", []string{real, "--sla", `GET /api/fast::max<=76ms`}, ExitOK, "", ""},
		{"unknown label", []string{real, "--sla", `"nope"::p95<1s`}, ExitViolation, "", `no label "nope"`},
		{"bad rule", []string{real, "--sla", "p95<<500"}, ExitBadInput, "", "position 5"},
		{"missing file", []string{filepath.Join(dir, "none.csv")}, ExitBadInput, "", "cannot read"},
		{"truncated file", []string{truncated}, ExitBadInput, "", "cut.csv:2:19: the file ends inside a quoted field"},
		{"no statistics", []string{filepath.Join(shared, "examples/junit-pytest.xml")}, ExitBadInput, "", "holds no response-time statistics"},
		{"summary with others", []string{filepath.Join(shared, "examples/locust_stats.csv"), real}, ExitBadInput, "", "cannot be combined"},
		{"no files", nil, ExitBadInput, "", "no file given"},
		{"unknown flag", []string{"--jsn", real}, ExitBadInput, "", `unknown option "--jsn"`},
		{"cancelled context is not an input problem", []string{"--help"}, ExitOK, "usage", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runMain(t, c.args...)
			if code != c.want || !strings.Contains(out, c.stdoutHas) || !strings.Contains(errOut, c.stderrHas) {
				t.Errorf("exit %d (want %d)\nstdout: %s\nstderr: %s", code, c.want, out, errOut)
			}
		})
	}
}

func TestCombinesFiles(t *testing.T) {
	real := filepath.Join(shared, "real/jmeter-2.13-header.csv")
	code, out, errOut := runMain(t, "--json", real, real)
	if code != ExitOK {
		t.Fatal(errOut)
	}
	var rep Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Overall.Count != 2*20700 || rep.Overall.Errors != 2*2753 || *rep.Overall.P95MS != 118 {
		t.Errorf("combined overall %+v", rep.Overall)
	}
}
