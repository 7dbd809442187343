package parse

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/klauspost/compress/gzip"
)

// DetectHeadSize is how much of the start of a file Detect needs to decide its format.
const DetectHeadSize = 8 << 10

// Detect tells the format of a result file from the first bytes of its (decompressed)
// content; name (a file name or path, may be empty) only breaks ties, for example between
// k6's two summary shapes when the head is cut short. The error says what the content looked
// like when no format matches.
func Detect(name string, head []byte) (Format, error) {
	fail := func(msg string) (Format, error) {
		return "", &Error{File: name, Msg: msg}
	}
	h := bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	if len(h) == 0 {
		return fail("the file is empty")
	}
	if h[0] == 0 {
		return fail("binary content: Gatling 3.13+ binary simulation.log files are not supported; use a text log (Gatling ≤ 3.12) or the report's stats JSON")
	}
	if len(h) >= 2 && h[0] == 0x1f && h[1] == 0x8b {
		return fail("gzip content: decompress it first (parse.Open does)")
	}
	base := strings.ToLower(path.Base(strings.ReplaceAll(name, `\`, "/")))
	t := bytes.TrimLeft(h, " \t\r\n")
	switch {
	case len(t) > 0 && t[0] == '<':
		return detectXML(t, fail)
	case len(t) > 0 && (t[0] == '{' || t[0] == '['):
		return detectJSON(t, base, fail)
	}
	first := h
	if i := bytes.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	}
	first = bytes.TrimSuffix(first, []byte{'\r'})
	switch {
	case bytes.HasPrefix(first, []byte("RUN\t")), bytes.HasPrefix(first, []byte("ASSERTION\t")),
		bytes.HasPrefix(first, []byte("USER\t")), bytes.HasPrefix(first, []byte("REQUEST\t")):
		return GatlingLog, nil
	case bytes.HasPrefix(first, []byte("metric_name,timestamp,metric_value")):
		return K6CSV, nil
	case bytes.HasPrefix(first, []byte("Type,Name,Request Count,Failure Count")):
		return LocustStats, nil
	case bytes.HasPrefix(first, []byte("Timestamp,User Count,Type,Name")):
		return LocustHistory, nil
	case bytes.HasPrefix(first, []byte("Method,Name,Error,Occurrences")):
		return LocustFailures, nil
	case bytes.HasPrefix(first, []byte("Count,Message,Traceback")):
		return LocustExceptions, nil
	}
	for _, d := range []string{",", "\t", ";", "|"} {
		if _, ok := headerColumns(strings.Split(string(first), d)); ok {
			return JMeterCSV, nil
		}
	}
	if looksLikeJMeterRow(first) {
		return JMeterCSV, nil
	}
	if strings.HasSuffix(base, ".jtl") || strings.HasSuffix(base, ".jtl.csv") {
		return fail("named like a JMeter result (.jtl) but the first line is neither a JMeter CSV header nor a row of epoch-ms or date, elapsed, …, true/false")
	}
	return fail(fmt.Sprintf("unknown format: the first line %q matches none of JMeter CSV/XML, k6, Gatling, Locust, JUnit, ZAP or SARIF", clipHead(first, 80)))
}

// looksLikeJMeterRow accepts a headerless JMeter line: a timestamp (epoch ms or date) first,
// a whole number of milliseconds second, and a true/false cell somewhere after.
func looksLikeJMeterRow(line []byte) bool {
	for _, d := range []byte{',', '\t', ';', '|'} {
		cells := bytes.Split(line, []byte{d})
		if len(cells) < 4 {
			continue
		}
		tp := timeParser{loc: nil}
		if _, ok := parseInt(cells[1]); !ok {
			continue
		}
		if _, ok := parseInt(cells[0]); !ok {
			if _, ok := tp.parseDateOnly(cells[0]); !ok {
				continue
			}
		}
		for _, c := range cells[2:] {
			if string(c) == "true" || string(c) == "false" {
				return true
			}
		}
	}
	return false
}

func detectXML(t []byte, fail func(string) (Format, error)) (Format, error) {
	// Skip the prolog, comments and processing instructions to find the root element name.
	rest := t
	for len(rest) > 0 {
		rest = bytes.TrimLeft(rest, " \t\r\n")
		switch {
		case bytes.HasPrefix(rest, []byte("<?")):
			i := bytes.Index(rest, []byte("?>"))
			if i < 0 {
				return fail("XML whose prolog does not end in the first KiB")
			}
			rest = rest[i+2:]
		case bytes.HasPrefix(rest, []byte("<!--")):
			i := bytes.Index(rest, []byte("-->"))
			if i < 0 {
				return fail("XML with a comment longer than the detection window")
			}
			rest = rest[i+3:]
		case bytes.HasPrefix(rest, []byte("<!")):
			return fail("XML with a DOCTYPE declaration: refused, result files never need one")
		case bytes.HasPrefix(rest, []byte("<")):
			name := rest[1:]
			end := bytes.IndexAny(name, " \t\r\n/>")
			if end >= 0 {
				name = name[:end]
			}
			switch string(name) {
			case "testResults":
				return JMeterXML, nil
			case "testsuites", "testsuite":
				return JUnitXML, nil
			}
			return fail(fmt.Sprintf("XML with root element <%s>: expected <testResults> (JMeter) or <testsuites>/<testsuite> (JUnit)", clipHead(name, 40)))
		default:
			return fail("text before the first XML element")
		}
	}
	return fail("XML without a root element")
}

func detectJSON(t []byte, base string, fail func(string) (Format, error)) (Format, error) {
	has := func(s string) bool { return bytes.Contains(t, []byte(s)) }
	hasKey := func(k string) bool { return has(`"`+k+`":`) || has(`"`+k+`" :`) }
	firstLine := t
	if i := bytes.IndexByte(t, '\n'); i >= 0 {
		firstLine = t[:i]
	}
	switch {
	case bytes.Contains(firstLine, []byte(`"type":"Metric"`)) || bytes.Contains(firstLine, []byte(`"type":"Point"`)):
		return K6JSON, nil
	case hasKey("runs") && (has(`"2.1.0"`) || has("sarif")):
		return SARIF, nil
	case hasKey("@programName") || (hasKey("site") && hasKey("alerts")):
		return ZAPJSON, nil
	case hasKey("numberOfRequests") || (has(`"type": "GROUP"`) || has(`"type":"GROUP"`)) && hasKey("contents"):
		return GatlingStats, nil
	case hasKey("metrics") || hasKey("root_group"):
		// handleSummary data wraps each metric's figures in "values" and keeps "options"
		// and "state"; --summary-export flattens them and drops both.
		if hasKey("values") || hasKey("state") || hasKey("options") || has(`"checks": [`) || has(`"checks":[`) {
			return K6HandleSummary, nil
		}
		if hasKey("avg") || hasKey("med") || hasKey("count") || hasKey("passes") {
			return K6SummaryExport, nil
		}
		if strings.Contains(base, "handle") {
			return K6HandleSummary, nil
		}
		return K6SummaryExport, nil
	case hasKey("version") && hasKey("config") && hasKey("results"):
		return fail("a k6 machine-readable summary (k6 ≥ 1.5, --new-machine-readable-summary): not supported yet; use --summary-export or handleSummary JSON")
	}
	return fail("JSON that is none of k6 (summary, handleSummary, --out json), Gatling stats, ZAP or SARIF")
}

func clipHead(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// OpenOptions configure Open.
type OpenOptions struct {
	// MaxDecompressed caps the bytes a gzip stream may expand to (a guard against
	// decompression bombs); 0 means no limit. Reading past it fails with ErrTooLarge.
	MaxDecompressed int64
}

// ErrTooLarge is returned by a reader from Open when gzip content expands beyond the limit.
var ErrTooLarge = errors.New("decompressed content is larger than the allowed size")

// Open returns a reader of r's content, transparently decompressing gzip (recognised by its
// magic bytes, not the file name; concatenated gzip members are read in turn). Plain input is
// returned buffered. Close is the caller's business on r.
func Open(r io.Reader, opt OpenOptions) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, err := br.Peek(2)
	if err != nil && err != io.EOF {
		return nil, err
	}
	if len(magic) < 2 || magic[0] != 0x1f || magic[1] != 0x8b {
		return br, nil
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("gzip header: %w", err)
	}
	if opt.MaxDecompressed <= 0 {
		return zr, nil
	}
	return &limitedReader{r: zr, left: opt.MaxDecompressed}, nil
}

type limitedReader struct {
	r    io.Reader
	left int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// One more byte tells a stream that is exactly the limit from one that is larger.
		var one [1]byte
		if n, _ := l.r.Read(one[:]); n > 0 {
			return 0, ErrTooLarge
		}
		return l.r.Read(p)
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}
