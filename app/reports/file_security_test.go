package reports

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/klauspost/compress/gzip"

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
			`^short\.csv:2002:17: row has 2 fields but the columns are 5`},
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

// FILE-07: archives are not accepted, and gzip (the one compression taken) is bounded by
// the decompressed bytes counted while streaming: a bomb whose members claim to be tiny in
// their trailers is stopped after reading a small part of it, and nothing is kept.
func TestFILE07_DecompressionIsBounded(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	s := f.service(t, Config{MaxBytes: 16 << 20, MaxDecompressed: 1 << 20})
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write(make([]byte, 8<<20)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	member := buf.Bytes()
	binary.LittleEndian.PutUint32(member[len(member)-4:], 100) // ISIZE: "100 bytes"
	bomb := bytes.Repeat(member, 128)                          // 1 GiB of zeros in about 1 MB
	body := &countingReader{r: bytes.NewReader(bomb)}
	_, err = s.Ingest(ctx, IngestRequest{ProjectKey: "shop", UploaderID: f.user.ID, Filename: "bomb.csv.gz", Body: body})
	if apperr.KindOf(err) != apperr.TooLarge || !strings.Contains(err.Error(), "bomb.csv.gz is larger than the limit of 1 MiB once decompressed") {
		t.Fatalf("err %v, want too large once decompressed", err)
	}
	if body.n > int64(len(bomb))/4 {
		t.Errorf("read %d of the bomb's %d bytes before stopping", body.n, len(bomb))
	}

	var zipped bytes.Buffer
	zipw := zip.NewWriter(&zipped)
	w, err := zipw.Create("../../results.csv")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(jmeterRows(10)))
	zipw.Close()
	var tarred bytes.Buffer
	tw := tar.NewWriter(&tarred)
	tw.WriteHeader(&tar.Header{Name: "/etc/results.csv", Mode: 0o644, Size: int64(len(jmeterRows(10)))})
	tw.Write([]byte(jmeterRows(10)))
	tw.Close()
	for name, body := range map[string][]byte{"results.zip": zipped.Bytes(), "results.csv": zipped.Bytes(), "results.tar.gz": gzipBytes(t, tarred.Bytes()), "results.csv.gz": gzipBytes(t, tarred.Bytes())} {
		t.Run("archive "+name, func(t *testing.T) {
			_, err := s.Ingest(ctx, IngestRequest{ProjectKey: "shop", UploaderID: f.user.ID, Filename: name, Body: bytes.NewReader(body)})
			if apperr.KindOf(err) != apperr.Invalid {
				t.Fatalf("err %v, want the archive refused", err)
			}
		})
	}
	if n := f.st.Client.Run.Query().CountX(ctx); n != 0 {
		t.Errorf("%d runs stored", n)
	}
	if n := countFiles(t, f.dataDir); n != 0 {
		t.Errorf("%d files left", n)
	}
}

