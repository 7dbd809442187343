package reports

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"scanboard/app/apperr"
	"scanboard/ent"
	"scanboard/ent/run"
	"scanboard/ent/runcase"
	"scanboard/ent/runerror"
	"scanboard/ent/runfinding"
	"scanboard/ent/runlabel"
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

// FILE-03: per-user quotas on the number of stored uploads and the bytes they take. An
// upload past either is Forbidden and stores nothing; content already in the project costs
// nothing; other users keep their own allowance.
func TestFILE03_PerUserQuotas(t *testing.T) {
	ctx := context.Background()
	csvOf := func(seed string) []byte {
		return []byte("timeStamp,elapsed,label,responseCode,success\n1719846000000,12,GET /" + seed + ",200,true\n")
	}
	t.Run("files", func(t *testing.T) {
		f := newFixture(t)
		s := f.service(t, Config{QuotaFiles: 2})
		other, err := f.st.Client.User.Create().SetStatus("active").SetDisplayName("other").Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ingest := func(uid int, name string, body []byte) (*Receipt, error) {
			return s.Ingest(ctx, IngestRequest{ProjectKey: "shop", UploaderID: uid, Filename: name, Body: bytes.NewReader(body)})
		}
		first, err := ingest(f.user.ID, "a.csv", csvOf("a"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ingest(f.user.ID, "b.csv", csvOf("b")); err != nil {
			t.Fatal(err)
		}
		if rc, err := ingest(f.user.ID, "a-again.csv", csvOf("a")); err != nil || rc.DuplicateOf != first.RunID {
			t.Fatalf("a duplicate at the quota: %+v, %v; want the earlier run, free", rc, err)
		}
		_, err = ingest(f.user.ID, "c.csv", csvOf("c"))
		if apperr.KindOf(err) != apperr.Forbidden || apperr.KeyOf(err) != "error.upload_quota_files" || !strings.Contains(err.Error(), "c.csv was not stored") {
			t.Fatalf("third file: %v (kind %v), want forbidden by the file quota naming c.csv", err, apperr.KindOf(err))
		}
		var r *Refusal
		if !errors.As(err, &r) || r.Data["Files"] != 2 || r.Data["Quota"] != 2 {
			t.Errorf("message data %+v", r)
		}
		if _, err := ingest(other.ID, "c.csv", csvOf("c")); err != nil {
			t.Fatalf("another user is held by the first one's quota: %v", err)
		}
		if n := f.st.Client.Run.Query().CountX(ctx); n != 3 {
			t.Errorf("%d runs stored, want 3", n)
		}
		if n := countFiles(t, f.dataDir); n != 3 {
			t.Errorf("%d files kept, want 3 (nothing of the refused upload)", n)
		}
	})
	t.Run("bytes", func(t *testing.T) {
		f := newFixture(t)
		first := f.ingestFile(t, generated(t, 2_000, 1))
		used := f.st.Client.Run.GetX(ctx, first.RunID).StoredSize
		if used == 0 {
			t.Fatal("stored size not recorded")
		}
		// Room for about a third of another file like the first.
		s := f.service(t, Config{QuotaBytes: used + used/3})
		_, err := s.Ingest(ctx, IngestRequest{ProjectKey: "shop", UploaderID: f.user.ID, Filename: "second.csv", Body: openT(t, generated(t, 2_000, 2))})
		if apperr.KindOf(err) != apperr.Forbidden || apperr.KeyOf(err) != "error.upload_quota_bytes" || !strings.Contains(err.Error(), "second.csv was not stored") {
			t.Fatalf("second file: %v, want forbidden by the byte quota naming second.csv", err)
		}
		var r *Refusal
		if !errors.As(err, &r) || r.Data["Used"] != humanBytes(used) || r.Data["Quota"] != humanBytes(used+used/3) {
			t.Errorf("message data %+v", r)
		}
		// A small file still fits, and the first content again is free.
		if _, err := s.Ingest(ctx, IngestRequest{ProjectKey: "shop", UploaderID: f.user.ID, Filename: "small.csv", Body: bytes.NewReader(csvOf("small"))}); err != nil {
			t.Fatalf("a small file under the quota: %v", err)
		}
		if rc, err := s.Ingest(ctx, IngestRequest{ProjectKey: "shop", UploaderID: f.user.ID, Filename: "again.csv", Body: openT(t, generated(t, 2_000, 1))}); err != nil || rc.DuplicateOf != first.RunID {
			t.Fatalf("duplicate over the quota: %+v, %v", rc, err)
		}
		if n := countFiles(t, f.dataDir); n != 2 {
			t.Errorf("%d files kept, want 2", n)
		}
	})
	t.Run("zero is no quota", func(t *testing.T) {
		f := newFixture(t)
		for i := range 3 {
			if _, err := f.svc.Ingest(ctx, IngestRequest{ProjectKey: "shop", UploaderID: f.user.ID, Filename: "x.csv", Body: bytes.NewReader(csvOf(string(rune('a' + i))))}); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// FILE-11: processing one run has a deadline. A run past it fails for good with a message
// saying so, after one attempt and with nothing stored, while a worker stopped by its own
// context (a shutdown) leaves the run to be processed again, as TestRestartDuringProcessing
// shows in full.
func TestFILE11_JobDeadline(t *testing.T) {
	ctx := context.Background()
	t.Run("past the deadline the run fails", func(t *testing.T) {
		f := newFixture(t)
		rc := f.ingestFile(t, generated(t, 20_000, 5))
		// The deadline has passed before the first byte is read.
		s := f.service(t, Config{JobTimeout: time.Nanosecond})
		if did, err := s.ProcessNext(ctx); !did || err != nil {
			t.Fatalf("did %v, err %v", did, err)
		}
		r := f.st.Client.Run.GetX(ctx, rc.RunID)
		if r.Status != run.StatusFailed || r.Attempts != 1 || !strings.Contains(r.Error, "gen.jtl.csv: processing took longer than 1ns and was stopped") {
			t.Fatalf("run %s after %d attempts: %q; want failed at its deadline", r.Status, r.Attempts, r.Error)
		}
		if n := f.st.Client.RunLabel.Query().Where(runlabel.RunID(r.ID)).CountX(ctx); n != 0 {
			t.Errorf("%d label rows stored", n)
		}
		f.clock.Add(time.Hour) // long past any lease: a failed run is not claimed again
		if did, err := s.ProcessNext(ctx); did || err != nil {
			t.Fatalf("the failed run was taken again: did %v, err %v", did, err)
		}
	})
	t.Run("a shutdown is not a deadline", func(t *testing.T) {
		f := newFixture(t)
		rc := f.ingestFile(t, generated(t, 20_000, 6))
		s := f.service(t, Config{JobTimeout: time.Hour})
		wctx, cancel := context.WithCancel(ctx)
		defer cancel()
		// The claim and the start of parsing ask the time once each, then every read of the
		// file: stop the worker at its first read.
		calls := 0
		f.clock.onNow = func() {
			if calls++; calls == 3 {
				cancel()
			}
		}
		did, err := s.ProcessNext(wctx)
		f.clock.onNow = nil
		if !did || !errors.Is(err, context.Canceled) {
			t.Fatalf("did %v, err %v; want cancelled", did, err)
		}
		if r := f.st.Client.Run.GetX(ctx, rc.RunID); r.Status != run.StatusProcessing || r.Error != "" {
			t.Fatalf("run %s %q after a shutdown; want still claimed, to be taken again", r.Status, r.Error)
		}
		f.clock.Add(3 * time.Minute)
		drain(t, s)
		if r := f.st.Client.Run.GetX(ctx, rc.RunID); r.Status != run.StatusReady || r.Attempts != 2 {
			t.Fatalf("after the lease: %s, %d attempts, %q", r.Status, r.Attempts, r.Error)
		}
	})
	if got := shortDuration(30 * time.Minute); got != "30m" {
		t.Errorf("shortDuration(30m) = %q", got)
	}
	if got := shortDuration(90 * time.Minute); got != "1h30m" {
		t.Errorf("shortDuration(90m) = %q", got)
	}
	if got := shortDuration(2 * time.Hour); got != "2h" {
		t.Errorf("shortDuration(2h) = %q", got)
	}
}

// processed ingests body as name, runs the workers and returns the run; ingestion itself
// must succeed.
func (f *fixture) processed(t *testing.T, name string, body []byte) *ent.Run {
	t.Helper()
	rc, err := f.svc.Ingest(context.Background(), IngestRequest{ProjectKey: "shop", UploaderID: f.user.ID, Filename: name, Body: bytes.NewReader(body)})
	if err != nil {
		t.Fatalf("ingest %s: %v", name, err)
	}
	drain(t, f.svc)
	return f.st.Client.Run.GetX(context.Background(), rc.RunID)
}

// failedClean checks that r failed with an error matching want and left no aggregates.
func (f *fixture) failedClean(t *testing.T, r *ent.Run, want string) {
	t.Helper()
	ctx := context.Background()
	if r.Status != run.StatusFailed || !regexp.MustCompile(want).MatchString(r.Error) {
		t.Errorf("run %s, error %q; want failed matching %s", r.Status, r.Error, want)
	}
	n := f.st.Client.RunLabel.Query().Where(runlabel.RunID(r.ID)).CountX(ctx) +
		f.st.Client.RunError.Query().Where(runerror.RunID(r.ID)).CountX(ctx) +
		f.st.Client.RunCase.Query().Where(runcase.RunID(r.ID)).CountX(ctx) +
		f.st.Client.RunFinding.Query().Where(runfinding.RunID(r.ID)).CountX(ctx)
	if n != 0 || r.SampleCount != 0 {
		t.Errorf("the failed run kept %d aggregate rows and %d samples", n, r.SampleCount)
	}
}

// jmeterRows is a JMeter CSV header and n good rows (lines 2 to n+1).
func jmeterRows(n int) string {
	var b strings.Builder
	b.WriteString("timeStamp,elapsed,label,responseCode,success\n")
	for i := range n {
		fmt.Fprintf(&b, "%d,%d,GET /%d,200,true\n", 1719846000000+i, i%50, i%7)
	}
	return b.String()
}

// FILE-09: a malformed CSV fails its run with the file and line named, and the run keeps
// nothing of the rows before the bad one (all-or-nothing). A NUL byte is refused when the
// file is uploaded; a UTF-8 byte-order mark before the header is taken.
func TestFILE09_MalformedCSVFailsWhole(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	good := jmeterRows(2000) // the bad row is line 2002
	k6 := "metric_name,timestamp,metric_value,check,error,error_code,expected_response,group,method,name,proto,scenario,service,status,subproto,tls_version,url,extra_tags,metadata\n" +
		strings.Repeat("http_req_duration,1719846000,187.4,,,,true,::c,GET,https://x.test/,HTTP/1.1,default,,200,,tls1.3,https://x.test/,,\n", 100)
	locust := string(example(t, "locust_stats.csv"))
	failing := []struct{ name, file, body, want string }{
		{"JMeter: unterminated quote", "quote.csv", good + "1719846009000,12,\"GET /,200,true\n1719846009001,12,GET /,200,true\n",
			`^quote\.csv:2002:18: the file ends inside a quoted field`},
		{"JMeter: extra field", "extra.jtl", good + "1719846009000,12,GET /,200,true,extra\n" + "1719846009001,12,GET /,200,true\n",
			`^extra\.jtl:2002:33: row has 6 fields but the columns are 5`},
		{"JMeter: row cut short", "short.csv", good + "1719846009000,12\n1719846009001,12,GET /,200,true\n",
			`^short\.csv:\d+:\d+: row has 2 fields but the columns are 5`},
		{"JMeter: bad number", "elapsed.csv", good + "1719846009000,twelve,GET /,200,true\n",
			`^elapsed\.csv:2002:\d+: `},
		{"k6: ragged row", "k6.csv", k6 + "http_req_duration,1719846000\n", `^k6\.csv:102:1: wrong number of fields`},
		{"k6: stray quote", "k6q.csv", k6 + "http_req_duration,\"1719846000\n", `^k6q\.csv:102:\d+: a quoted field is not closed`},
		{"Locust: ragged row", "locust_stats.csv", locust + "GET,/x,1\n", `^locust_stats\.csv:5:1: wrong number of fields`},
	}
	for _, tt := range failing {
		t.Run(tt.name, func(t *testing.T) {
			f.failedClean(t, f.processed(t, tt.file, []byte(tt.body)), tt.want)
		})
	}

	refused := []struct{ name, file, body, says string }{
		{"JMeter: NUL in a label", "nul.csv", good + "1719846009000,12,GET \x00/,200,true\n", "nul.csv:2002: the file contains a NUL byte"},
		{"k6: NUL", "k6nul.csv", k6 + strings.Replace(strings.SplitAfter(k6, "\n")[1], "GET", "G\x00T", 1), "k6nul.csv:102: the file contains a NUL byte"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.Ingest(ctx, IngestRequest{ProjectKey: "shop", UploaderID: f.user.ID, Filename: tt.file, Body: strings.NewReader(tt.body)})
			if apperr.KindOf(err) != apperr.Invalid || !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("err %v, want invalid saying %q", err, tt.says)
			}
		})
	}

	t.Run("a byte-order mark before the header", func(t *testing.T) {
		r := f.processed(t, "bom.csv", []byte("\ufeff"+jmeterRows(300)))
		if r.Status != run.StatusReady || r.SampleCount != 300 {
			t.Fatalf("run %s %q with %d samples, want ready with 300", r.Status, r.Error, r.SampleCount)
		}
		labels := f.st.Client.RunLabel.Query().Where(runlabel.RunID(r.ID), runlabel.KindEQ(runlabel.KindLabel)).CountX(ctx)
		if labels != 7 {
			t.Errorf("%d labels, want 7", labels)
		}
	})
}
