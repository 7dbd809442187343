package parse

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// gatlingMaxLine bounds one simulation.log record; Gatling sanitises messages onto one line,
// so a longer line means the file is not a text simulation.log.
const gatlingMaxLine = 1 << 20

// ReadGatlingLog streams a text simulation.log (Gatling 3.4 to 3.12, tab-separated) to sink.
// REQUEST records become samples labelled "group / … / request" like Gatling's report
// paths; GROUP records become samples flagged Transaction, timed end − start; USER records
// keep the active-user count that Threads reports. Logs of Gatling ≤ 3.3 (an extra userId
// column) and the binary log of Gatling ≥ 3.13 are refused with an explanation. A file that
// does not end with a newline was cut off mid-record and is an error. Memory is bounded by
// one line.
func ReadGatlingLog(r io.Reader, name string, sink SampleSink) error {
	tr := &perfTailReader{r: r}
	br := bufio.NewReaderSize(tr, 64<<10)
	if head, _ := br.Peek(1); len(head) == 1 && head[0] == 0 {
		return &Error{File: name, Line: 1, Msg: "binary simulation.log (Gatling ≥ 3.13) is not supported; export the statistics as js/global_stats.json or js/stats.json with a Gatling ≤ 3.13 report, or rerun with Gatling 3.12 or older to get a text log"}
	}
	sc := bufio.NewScanner(br)
	sc.Buffer(make([]byte, 0, 64<<10), gatlingMaxLine)
	g := gatlingState{sink: sink, names: map[string]string{}}
	lineNo := 0
	for sc.Scan() {
		lineNo++
		raw := sc.Bytes()
		if len(raw) == 0 {
			continue
		}
		if bytes.IndexByte(raw, 0) >= 0 {
			return &Error{File: name, Line: lineNo, Msg: "binary data in a text simulation.log"}
		}
		if err := g.record(lineNo, strings.Split(strings.TrimSuffix(string(raw), "\r"), "\t")); err != nil {
			var pe *Error
			if errors.As(err, &pe) {
				pe.File, pe.Line = name, lineNo
			}
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return &Error{File: name, Line: lineNo + 1, Msg: fmt.Sprintf("line longer than %d KiB; this is not a text simulation.log", gatlingMaxLine>>10)}
		}
		return &Error{File: name, Line: lineNo + 1, Msg: "read: " + err.Error()}
	}
	if !g.run {
		return &Error{File: name, Msg: "no RUN record: not a Gatling simulation.log"}
	}
	if tr.last != '\n' {
		return &Error{File: name, Line: lineNo, Msg: "the file ends in the middle of a record (no final newline); it was cut off"}
	}
	return nil
}

// gatlingState carries what later records need from earlier ones.
type gatlingState struct {
	sink   SampleSink
	names  map[string]string // interned labels and messages
	run    bool
	active int // users started and not yet ended
}

func (g *gatlingState) intern(s string) string {
	if v, ok := g.names[s]; ok {
		return v
	}
	if len(g.names) < 1<<16 {
		g.names[s] = s
	}
	return s
}

// gatlingFieldError is a problem in one record; the caller fills in file and line.
func gatlingFieldError(format string, args ...any) error {
	return &Error{Msg: fmt.Sprintf(format, args...)}
}

func (g *gatlingState) record(line int, f []string) error {
	kind := f[0]
	if kind != "RUN" && kind != "ASSERTION" && !g.run {
		return gatlingFieldError("%s record before the RUN record", kind)
	}
	want := map[string]int{ // fields per record, the type included (Gatling 3.4–3.12)
		"RUN": 6, "USER": 4, "REQUEST": 7, "GROUP": 6, "ERROR": 3, "ASSERTION": 2,
	}[kind]
	if want == 0 {
		return gatlingFieldError("unknown record type %q (want RUN, USER, REQUEST, GROUP, ERROR or ASSERTION)", kind)
	}
	if len(f) != want {
		return gatlingFieldError("%s record has %d tab-separated fields, want %d (line cut short, or a Gatling version whose layout differs)", kind, len(f), want)
	}
	switch kind {
	case "RUN":
		if g.run {
			return gatlingFieldError("a second RUN record")
		}
		if _, err := gatlingEpoch(f[3], "run start"); err != nil {
			return err
		}
		if gatlingBefore34(f[5]) {
			return gatlingFieldError("simulation.log from Gatling %s: logs older than 3.4 (with a userId column) are not supported", strings.TrimSpace(f[5]))
		}
		g.run = true
	case "USER":
		if _, err := gatlingEpoch(f[3], "user time"); err != nil {
			return err
		}
		switch f[2] {
		case "START":
			g.active++
		case "END":
			if g.active > 0 {
				g.active--
			}
		default:
			return gatlingFieldError("USER record: third field is %q, want START or END", f[2])
		}
	case "REQUEST":
		start, err := gatlingEpoch(f[3], "request start")
		if err != nil {
			return err
		}
		end, err := gatlingEpoch(f[4], "request end")
		if err != nil {
			return err
		}
		ok, err := gatlingStatus(f[5])
		if err != nil {
			return err
		}
		label := f[2]
		if f[1] != "" {
			label = gatlingGroupPath(f[1]) + " / " + f[2]
		}
		s := Sample{Label: g.intern(label), StartMS: start, ElapsedMS: float64(end - start), OK: ok,
			Threads: g.active, Line: line}
		if !ok {
			if msg := strings.TrimSpace(f[6]); msg != "" {
				s.Message = g.intern(msg)
			}
		}
		return g.sink.Sample(&s)
	case "GROUP":
		start, err := gatlingEpoch(f[2], "group start")
		if err != nil {
			return err
		}
		end, err := gatlingEpoch(f[3], "group end")
		if err != nil {
			return err
		}
		if _, err := strconv.ParseInt(f[4], 10, 64); err != nil {
			return gatlingFieldError("GROUP record: cumulated response time %q is not a whole number of ms", f[4])
		}
		ok, err := gatlingStatus(f[5])
		if err != nil {
			return err
		}
		s := Sample{Label: g.intern(gatlingGroupPath(f[1])), StartMS: start, ElapsedMS: float64(end - start),
			OK: ok, Threads: g.active, Transaction: true, Line: line}
		return g.sink.Sample(&s)
	case "ERROR":
		if _, err := gatlingEpoch(f[2], "error time"); err != nil {
			return err
		}
	}
	return nil
}

// gatlingGroupPath turns the log's comma-joined hierarchy into Gatling's " / " report path.
func gatlingGroupPath(h string) string {
	return strings.ReplaceAll(h, ",", " / ")
}

func gatlingEpoch(s, what string) (int64, error) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 {
		return 0, gatlingFieldError("%s %q is not epoch milliseconds", what, s)
	}
	return v, nil
}

func gatlingStatus(s string) (bool, error) {
	switch s {
	case "OK":
		return true, nil
	case "KO":
		return false, nil
	}
	return false, gatlingFieldError("status %q, want OK or KO", s)
}

// gatlingBefore34 reports whether a RUN record's version predates 3.4, when the userId
// column was dropped. Unparseable versions are taken as current.
func gatlingBefore34(v string) bool {
	parts := strings.SplitN(strings.TrimSpace(v), ".", 3)
	if len(parts) < 2 {
		return false
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		return false
	}
	return major < 3 || (major == 3 && minor < 4)
}
