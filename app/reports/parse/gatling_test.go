package parse

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
)

func TestReadGatlingLogExample(t *testing.T) {
	const file = "examples/gatling-3.9-simulation.log"
	samples, err := perfCollect(t, func(s SampleSink) error {
		return ReadGatlingLog(perfOpen(t, perfSharedFile(t, file)), file, s)
	})
	if err != nil {
		t.Fatal(err)
	}
	perfGolden(t, "gatling/example-3.9-simulation-log.golden.json", samples)

	// Spot checks that do not depend on the golden file.
	if len(samples) != 6 {
		t.Fatalf("got %d samples, want 4 requests and 2 groups", len(samples))
	}
	pay := samples[2]
	if pay.Label != "Checkout / pay" || pay.OK || pay.ElapsedMS != 1090 || pay.Message != "status.find.in([200, 209], 304), found 500" || pay.Threads != 1 {
		t.Errorf("pay = %+v", pay)
	}
	group := samples[3]
	if group.Label != "Checkout" || !group.Transaction || group.ElapsedMS != 1170 || group.OK {
		t.Errorf("group = %+v", group)
	}
	if samples[0].Message != "" || samples[4].Label != "Checkout / Confirm / receipt" {
		t.Errorf("home = %+v, receipt = %+v", samples[0], samples[4])
	}
}

const gatlingRun = "RUN\tsim.Basic\tbasic\t1719846000000\t \t3.12.0\n"

func TestReadGatlingLogRules(t *testing.T) {
	t.Run("assertions come before RUN and are skipped", func(t *testing.T) {
		in := "ASSERTION\tAQID\n" + gatlingRun + "REQUEST\t\ta\t10\t20\tOK\t \n"
		got, err := perfCollect(t, func(s SampleSink) error { return ReadGatlingLog(strings.NewReader(in), "s.log", s) })
		if err != nil || len(got) != 1 || got[0].ElapsedMS != 10 || got[0].StartMS != 10 || got[0].Line != 3 {
			t.Fatalf("got %+v, %v", got, err)
		}
	})
	t.Run("threads follow USER records", func(t *testing.T) {
		in := gatlingRun +
			"USER\tS\tSTART\t1\nUSER\tS\tSTART\t2\nREQUEST\t\ta\t3\t4\tOK\t \n" +
			"USER\tS\tEND\t5\nREQUEST\t\ta\t6\t7\tOK\t \nERROR\tboom\t8\n"
		got, err := perfCollect(t, func(s SampleSink) error { return ReadGatlingLog(strings.NewReader(in), "s.log", s) })
		if err != nil || len(got) != 2 || got[0].Threads != 2 || got[1].Threads != 1 {
			t.Fatalf("got %+v, %v", got, err)
		}
	})
}

func TestReadGatlingLogErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"binary log", "\x00\x00\x00\x00\x063.13.1", "binary simulation.log (Gatling ≥ 3.13) is not supported; export"},
		{"empty", "", "no RUN record"},
		{"record before RUN", "REQUEST\t\ta\t1\t2\tOK\t \n", "s.log:1: REQUEST record before the RUN record"},
		{"unknown record", gatlingRun + "SAMPLE\tx\n", `s.log:2: unknown record type "SAMPLE"`},
		{"cut short", gatlingRun + "REQUEST\t\ta\t1\t2\n", "s.log:2: REQUEST record has 5 tab-separated fields, want 7"},
		{"no final newline", gatlingRun + "REQUEST\t\ta\t1\t2\tOK\t partial messa", "s.log:2: the file ends in the middle of a record"},
		{"bad status", gatlingRun + "REQUEST\t\ta\t1\t2\tMAYBE\t \n", `s.log:2: status "MAYBE", want OK or KO`},
		{"bad time", gatlingRun + "REQUEST\t\ta\tnoon\t2\tOK\t \n", `s.log:2: request start "noon" is not epoch milliseconds`},
		{"bad user", gatlingRun + "USER\tS\tPAUSE\t1\n", `USER record: third field is "PAUSE"`},
		{"bad group time", gatlingRun + "GROUP\tG\t1\t2\tx\tOK\n", "cumulated response time"},
		{"old layout", "RUN\tsim\tid\t1\t \t3.3.1\n", "logs older than 3.4"},
		{"two runs", gatlingRun + gatlingRun, "a second RUN record"},
		{"nul in text", gatlingRun + "REQUEST\t\ta\x00\t1\t2\tOK\t \n", "s.log:2: binary data"},
		{"line too long", gatlingRun + strings.Repeat("x", gatlingMaxLine+1) + "\n", "s.log:2: line longer than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ReadGatlingLog(strings.NewReader(tt.in), "s.log", SinkFunc(func(*Sample) error { return nil }))
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

func TestReadGatlingStats(t *testing.T) {
	t.Run("global_stats example", func(t *testing.T) {
		const file = "examples/gatling-global_stats.json"
		sum, err := ReadGatlingStats(perfOpen(t, perfSharedFile(t, file)), file)
		if err != nil {
			t.Fatal(err)
		}
		perfGolden(t, "gatling/example-global_stats.golden.json", goldenSummary(sum))
		o := sum.Overall
		if o.Count != 4 || o.Errors != 1 || o.MinMS != 70 || o.MaxMS != 1090 || o.Percentiles[95] != 955 || o.ThroughputPerS != 2 {
			t.Errorf("overall = %+v", o)
		}
	})
	t.Run("stats.json tree", func(t *testing.T) {
		block := func(total, ok, ko any) string {
			return fmt.Sprintf(`{"total":%v,"ok":%v,"ko":%v}`, total, ok, ko)
		}
		stats := func(n, ko int) string {
			return `{"name":"x","numberOfRequests":` + block(n, n-ko, ko) + `,"minResponseTime":` + block(5, 5, 0) +
				`,"maxResponseTime":` + block(9, 9, 0) + `,"meanResponseTime":` + block(7, 7, 0) +
				`,"percentiles1":` + block(`"7"`, 7, `"-"`) + `,"meanNumberOfRequestsPerSecond":` + block(1.5, 1.5, 0) + `}`
		}
		in := `{"type":"GROUP","name":"All Requests","path":"","stats":` + stats(3, 1) + `,"contents":{
			"req_home-1":{"type":"REQUEST","name":"home","path":"home","stats":` + stats(1, 0) + `},
			"group_co-2":{"type":"GROUP","name":"Checkout","path":"Checkout","stats":` + stats(2, 1) + `,"contents":{
				"req_pay-3":{"type":"REQUEST","name":"pay","path":"Checkout / pay","stats":` + stats(2, 1) + `}}}}}`
		sum, err := ReadGatlingStats(strings.NewReader(in), "stats.json")
		if err != nil {
			t.Fatal(err)
		}
		perfGolden(t, "gatling/tree-stats.golden.json", goldenSummary(sum))
		var labels []string
		for _, l := range sum.Labels {
			labels = append(labels, fmt.Sprintf("%s/%d/%d/%v", l.Label, l.Count, l.Errors, l.Transaction))
		}
		if got := strings.Join(labels, " "); got != "Checkout/2/1/true Checkout / pay/2/1/false home/1/0/false" {
			t.Errorf("labels = %s", got)
		}
		if sum.Overall.Percentiles[50] != 7 || len(sum.Other) != 2 || sum.Other[1].Count != 1 || sum.Other[1].Percentiles != nil {
			t.Errorf("overall %+v other %+v", sum.Overall, sum.Other)
		}
	})
}

func TestReadGatlingStatsErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "the file is empty"},
		{"truncated", `{"name":"All Requests","numberOfRequests":{"total":4`, "ends in the middle of the JSON document"},
		{"not gatling", `{"metrics":{}}`, `no "numberOfRequests"`},
		{"wrong type", `{"numberOfRequests":{"total":"many"}}`, `numberOfRequests.total: want a number, got "many"`},
		{"block not an object", `{"numberOfRequests":4}`, "numberOfRequests: want an object {total, ok, ko}"},
		{"unknown node type", `{"stats":{"numberOfRequests":{"total":1}},"contents":{"k":{"type":"PAGE","stats":{}}}}`, `contents.k: type "PAGE"`},
		{"node without stats", `{"stats":{"numberOfRequests":{"total":1}},"contents":{"k":{"type":"REQUEST"}}}`, "contents.k: no stats"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadGatlingStats(strings.NewReader(tt.in), "g.json")
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

func FuzzGatlingLog(f *testing.F) {
	if b, err := os.ReadFile("../../../../shared/testdata/examples/gatling-3.9-simulation.log"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(gatlingRun + "GROUP\tA,B\t1\t2\t1\tKO\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		last := 0
		err := ReadGatlingLog(bytes.NewReader(data), "fuzz", SinkFunc(func(s *Sample) error {
			if s.Line <= last {
				t.Fatalf("line %d after %d", s.Line, last)
			}
			last = s.Line
			if s.StartMS < 0 || s.Threads < 0 || math.IsNaN(s.ElapsedMS) {
				t.Fatalf("inconsistent sample %+v", s)
			}
			if s.OK && s.Message != "" {
				t.Fatalf("OK sample with a message: %+v", s)
			}
			return nil
		}))
		var pe *Error
		if err != nil && !errors.As(err, &pe) {
			t.Fatalf("error is not a *parse.Error: %v", err)
		}
	})
}

func FuzzGatlingStats(f *testing.F) {
	if b, err := os.ReadFile("../../../../shared/testdata/examples/gatling-global_stats.json"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sum, err := ReadGatlingStats(bytes.NewReader(data), "fuzz")
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error is not a *parse.Error: %v", err)
			}
			return
		}
		if sum.Overall.Errors != sum.Other[1].Count && sum.Other[1].Count != 0 {
			t.Fatalf("errors %d but KO row %+v", sum.Overall.Errors, sum.Other[1])
		}
	})
}

// gatlingBenchLog writes a text simulation.log of n requests, a group every fourth.
func gatlingBenchLog(n int) []byte {
	var b bytes.Buffer
	b.WriteString(gatlingRun)
	for i := 0; i < n; i++ {
		start := 1719846000000 + int64(i)*3
		if i%100 == 0 {
			fmt.Fprintf(&b, "USER\tUsers\tSTART\t%d\n", start)
		}
		status, msg := "OK", " "
		if i%50 == 0 {
			status, msg = "KO", "status.find.in([200, 209], 304), found 500"
		}
		fmt.Fprintf(&b, "REQUEST\tCheckout\trequest_%d\t%d\t%d\t%s\t%s\n", i%20, start, start+int64(i%700), status, msg)
		if i%4 == 3 {
			fmt.Fprintf(&b, "GROUP\tCheckout\t%d\t%d\t%d\tOK\n", start-9, start+int64(i%700), i%700)
		}
	}
	return b.Bytes()
}

func BenchmarkReadGatlingLog(b *testing.B) {
	data := gatlingBenchLog(200000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var n int
	sink := SinkFunc(func(*Sample) error { n++; return nil })
	for b.Loop() {
		n = 0
		if err := ReadGatlingLog(bytes.NewReader(data), "bench", sink); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
}
