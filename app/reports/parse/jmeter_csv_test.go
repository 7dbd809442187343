package parse

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var _ = jmeterDefineUpdate()

// jmeterDefineUpdate defines -update unless another parser's tests in this package did.
func jmeterDefineUpdate() bool {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files under testdata/")
	}
	return true
}

func jmeterUpdating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

func collect(t *testing.T, read func(SampleSink) error) ([]Sample, error) {
	t.Helper()
	var out []Sample
	err := read(SinkFunc(func(s *Sample) error { out = append(out, *s); return nil }))
	return out, err
}

func readCSVString(t *testing.T, in string, opt CSVOptions) ([]Sample, error) {
	t.Helper()
	return collect(t, func(s SampleSink) error { return ReadJMeterCSV(strings.NewReader(in), opt, s) })
}

func checkGolden(t *testing.T, golden string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if jmeterUpdating() {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("samples differ from %s:\n%s", golden, got)
	}
}

func TestJMeterGolden(t *testing.T) {
	cases := []struct {
		file string
		read func(f *os.File, s SampleSink) error
	}{
		{"jmeter-default.jtl.csv", func(f *os.File, s SampleSink) error { return ReadJMeterCSV(f, CSVOptions{File: f.Name()}, s) }},
		{"jmeter-headerless-formatted.jtl.csv", func(f *os.File, s SampleSink) error { return ReadJMeterCSV(f, CSVOptions{File: f.Name()}, s) }},
		{"jmeter.jtl.xml", func(f *os.File, s SampleSink) error { return ReadJMeterXML(f, XMLOptions{File: f.Name()}, s) }},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join(sharedTestdata, "examples", c.file))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { f.Close() })
			got, err := collect(t, func(s SampleSink) error { return c.read(f, s) })
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("testdata", "jmeter", c.file+".golden.json"), got)
		})
	}
}

// TestJMeterCSVBufferBoundaries reads the real file through buffers so small that every row
// and quoted field straddles a refill, and expects exactly what the default buffer gives.
func TestJMeterCSVBufferBoundaries(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(sharedTestdata, "real", "jmeter-2.13-header.csv"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := readCSVString(t, string(data), CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != 20700 {
		t.Fatalf("%d samples, want 20700", len(want))
	}
	for _, size := range []int{7, 64, 1000} {
		t.Run(fmtInt(size), func(t *testing.T) {
			got, err := readCSVString(t, string(data), CSVOptions{BufferSize: size})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d samples, want %d", len(got), len(want))
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("sample %d: %+v, want %+v", i, got[i], want[i])
				}
			}
		})
	}
}

