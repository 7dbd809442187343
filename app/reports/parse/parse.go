// Package parse reads test-result files (JMeter, k6, Gatling, Locust, JUnit, ZAP, SARIF) as
// streams. It is pure: no imports of the rest of the application, no global state. Raw-sample
// formats are pushed to a SampleSink one sample at a time so memory stays flat whatever the
// file size; pre-aggregated formats return a Summary; functional and security formats return
// their own result types.
package parse

import "fmt"

// Format names a supported result-file format. The string values are stored in the database
// and printed by `mis report stats`, so they never change.
type Format string

// The formats Scanboard reads.
const (
	JMeterCSV        Format = "jmeter-csv"
	JMeterXML        Format = "jmeter-xml"
	K6SummaryExport  Format = "k6-summary-export"
	K6HandleSummary  Format = "k6-handle-summary"
	K6JSON           Format = "k6-json"
	K6CSV            Format = "k6-csv"
	GatlingLog       Format = "gatling-log"
	GatlingStats     Format = "gatling-stats"
	LocustStats      Format = "locust-stats"
	LocustHistory    Format = "locust-history"
	LocustFailures   Format = "locust-failures"
	LocustExceptions Format = "locust-exceptions"
	JUnitXML         Format = "junit"
	ZAPJSON          Format = "zap"
	SARIF            Format = "sarif"
)

// Sample is one measured request or transaction from a raw-sample format (JMeter CSV/XML,
// k6 --out json/csv, Gatling simulation.log). Parsers reuse nothing they hand out: every
// string in a Sample may be retained by the sink (parsers intern repeated labels so this does
// not cost an allocation per row).
type Sample struct {
	Label       string  // sampler, transaction or request name
	StartMS     int64   // start time, Unix epoch milliseconds; 0 when the file has none
	ElapsedMS   float64 // response time in milliseconds (fractional for k6)
	OK          bool    // success as the tool judged it
	Code        string  // response code as written ("200", "Non HTTP response code: …", "")
	Message     string  // failure or response message; empty when OK
	BytesRecv   int64   // received bytes, 0 when unknown
	BytesSent   int64   // sent bytes, 0 when unknown
	Threads     int     // active threads (all groups) when the format records it, else 0
	Transaction bool    // JMeter transaction-controller sample
	Sub         bool    // nested sub-sample (JMeter XML child, "-N" CSV label); not a top-level count
	Line        int     // 1-based line where the sample starts, for error messages
}

// SampleSink receives samples in file order. Returning an error stops the parser, which
// returns that error unchanged.
type SampleSink interface {
	Sample(s *Sample) error
}

// SinkFunc adapts a function to SampleSink.
type SinkFunc func(s *Sample) error

// Sample calls f(s).
func (f SinkFunc) Sample(s *Sample) error { return f(s) }

// Error is a problem in an input file, located as precisely as the format allows.
type Error struct {
	File   string // file name as given by the caller (may be empty)
	Line   int    // 1-based; 0 when not known
	Column int    // 1-based; 0 when not known or not useful
	Msg    string // what is wrong, in plain words
}

func (e *Error) Error() string {
	name := e.File
	if name == "" {
		name = "input"
	}
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %s", name, e.Line, e.Column, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", name, e.Line, e.Msg)
	default:
		return fmt.Sprintf("%s: %s", name, e.Msg)
	}
}
