// Command jtlbench generates a JMeter CSV file of a given size in a temporary directory,
// parses and aggregates it once, and prints throughput (by wall clock and by CPU time, which
// stays meaningful on a busy machine) and the process's peak RSS. Run it once per row count:
// peak RSS is per process.
//
//	go run ./app/reports/gen/cmd/jtlbench -rows 1000000
//	go run ./app/reports/gen/cmd/jtlbench -rows 5000000
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"scanboard/app/reports/agg"
	"scanboard/app/reports/gen"
	"scanboard/app/reports/parse"
)

func main() {
	rows := flag.Int("rows", 1_000_000, "rows to generate")
	keep := flag.Bool("keep", false, "keep the generated file")
	flag.Parse()
	if err := run(*rows, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "jtlbench:", err)
		os.Exit(1)
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func maxRSS() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Maxrss * 1024 // Linux reports KiB
}

func run(rows int, keep bool) error {
	dir, err := os.MkdirTemp("", "jtlbench")
	if err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(dir)
	}
	path := filepath.Join(dir, "gen.jtl.csv")
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	size, err := gen.JMeterCSV(f, gen.Options{Rows: rows, Seed: 1})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	rssAfterGen := maxRSS()

	f, err = os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	wall0, cpu0 := time.Now(), cpuTime()
	a := agg.New(agg.Options{})
	if err := parse.ReadJMeterCSV(bufio.NewReaderSize(f, 1<<16), parse.CSVOptions{File: path}, a); err != nil {
		return err
	}
	res := a.Result()
	wall, cpu := time.Since(wall0), cpuTime()-cpu0
	mb := float64(size) / 1e6
	fmt.Printf("rows=%d size=%.1fMB labels=%d bucket=%dms slice=%dms\n", rows, mb, len(res.Labels), res.BucketMS, res.SliceMS)
	fmt.Printf("wall=%v (%.0f MB/s, %.2f M rows/s)  cpu=%v (%.0f MB/s per core-second)\n",
		wall.Round(time.Millisecond), mb/wall.Seconds(), float64(rows)/wall.Seconds()/1e6,
		cpu.Round(time.Millisecond), mb/cpu.Seconds())
	fmt.Printf("peak RSS: %.1f MiB (after generating: %.1f MiB)\n", float64(maxRSS())/(1<<20), float64(rssAfterGen)/(1<<20))
	if keep {
		fmt.Println("file:", path)
	}
	return nil
}
