package reports

import (
	lru "github.com/hashicorp/golang-lru/v2"

	"scanboard/ent"
	"scanboard/ent/run"
)

// Dash answers the dashboard pages: run reports, chart series, time-range tables, trends,
// comparisons, SLA verdicts, security and JUnit views and the managers' overview. Every
// figure comes from the stored aggregates; raw files are never read again.
//
// A ready run's aggregates never change, so what is computed from them (APDEX from the
// histograms, chart series) is kept in a bounded cache keyed by run id and processing time.
// Visibility is checked on every call, before the cache is consulted.
type Dash struct {
	s      *Service
	cache  *lru.Cache[cacheKey, any]
	maxPts int
}

type cacheKey struct {
	kind  string
	runID int
	stamp int64 // processed_at in ns: a re-processed run is a different entry
	arg   string
}

// NewDash returns the dashboard queries over s, caching the derived figures of up to
// cacheRuns runs (0: 256).
func NewDash(s *Service, cacheRuns int) *Dash {
	if cacheRuns <= 0 {
		cacheRuns = 256
	}
	c, _ := lru.New[cacheKey, any](cacheRuns * 3) // New fails only for a size ≤ 0
	return &Dash{s: s, cache: c, maxPts: 2000}
}

func keyOf(kind string, r *ent.Run, arg string) cacheKey {
	var stamp int64
	if r.ProcessedAt != nil {
		stamp = r.ProcessedAt.UnixNano()
	}
	return cacheKey{kind: kind, runID: r.ID, stamp: stamp, arg: arg}
}

// cached returns the entry for k, computing and storing it on a miss. Only ready runs are
// cached: anything else may still change.
func cached[T any](d *Dash, r *ent.Run, k cacheKey, compute func() (T, error)) (T, error) {
	if v, ok := d.cache.Get(k); ok {
		return v.(T), nil
	}
	v, err := compute()
	if err == nil && r.Status == run.StatusReady {
		d.cache.Add(k, v)
	}
	return v, err
}
