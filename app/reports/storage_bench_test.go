package reports

import (
	"bytes"
	"context"
	"os"
	"testing"

	"scanboard/app/store"
	"scanboard/ent/runbucket"
)

// dbBytes is the space the aggregate tables take: pages in use for SQLite, relation sizes
// (with indexes and TOAST) for PostgreSQL.
func dbBytes(b *testing.B, st *store.Store) int64 {
	b.Helper()
	ctx := context.Background()
	var n int64
	if st.Dialect == store.Postgres {
		err := st.DB.QueryRowContext(ctx, `SELECT sum(pg_total_relation_size(c)) FROM unnest(ARRAY['runs','run_labels','run_buckets','run_errors']::regclass[]) AS c`).Scan(&n)
		if err != nil {
			b.Fatal(err)
		}
		return n
	}
	var pages, free, size int64
	for q, dst := range map[string]*int64{"PRAGMA page_count": &pages, "PRAGMA freelist_count": &free, "PRAGMA page_size": &size} {
		if err := st.DB.QueryRowContext(ctx, q).Scan(dst); err != nil {
			b.Fatal(err)
		}
	}
	return (pages - free) * size
}

// BenchmarkStoreRun1M ingests and processes a generated 1,000,000-row JMeter CSV (40
// labels, 1,000 s) and reports what one run costs to keep: database bytes for its
// aggregates, the compressed raw file, and the rows written.
func BenchmarkStoreRun1M(b *testing.B) {
	file := generated(b, 1_000_000, 1)
	st, err := os.Stat(file)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	var dbDelta, raw, buckets int64
	for b.Loop() {
		b.StopTimer()
		f := newBenchFixture(b)
		before := dbBytes(b, f.st)
		fh, err := os.Open(file)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		rc, err := f.svc.Ingest(context.Background(), IngestRequest{ProjectKey: "shop", UploaderID: f.user.ID, Filename: "big.csv", Body: fh})
		if err != nil {
			b.Fatal(err)
		}
		if did, err := f.svc.ProcessNext(context.Background()); !did || err != nil {
			b.Fatalf("process: %v %v", did, err)
		}
		b.StopTimer()
		fh.Close()
		r := f.st.Client.Run.GetX(context.Background(), rc.RunID)
		if r.Status != "ready" {
			b.Fatalf("run %s: %s", r.Status, r.Error)
		}
		dbDelta, raw = dbBytes(b, f.st)-before, r.StoredSize
		buckets = int64(f.st.Client.RunBucket.Query().Where(runbucket.HasLabelWith()).CountX(context.Background()))
		b.StartTimer()
	}
	b.ReportMetric(float64(dbDelta), "db-bytes/run")
	b.ReportMetric(float64(raw), "raw-gz-bytes/run")
	b.ReportMetric(float64(buckets), "bucket-rows/run")
}

// BenchmarkIngestSpool measures what an upload costs before its run is queued: reading the
// body, compressing it to disk, hashing and checking it. Every upload after the first is a
// duplicate, which goes through all of that and stores nothing.
func BenchmarkIngestSpool(b *testing.B) {
	file := generated(b, 500_000, 1)
	data, err := os.ReadFile(file)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	f := newBenchFixture(b)
	for b.Loop() {
		if _, err := f.svc.Ingest(context.Background(), IngestRequest{ProjectKey: "shop", UploaderID: f.user.ID, Filename: "big.csv", Body: bytes.NewReader(data)}); err != nil {
			b.Fatal(err)
		}
	}
}
