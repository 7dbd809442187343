package parse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"testing"
)

func TestReadK6PointsExamples(t *testing.T) {
	tests := []struct {
		name, file, golden string
		read               func(io.Reader, string, SampleSink) error
	}{
		{"ndjson", "examples/k6-out.ndjson", "k6/example-out-ndjson.golden.json", ReadK6JSON},
		{"csv", "examples/k6-out.csv", "k6/example-out-csv.golden.json", ReadK6CSV},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			samples, err := perfCollect(t, func(s SampleSink) error {
				return tt.read(perfOpen(t, perfSharedFile(t, tt.file)), tt.file, s)
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(samples) != 1 {
				t.Fatalf("got %d samples, want the 1 http_req_duration point", len(samples))
			}
			perfGolden(t, tt.golden, samples)
		})
	}
}

// k6Point is one request's points, written both as NDJSON and as CSV by the helpers below so
// the two readers are held to the same behaviour.
type k6Point struct {
	metric string
	time   string // RFC 3339
	value  float64
	tags   map[string]string
}

var k6CSVTags = []string{"error", "error_code", "expected_response", "name", "status", "url"}

func k6NDJSON(points []k6Point) string {
	var b strings.Builder
	for _, p := range points {
		var tags []string
		for _, k := range k6CSVTags {
			if v, ok := p.tags[k]; ok {
				tags = append(tags, fmt.Sprintf("%q:%q", k, v))
			}
		}
		fmt.Fprintf(&b, `{"type":"Point","data":{"time":%q,"value":%v,"tags":{%s}},"metric":%q}`+"\n",
			p.time, p.value, strings.Join(tags, ","), p.metric)
	}
	return b.String()
}

func k6CSVText(points []k6Point) string {
	var b strings.Builder
	b.WriteString("metric_name,timestamp,metric_value," + strings.Join(k6CSVTags, ",") + ",extra_tags,metadata\n")
	for _, p := range points {
		fmt.Fprintf(&b, "%s,%s,%f", p.metric, p.time, p.value)
		for _, k := range k6CSVTags {
			b.WriteString("," + p.tags[k])
		}
		b.WriteString(",,\n")
	}
	return b.String()
}

func TestReadK6PointsRules(t *testing.T) {
	const t0 = "2024-07-01T15:00:01.000Z"
	ok := map[string]string{"expected_response": "true", "name": "GET /a", "url": "http://x/a", "status": "200"}
	tests := []struct {
		name   string
		points []k6Point
		want   []Sample
	}{
		{
			name: "start is end minus duration; name tag labels",
			points: []k6Point{
				{"http_reqs", t0, 1, ok},
				{"http_req_duration", t0, 250, ok},
			},
			want: []Sample{{Label: "GET /a", StartMS: 1719846000750, ElapsedMS: 250, OK: true, Code: "200", Line: 3}},
		},
		{
			name: "url labels when there is no name tag; expected_response false fails with the error tag",
			points: []k6Point{{"http_req_duration", t0, 10, map[string]string{
				"expected_response": "false", "url": "http://x/b", "status": "0", "error": "dial: refused", "error_code": "1212"}}},
			want: []Sample{{Label: "http://x/b", StartMS: 1719846000990, ElapsedMS: 10, Code: "0", Message: "dial: refused", Line: 2}},
		},
		{
			name: "without expected_response the next http_req_failed point decides",
			points: []k6Point{
				{"http_req_duration", t0, 5, map[string]string{"url": "http://x/c", "status": "200"}},
				{"http_req_failed", t0, 1, map[string]string{"url": "http://x/c", "status": "200"}},
				{"http_req_duration", t0, 6, map[string]string{"url": "http://x/c", "status": "500"}},
				{"http_req_failed", t0, 0, map[string]string{"url": "http://x/c", "status": "500"}},
			},
			want: []Sample{
				{Label: "http://x/c", StartMS: 1719846000995, ElapsedMS: 5, Code: "200", Line: 2},
				{Label: "http://x/c", StartMS: 1719846000994, ElapsedMS: 6, OK: true, Code: "500", Line: 4},
			},
		},
		{
			name: "with neither, k6's default 200-399 rule; vus sets threads",
			points: []k6Point{
				{"vus", t0, 7, nil},
				{"http_req_duration", t0, 1, map[string]string{"url": "u", "status": "302"}},
				{"http_req_duration", t0, 1, map[string]string{"url": "u", "status": "404", "error_code": "1404"}},
			},
			want: []Sample{
				{Label: "u", StartMS: 1719846000999, ElapsedMS: 1, OK: true, Code: "302", Threads: 7, Line: 3},
				{Label: "u", StartMS: 1719846000999, ElapsedMS: 1, Code: "404", Message: "error_code 1404", Threads: 7, Line: 4},
			},
		},
		{
			name:   "other metrics are not requests",
			points: []k6Point{{"http_req_waiting", t0, 3, ok}, {"data_received", t0, 900, ok}, {"checks", t0, 1, nil}},
			want:   nil,
		},
	}
	for _, tt := range tests {
		for _, format := range []string{"ndjson", "csv"} {
			t.Run(tt.name+"/"+format, func(t *testing.T) {
				in, read := k6NDJSON(tt.points), ReadK6JSON
				want := tt.want
				if format == "csv" {
					in, read = k6CSVText(tt.points), ReadK6CSV
				} else {
					// The NDJSON has no header line, so every sample sits one line higher.
					want = append([]Sample(nil), tt.want...)
					for i := range want {
						want[i].Line--
					}
				}
				got, err := perfCollect(t, func(s SampleSink) error { return read(strings.NewReader(in), "t", s) })
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(want) {
					t.Fatalf("got %d samples %+v, want %d", len(got), got, len(want))
				}
				for i := range want {
					if got[i] != want[i] {
						t.Errorf("sample %d:\n got %+v\nwant %+v", i, got[i], want[i])
					}
				}
			})
		}
	}
}

