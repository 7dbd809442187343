package agg

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"scanboard/app/reports/parse"
)

// sparseCases are value streams for comparing SparseHist with Hist.
func sparseCases(rng *rand.Rand) []struct {
	name string
	tol  float64
	gen  func(i int) float64
} {
	return []struct {
		name string
		tol  float64
		gen  func(i int) float64
	}{
		{"whole ms below 2s", 0, func(int) float64 { return float64(rng.IntN(2000)) }},
		{"whole ms long tail", 0.001, func(int) float64 { return math.Round(math.Exp(rng.NormFloat64()*1.5 + 5)) }},
		{"fractional ms (k6)", 0.001, func(int) float64 { return math.Exp(rng.NormFloat64()*2 + 3) }},
		// Values counted in ms before the switch to µs move to the µs bucket of their ms
		// bucket's lower edge, so they carry both buckets' error: within 0.2%.
		{"whole ms, then fractional", 0.002, func(i int) float64 {
			if i < 30_000 {
				return math.Round(math.Exp(rng.NormFloat64() + 7))
			}
			return math.Exp(rng.NormFloat64() + 4)
		}},
	}
}

// TestSparseHistEqualsHist records the same values in a SparseHist and a Hist: both must
// encode identically (same buckets, counts, unit, min and max), so a slice is exactly as
// precise as a run-level histogram.
func TestSparseHistEqualsHist(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, c := range sparseCases(rng) {
		t.Run(c.name, func(t *testing.T) {
			h, s := NewHist(), NewSparseHist()
			vals := make([]float64, 60_000)
			for i := range vals {
				vals[i] = c.gen(i)
				h.RecordMS(vals[i])
				s.RecordMS(vals[i])
			}
			want, _ := h.MarshalBinary()
			got, _ := s.MarshalBinary()
			if !bytes.Equal(got, want) {
				t.Fatalf("sparse encoding (%d bytes) differs from the dense one (%d bytes)", len(got), len(want))
			}
			slices.Sort(vals)
			for _, p := range []float64{1, 50, 90, 95, 99, 99.9, 100} {
				exact := math.Round(nearestRank(vals, p)*1000) / 1000
				if g := s.PercentileMS(p); g != h.PercentileMS(p) || math.Abs(g-exact) > c.tol*exact {
					t.Errorf("p%v = %v, dense %v, exact %v", p, g, h.PercentileMS(p), exact)
				}
			}
			back := s.Hist()
			if enc, _ := back.MarshalBinary(); !bytes.Equal(enc, want) {
				t.Error("SparseHist.Hist differs from the dense histogram")
			}
		})
	}
}

// TestSparseHistMergeIsExact splits values over many small histograms (as slices split a
// label) and checks that merging them, sparse into sparse or encoded into dense, gives the
// histogram of all the values.
func TestSparseHistMergeIsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, c := range sparseCases(rng) {
		t.Run(c.name, func(t *testing.T) {
			const parts = 37
			whole := NewHist()
			ps := make([]*SparseHist, parts)
			dense := make([]*Hist, parts)
			for i := range ps {
				ps[i], dense[i] = NewSparseHist(), NewHist()
			}
			for i := range 60_000 {
				v := c.gen(i)
				whole.RecordMS(v)
				k := rng.IntN(parts)
				ps[k].RecordMS(v)
				dense[k].RecordMS(v)
			}
			merged, fromEnc, fromDense := NewSparseHist(), NewHist(), NewHist()
			for i, p := range ps {
				merged.Merge(p)
				enc, _ := p.MarshalBinary()
				if err := fromEnc.MergeBinary(enc); err != nil {
					t.Fatal(err)
				}
				if err := fromDense.Merge(dense[i]); err != nil {
					t.Fatal(err)
				}
			}
			want, _ := fromDense.MarshalBinary()
			for name, h := range map[string]interface{ MarshalBinary() ([]byte, error) }{"sparse merge": merged, "MergeBinary": fromEnc} {
				if got, _ := h.MarshalBinary(); !bytes.Equal(got, want) {
					t.Errorf("%s differs from merging the dense parts", name)
				}
			}
			if merged.Count() != whole.Count() || merged.PercentileMS(99) != fromDense.PercentileMS(99) {
				t.Errorf("merged %d values, p99 %v; want %d, %v", merged.Count(), merged.PercentileMS(99), whole.Count(), fromDense.PercentileMS(99))
			}
			for _, p := range []float64{50, 95, 99.9} {
				if g, w := merged.PercentileMS(p), whole.PercentileMS(p); math.Abs(g-w) > 0.002*w {
					t.Errorf("p%v = %v, all values in one histogram give %v", p, g, w)
				}
			}
		})
	}
}

