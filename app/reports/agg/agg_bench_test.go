package agg

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"scanboard/app/reports/parse"
)

// BenchmarkAggregateSamples measures aggregation alone (no parsing): 1,000,000 samples of
// 40 labels over 1,000 s with start times out of order by up to the response time, the
// shape of the generated JMeter files.
func BenchmarkAggregateSamples(b *testing.B) {
	const rows = 1_000_000
	rng := rand.New(rand.NewPCG(1, 2))
	labels := make([]string, 40)
	for i := range labels {
		labels[i] = fmt.Sprintf("HTTP Request %02d", i)
	}
	samples := make([]parse.Sample, rows)
	for i := range samples {
		l := rng.IntN(len(labels))
		elapsed := math.Round(20 + rng.ExpFloat64()*80*float64(1+l%5))
		samples[i] = parse.Sample{Label: labels[l], StartMS: 1_767_225_600_000 + int64(i) - int64(elapsed),
			ElapsedMS: elapsed, OK: rng.IntN(50) != 0, Code: "200", Threads: 50}
	}
	// The second case squeezes the slices to 60 s, as a 5,000,000-row run of the same shape
	// gets them: more samples and distinct values per slice.
	for _, bc := range []struct {
		name string
		opt  Options
	}{{"default slices", Options{}}, {"60s slices", Options{MaxSlices: 40 * 17}}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				a := New(bc.opt)
				for i := range samples {
					_ = a.Sample(&samples[i])
				}
				_ = a.Result()
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}
