package agg

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// nearestRank is the reference: sort, rank = ceil(p/100·n), value = sorted[rank-1].
func nearestRank(sorted []float64, p float64) float64 {
	return sorted[Rank(p, uint64(len(sorted)))-1]
}

func TestHistPercentilesWithinPrecision(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := []struct {
		name  string
		gen   func() float64
		exact bool // whole ms below 2,048 ms: must be exact
	}{
		{"whole ms below 2s", func() float64 { return float64(rng.IntN(2000)) }, true},
		{"whole ms long tail", func() float64 { return math.Round(math.Exp(rng.NormFloat64()*1.5 + 5)) }, false},
		{"fractional ms (k6)", func() float64 { return math.Exp(rng.NormFloat64()*2 + 3) }, false},
		{"sub-millisecond", func() float64 { return rng.Float64() }, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := NewHist()
			vals := make([]float64, 200_000)
			for i := range vals {
				vals[i] = c.gen()
				h.RecordMS(vals[i])
			}
			slices.Sort(vals)
			for _, p := range []float64{0.1, 1, 25, 50, 90, 95, 99, 99.9, 99.99, 100} {
				want := math.Round(nearestRank(vals, p)*1000) / 1000 // the histogram keeps µs
				got := h.PercentileMS(p)
				if c.exact && got != want {
					t.Errorf("p%v = %v, want exactly %v", p, got, want)
				}
				if math.Abs(got-want) > 0.001*want {
					t.Errorf("p%v = %v, want %v ±0.1%%", p, got, want)
				}
			}
			if h.MinMS() != math.Round(vals[0]*1000)/1000 || h.MaxMS() != math.Round(vals[len(vals)-1]*1000)/1000 {
				t.Errorf("min/max %v/%v", h.MinMS(), h.MaxMS())
			}
		})
	}
}

func TestHistMergeAndEncoding(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	all, a, b := NewHist(), NewHist(), NewHist()
	for i := range 50_000 {
		v := math.Exp(rng.NormFloat64() + 4)
		if i%2 == 0 {
			v = math.Round(v) * 3
			a.RecordMS(v)
		} else {
			b.RecordMS(v)
		}
		all.RecordMS(v)
	}
	if err := a.Merge(b); err != nil {
		t.Fatal(err)
	}
	enc, err := a.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var dec Hist
	if err := dec.UnmarshalBinary(enc); err != nil {
		t.Fatal(err)
	}
	for _, p := range []float64{50, 90, 99, 100} {
		// Merging a millisecond histogram into a microsecond one moves its buckets to their
		// lower edges: still within 0.1%, not necessarily identical.
		if w, m, d := all.PercentileMS(p), a.PercentileMS(p), dec.PercentileMS(p); math.Abs(w-m) > 0.001*w || m != d {
			t.Errorf("p%v: recorded together %v, merged %v, decoded %v", p, w, m, d)
		}
	}
	nonEmpty := 0
	for _, c := range a.counts {
		if c != 0 {
			nonEmpty++
		}
	}
	if len(enc) > 32+4*nonEmpty {
		t.Errorf("encoding is %d bytes for %d non-empty buckets; expected at most 4 bytes each", len(enc), nonEmpty)
	}
	again, _ := dec.MarshalBinary()
	if !bytes.Equal(enc, again) {
		t.Error("re-encoding a decoded histogram changed it")
	}
	coarse := NewCoarseHist()
	coarse.RecordMS(3)
	if err := NewHist().Merge(coarse); err == nil {
		t.Error("merging different precisions must fail")
	}
}

func TestHistUnmarshalRejects(t *testing.T) {
	good, _ := func() ([]byte, error) { h := NewHist(); h.RecordMS(5); h.RecordMS(7); return h.MarshalBinary() }()
	cases := map[string][]byte{
		"empty":          nil,
		"wrong magic":    append([]byte{'X'}, good[1:]...),
		"truncated":      good[:len(good)-1],
		"count mismatch": append(append([]byte(nil), good...), 1, 1),
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			var h Hist
			if err := h.UnmarshalBinary(in); err == nil {
				t.Error("want an error")
			}
		})
	}
}

func FuzzHistUnmarshal(f *testing.F) {
	h := NewHist()
	for _, v := range []float64{0, 1, 2.5, 3000, 1e6} {
		h.RecordMS(v)
	}
	enc, _ := h.MarshalBinary()
	f.Add(enc)
	c := NewCoarseHist()
	c.RecordMS(12)
	enc, _ = c.MarshalBinary()
	f.Add(enc)
	f.Fuzz(func(t *testing.T, in []byte) {
		var h Hist
		if err := h.UnmarshalBinary(in); err != nil {
			return
		}
		_ = h.PercentileMS(50)
		out, err := h.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var back Hist
		if err := back.UnmarshalBinary(out); err != nil || back.Count() != h.Count() {
			t.Fatalf("round trip failed: %v", err)
		}
		m := h.Clone()
		if err := m.Merge(&h); err != nil || m.Count() != 2*h.Count() {
			t.Fatalf("merge failed: %v", err)
		}
	})
}

func TestHistCoarse(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	fine, coarse := NewHist(), NewCoarseHist()
	for range 20_000 {
		v := math.Exp(rng.NormFloat64() + 5)
		fine.RecordMS(v)
		coarse.RecordMS(v)
	}
	c := fine.Coarse()
	if c.Fine() || !fine.Fine() || c.Count() != fine.Count() || c.MinMS() != coarse.MinMS() || c.MaxMS() != coarse.MaxMS() {
		t.Fatalf("coarse copy: fine=%v n=%d min=%v max=%v; want n=%d min=%v max=%v", c.Fine(), c.Count(), c.MinMS(), c.MaxMS(), fine.Count(), coarse.MinMS(), coarse.MaxMS())
	}
	if err := c.Merge(coarse); err != nil {
		t.Fatal(err)
	}
	for _, p := range []float64{50, 90, 99} {
		if g, w := c.PercentileMS(p), fine.PercentileMS(p); math.Abs(g-w) > w/64+1 {
			t.Errorf("p%v = %v after coarsening, want %v within 1/64", p, g, w)
		}
	}
	if coarse.Coarse() != coarse {
		t.Error("a coarse histogram must coarsen to itself")
	}
}
