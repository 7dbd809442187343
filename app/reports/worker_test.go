package reports

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"scanboard/ent/run"
	"scanboard/ent/runlabel"
)

// TestRestartDuringProcessing cancels a worker in the middle of parsing a large file, as a
// crash would stop it, and shows that after a restart the run completes with the figures
// `mis report stats` gives for the file.
func TestRestartDuringProcessing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	file := generated(t, 300_000, 7)
	rc := f.ingestFile(t, file)

	crashed := f.service(t, Config{ProgressEvery: time.Millisecond, Lease: time.Minute})
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var reads atomic.Int64
	f.clock.tick = time.Millisecond
	f.clock.onNow = func() {
		// Every read of the raw file asks the time; stop part-way, after some progress
		// updates have landed.
		if reads.Add(1) == 8 {
			cancel()
		}
	}
	did, err := crashed.ProcessNext(wctx)
	f.clock.onNow, f.clock.tick = nil, 0
	if !did || !errors.Is(err, context.Canceled) {
		t.Fatalf("first worker: did %v, err %v; want cancelled mid-run", did, err)
	}
	r := f.st.Client.Run.GetX(ctx, rc.RunID)
	if r.Status != run.StatusProcessing || r.Progress == 0 || r.Progress >= 99 {
		t.Fatalf("after the crash: %s at %d%%; want processing part-way", r.Status, r.Progress)
	}
	if n := f.st.Client.RunLabel.Query().Where(runlabel.RunID(r.ID)).CountX(ctx); n != 0 {
		t.Fatalf("%d label rows stored by the crashed worker", n)
	}

	restarted := f.service(t, Config{Lease: time.Minute})
	if did, err := restarted.ProcessNext(ctx); did || err != nil {
		t.Fatalf("claimed a run whose lease is still running: did %v, err %v", did, err)
	}
	f.clock.Add(time.Minute + time.Second)
	drain(t, restarted)
	r = f.st.Client.Run.GetX(ctx, rc.RunID)
	if r.Status != run.StatusReady || r.Attempts != 2 {
		t.Fatalf("after the restart: %s, %d attempts, error %q", r.Status, r.Attempts, r.Error)
	}
	checkAgainstStats(t, f.st, r.ID, file)
}

// TestTwoWorkersNeverShareARun runs two services (two nodes) on one database over many
// queued runs: every run is claimed exactly once.
func TestTwoWorkersNeverShareARun(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const runs = 12
	for i := range runs {
		f.ingestFile(t, generated(t, 2_000, uint64(100+i)))
	}
	nodes := []*Service{f.service(t, Config{}), f.service(t, Config{})}
	var mu sync.Mutex
	seen := map[int]int{}
	var wg sync.WaitGroup
	for _, s := range nodes {
		wg.Go(func() {
			for {
				id, token, err := s.claim(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				if id == 0 {
					return
				}
				mu.Lock()
				seen[id]++
				mu.Unlock()
				if err := s.process(ctx, id, token); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if len(seen) != runs {
		t.Errorf("%d runs claimed, want %d", len(seen), runs)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("run %d claimed %d times", id, n)
		}
	}
	if n := f.st.Client.Run.Query().Where(run.StatusEQ(run.StatusReady), run.Attempts(1)).CountX(ctx); n != runs {
		t.Errorf("%d runs ready after one attempt, want %d", n, runs)
	}

	// A stale claim cannot be used once another worker took the run over.
	rc := f.ingestFile(t, generated(t, 1_000, 999))
	id, stale, err := nodes[0].claim(ctx)
	if err != nil || id != rc.RunID {
		t.Fatalf("claim: %d, %v", id, err)
	}
	f.clock.Add(3 * time.Minute)
	id2, fresh, err := nodes[1].claim(ctx)
	if err != nil || id2 != id || fresh == stale {
		t.Fatalf("takeover: %d, %v", id2, err)
	}
	if err := nodes[0].heartbeat(ctx, id, stale, 50); !errors.Is(err, errLostClaim) {
		t.Errorf("stale heartbeat: %v, want errLostClaim", err)
	}
	if err := nodes[0].process(ctx, id, stale); err != nil {
		t.Errorf("stale worker: %v", err)
	}
	if n := f.st.Client.RunLabel.Query().Where(runlabel.RunID(id)).CountX(ctx); n != 0 {
		t.Errorf("stale worker stored %d label rows", n)
	}
	if err := nodes[1].process(ctx, id, fresh); err != nil {
		t.Fatal(err)
	}
	if r := f.st.Client.Run.GetX(ctx, id); r.Status != run.StatusReady {
		t.Errorf("run %s after the fresh worker", r.Status)
	}
}

func TestRunFailsAfterMaxAttempts(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rc := f.ingestFile(t, generated(t, 1_000, 3))
	s := f.service(t, Config{MaxAttempts: 2})
	for range 2 {
		if id, _, err := s.claim(ctx); err != nil || id != rc.RunID {
			t.Fatalf("claim: %d, %v", id, err)
		}
		f.clock.Add(3 * time.Minute) // the worker "dies" each time
	}
	if id, _, err := s.claim(ctx); err != nil || id != 0 {
		t.Fatalf("claimed %d (%v) after the last attempt", id, err)
	}
	r := f.st.Client.Run.GetX(ctx, rc.RunID)
	if r.Status != run.StatusFailed || r.Error == "" {
		t.Errorf("run %s, error %q; want failed with a reason", r.Status, r.Error)
	}
}

func TestWorkPoolProcessesUploads(t *testing.T) {
	f := newFixture(t)
	s := f.service(t, Config{Workers: 3, PollEvery: 10 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Work(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	var ids []int
	for i := range 5 {
		fh := openT(t, generated(t, 3_000, uint64(i+1)))
		rc, err := s.Ingest(ctx, IngestRequest{ProjectKey: "shop", UploaderID: f.user.ID, Filename: "g.csv", Body: fh})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rc.RunID)
	}
	for _, id := range ids {
		for {
			p, err := s.Progress(ctx, f.viewer(), id)
			if err != nil {
				t.Fatal(err)
			}
			if p.Status == "ready" {
				break
			}
			if p.Status == "failed" {
				t.Fatalf("run %d failed: %s", id, p.Error)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}
