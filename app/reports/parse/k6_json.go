package parse

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// k6JSONLine is one line of `k6 run --out json`: a Metric declaration or a Point.
type k6JSONLine struct {
	Type   string `json:"type"`
	Metric string `json:"metric"`
	Data   struct {
		Time  string   `json:"time"`
		Value *float64 `json:"value"`
		Tags  *k6Tags  `json:"tags"`
	} `json:"data"`
}

// ReadK6JSON streams the NDJSON written by `k6 run --out json=FILE` to sink: each
// http_req_duration point becomes one Sample, labelled by its name tag (else its URL) and
// failed when expected_response is false. vus points set Threads. data_sent/data_received
// are left out: k6 emits them per iteration, not per request, so bytes stay 0.
// Memory is bounded by one line (at most 1 MiB). Decompress gzip before calling.
func ReadK6JSON(r io.Reader, name string, sink SampleSink) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), k6MaxLine)
	asm := newK6Assembler(sink)
	lineNo := 0
	seen := false
	for sc.Scan() {
		lineNo++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		seen = true
		if !k6JSONWanted(line) {
			// Ten of every eleven points are request phases and iteration metrics we do not
			// use; checking the syntax without decoding keeps them cheap while a cut or
			// corrupt line is still an error.
			if !json.Valid(line) {
				return k6JSONLineError(name, lineNo, line)
			}
			continue
		}
		var l k6JSONLine
		if err := json.Unmarshal(line, &l); err != nil {
			return k6JSONLineError(name, lineNo, line)
		}
		switch l.Type {
		case "Metric":
			continue
		case "Point":
		default:
			return &Error{File: name, Line: lineNo, Msg: fmt.Sprintf("unknown record type %q (want \"Metric\" or \"Point\")", l.Type)}
		}
		if l.Data.Value == nil {
			return &Error{File: name, Line: lineNo, Msg: fmt.Sprintf("%s point has no data.value", l.Metric)}
		}
		var endNs int64
		if l.Metric != "vus" {
			t, err := time.Parse(time.RFC3339Nano, l.Data.Time)
			if err != nil {
				return &Error{File: name, Line: lineNo, Msg: fmt.Sprintf("%s point: data.time %q is not an RFC 3339 time", l.Metric, l.Data.Time)}
			}
			endNs = t.UnixNano()
		}
		tags := l.Data.Tags
		if tags == nil {
			tags = &k6Tags{}
		}
		var err error
		switch l.Metric {
		case "http_req_duration":
			err = asm.duration(lineNo, endNs, *l.Data.Value, tags)
		case "http_req_failed":
			err = asm.failed(endNs, *l.Data.Value, tags)
		case "vus":
			asm.vus(*l.Data.Value)
		}
		if err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return &Error{File: name, Line: lineNo + 1, Msg: fmt.Sprintf("line longer than %d KiB; this is not k6 --out json output", k6MaxLine>>10)}
		}
		return &Error{File: name, Line: lineNo + 1, Msg: "read: " + err.Error()}
	}
	if !seen {
		return &Error{File: name, Msg: "the file is empty"}
	}
	return asm.flush()
}

// k6JSONWanted reports whether a line may be a record we decode: a Metric declaration, or a
// point of http_req_duration, http_req_failed or vus. k6 writes the metric name last.
func k6JSONWanted(line []byte) bool {
	if !bytes.HasPrefix(line, []byte(`{"type":"Point"`)) {
		return true // Metric lines are rare; anything unexpected gets the full check
	}
	return bytes.HasSuffix(line, []byte(`"metric":"http_req_duration"}`)) ||
		bytes.HasSuffix(line, []byte(`"metric":"http_req_failed"}`)) ||
		bytes.HasSuffix(line, []byte(`"metric":"vus"}`)) ||
		!bytes.HasSuffix(line, []byte(`"}`))
}

// k6JSONLineError explains why one NDJSON line does not decode.
func k6JSONLineError(name string, lineNo int, line []byte) error {
	var v k6JSONLine
	err := json.Unmarshal(line, &v)
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn) && syn.Offset >= int64(len(line)):
		return &Error{File: name, Line: lineNo, Column: len(line) + 1, Msg: "the line ends in the middle of a JSON object (file cut off?)"}
	case errors.As(err, &syn):
		return &Error{File: name, Line: lineNo, Column: int(syn.Offset), Msg: "invalid JSON: " + syn.Error()}
	case errors.As(err, &typ):
		return &Error{File: name, Line: lineNo, Column: int(typ.Offset), Msg: fmt.Sprintf("%s: want %s, got JSON %s", typ.Field, typ.Type, typ.Value)}
	case err != nil:
		return &Error{File: name, Line: lineNo, Msg: "invalid JSON: " + err.Error()}
	default:
		return &Error{File: name, Line: lineNo, Msg: "invalid JSON"}
	}
}
