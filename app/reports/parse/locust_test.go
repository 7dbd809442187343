package parse

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

const locustStatsHeader = "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%\r\n"

func TestReadLocustStats(t *testing.T) {
	const file = "examples/locust_stats.csv"
	sum, err := ReadLocustStats(perfOpen(t, perfSharedFile(t, file)), file)
	if err != nil {
		t.Fatal(err)
	}
	perfGolden(t, "locust/example-stats.golden.json", goldenSummary(sum))
	o := sum.Overall
	if o.Count != 1500 || o.Errors != 15 || o.MaxMS != 3000.9 || o.Percentiles[99.9] != 1800 || o.Percentiles[100] != 3000 {
		t.Errorf("overall = %+v", o)
	}
	if len(sum.Labels) != 2 || sum.Labels[0].Label != "GET /api/cart" || sum.Labels[0].BytesRecv != 1200*5321 {
		t.Errorf("labels = %+v", sum.Labels)
	}
}

func TestReadLocustStatsShapes(t *testing.T) {
	t.Run("custom percentiles and N/A for an entry without requests", func(t *testing.T) {
		in := "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,99.5%\r\n" +
			"GET,/idle,0,0,0,0,0,0,0,0,0,N/A,N/A\r\n,Aggregated,0,0,0,0,0,0,0,0,0,N/A,N/A\r\n"
		sum, err := ReadLocustStats(strings.NewReader(in), "s.csv")
		if err != nil {
			t.Fatal(err)
		}
		if sum.Labels[0].Percentiles != nil || sum.Overall.Percentiles != nil {
			t.Errorf("percentiles of entries without requests = %v, %v; want none", sum.Labels[0].Percentiles, sum.Overall.Percentiles)
		}
	})
	t.Run("median stands in for a missing 50% column", func(t *testing.T) {
		in := "Type,Name,Request Count,Failure Count,Median Response Time,99.5%\r\n,Aggregated,3,0,42,90\r\n"
		sum, err := ReadLocustStats(strings.NewReader(in), "s.csv")
		if err != nil {
			t.Fatal(err)
		}
		if p := sum.Overall.Percentiles; len(p) != 2 || p[50] != 42 || p[99.5] != 90 {
			t.Errorf("percentiles = %v", p)
		}
	})
}