// FILE-08: hostile XML fails cleanly. A DOCTYPE in front (billion laughs, XXE) is refused
// at upload; one hidden after the root element, an entity the strict decoder does not know
// and nesting past the parsers' limits fail the run, naming the file, with nothing stored
// and nothing expanded or fetched.
func TestFILE08_HostileXMLFailsCleanly(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	secret := filepath.Join(t.TempDir(), "secret.txt")
	if err := os.WriteFile(secret, []byte("TOPSECRET"), 0o600); err != nil {
		t.Fatal(err)
	}
	laughs := `<!DOCTYPE lolz [<!ENTITY lol "lol">` +
		`<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">` +
		`<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">` +
		`<!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>`
	xxe := `<!DOCTYPE r [<!ENTITY xxe SYSTEM "file://` + secret + `">]>`
	sample := `<httpSample t="12" ts="1719846000000" s="true" lb="&lol9;" rc="200"/>`
	refused := map[string]string{
		"laughs.xml":  `<?xml version="1.0"?>` + laughs + `<testResults version="1.2">` + sample + `</testResults>`,
		"xxe.xml":     `<?xml version="1.0"?>` + xxe + `<testsuite name="s"><testcase name="&xxe;"/></testsuite>`,
		"xxe-jtl.jtl": xxe + `<testResults version="1.2"><httpSample t="1" ts="1" s="true" lb="&xxe;" rc="200"/></testResults>`,
	}
	for name, body := range refused {
		t.Run("upload "+name, func(t *testing.T) {
			_, err := f.svc.Ingest(ctx, IngestRequest{ProjectKey: "shop", UploaderID: f.user.ID, Filename: name, Body: strings.NewReader(body)})
			if apperr.KindOf(err) != apperr.Invalid || !strings.Contains(err.Error(), "DOCTYPE") {
				t.Fatalf("err %v, want the DOCTYPE refused", err)
			}
		})
	}
	deep := strings.Repeat("<a>", 100_000) + strings.Repeat("</a>", 100_000)
	failing := []struct{ name, file, body, want string }{
		{"JMeter: DOCTYPE after the root", "late.jtl", `<testResults version="1.2">` + laughs + sample + `</testResults>`, `^late\.jtl:1:\d+: .*DOCTYPE are refused`},
		{"JUnit: XXE after the root", "late-xxe.xml", `<testsuites>` + xxe + `<testsuite name="s"><testcase name="&xxe;"/></testsuite></testsuites>`, `^late-xxe\.xml:1:\d+: XML DOCTYPE .* not allowed`},
		{"JMeter: an undeclared entity", "entity.jtl", `<testResults version="1.2">` + sample + `</testResults>`, `^entity\.jtl:1:\d+: .*invalid character entity &lol9;`},
		{"JUnit: an undeclared entity", "entity.xml", `<testsuite name="&xxe;"><testcase name="c"/></testsuite>`, `^entity\.xml:1:\d+: .*invalid character entity &xxe;`},
		{"JMeter: deep nesting", "deep.jtl", `<testResults version="1.2">` + deep + `</testResults>`, `^deep\.jtl:.*deeper than`},
		{"JUnit: deep nesting", "deep.xml", `<testsuites>` + deep + `</testsuites>`, `^deep\.xml:.*nested more than`},
	}
	for _, tt := range failing {
		t.Run(tt.name, func(t *testing.T) {
			r := f.processed(t, tt.file, []byte(tt.body))
			f.failedClean(t, r, tt.want)
			if strings.Contains(r.Error, "TOPSECRET") || strings.Contains(r.Error, "lollollol") {
				t.Errorf("the error shows expanded content: %q", r.Error)
			}
		})
	}
}

// FILE-10: hostile JSON fails cleanly. Members the security parsers skip may nest at most
// 256 deep; values they decode, and the whole-document summaries, stop at encoding/json's
// 10,000 (and at 16 MiB per value, 64 MiB per summary); a k6 line stops at 1 MiB. Each
// failure names the file and stores nothing.
func TestFILE10_HostileJSONFailsCleanly(t *testing.T) {
	f := newFixture(t)
	nest := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	zap := func(extra, instances string) string {
		return `{"@programName":"ZAP",` + extra + `"site":[{"@name":"https://x.test","alerts":[{"pluginid":"1","name":"n","riskcode":"2","confidence":"2","instances":` + instances + `}]}]}`
	}
	sarif := func(extra, props string) string {
		return `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"t"}},` + extra + `"results":[{"ruleId":"r","message":{"text":"m"},"properties":{"p":` + props + `}}]}]}`
	}
	k6Line := `{"type":"Point","data":{"time":"2024-07-01T15:00:00Z","value":12,"tags":{"name":"GET /"}},"metric":"http_req_duration"}` + "\n"
	tests := []struct{ name, file, body, want string }{
		{"ZAP: a skipped member nested 300 deep", "zap.json", zap(`"insights":`+nest(300)+`,`, `[{"uri":"https://x.test/"}]`), `^zap\.json:1:\d+: JSON is nested more than 256 levels deep`},
		{"SARIF: a skipped member nested 300 deep", "scan.sarif", sarif(`"artifacts":`+nest(300)+`,`, `1`), `^scan\.sarif:1:\d+: JSON is nested more than 256 levels deep`},
		{"SARIF: a result nested 20,000 deep", "deep.sarif.json", sarif("", nest(20_000)), `^deep\.sarif\.json:.*exceeded max depth`},
		{"ZAP: an instance nested 20,000 deep", "deep-zap.json", zap("", `[{"uri":"https://x.test/","x":`+nest(20_000)+`}]`), `^deep-zap\.json:.*exceeded max depth`},
		{"k6 summary nested 20,000 deep", "summary.json", `{"metrics":{"http_reqs":{"count":1}},"x":` + nest(20_000) + `}`, `^summary\.json:1:\d+: invalid JSON: .*exceeded max depth`},
		{"Gatling stats nested 20,000 deep", "stats.json", `{"numberOfRequests":{"total":1},"x":` + nest(20_000) + `}`, `^stats\.json:1:\d+: invalid JSON: .*exceeded max depth`},
		{"k6 summary over 64 MiB", "big-summary.json", `{"metrics":{"http_reqs":{"count":1}},"pad":"` + strings.Repeat(" ", 65<<20) + `"}`, `^big-summary\.json: larger than 64 MiB`},
		{"ZAP: one value over 16 MiB", "big-zap.json", zap("", `[{"uri":"https://x.test/`+strings.Repeat("a", 17<<20)+`"}]`), `^big-zap\.json:1:\d+: a single JSON value is larger than 16 MiB`},
		{"k6: a line over 1 MiB", "k6.ndjson", strings.Repeat(k6Line, 10) + `{"type":"Point","pad":"` + strings.Repeat("a", 2<<20) + "\"}\n", `^k6\.ndjson:11: line longer than 1024 KiB`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.processed(t, tt.file, gzipBytes(t, []byte(tt.body)))
			f.failedClean(t, r, tt.want)
		})
	}
}

