package reports

import (
	"bytes"
	"context"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"scanboard/app/reports/gen"
	"scanboard/app/reports/stats"
	"scanboard/app/store"
	"scanboard/app/store/storetest"
	"scanboard/ent"
	"scanboard/ent/runlabel"
	"scanboard/ent/user"
)

// clock is a settable time source shared by the services of one test.
type clock struct {
	mu sync.Mutex
	t  time.Time
	// onNow, when set, runs on every reading (to cancel a worker mid-parse).
	onNow func()
	// tick moves the time on at every reading, so progress updates fall due.
	tick time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.onNow != nil {
		c.onNow()
	}
	c.t = c.t.Add(c.tick)
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	st      *store.Store
	clock   *clock
	dataDir string
	svc     *Service
	user    *ent.User
	project *ent.Project
}

func newFixture(t *testing.T) *fixture { return newBenchFixture(t) }

// newBenchFixture is newFixture for tests and benchmarks alike.
func newBenchFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{st: storetest.New(t), clock: &clock{t: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}, dataDir: t.TempDir()}
	f.svc = f.service(t, Config{})
	u, err := f.st.Client.User.Create().SetStatus(user.StatusActive).SetDisplayName("uploader").Save(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	f.user = u
	p, err := f.svc.CreateProject(context.Background(), ProjectInput{Key: "shop", Name: "Shop"})
	if err != nil {
		t.Fatal(err)
	}
	f.project = p
	return f
}

// service starts another Service on the fixture's database and data directory, as a
// restarted process or a second node would.
func (f *fixture) service(t testing.TB, cfg Config) *Service {
	t.Helper()
	cfg.DataDir = f.dataDir
	cfg.Now = f.clock.Now
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s, err := New(f.st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func (f *fixture) ingestFile(t *testing.T, path string) *Receipt {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	rc, err := f.svc.Ingest(context.Background(), IngestRequest{ProjectKey: "shop", UploaderID: f.user.ID, Filename: filepath.Base(path), Body: fh})
	if err != nil {
		t.Fatalf("ingest %s: %v", path, err)
	}
	return rc
}

// drain processes every queued run with s.
func drain(t *testing.T, s *Service) {
	t.Helper()
	for {
		did, err := s.ProcessNext(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !did {
			return
		}
	}
}

func (f *fixture) viewer() Viewer { return Viewer{UserID: f.user.ID, Role: "employee"} }

// sharedFiles lists the shared example and real result files.
func sharedFiles(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, dir := range []string{"../../../shared/testdata/examples", "../../../shared/testdata/real"} {
		ents, err := os.ReadDir(dir)
		if err != nil {
			t.Fatalf("shared test data: %v", err)
		}
		for _, e := range ents {
			n := e.Name()
			if strings.HasSuffix(n, ".js") || strings.HasSuffix(n, ".truth.json") {
				continue
			}
			out = append(out, filepath.Join(dir, n))
		}
	}
	return out
}

func within(got, want, rel float64) bool {
	if want == 0 {
		return math.Abs(got) < 1e-9
	}
	return math.Abs(got-want)/math.Abs(want) <= rel
}

func optEq(got, want *float64) bool {
	if got == nil || want == nil {
		return got == nil && want == nil
	}
	return within(*got, *want, 0.001)
}

// checkAgainstStats compares a run's stored label rows (in the order written: overall, then
// labels as the aggregator sorted them) with `mis report stats` on the file.
func checkAgainstStats(t *testing.T, st *store.Store, runID int, file string) {
	t.Helper()
	rep, err := stats.Build(context.Background(), []string{file})
	if err != nil {
		t.Fatalf("stats: %v", err)
	}
	rows, err := st.Client.RunLabel.Query().Where(runlabel.RunID(runID), runlabel.KindNEQ(runlabel.KindOther)).
		Order(ent.Asc(runlabel.FieldID)).All(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := append([]stats.Row{rep.Overall}, rep.Labels...)
	if len(rows) != len(want) {
		t.Fatalf("%s: %d stored rows, stats has %d", file, len(rows), len(want))
	}
	for i, l := range rows {
		w := want[i]
		if i > 0 && l.Name != w.Label {
			t.Errorf("%s row %d: stored %q, stats %q", file, i, l.Name, w.Label)
		}
		if l.Count != w.Count || l.Errors != w.Errors || l.Transaction != w.Transaction {
			t.Errorf("%s %q: stored %d/%d samples/errors (tc %v), stats %d/%d (tc %v)", file, l.Name, l.Count, l.Errors, l.Transaction, w.Count, w.Errors, w.Transaction)
		}
		if !optEq(l.P50Ms, w.P50MS) || !optEq(l.P90Ms, w.P90MS) || !optEq(l.P95Ms, w.P95MS) || !optEq(l.P99Ms, w.P99MS) {
			t.Errorf("%s %q: stored percentiles %v/%v/%v/%v, stats %v/%v/%v/%v", file, l.Name,
				deref(l.P50Ms), deref(l.P90Ms), deref(l.P95Ms), deref(l.P99Ms), deref(w.P50MS), deref(w.P90MS), deref(w.P95MS), deref(w.P99MS))
		}
		if !within(l.MinMs, w.MinMS, 0.001) || !within(l.MaxMs, w.MaxMS, 0.001) || !within(l.ThroughputPerS, w.ThroughputPerS, 0.001) {
			t.Errorf("%s %q: min/max/throughput %v/%v/%v, stats %v/%v/%v", file, l.Name, l.MinMs, l.MaxMs, l.ThroughputPerS, w.MinMS, w.MaxMS, w.ThroughputPerS)
		}
		mean := l.SumMs / float64(max(l.Count, 1))
		if m, ok := l.Stated["mean"]; ok {
			mean = m
		}
		if math.Abs(mean-w.MeanMS) > 0.001+0.001*w.MeanMS {
			t.Errorf("%s %q: mean %v, stats %v", file, l.Name, mean, w.MeanMS)
		}
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func gzipBytes(t *testing.T, b []byte) []byte {
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

// generated writes a JMeter CSV of rows rows to a temporary file.
func generated(t testing.TB, rows int, seed uint64) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "gen.jtl.csv")
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gen.JMeterCSV(fh, gen.Options{Rows: rows, Seed: seed, Labels: 12}); err != nil {
		t.Fatal(err)
	}
	if err := fh.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}
