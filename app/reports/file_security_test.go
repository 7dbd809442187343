package reports

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"scanboard/app/apperr"
	"scanboard/ent/run"
)

// The upload path's FILE-xx items of the security checklist, each tested by its ID.

// example reads a file of the shared example set.
func example(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../../../shared/testdata/examples", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// countingReader counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// FILE-04: the format is decided by the content, and the name's extension must be on the
// allowlist and fit the content's family (an XML body named .csv is refused). A name whose
// extension is on no list is refused before the body is read.
func TestFILE04_ExtensionMustFitContent(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	xmlBody := example(t, "jmeter.jtl.xml")
	csvBody := []byte("timeStamp,elapsed,label,responseCode,success\n1719846000000,12,GET /,200,true\n")
	jsonBody := example(t, "zap-traditional.json")
	logBody := example(t, "gatling-3.9-simulation.log")
	refused := []struct {
		name, file string
		body       []byte
		key        apperr.Key
		says       []string // in the English message
		unread     bool     // refused before reading the body
	}{
		{"XML named .csv", "results.csv", xmlBody, "error.upload_extension_mismatch", []string{"results.csv", "jmeter-xml", ".csv", ".xml, .jtl"}, false},
		{"gzip XML named .csv.gz", "results.csv.gz", gzipBytes(t, xmlBody), "error.upload_extension_mismatch", []string{"results.csv.gz", "jmeter-xml"}, false},
		{"CSV named .xml", "results.xml", csvBody, "error.upload_extension_mismatch", []string{"results.xml", "jmeter-csv", ".csv, .jtl"}, false},
		{"JSON named .jtl", "scan.jtl", jsonBody, "error.upload_extension_mismatch", []string{"scan.jtl", "zap", ".json"}, false},
		{"Gatling log named .csv", "simulation.csv", logBody, "error.upload_extension_mismatch", []string{"gatling-log", ".log"}, false},
		{"CSV named .log", "results.log", csvBody, "error.upload_extension_mismatch", []string{"jmeter-csv"}, false},
		{"executable", "results.exe", csvBody, "error.upload_extension", []string{"results.exe", ".exe"}, true},
		{"HTML", "report.html", []byte("<html><script>alert(1)</script></html>"), "error.upload_extension", []string{".html"}, true},
		{"SVG named .svg.gz", "x.svg.gz", gzipBytes(t, []byte("<svg/>")), "error.upload_extension", []string{".svg"}, true},
		{"zip archive", "results.zip", []byte("PK\x03\x04"), "error.upload_extension", []string{".zip"}, true},
		{"no extension", "results", csvBody, "error.upload_no_extension", []string{"results has no extension"}, true},
		{"only .gz", "results.gz", gzipBytes(t, csvBody), "error.upload_no_extension", []string{"results.gz"}, true},
		{"no name", "", csvBody, "error.upload_name_missing", []string{"no file name"}, true},
		{"a name that is only a path", "../", csvBody, "error.upload_name_missing", []string{"no file name"}, true},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			body := &countingReader{r: bytes.NewReader(tt.body)}
			_, err := f.svc.Ingest(ctx, IngestRequest{ProjectKey: "shop", UploaderID: f.user.ID, Filename: tt.file, Body: body})
			if apperr.KindOf(err) != apperr.Invalid || apperr.KeyOf(err) != tt.key {
				t.Fatalf("err %v (kind %v, key %q), want invalid with key %s", err, apperr.KindOf(err), apperr.KeyOf(err), tt.key)
			}
			for _, s := range tt.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("message %q does not say %q", err, s)
				}
			}
			var r *Refusal
			if !errors.As(err, &r) {
				t.Fatalf("%v carries no Refusal for the translated message", err)
			}
			if tt.file != "" && tt.file != "../" && r.Data["File"] != tt.file {
				t.Errorf("message data %v does not name the file", r.Data)
			}
			if tt.unread && body.n != 0 {
				t.Errorf("%d bytes of the body were read before the refusal", body.n)
			}
		})
	}
	if n := f.st.Client.Run.Query().CountX(ctx); n != 0 {
		t.Errorf("%d runs stored after refusals", n)
	}
	if n := countFiles(t, f.dataDir); n != 0 {
		t.Errorf("%d files left after refusals", n)
	}

	accepted := []struct{ file, format string }{
		{"results.jtl", "jmeter-xml"},
		{"RESULTS.XML", "jmeter-xml"},
		{"results.jtl.gz", "jmeter-csv"},
		{"results.CSV.GZ", "jmeter-csv"},
		{"k6.jsonl", "k6-json"},
		{"k6.ndjson.gz", "k6-json"},
		{"scan.sarif", "sarif"},
		{"scan.sarif.json", "sarif"},
		{"simulation.log", "gatling-log"},
		{"report.json", "zap"},
	}
	bodies := map[string][]byte{
		"jmeter-xml": xmlBody, "jmeter-csv": csvBody, "k6-json": example(t, "k6-out.ndjson"),
		"sarif": example(t, "min.sarif.json"), "gatling-log": logBody, "zap": jsonBody,
	}
	for i, tt := range accepted {
		t.Run("accepts "+tt.file, func(t *testing.T) {
			// Vary the content so no upload is a duplicate of an earlier one.
			body := append(bytes.Clone(bodies[tt.format]), bytes.Repeat([]byte("\n"), i+1)...)
			if strings.HasSuffix(strings.ToLower(tt.file), ".gz") {
				body = gzipBytes(t, body)
			}
			rc, err := f.svc.Ingest(ctx, IngestRequest{ProjectKey: "shop", UploaderID: f.user.ID, Filename: tt.file, Body: bytes.NewReader(body)})
			if err != nil {
				t.Fatal(err)
			}
			if r := f.st.Client.Run.GetX(ctx, rc.RunID); r.SourceFormat != tt.format || r.OriginalFilename != tt.file || r.Status != run.StatusQueued {
				t.Errorf("stored %s %q %s, want %s", r.SourceFormat, r.OriginalFilename, r.Status, tt.format)
			}
		})
	}
}
