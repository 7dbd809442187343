package parse

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// ReadK6CSV streams the CSV written by `k6 run --out csv=FILE` to sink, with the same
// request rules as ReadK6JSON. Columns are found by header name, so customised system tags
// and any timeFormat (unix seconds by default, unix_milli/micro/nano, rfc3339[_nano]) work.
// With the default whole-second timestamps, StartMS is only as precise as k6 wrote it.
func ReadK6CSV(r io.Reader, name string, sink SampleSink) error {
	tr := &perfTailReader{r: r, max: k6MaxLine}
	cr := csv.NewReader(tr)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return &Error{File: name, Msg: "the file is empty"}
		}
		return perfCSVError(name, err, tr)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	for _, req := range []string{"metric_name", "timestamp", "metric_value"} {
		if _, ok := col[req]; !ok {
			return &Error{File: name, Line: 1, Msg: fmt.Sprintf("header has no %q column; not k6 --out csv output", req)}
		}
	}
	cr.FieldsPerRecord = len(header)
	at := func(rec []string, key string) string {
		if i, ok := col[key]; ok {
			return rec[i]
		}
		return ""
	}
	asm := newK6Assembler(sink)
	var tags k6Tags
	lastLine := 1
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return perfCSVError(name, err, tr)
		}
		line, _ := cr.FieldPos(0)
		lastLine = line
		metric := rec[col["metric_name"]]
		if metric != "http_req_duration" && metric != "http_req_failed" && metric != "vus" {
			continue
		}
		valStr := rec[col["metric_value"]]
		value, err := strconv.ParseFloat(valStr, 64)
		if err != nil || math.IsNaN(value) || math.IsInf(value, 0) {
			_, c := cr.FieldPos(col["metric_value"])
			return &Error{File: name, Line: line, Column: c, Msg: fmt.Sprintf("metric_value %q is not a number", valStr)}
		}
		if metric == "vus" {
			asm.vus(value)
			continue
		}
		ts := rec[col["timestamp"]]
		endNs, err := k6CSVTime(ts)
		if err != nil {
			_, c := cr.FieldPos(col["timestamp"])
			return &Error{File: name, Line: line, Column: c, Msg: err.Error()}
		}
		tags = k6Tags{
			Name:             at(rec, "name"),
			URL:              at(rec, "url"),
			Status:           at(rec, "status"),
			ExpectedResponse: at(rec, "expected_response"),
			Error:            at(rec, "error"),
			ErrorCode:        at(rec, "error_code"),
		}
		if metric == "http_req_duration" {
			err = asm.duration(line, endNs, value, &tags)
		} else {
			err = asm.failed(endNs, value, &tags)
		}
		if err != nil {
			return err
		}
	}
	if tr.last != '\n' {
		// k6 ends every row with a newline; without one the last row may be cut short.
		return &Error{File: name, Line: lastLine, Msg: "the file ends in the middle of a row (no final newline); it was cut off"}
	}
	return asm.flush()
}

// k6CSVTime reads a timestamp in any of k6's CSV time formats and returns Unix ns. Integer
// formats are told apart by magnitude: seconds have 10 digits today, ms 13, µs 16, ns 19.
func k6CSVTime(s string) (int64, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		switch {
		case n < 0:
		case n < 1e11:
			return n * 1e9, nil
		case n < 1e14:
			return n * 1e6, nil
		case n < 1e17:
			return n * 1e3, nil
		default:
			return n, nil
		}
	} else if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UnixNano(), nil
	}
	return 0, fmt.Errorf("timestamp %q is neither Unix time nor RFC 3339", s)
}

// perfTailReader remembers the last byte read, so a reader can tell whether a file ended
// with a newline, and refuses physical lines longer than max so memory stays bounded.
type perfTailReader struct {
	r       io.Reader
	max     int
	last    byte
	lineLen int
	tooLong bool
}

var errPerfLineTooLong = errors.New("line too long")

func (t *perfTailReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	for _, b := range p[:n] {
		if b == '\n' {
			t.lineLen = 0
			continue
		}
		t.lineLen++
		if t.max > 0 && t.lineLen > t.max {
			t.tooLong = true
			return 0, errPerfLineTooLong
		}
	}
	if n > 0 {
		t.last = p[n-1]
	}
	return n, err
}

// perfCSVError turns an encoding/csv error into an *Error with its line and column.
func perfCSVError(name string, err error, tr *perfTailReader) error {
	if tr != nil && tr.tooLong {
		return &Error{File: name, Msg: fmt.Sprintf("a line is longer than %d KiB; this is not a result file of the expected kind", tr.max>>10)}
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		msg := pe.Err.Error()
		switch {
		case errors.Is(pe.Err, csv.ErrFieldCount):
			msg = "wrong number of fields for the header (row cut short or extra commas)"
		case errors.Is(pe.Err, csv.ErrQuote):
			msg = "a quoted field is not closed (file cut off?) or has a stray quote"
		case errors.Is(pe.Err, csv.ErrBareQuote):
			msg = `a bare " inside an unquoted field`
		}
		return &Error{File: name, Line: pe.Line, Column: pe.Column, Msg: msg}
	}
	return &Error{File: name, Msg: "read: " + err.Error()}
}