func TestReadLocustStatsErrors(t *testing.T) {
	row := "GET,/a,10,1,120,131.5,11,1830,5321.0,20.0,0.05,120,140,150,160,190,230,300,410,1400,1800,1800\r\n"
	agg := ",Aggregated,10,1,120,131.5,11,1830,5321.0,20.0,0.05,120,140,150,160,190,230,300,410,1400,1800,1800\r\n"
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "the file is empty"},
		{"not locust", "a,b\r\n1,2\r\n", `s.csv:1: header has no "Name" column`},
		{"cut before Aggregated", locustStatsHeader + row, "s.csv:2: no Aggregated row"},
		{"cut inside a row", locustStatsHeader + row + ",Aggregated,10,1", "s.csv:3:"},
		{"no final newline", locustStatsHeader + row + strings.TrimSuffix(agg, "\r\n"), "no final newline"},
		{"row after Aggregated", locustStatsHeader + agg + row, "s.csv:3: a row after the Aggregated row"},
		{"count not a number", locustStatsHeader + strings.Replace(row, ",10,", ",ten,", 1), `s.csv:2:8: Request Count: "ten" is not a whole number`},
		{"failures over count", locustStatsHeader + strings.Replace(row, ",10,1,", ",1,10,", 1), "Failure Count 10 exceeds Request Count 1"},
		{"bad percentile", locustStatsHeader + strings.Replace(row, ",230,", ",fast,", 1), `percentile column 95%: "fast" is not a number`},
		{"bad mean", locustStatsHeader + strings.Replace(row, ",131.5,", ",slow,", 1), `Average Response Time: "slow" is not a number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadLocustStats(strings.NewReader(tt.in), "s.csv")
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a *parse.Error", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestReadLocustHistory(t *testing.T) {
	const file = "examples/locust_stats_history.csv"
	var rows []LocustHistoryRow
	err := ReadLocustHistory(perfOpen(t, perfSharedFile(t, file)), file, func(r *LocustHistoryRow) error {
		rows = append(rows, *r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	type goldenRow struct {
		LocustHistoryRow
		Percentiles map[string]float64 `json:"Percentiles"`
	}
	var golden []goldenRow
	for _, r := range rows {
		g := goldenRow{LocustHistoryRow: r}
		g.LocustHistoryRow.Percentiles = nil
		if r.Percentiles != nil {
			g.Percentiles = perfGoldenOf(Stats{Percentiles: r.Percentiles}).Percentiles
		}
		golden = append(golden, g)
	}
	perfGolden(t, "locust/example-stats-history.golden.json", golden)
	if len(rows) != 2 || rows[0].Percentiles != nil || rows[1].TimeMS != 1719846002000 || rows[1].Users != 10 ||
		rows[1].Percentiles[95] != 220 || rows[1].TotalRequests != 37 || rows[1].TotalMaxMS != 301.7 {
		t.Errorf("rows = %+v", rows)
	}

	t.Run("callback error stops the read", func(t *testing.T) {
		stop := errors.New("stop")
		n := 0
		err := ReadLocustHistory(perfOpen(t, perfSharedFile(t, file)), file, func(*LocustHistoryRow) error { n++; return stop })
		if !errors.Is(err, stop) || n != 1 {
			t.Errorf("err = %v after %d rows", err, n)
		}
	})
	t.Run("bad timestamp", func(t *testing.T) {
		b, err := os.ReadFile(perfSharedFile(t, file))
		if err != nil {
			t.Fatal(err)
		}
		in := strings.Replace(string(b), "1719846002,", "later,", 1)
		err = ReadLocustHistory(strings.NewReader(in), "h.csv", func(*LocustHistoryRow) error { return nil })
		if err == nil || !strings.Contains(err.Error(), `h.csv:3:1: Timestamp: "later" is not a whole number`) {
			t.Errorf("err = %v", err)
		}
	})
}

func TestReadLocustFailuresAndExceptions(t *testing.T) {
	const ffile, efile = "examples/locust_failures.csv", "examples/locust_exceptions.csv"
	failures, err := ReadLocustFailures(perfOpen(t, perfSharedFile(t, ffile)), ffile)
	if err != nil {
		t.Fatal(err)
	}
	perfGolden(t, "locust/example-failures.golden.json", failures)
	if len(failures) != 2 || failures[1].Error != `CatchResponseError('body does not contain "items"')` || failures[0].FirstSeenMS != 1719846004000 {
		t.Errorf("failures = %+v", failures)
	}
	exceptions, err := ReadLocustExceptions(perfOpen(t, perfSharedFile(t, efile)), efile)
	if err != nil {
		t.Fatal(err)
	}
	perfGolden(t, "locust/example-exceptions.golden.json", exceptions)
	if len(exceptions) != 1 || exceptions[0].Count != 2 || !strings.Contains(exceptions[0].Traceback, "\n    self.token") {
		t.Errorf("exceptions = %+v", exceptions)
	}

	t.Run("failures before 2.44 have no seen columns", func(t *testing.T) {
		got, err := ReadLocustFailures(strings.NewReader("Method,Name,Error,Occurrences\r\nGET,/a,boom,3\r\n"), "f.csv")
		if err != nil || len(got) != 1 || got[0].Occurrences != 3 || got[0].FirstSeenMS != 0 {
			t.Errorf("got %+v, %v", got, err)
		}
	})
	errTests := []struct {
		name, in, want string
		read           func(string) error
	}{
		{"failures bad time", "Method,Name,Error,Occurrences,First Seen,Last Seen\r\nGET,/a,boom,3,yesterday,\r\n", `f.csv:2:15: First Seen: "yesterday" is not an ISO 8601 time`,
			func(s string) error { _, err := ReadLocustFailures(strings.NewReader(s), "f.csv"); return err }},
		{"failures wrong header", "Count,Message,Traceback,Nodes\r\n", `f.csv:1: header has no "Method" column`,
			func(s string) error { _, err := ReadLocustFailures(strings.NewReader(s), "f.csv"); return err }},
		{"exceptions cut inside the traceback", "Count,Message,Traceback,Nodes\r\n2,KeyError,\"  File x\n  line 2", "f.csv:",
			func(s string) error { _, err := ReadLocustExceptions(strings.NewReader(s), "f.csv"); return err }},
		{"exceptions bad count", "Count,Message,Traceback,Nodes\r\nmany,KeyError,tb,local\r\n", `f.csv:2:1: Count: "many" is not a whole number`,
			func(s string) error { _, err := ReadLocustExceptions(strings.NewReader(s), "f.csv"); return err }},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.read(tt.in)
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a *parse.Error", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func locustFuzzErr(t *testing.T, err error) {
	t.Helper()
	var pe *Error
	if err != nil && !errors.As(err, &pe) {
		t.Fatalf("error is not a *parse.Error: %v", err)
	}
}

func FuzzLocustStats(f *testing.F) {
	if b, err := os.ReadFile("../../../../shared/testdata/examples/locust_stats.csv"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sum, err := ReadLocustStats(bytes.NewReader(data), "fuzz")
		locustFuzzErr(t, err)
		if err != nil {
			return
		}
		for _, s := range append([]Stats{sum.Overall}, sum.Labels...) {
			if s.Errors > s.Count || s.Count < 0 {
				t.Fatalf("inconsistent row %+v", s)
			}
		}
	})
}

func FuzzLocustHistory(f *testing.F) {
	if b, err := os.ReadFile("../../../../shared/testdata/examples/locust_stats_history.csv"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		last := 0
		err := ReadLocustHistory(bytes.NewReader(data), "fuzz", func(r *LocustHistoryRow) error {
			if r.Line <= last || r.Users < 0 || r.TotalRequests < 0 {
				t.Fatalf("inconsistent row %+v after line %d", r, last)
			}
			last = r.Line
			return nil
		})
		locustFuzzErr(t, err)
	})
}

func FuzzLocustFailures(f *testing.F) {
	for _, name := range []string{"locust_failures.csv", "locust_exceptions.csv"} {
		if b, err := os.ReadFile("../../../../shared/testdata/examples/" + name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fs, err := ReadLocustFailures(bytes.NewReader(data), "fuzz")
		locustFuzzErr(t, err)
		for _, x := range fs {
			if x.Occurrences < 0 || x.Line < 2 {
				t.Fatalf("inconsistent failure %+v", x)
			}
		}
		es, err := ReadLocustExceptions(bytes.NewReader(data), "fuzz")
		locustFuzzErr(t, err)
		for _, x := range es {
			if x.Count < 0 || x.Line < 2 {
				t.Fatalf("inconsistent exception %+v", x)
			}
		}
	})
}

func BenchmarkReadLocustHistory(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%,Total Request Count,Total Failure Count,Total Median Response Time,Total Average Response Time,Total Min Response Time,Total Max Response Time,Total Average Content Size\r\n")
	for i := 0; i < 100000; i++ {
		fmt.Fprintf(&buf, "%d,%d,GET,/api/item/%d,18.500000,0.000000,120,130,140,150,180,220,280,300,300,300,300,%d,0,120,127.3,11.02,301.7,5102.5\r\n",
			1719846000+i/10, i%50, i%10, i)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := ReadLocustHistory(bytes.NewReader(data), "bench", func(*LocustHistoryRow) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}
