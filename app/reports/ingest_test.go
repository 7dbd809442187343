package reports

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"scanboard/app/apperr"
	"scanboard/app/reports/parse"
	"scanboard/ent/run"
	"scanboard/ent/runlabel"
)

func TestIngestSharedFiles(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, file := range sharedFiles(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			rc := f.ingestFile(t, file)
			if rc.Status != "queued" || rc.DuplicateOf != 0 {
				t.Fatalf("receipt %+v", rc)
			}
			drain(t, f.svc)
			view, err := f.svc.Run(ctx, f.viewer(), rc.RunID)
			if err != nil {
				t.Fatal(err)
			}
			r := view.Run
			if r.Status != run.StatusReady || r.Progress != 100 {
				t.Fatalf("run %s (%d%%): %s", r.Status, r.Progress, r.Error)
			}
			switch parse.Format(r.SourceFormat) {
			case parse.JMeterCSV, parse.JMeterXML, parse.K6JSON, parse.K6CSV, parse.GatlingLog,
				parse.K6SummaryExport, parse.K6HandleSummary, parse.LocustStats, parse.GatlingStats:
				checkAgainstStats(t, f.st, r.ID, file)
				if r.PreAggregated == hasBytes(view.Labels[0].HistAll) {
					t.Errorf("pre-aggregated %v but overall histogram present %v", r.PreAggregated, hasBytes(view.Labels[0].HistAll))
				}
			case parse.JUnitXML:
				rep, err := parse.JUnit(openT(t, file), file)
				if err != nil {
					t.Fatal(err)
				}
				n := f.st.Client.RunCase.Query().Where().CountX(ctx)
				if int64(rep.Totals.Tests) != r.SampleCount || r.Totals["failed"] != int64(rep.Totals.Failed) || n < rep.Totals.Tests {
					t.Errorf("junit: stored %d tests (%d rows), totals %v; file %+v", r.SampleCount, n, r.Totals, rep.Totals)
				}
			case parse.ZAPJSON, parse.SARIF:
				findings, err := r.QueryFindings().Count(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if findings == 0 || r.Totals["high"]+r.Totals["medium"]+r.Totals["low"]+r.Totals["info"]+r.Totals["critical"]+r.Totals["suppressed"] != int64(findings) {
					t.Errorf("security: %d finding rows, totals %v", findings, r.Totals)
				}
			case parse.LocustFailures, parse.LocustExceptions:
				if n, _ := r.QueryErrors().Count(ctx); n == 0 {
					t.Errorf("no error rows stored")
				}
			case parse.LocustHistory:
				if len(view.Labels) != 1 || view.Labels[0].Count == 0 {
					t.Errorf("history: %d label rows", len(view.Labels))
				}
			default:
				t.Errorf("format %s not checked", r.SourceFormat)
			}
		})
	}
}

func openT(t *testing.T, path string) *os.File {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fh.Close() })
	return fh
}

func TestIngestDuplicateContent(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	data, err := os.ReadFile("../../../shared/testdata/real/jmeter-2.13-header.csv")
	if err != nil {
		t.Fatal(err)
	}
	first, err := f.svc.Ingest(ctx, IngestRequest{ProjectKey: "shop", UploaderID: f.user.ID, Filename: "a.csv", Body: bytes.NewReader(data)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		body []byte
	}{
		{"same bytes", data},
		{"same content gzip-compressed", gzipBytes(t, data)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc, err := f.svc.Ingest(ctx, IngestRequest{ProjectKey: "shop", UploaderID: f.user.ID, Filename: "b.csv.gz", Body: bytes.NewReader(tt.body)})
			if err != nil {
				t.Fatal(err)
			}
			if rc.DuplicateOf != first.RunID || rc.RunID != first.RunID {
				t.Errorf("receipt %+v, want duplicate of %d", rc, first.RunID)
			}
		})
	}
	if n := f.st.Client.Run.Query().CountX(ctx); n != 1 {
		t.Errorf("%d runs stored, want 1", n)
	}
	if n := countFiles(t, f.dataDir); n != 1 {
		t.Errorf("%d files stored, want 1", n)
	}
}

