package parse

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sharedTestdata = "../../../../shared/testdata"

func readHead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > DetectHeadSize {
		b = b[:DetectHeadSize]
	}
	return b
}

func TestDetectSharedFiles(t *testing.T) {
	cases := map[string]Format{
		"examples/gatling-3.9-simulation.log":          GatlingLog,
		"examples/gatling-global_stats.json":           GatlingStats,
		"examples/jmeter-default.jtl.csv":              JMeterCSV,
		"examples/jmeter-headerless-formatted.jtl.csv": JMeterCSV,
		"examples/jmeter.jtl.xml":                      JMeterXML,
		"examples/junit-pytest.xml":                    JUnitXML,
		"examples/junit-surefire.xml":                  JUnitXML,
		"examples/k6-handlesummary-data.json":          K6HandleSummary,
		"examples/k6-out.csv":                          K6CSV,
		"examples/k6-out.ndjson":                       K6JSON,
		"examples/k6-summary-export.json":              K6SummaryExport,
		"examples/locust_exceptions.csv":               LocustExceptions,
		"examples/locust_failures.csv":                 LocustFailures,
		"examples/locust_stats.csv":                    LocustStats,
		"examples/locust_stats_history.csv":            LocustHistory,
		"examples/min.sarif.json":                      SARIF,
		"examples/zap-traditional.json":                ZAPJSON,
		"real/jmeter-2.13-header.csv":                  JMeterCSV,
		"real/k6-handle-summary.json":                  K6HandleSummary,
		"real/k6-summary-export.json":                  K6SummaryExport,
	}
	for rel, want := range cases {
		t.Run(rel, func(t *testing.T) {
			path := filepath.Join(sharedTestdata, rel)
			// Detection must not lean on the name: try with and without it.
			for _, name := range []string{path, ""} {
				got, err := Detect(name, readHead(t, path))
				if err != nil || got != want {
					t.Errorf("Detect(%q) = %q, %v; want %q", name, got, err, want)
				}
			}
		})
	}
}

func TestDetectRejects(t *testing.T) {
	cases := []struct {
		name, head, wantMsg string
	}{
		{"empty", "", "empty"},
		{"gatling binary", "\x00\x00\x00\x05", "binary"},
		{"doctype", `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><testResults>`, "DOCTYPE"},
		{"other xml", `<html><body>`, "<html>"},
		{"other json", `{"hello": 1}`, "JSON"},
		{"plain text", "hello world\n", "unknown format"},
		{"k6 new summary", `{"version":"1.0.0","config":{},"results":{}}`, "machine-readable"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := Detect("x", []byte(c.head))
			var pe *Error
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), c.wantMsg) {
				t.Fatalf("Detect = %q, %v; want an *Error containing %q", f, err, c.wantMsg)
			}
		})
	}
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestOpen(t *testing.T) {
	plain := []byte(strings.Repeat("timeStamp,elapsed\n", 1000))
	cases := []struct {
		name    string
		in      []byte
		limit   int64
		wantErr error
	}{
		{"plain", plain, 0, nil},
		{"gzip", gzipped(t, plain), 0, nil},
		{"gzip at the limit", gzipped(t, plain), int64(len(plain)), nil},
		{"gzip over the limit", gzipped(t, plain), int64(len(plain)) - 1, ErrTooLarge},
		{"plain ignores the limit", plain, 10, nil},
		{"empty", nil, 0, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := Open(bytes.NewReader(c.in), OpenOptions{MaxDecompressed: c.limit})
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(r)
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("err = %v, want %v", err, c.wantErr)
			}
			want := plain
			if c.in == nil {
				want = nil
			}
			if c.wantErr == nil && !bytes.Equal(got, want) {
				t.Fatalf("content differs: %d bytes, want %d", len(got), len(want))
			}
		})
	}
}