func TestReadK6CSVTimeFormats(t *testing.T) {
	tests := []struct {
		name, ts string
		wantNs   int64
	}{
		{"unix seconds", "1719846001", 1719846001e9},
		{"unix_milli", "1719846001250", 1719846001250e6},
		{"unix_micro", "1719846001250500", 1719846001250500e3},
		{"unix_nano", "1719846001250500100", 1719846001250500100},
		{"rfc3339", "2024-07-01T15:00:01Z", 1719846001e9},
		{"rfc3339_nano with offset", "2024-07-01T17:00:01.25+02:00", 1719846001250e6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := k6CSVTime(tt.ts)
			if err != nil || got != tt.wantNs {
				t.Errorf("k6CSVTime(%q) = %d, %v; want %d", tt.ts, got, err, tt.wantNs)
			}
		})
	}
	if _, err := k6CSVTime("yesterday"); err == nil {
		t.Error("k6CSVTime accepted \"yesterday\"")
	}
}

func TestReadK6JSONErrors(t *testing.T) {
	good := `{"type":"Point","data":{"time":"2024-07-01T15:00:00Z","value":1,"tags":{"url":"u","expected_response":"true"}},"metric":"http_req_duration"}`
	other := `{"type":"Point","data":{"time":"2024-07-01T15:00:00Z","value":1,"tags":{}},"metric":"http_req_waiting"}`
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "t.ndjson: the file is empty"},
		{"cut in a wanted line", good + "\n" + good[:60], "t.ndjson:2:61: the line ends in the middle of a JSON object"},
		{"cut in a skipped line", good + "\n" + other[:70], "t.ndjson:2:"},
		{"unknown record type", `{"type":"Sample","data":{},"metric":"x"}`, `t.ndjson:1: unknown record type "Sample"`},
		{"no value", `{"type":"Point","data":{"time":"2024-07-01T15:00:00Z"},"metric":"http_req_duration"}`, "has no data.value"},
		{"value of the wrong type", `{"type":"Point","data":{"time":"2024-07-01T15:00:00Z","value":"1"},"metric":"http_req_duration"}`, "t.ndjson:1:"},
		{"bad time", `{"type":"Point","data":{"time":"noon","value":1},"metric":"http_req_duration"}`, `data.time "noon" is not an RFC 3339 time`},
		{"line too long", `{"type":"Point","x":"` + strings.Repeat("a", k6MaxLine) + `"}`, "t.ndjson:1: line longer than 1024 KiB"},
		{"not json at all", "metric_name,timestamp\n", "t.ndjson:1:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ReadK6JSON(strings.NewReader(tt.in), "t.ndjson", SinkFunc(func(*Sample) error { return nil }))
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

func TestReadK6CSVErrors(t *testing.T) {
	header := "metric_name,timestamp,metric_value,expected_response,url\n"
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "t.csv: the file is empty"},
		{"missing column", "metric_name,metric_value\n", `t.csv:1: header has no "timestamp" column`},
		{"row cut short", header + "http_req_duration,1719846000,1.0\n", "t.csv:2:"},
		{"no final newline", header + "http_req_duration,1719846000,1.5,true,u", "t.csv:2: the file ends in the middle of a row"},
		{"bad number", header + "http_req_duration,1719846000,fast,true,u\n", `t.csv:2:30: metric_value "fast" is not a number`},
		{"NaN", header + "http_req_duration,1719846000,NaN,true,u\n", `metric_value "NaN" is not a number`},
		{"bad timestamp", header + "http_req_duration,soon,1,true,u\n", `t.csv:2:19: timestamp "soon"`},
		{"open quote", header + "http_req_duration,1719846000,1,true,\"u\n", "t.csv:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ReadK6CSV(strings.NewReader(tt.in), "t.csv", SinkFunc(func(*Sample) error { return nil }))
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

func TestReadK6SinkErrorStops(t *testing.T) {
	stop := errors.New("stop")
	in := k6NDJSON([]k6Point{
		{"http_req_duration", "2024-07-01T15:00:00Z", 1, map[string]string{"expected_response": "true"}},
		{"http_req_duration", "2024-07-01T15:00:00Z", 1, map[string]string{"expected_response": "true"}},
	})
	n := 0
	err := ReadK6JSON(strings.NewReader(in), "t", SinkFunc(func(*Sample) error { n++; return stop }))
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("err = %v after %d samples, want the sink's error after 1", err, n)
	}
}

// k6FuzzCheck is the fuzz invariant shared by both point readers: no panic, and either a
// *parse.Error (or nothing) or samples that make sense.
func k6FuzzCheck(t *testing.T, data []byte, read func(io.Reader, string, SampleSink) error) {
	lastLine := 0
	err := read(bytes.NewReader(data), "fuzz", SinkFunc(func(s *Sample) error {
		if s.Line < lastLine || s.Line < 1 {
			t.Fatalf("line %d after %d", s.Line, lastLine)
		}
		lastLine = s.Line
		if math.IsNaN(s.ElapsedMS) || math.IsInf(s.ElapsedMS, 0) {
			t.Fatalf("elapsed %v", s.ElapsedMS)
		}
		if s.OK && s.Message != "" {
			t.Fatalf("OK sample with message %q", s.Message)
		}
		return nil
	}))
	var pe *Error
	if err != nil && !errors.As(err, &pe) {
		t.Fatalf("error is not a *parse.Error: %v", err)
	}
}

func FuzzK6JSON(f *testing.F) {
	if b, err := os.ReadFile("../../../../shared/testdata/examples/k6-out.ndjson"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(k6NDJSON([]k6Point{{"http_req_duration", "2024-07-01T15:00:00Z", 1, map[string]string{"url": "u", "status": "200"}}})))
	f.Fuzz(func(t *testing.T, data []byte) { k6FuzzCheck(t, data, ReadK6JSON) })
}

func FuzzK6CSV(f *testing.F) {
	if b, err := os.ReadFile("../../../../shared/testdata/examples/k6-out.csv"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(k6CSVText([]k6Point{{"http_req_duration", "1719846000", 1, map[string]string{"url": "u", "status": "500"}}})))
	f.Fuzz(func(t *testing.T, data []byte) { k6FuzzCheck(t, data, ReadK6CSV) })
}

// k6BenchPoints writes n requests as k6 would: eleven points each, one of them a duration.
func k6BenchPoints(n int, csv bool) []byte {
	phases := []string{"http_reqs", "http_req_duration", "http_req_blocked", "http_req_connecting",
		"http_req_tls_handshaking", "http_req_sending", "http_req_waiting", "http_req_receiving",
		"http_req_failed", "data_sent", "data_received"}
	var b bytes.Buffer
	if csv {
		b.WriteString("metric_name,timestamp,metric_value,check,error,error_code,expected_response,group,method,name,proto,scenario,service,status,subproto,tls_version,url,extra_tags,metadata\n")
	}
	for i := 0; i < n; i++ {
		for _, m := range phases {
			v := float64(i%977) + 0.123456
			if csv {
				fmt.Fprintf(&b, "%s,%d,%f,,,,true,::checkout,GET,https://shop.example.test/api/item/%d,HTTP/1.1,default,,200,,tls1.3,https://shop.example.test/api/item/%d,,\n",
					m, 1719846000+i/100, v, i%20, i%20)
			} else {
				fmt.Fprintf(&b, `{"type":"Point","data":{"time":"2024-07-01T15:%02d:%02d.%06dZ","value":%v,"tags":{"expected_response":"true","group":"::checkout","method":"GET","name":"https://shop.example.test/api/item/%d","proto":"HTTP/1.1","scenario":"default","status":"200","tls_version":"tls1.3","url":"https://shop.example.test/api/item/%d"}},"metric":%q}`+"\n",
					(i/6000)%60, (i/100)%60, i%1000000, v, i%20, i%20, m)
			}
		}
	}
	return b.Bytes()
}

func benchmarkK6(b *testing.B, data []byte, read func(io.Reader, string, SampleSink) error) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var n int
	sink := SinkFunc(func(*Sample) error { n++; return nil })
	for b.Loop() {
		n = 0
		if err := read(bytes.NewReader(data), "bench", sink); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "requests/s")
}

func BenchmarkReadK6JSON(b *testing.B) { benchmarkK6(b, k6BenchPoints(20000, false), ReadK6JSON) }

func BenchmarkReadK6CSV(b *testing.B) { benchmarkK6(b, k6BenchPoints(20000, true), ReadK6CSV) }