// FILE-05: raw files are stored under names the server makes (project id / 128 random
// bits), through an os.Root on the upload directory. Hostile original names are kept for
// display only, cleaned, and never reach the file system; a symbolic link planted in the
// upload directory cannot lead a write or a read outside it.
func TestFILE05_ServerGeneratedStorageNames(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	stored := regexp.MustCompile(`^uploads/` + fmt.Sprint(f.project.ID) + `/[a-z2-7]{26}\.gz$`)
	names := []struct{ sent, shown string }{
		{"../../../../tmp/evil.csv", "evil.csv"},
		{"/etc/cron.d/evil.csv", "evil.csv"},
		{`..\..\Windows\System32\evil.csv`, "evil.csv"},
		{"C:evil.csv", "C:evil.csv"},
		{"evil\x00.csv", "evil.csv"},
		{"．．／．．／evil.csv", "．．／．．／evil.csv"},         // fullwidth full stops and solidus
		{"..∕..∕evil.csv", "..∕..∕evil.csv"},         // U+2215 division slash
		{"..⁄evil.csv", "..⁄evil.csv"},               // U+2044 fraction slash
		{"\u202evsc.\u202dlive.csv", "vsc.live.csv"}, // bidi overrides: shown reversed
		{"evil\u200b\u0085.csv", "evil.csv"},         // zero-width space, C1 control
	}
	for i, tt := range names {
		t.Run(fmt.Sprintf("%q", tt.sent), func(t *testing.T) {
			body := jmeterRows(5 + i) // distinct content: no duplicates
			rc, err := f.svc.Ingest(ctx, IngestRequest{ProjectKey: "shop", UploaderID: f.user.ID, Filename: tt.sent, Body: strings.NewReader(body)})
			if err != nil {
				t.Fatal(err)
			}
			r := f.st.Client.Run.GetX(ctx, rc.RunID)
			if !stored.MatchString(r.RawPath) {
				t.Errorf("stored as %q, not a server-generated name", r.RawPath)
			}
			if r.OriginalFilename != tt.shown {
				t.Errorf("name kept for display %q, want %q", r.OriginalFilename, tt.shown)
			}
			if _, err := os.Stat(filepath.Join(f.dataDir, r.RawPath)); err != nil {
				t.Errorf("raw file: %v", err)
			}
		})
	}
	// A NUL cannot cut a name short: "evil.csv\x00.exe" is evil.csv.exe, and refused.
	if _, err := f.svc.Ingest(ctx, IngestRequest{ProjectKey: "shop", UploaderID: f.user.ID, Filename: "evil.csv\x00.exe", Body: strings.NewReader(jmeterRows(3))}); !strings.Contains(fmt.Sprint(err), "evil.csv.exe: the extension .exe is not accepted") {
		t.Errorf("NUL-truncation name: %v", err)
	}
	// Nothing but uploads/<project>/<random>.gz and the empty tmp folder exists, and no
	// file anywhere in the test's directories carries a client's name.
	err := filepath.WalkDir(filepath.Dir(f.dataDir), func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(f.dataDir, p)
		if err != nil || strings.HasPrefix(rel, "..") {
			if strings.Contains(d.Name(), "evil") { // outside the data directory
				t.Errorf("a client's name reached the file system: %s", p)
			}
			return nil
		}
		if d.Type().IsRegular() && !stored.MatchString(filepath.ToSlash(rel)) {
			t.Errorf("unexpected file %s in the data directory", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	outside := t.TempDir()
	t.Run("a planted link cannot take a write outside", func(t *testing.T) {
		p2, err := f.svc.CreateProject(ctx, ProjectInput{Key: "other", Name: "Other"})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(outside, filepath.Join(f.dataDir, uploadsDir, fmt.Sprint(p2.ID))); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.Ingest(ctx, IngestRequest{ProjectKey: "other", UploaderID: f.user.ID, Filename: "x.csv", Body: strings.NewReader(jmeterRows(50))})
		if apperr.KindOf(err) != apperr.Unavailable {
			t.Fatalf("err %v, want the write refused", err)
		}
		if es, _ := os.ReadDir(outside); len(es) != 0 {
			t.Fatalf("%d files written outside the upload directory", len(es))
		}
		if n := f.st.Client.Run.Query().Where(run.ProjectID(p2.ID)).CountX(ctx); n != 0 {
			t.Errorf("%d runs stored", n)
		}
	})
	t.Run("reads stay inside", func(t *testing.T) {
		secret := filepath.Join(outside, "secret.gz")
		if err := os.WriteFile(secret, gzipBytes(t, []byte(jmeterRows(3))), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(secret, filepath.Join(f.dataDir, uploadsDir, "link.gz")); err != nil {
			t.Fatal(err)
		}
		up, _ := filepath.Rel(filepath.Join(f.dataDir, uploadsDir), secret)
		for _, raw := range []string{"uploads/link.gz", "uploads/" + filepath.ToSlash(up), "uploads/../../" + filepath.Base(outside) + "/secret.gz", secret} {
			if fh, err := f.svc.runFile(raw); err == nil {
				fh.Close()
				t.Errorf("runFile(%q) opened a file outside the upload directory", raw)
			}
		}
	})
}

// TestStoredErrorTextIsClipped: an error text (JMeter's key is code/response message) of
// any length is stored cut to maxDetail
// (key and message alike), so one pathological row cannot put megabytes into the
// errors tables and every page that shows them.
func TestStoredErrorTextIsClipped(t *testing.T) {
	f := newFixture(t)
	huge := strings.Repeat("ошибка ", 20_000) // 260,000 bytes, two-byte runes
	csv := "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,failureMessage,bytes,grpThreads,allThreads,Latency\n" +
		"1795216261172,72,GET /a,500," + huge + ",T 1-1,text,false,assertion failed,128,1,1,72\n" +
		"1795216261175,76,GET /a,200,OK,T 1-1,text,true,,128,1,1,76\n"
	id := f.ingestBytes(t, "clip.csv", []byte(csv))
	drain(t, f.svc)
	rows := f.st.Client.RunError.Query().AllX(context.Background())
	if len(rows) == 0 {
		t.Fatal("no error rows stored")
	}
	found := false
	for _, r := range rows {
		if r.RunID != id {
			continue
		}
		if len(r.Message) > maxDetail || len(r.Key) > maxDetail || !utf8.ValidString(r.Message) || !utf8.ValidString(r.Key) {
			t.Fatalf("stored message %d bytes, key %d bytes (limit %d), valid UTF-8 %v", len(r.Message), len(r.Key), maxDetail, utf8.ValidString(r.Message))
		}
		if len(r.Message) > 1000 && strings.HasPrefix(huge, r.Message) {
			found = true
		}
	}
	if !found {
		for _, r := range rows {
			t.Logf("row label %q code %q key %.60q (%d) message %.60q (%d)", r.Label, r.Code, r.Key, len(r.Key), r.Message, len(r.Message))
		}
		t.Fatal("the failure message was not stored (cut) anywhere")
	}
}

// FILE-11, the memory side: what one job may hold is bounded by the aggregator's budgets,
// and the one input-driven dimension without a budget of its own, the number of distinct
// labels, is capped: a file naming every request differently fails, located, storing nothing.
func TestFILE11_DistinctLabelsAreBounded(t *testing.T) {
	f := newFixture(t)
	var b strings.Builder
	b.WriteString("timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,failureMessage,bytes,grpThreads,allThreads,Latency\n")
	for i := range 10_001 {
		fmt.Fprintf(&b, "%d,%d,GET /item/%d,200,OK,T 1-1,text,true,,128,1,1,5\n", 1795216261172+i, 5+i%7, i)
	}
	id := f.ingestBytes(t, "ids.csv", []byte(b.String()))
	drain(t, f.svc)
	ctx := context.Background()
	r := f.st.Client.Run.GetX(ctx, id)
	if r.Status != run.StatusFailed || !strings.Contains(r.Error, "ids.csv:10002:") || !strings.Contains(r.Error, "more than 10000 distinct labels") {
		t.Fatalf("run %s: %q; want failed at line 10002 naming the cap", r.Status, r.Error)
	}
	if n := f.st.Client.RunLabel.Query().Where(runlabel.RunID(id)).CountX(ctx); n != 0 {
		t.Fatalf("%d label rows stored for a failed run", n)
	}
}