func fmtInt(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestJMeterCSVShapes(t *testing.T) {
	cases := []struct {
		name  string
		in    string
		opt   CSVOptions
		check func(t *testing.T, s []Sample)
	}{
		{"subset and order of columns, CRLF", "label,elapsed,success,timeStamp\r\nA,5,true,1000\r\nB,7,false,900\r\n", CSVOptions{},
			func(t *testing.T, s []Sample) {
				want := []Sample{{Label: "A", ElapsedMS: 5, OK: true, StartMS: 1000, Line: 2}, {Label: "B", ElapsedMS: 7, StartMS: 900, Line: 3}}
				equalSamples(t, s, want)
			}},
		{"no trailing newline, BOM", "\xef\xbb\xbftimeStamp,elapsed,label,success\n1,2,x,true", CSVOptions{},
			func(t *testing.T, s []Sample) {
				equalSamples(t, s, []Sample{{Label: "x", StartMS: 1, ElapsedMS: 2, OK: true, Line: 2}})
			}},
		{"quoted delimiter, doubled quotes, line breaks", "timeStamp,elapsed,label,responseCode,responseMessage,success\n" +
			"1,2,\"a, \"\"b\"\"\",500,\"line1\r\nline2\",false\n3,4,c,200,OK,true\n", CSVOptions{},
			func(t *testing.T, s []Sample) {
				equalSamples(t, s, []Sample{
					{Label: `a, "b"`, StartMS: 1, ElapsedMS: 2, Code: "500", Message: "line1\r\nline2", Line: 2},
					{Label: "c", StartMS: 3, ElapsedMS: 4, Code: "200", OK: true, Line: 4},
				})
			}},
		{"repeated header in concatenated files", "timeStamp,elapsed,label,success\n1,2,x,true\ntimeStamp,elapsed,label,success\n3,4,y,true\n", CSVOptions{},
			func(t *testing.T, s []Sample) {
				if len(s) != 2 || s[1].Label != "y" || s[1].Line != 4 {
					t.Errorf("%+v", s)
				}
			}},
		{"headerless with configured columns and semicolons", "1000;5;lbl;true\n", CSVOptions{Columns: []string{"timeStamp", "elapsed", "label", "success"}},
			func(t *testing.T, s []Sample) {
				equalSamples(t, s, []Sample{{Label: "lbl", StartMS: 1000, ElapsedMS: 5, OK: true, Line: 1}})
			}},
		{"explicit SimpleDateFormat and zone", "timeStamp,elapsed,success\n01.07.2024 17:00:00,5,true\n",
			CSVOptions{TimeFormat: "dd.MM.yyyy HH:mm:ss", Location: time.FixedZone("CEST", 2*3600)},
			func(t *testing.T, s []Sample) {
				if len(s) != 1 || s[0].StartMS != time.Date(2024, 7, 1, 15, 0, 0, 0, time.UTC).UnixMilli() {
					t.Errorf("%+v", s)
				}
			}},
		{"transaction rows and sub-results", "timeStamp,elapsed,label,responseMessage,threadName,success\n" +
			"1000,50,GET /,OK,T 1-1,true\n1000,20,GET /-0,OK,T 1-1,true\n1020,30,GET /-1,OK,T 1-1,true\n" +
			"1100,5,GET /-0,OK,T 1-2,true\n1000,60,TC,\"Number of samples in transaction : 1, number of failing samples : 0\",T 1-1,true\n", CSVOptions{},
			func(t *testing.T, s []Sample) {
				subs := []bool{false, true, true, false, false}
				for i := range s {
					if s[i].Sub != subs[i] || s[i].Transaction != (i == 4) {
						t.Errorf("row %d: sub=%v transaction=%v", i, s[i].Sub, s[i].Transaction)
					}
				}
			}},
		{"invalid UTF-8 label is replaced", "elapsed,label\n1,a\xffb\n", CSVOptions{},
			func(t *testing.T, s []Sample) {
				if len(s) != 1 || s[0].Label != "a\uFFFDb" {
					t.Errorf("%+v", s)
				}
			}},
		{"empty file", "", CSVOptions{}, func(t *testing.T, s []Sample) {
			if len(s) != 0 {
				t.Errorf("%+v", s)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := readCSVString(t, c.in, c.opt)
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, got)
		})
	}
}

func equalSamples(t *testing.T, got, want []Sample) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d samples %+v, want %d", len(got), got, len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("sample %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func TestJMeterCSVErrors(t *testing.T) {
	const h = "timeStamp,elapsed,label,success\n"
	cases := []struct {
		name      string
		in        string
		line, col int
		msg       string
	}{
		{"truncated inside a quoted field", h + "1,2,ok,true\n3,4,\"broken\nlabel", 3, 5, "ends inside a quoted field"},
		{"too many fields", h + "1,2,x,true,extra\n", 2, 12, "row has 5 fields but the columns are 4"},
		{"too few fields (truncated row)", h + "1,2,x,true\n1,2", 3, 4, "row has 2 fields"},
		{"too few fields mid-file", h + "1,2,x,true\n1,2\r\n1,2,y,true\n", 3, 4, "row has 2 fields"},
		{"bad elapsed", h + "1,2,x,true\n1,fast,x,true\n", 3, 3, `elapsed "fast" is not a number`},
		{"bad timestamp", h + "yesterday,2,x,true\n", 2, 1, `timeStamp "yesterday"`},
		{"bad success", h + "1,2,x,yes\n", 2, 7, `success "yes"`},
		{"quote inside unquoted field", h + "1,2,a\"b,true\n", 2, 6, "a quote inside an unquoted field"},
		{"text after closing quote", h + "1,2,\"a\"b,true\n", 2, 8, "after the closing quote"},
		{"column of a UTF-8 row counts characters", "elapsed,label,bytes\n1,下单,many\n", 2, 6, `bytes "many"`},
		{"line counted across multi-line fields", "elapsed,label,success\n1,\"a\nb\nc\",true\n1,x,maybe\n", 5, 5, "success"},
		{"unknown configured column", "1,2\n", 0, 0, `column "elapsd"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opt := CSVOptions{File: "f.csv"}
			if c.line == 0 {
				opt.Columns = []string{"timeStamp", "elapsd"}
			}
			_, err := readCSVString(t, c.in, opt)
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if pe.File != "f.csv" || pe.Line != c.line || pe.Column != c.col || !strings.Contains(pe.Msg, c.msg) {
				t.Errorf("got %s (line %d col %d), want line %d col %d containing %q", pe, pe.Line, pe.Column, c.line, c.col, c.msg)
			}
		})
	}
}

func TestJMeterCSVSinkErrorStops(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	err := ReadJMeterCSV(strings.NewReader("elapsed,label\n1,a\n2,b\n3,c\n"), CSVOptions{}, SinkFunc(func(*Sample) error {
		n++
		return stop
	}))
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("err=%v after %d samples", err, n)
	}
}

func TestSimpleDateFormatLayout(t *testing.T) {
	cases := map[string]string{
		"yyyy/MM/dd HH:mm:ss.SSS":  "2006/01/02 15:04:05.000",
		"yy-M-d h:mm a":            "06-1-2 3:04 PM",
		"yyyy-MM-dd'T'HH:mm:ssXXX": "2006-01-02T15:04:05Z07:00",
		"EEE, dd MMM yyyy HH:mm Z": "Mon, 02 Jan 2006 15:04 -0700",
	}
	for in, want := range cases {
		t.Run(in, func(t *testing.T) {
			got, err := SimpleDateFormatLayout(in)
			if err != nil || got != want {
				t.Errorf("got %q, %v; want %q", got, err, want)
			}
		})
	}
	for _, bad := range []string{"yyyy 'open", "HH:mm:ssSSS", "yyyy QQ"} {
		if _, err := SimpleDateFormatLayout(bad); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}

// FuzzJMeterCSV checks that no input panics, that errors are located *Errors, and that the
// buffer size never changes the result.
func FuzzJMeterCSV(f *testing.F) {
	for _, s := range []string{
		"timeStamp,elapsed,label,success\n1,2,x,true\n",
		"timeStamp,elapsed,label,responseMessage,success\n1,2,\"a,\"\"b\",\"l1\nl2\",false\n",
		"1719846000123,187,GET /api/cart,200,OK,Shop 1-3,text,true,,5321,418,10,12,https://x,176,0,21\n",
		"2024/07/01 15:00:00.123\t187\tGET\t200\tOK\tS 1-3\ttext\ttrue\t\t1\t2\t3\t4\tu\t5\t6\t7\n",
		"elapsed\n\"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		a, errA := readCSVString(t, in, CSVOptions{})
		b, errB := readCSVString(t, in, CSVOptions{BufferSize: 5})
		if (errA == nil) != (errB == nil) || len(a) != len(b) {
			t.Fatalf("buffer size changed the result: %v/%d vs %v/%d", errA, len(a), errB, len(b))
		}
		if errA != nil {
			var pe *Error
			if !errors.As(errA, &pe) || pe.Msg == "" {
				t.Fatalf("error %v is not a located *Error", errA)
			}
			return
		}
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("sample %d differs: %+v vs %+v", i, a[i], b[i])
			}
		}
	})
}

// TestParseIntMatchesByteLoop checks the eight-digits-at-a-time integer parser against a
// plain loop over every length and a digit or non-digit at every position.
func TestParseIntMatchesByteLoop(t *testing.T) {
	ref := func(b []byte) (int64, bool) {
		if len(b) == 0 || len(b) > 18 {
			return 0, false
		}
		neg := b[0] == '-'
		if neg {
			b = b[1:]
		}
		if len(b) == 0 {
			return 0, false
		}
		var v int64
		for _, c := range b {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int64(c-'0')
		}
		if neg {
			v = -v
		}
		return v, true
	}
	check := func(s string) {
		want, wok := ref([]byte(s))
		// Alone, and inside a buffer with digits and then other bytes past its end, which
		// the parser may read but must ignore.
		for _, b := range [][]byte{[]byte(s), []byte("12345678" + s + "98765432109876543210")[8 : 8+len(s)], []byte(s + ",x\n\"\xff12345678")[:len(s)]} {
			got, gok := parseInt(b)
			if got != want || gok != wok {
				t.Errorf("parseInt(%q) = %d, %v; want %d, %v", s, got, gok, want, wok)
			}
		}
	}
	for n := 0; n <= 20; n++ {
		digits := []byte("98765432109876543210")[:n]
		check(string(digits))
		check("-" + string(digits))
		for i := range digits {
			for _, c := range []byte{'/', ':', '0', '9', 'a', ' ', 0xff, '-', '.'} {
				b := []byte(string(digits))
				b[i] = c
				check(string(b))
			}
		}
	}
	check("1767225600000")
	check("0000000000000000")
}

// TestInternCacheTellsStringsApart looks up strings of every length the cache compares in
// words, and strings differing from them at every position, alternately, so that each
// lookup may find the other in its slot; bytes past the end (within the capacity) must not
// count.
func TestInternCacheTellsStringsApart(t *testing.T) {
	c := internCache{m: map[string]string{}}
	check := func(f []byte) {
		if got := c.get(f); got != string(f) {
			t.Fatalf("get(%q) = %q", f, got)
		}
	}
	for n := 0; n <= 40; n++ {
		a := []byte(strings.Repeat("GET /api/v1/resource/", 2)[:n])
		for i := range n {
			b := []byte(string(a))
			b[i] ^= 1
			check(a)
			check(b)
			check(a)
		}
		check([]byte(string(a) + "12345678")[:n])
		check([]byte(string(a) + "abcdefgh")[:n])
	}
}
