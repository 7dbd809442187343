package parse

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"unicode/utf8"
)

// Limits shared by the JUnit, ZAP and SARIF parsers. They are constants rather than options so
// that every caller gets the same protection: a hostile or broken file is stopped by them
// before it can take more memory than a few times the largest limit.
const (
	// maxTokenBytes caps one XML token (an element with its attributes, or one run of text)
	// and one JSON value decoded at a time (one alert instance, one SARIF result or rule, one
	// string). Larger input is an error, not a silent truncation, because it cannot be valid
	// output of the tools we read.
	maxTokenBytes = 16 << 20
	// maxNesting caps element/array/object depth; real reports stay below 20.
	maxNesting = 256
	// maxItems caps how many test cases or finding instances one file may hold; at a few
	// hundred bytes each the parsed result then stays within a few hundred MiB.
	maxItems = 500_000

	// Kept text is cut to these lengths (bytes, on a UTF-8 boundary, marked with an ellipsis).
	clipName   = 2 << 10  // names, ids, URIs, methods, parameters
	clipShort  = 8 << 10  // messages, evidence, attack strings
	clipDetail = 32 << 10 // stack traces, descriptions, solutions
)

// clip returns s cut to at most limit bytes without splitting a UTF-8 sequence; a cut string
// ends in "…" so readers can tell it was shortened.
func clip(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	const mark = "…"
	cut := limit - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}

// errTooLarge is returned by the XML and JSON input wrappers when one token or value would
// need more than maxTokenBytes; the parsers turn it into a located *Error.
var errTooLarge = errors.New("token too large")

// skipBOM drops a UTF-8 byte-order mark, which Windows tools put in front of XML and JSON and
// which neither encoding/xml nor encoding/json accepts.
func skipBOM(r io.Reader) *bufio.Reader {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, _ := br.Peek(3); bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	return br
}