// countFiles counts regular files under dataDir/uploads.
func countFiles(t *testing.T, dataDir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(filepath.Join(dataDir, uploadsDir), func(_ string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestIngestRefusals(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	big := bytes.Repeat([]byte("1719846000000,120,GET /,200,OK,t 1-1,text,true,,100,10,1,1\n"), 2000)
	tests := []struct {
		name     string
		req      IngestRequest
		kind     apperr.Kind
		contains string
	}{
		{"over the limit", IngestRequest{Filename: "big.csv", Body: bytes.NewReader(big), MaxBytes: 10_000}, apperr.TooLarge, "larger than the limit"},
		{"gzip over the decompressed limit", IngestRequest{Filename: "big.csv.gz", Body: bytes.NewReader(gzipBytes(t, bytes.Repeat(big, 10))), MaxBytes: 1 << 20}, apperr.TooLarge, "larger than the limit"},
		{"unknown format", IngestRequest{Filename: "notes.csv", Body: strings.NewReader("hello world\n")}, apperr.Invalid, "unknown format"},
		{"empty", IngestRequest{Filename: "empty.csv", Body: strings.NewReader("")}, apperr.Invalid, "empty"},
		{"no such project", IngestRequest{ProjectKey: "nope", Filename: "a.csv", Body: bytes.NewReader(big)}, apperr.NotFound, "no project"},
	}
	small := f.service(t, Config{MaxDecompressed: 1 << 20})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.req.ProjectKey == "" {
				tt.req.ProjectKey = "shop"
			}
			tt.req.UploaderID = f.user.ID
			_, err := small.Ingest(ctx, tt.req)
			if apperr.KindOf(err) != tt.kind || !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("err %v (kind %v), want %v containing %q", err, apperr.KindOf(err), tt.kind, tt.contains)
			}
		})
	}
	if n := f.st.Client.Run.Query().CountX(ctx); n != 0 {
		t.Errorf("%d runs stored after refusals", n)
	}
	if n := countFiles(t, f.dataDir); n != 0 {
		t.Errorf("%d files left after refusals", n)
	}
}

func TestFailedRunStoresNothing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	good, err := os.ReadFile("../../../shared/testdata/real/jmeter-2.13-header.csv")
	if err != nil {
		t.Fatal(err)
	}
	// Cut the file in the middle of a row, after many good rows.
	cut := bytes.LastIndexByte(good[:len(good)*3/4], '\n') + 8
	rc, err := f.svc.Ingest(ctx, IngestRequest{ProjectKey: "shop", UploaderID: f.user.ID, Filename: "cut.csv", Body: bytes.NewReader(good[:cut])})
	if err != nil {
		t.Fatal(err)
	}
	drain(t, f.svc)
	r := f.st.Client.Run.GetX(ctx, rc.RunID)
	if r.Status != run.StatusFailed || !strings.HasPrefix(r.Error, "cut.csv:") {
		t.Fatalf("run %s, error %q; want failed naming cut.csv and the line", r.Status, r.Error)
	}
	if n := f.st.Client.RunLabel.Query().Where(runlabel.RunID(r.ID)).CountX(ctx); n != 0 {
		t.Errorf("failed run has %d label rows", n)
	}
	if n := f.st.Client.RunBucket.Query().CountX(ctx) + f.st.Client.RunError.Query().CountX(ctx); n != 0 {
		t.Errorf("failed run left %d bucket/error rows", n)
	}
	p, err := f.svc.Progress(ctx, f.viewer(), r.ID)
	if err != nil || p.Status != "failed" || p.Error == "" {
		t.Errorf("progress %+v, %v", p, err)
	}
}

func TestReuploadOfFailedRunRequeues(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	bad := "timeStamp,elapsed,label,responseCode,success\n1719846000000,12,GET /,200,true\n1719846000100,1"
	rc, err := f.svc.Ingest(ctx, IngestRequest{ProjectKey: "shop", UploaderID: f.user.ID, Filename: "bad.csv", Body: strings.NewReader(bad)})
	if err != nil {
		t.Fatal(err)
	}
	drain(t, f.svc)
	if r := f.st.Client.Run.GetX(ctx, rc.RunID); r.Status != run.StatusFailed {
		t.Fatalf("run %s, want failed", r.Status)
	}
	again, err := f.svc.Ingest(ctx, IngestRequest{ProjectKey: "shop", UploaderID: f.user.ID, Filename: "bad.csv", Body: strings.NewReader(bad)})
	if err != nil {
		t.Fatal(err)
	}
	if again.DuplicateOf != rc.RunID || again.Status != "queued" {
		t.Errorf("receipt %+v, want the failed run queued again", again)
	}
}