func TestHistMergeBinaryRejects(t *testing.T) {
	h := NewHist()
	h.RecordMS(42)
	before, _ := h.MarshalBinary()
	coarse := NewCoarseHist()
	coarse.RecordMS(7)
	cenc, _ := coarse.MarshalBinary()
	s := NewSparseHist()
	s.RecordMS(9)
	senc, _ := s.MarshalBinary()
	cases := map[string][]byte{
		"truncated":       senc[:len(senc)-1],
		"count mismatch":  append(append([]byte(nil), senc...), 1, 1),
		"other precision": cenc,
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			if err := h.MergeBinary(in); err == nil {
				t.Error("want an error")
			}
			if after, _ := h.MarshalBinary(); !bytes.Equal(after, before) {
				t.Error("a rejected merge changed the histogram")
			}
		})
	}
}

// TestSliceHistogramsStayWithinBudget feeds a run whose slices cannot all keep their
// histograms within a small byte budget: the slices must widen (merging neighbours, so each
// label's slices still add up exactly to its run-level histogram) until they fit.
func TestSliceHistogramsStayWithinBudget(t *testing.T) {
	tests := []struct {
		name   string
		budget int
		wider  bool // slices must end wider than with no byte budget
	}{
		{"roomy budget", 0, false},
		{"tight budget", 24 << 10, true},
		{"budget below one slice per label", 512, true},
	}
	run := func(opt Options) *Result {
		a := New(opt)
		rng := rand.New(rand.NewPCG(9, 10))
		const start = 1_700_000_000_000
		for i := range 200_000 {
			// 2,000 s, five labels, start times out of order by up to a second.
			ts := int64(start + i*10 - rng.IntN(1000))
			s := parse.Sample{Label: fmt.Sprintf("L%d", i%5), StartMS: ts, ElapsedMS: math.Round(20 + rng.ExpFloat64()*300), OK: i%17 != 0}
			if err := a.Sample(&s); err != nil {
				t.Fatal(err)
			}
		}
		return a.Result()
	}
	free := run(Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := run(Options{SliceHistBytes: tt.budget})
			if tt.wider != (res.SliceMS > free.SliceMS) {
				t.Errorf("slices of %d ms, %d ms without a byte budget", res.SliceMS, free.SliceMS)
			}
			size, slicesPerLabel := 0, 0
			for _, l := range res.Labels {
				merged := NewHist()
				sl := l.Slices()
				slicesPerLabel = max(slicesPerLabel, len(sl))
				for _, b := range sl {
					size += b.Fine.Size()
					enc, _ := b.Fine.MarshalBinary()
					if err := merged.MergeBinary(enc); err != nil {
						t.Fatal(err)
					}
				}
				got, _ := merged.MarshalBinary()
				want, _ := l.All.MarshalBinary()
				if !bytes.Equal(got, want) {
					t.Errorf("%s: slices do not add up to the run-level histogram", l.Name)
				}
			}
			if tt.budget > 0 && size > tt.budget && slicesPerLabel > 1 {
				t.Errorf("slice histograms take %d bytes in %d-ms slices, over the budget of %d", size, res.SliceMS, tt.budget)
			}
		})
	}
}

// TestTallyMergesLikeSorting records the same values into a SparseHist merged through the
// Aggregator's scratch tally and one merged by sorting, over value spreads from a few
// buckets to the whole index range, and expects the same encoding.
func TestTallyMergesLikeSorting(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	var sc sparseScratch
	for _, n := range []int{1, 5, 200, 5000, 70_000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			a, b := NewSparseHist(), NewSparseHist()
			for i := range n {
				us := int64(1000 * (1 + rng.IntN(300)))
				if i%3 == 0 {
					us = int64(rng.Uint64()>>rng.IntN(64)>>12) / 1000 * 1000
				}
				a.record(us, &sc)
				b.record(us, nil)
				if i%997 == 0 {
					a.seal(&sc) // merges into an existing list
				}
			}
			a.flush(&sc)
			ea, _ := a.MarshalBinary()
			eb, _ := b.MarshalBinary()
			if !bytes.Equal(ea, eb) {
				t.Error("tally and sort disagree")
			}
		})
	}
}
