package agg

import (
	"math/rand/v2"
	"slices"
	"testing"

	"scanboard/app/reports/parse"
)

// TestGridMatchesMap sets buckets at random numbers, from dense runs to a few scattered
// over a wide span so that grids change between array and map, and checks every lookup and
// the time order against a plain map.
func TestGridMatchesMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	sparseRounds, switched := 0, 0
	for round := range 200 {
		g := grid{size: 1000}
		want := map[int64]*Bucket{}
		span := []int64{50, 300, 1000, 5000}[round%4]
		base := int64(rng.IntN(1_000_000)) - 500_000
		sets := 1 + rng.IntN(300)
		for range sets {
			n := base + rng.Int64N(span)
			if rng.IntN(4) == 0 { // runs of neighbours, as busy labels have
				n = base + int64(len(want))
			}
			if want[n] != nil {
				continue
			}
			b := &Bucket{StartMS: n * g.size}
			want[n] = b
			wasSparse := g.sparse != nil
			g.set(n, b)
			if wasSparse != (g.sparse != nil) {
				switched++
			}
			if got := g.get(n); got != b {
				t.Fatalf("round %d: get(%d) after set is %p, want %p", round, n, got, b)
			}
		}
		if g.sparse != nil {
			sparseRounds++
		}
		for n := base - 2; n < base+span+2; n++ {
			if got := g.get(n); got != want[n] {
				t.Fatalf("round %d: get(%d) = %p, want %p (sparse=%v)", round, n, got, want[n], g.sparse != nil)
			}
		}
		keys := slices.Sorted(func(yield func(int64) bool) {
			for k := range want {
				if !yield(k) {
					return
				}
			}
		})
		got := g.list()
		if len(got) != len(keys) || g.n != len(keys) {
			t.Fatalf("round %d: %d buckets listed, %d counted, want %d", round, len(got), g.n, len(keys))
		}
		for i, k := range keys {
			if got[i] != want[k] {
				t.Fatalf("round %d: bucket %d out of order", round, i)
			}
		}
	}
	if sparseRounds < 20 || sparseRounds > 180 || switched < 20 {
		t.Errorf("%d of 200 rounds ended as a map, %d switches: the test no longer exercises both forms", sparseRounds, switched)
	}
}

// TestGridSparseForRareLabels: a label seen a few times over a long run keeps its buckets in
// a map, a busy one in an array, and both widen to the same counts.
func TestGridSparseForRareLabels(t *testing.T) {
	a := New(Options{})
	const start = 1_700_000_000_000
	for i := range 100_000 {
		ts := int64(start + i*10) // 1,000 s
		s := sampleAt("busy", ts, i)
		_ = a.Sample(&s)
		if i%20_000 == 0 {
			r := sampleAt("rare", ts, i)
			_ = a.Sample(&r)
		}
	}
	busy, rare := a.labels[labelKey{"busy", false}], a.labels[labelKey{"rare", false}]
	if busy.buckets.sparse != nil || rare.buckets.sparse == nil {
		t.Errorf("busy label sparse=%v, rare label sparse=%v; want false, true", busy.buckets.sparse != nil, rare.buckets.sparse != nil)
	}
	res := a.Result()
	for _, l := range res.Labels {
		var n int64
		for _, b := range l.Buckets() {
			n += b.Count
		}
		if n != l.Count {
			t.Errorf("%s: buckets hold %d of %d samples", l.Name, n, l.Count)
		}
	}
}

func sampleAt(label string, ts int64, i int) parse.Sample {
	return parse.Sample{Label: label, StartMS: ts, ElapsedMS: float64(1 + i%300), OK: true, Code: "200"}
}
