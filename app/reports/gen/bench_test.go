package gen_test

import (
	"bytes"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"scanboard/app/reports/agg"
	"scanboard/app/reports/gen"
	"scanboard/app/reports/parse"
)

func generate(b *testing.B, rows int, seed uint64) []byte {
	b.Helper()
	var buf bytes.Buffer
	if _, err := gen.JMeterCSV(&buf, gen.Options{Rows: rows, Seed: seed}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkParseAggregateJMeterCSV measures parse+aggregate on one core (one goroutine).
func BenchmarkParseAggregateJMeterCSV(b *testing.B) {
	const rows = 1_000_000
	data := generate(b, rows, 1)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		a := agg.New(agg.Options{})
		if err := parse.ReadJMeterCSV(bytes.NewReader(data), parse.CSVOptions{}, a); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkParseAggregateJMeterCSVParallel splits the work by file, as a multi-engine run
// arrives, one goroutine per core, then merges the aggregators.
func BenchmarkParseAggregateJMeterCSVParallel(b *testing.B) {
	const rows = 500_000
	n := runtime.GOMAXPROCS(0)
	files := make([][]byte, n)
	total := 0
	for i := range files {
		files[i] = generate(b, rows, uint64(i+1))
		total += len(files[i])
	}
	b.SetBytes(int64(total))
	b.ResetTimer()
	for b.Loop() {
		aggs := make([]*agg.Aggregator, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range files {
			wg.Go(func() {
				aggs[i] = agg.New(agg.Options{})
				errs[i] = parse.ReadJMeterCSV(bytes.NewReader(files[i]), parse.CSVOptions{File: fmt.Sprint(i)}, aggs[i])
			})
		}
		wg.Wait()
		for i := 1; i < n; i++ {
			if errs[i] != nil {
				b.Fatal(errs[i])
			}
			aggs[0].Merge(aggs[i])
		}
		_ = aggs[0].Result()
	}
	b.ReportMetric(float64(rows*n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkParseOnlyJMeterCSV isolates the scanner from aggregation.
func BenchmarkParseOnlyJMeterCSV(b *testing.B) {
	data := generate(b, 1_000_000, 1)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		n := 0
		if err := parse.ReadJMeterCSV(bytes.NewReader(data), parse.CSVOptions{}, parse.SinkFunc(func(*parse.Sample) error { n++; return nil })); err != nil {
			b.Fatal(err)
		}
	}
}
