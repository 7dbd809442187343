package parse

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
)

// The golden helpers are shared by the k6, Gatling and Locust tests.

// -update rewrites the golden files. Other parsers' tests in this package define the same
// flag, so it is only defined here when nobody has yet, and read by name.
var _ = perfDefineUpdate()

func perfDefineUpdate() bool {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files under testdata/")
	}
	return true
}

func perfUpdating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// perfGoldenStats is Stats in a JSON-friendly shape (percentile keys as strings, sorted).
type perfGoldenStats struct {
	Label          string             `json:"label"`
	Count          int64              `json:"count"`
	Errors         int64              `json:"errors"`
	MinMS          float64            `json:"min_ms"`
	MaxMS          float64            `json:"max_ms"`
	MeanMS         float64            `json:"mean_ms"`
	Percentiles    map[string]float64 `json:"percentiles,omitempty"`
	ThroughputPerS float64            `json:"throughput_per_s,omitempty"`
	BytesRecv      int64              `json:"bytes_recv,omitempty"`
	BytesSent      int64              `json:"bytes_sent,omitempty"`
	Transaction    bool               `json:"transaction,omitempty"`
}

type perfGoldenSummaryT struct {
	Format           Format            `json:"format"`
	StartMS          int64             `json:"start_ms,omitempty"`
	EndMS            int64             `json:"end_ms,omitempty"`
	PercentileMethod string            `json:"percentile_method"`
	Overall          perfGoldenStats   `json:"overall"`
	Labels           []perfGoldenStats `json:"labels"`
	Checks           []Check           `json:"checks,omitempty"`
	Other            []perfGoldenStats `json:"other,omitempty"`
}

func perfGoldenOf(s Stats) perfGoldenStats {
	g := perfGoldenStats{Label: s.Label, Count: s.Count, Errors: s.Errors, MinMS: s.MinMS, MaxMS: s.MaxMS,
		MeanMS: s.MeanMS, ThroughputPerS: s.ThroughputPerS, BytesRecv: s.BytesRecv, BytesSent: s.BytesSent,
		Transaction: s.Transaction}
	if len(s.Percentiles) > 0 {
		g.Percentiles = map[string]float64{}
		for p, v := range s.Percentiles {
			g.Percentiles["p"+strconv.FormatFloat(p, 'f', -1, 64)] = v
		}
	}
	return g
}

func goldenSummary(s *Summary) perfGoldenSummaryT {
	g := perfGoldenSummaryT{Format: s.Format, StartMS: s.StartMS, EndMS: s.EndMS,
		PercentileMethod: s.PercentileMethod, Overall: perfGoldenOf(s.Overall), Checks: s.Checks,
		Labels: []perfGoldenStats{}}
	for _, l := range s.Labels {
		g.Labels = append(g.Labels, perfGoldenOf(l))
	}
	for _, o := range s.Other {
		g.Other = append(g.Other, perfGoldenOf(o))
	}
	return g
}

// perfGolden compares v, as indented JSON, with testdata/<name>; -update rewrites the file.
func perfGolden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name)
	if perfUpdating() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden %s (run with -update to create it): %v", path, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update if the change is intended)\n got: %s\nwant: %s", path, got, want)
	}
}

// perfSharedFile is a file under ../shared/testdata (examples/ or real/).
func perfSharedFile(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join("..", "..", "..", "..", "shared", "testdata", rel)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("shared test file: %v", err)
	}
	return p
}

func perfOpen(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// perfCollect gathers every sample a streaming reader emits.
func perfCollect(t *testing.T, read func(SampleSink) error) ([]Sample, error) {
	t.Helper()
	var out []Sample
	err := read(SinkFunc(func(s *Sample) error {
		out = append(out, *s)
		return nil
	}))
	return out, err
}

func perfSortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
