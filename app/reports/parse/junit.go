package parse

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"io"
	"math"
	"strconv"
	"strings"
)

// CaseStatus is the outcome of one test case.
type CaseStatus string

// Test-case outcomes. A case is passed unless it holds a failure, error or skipped element;
// with several, the worst counts (errored over failed over skipped).
const (
	CasePassed  CaseStatus = "passed"
	CaseFailed  CaseStatus = "failed"  // an assertion failed (<failure>)
	CaseErrored CaseStatus = "errored" // an unexpected exception (<error>)
	CaseSkipped CaseStatus = "skipped"
)

func (s CaseStatus) rank() int {
	switch s {
	case CaseSkipped:
		return 1
	case CaseFailed:
		return 2
	case CaseErrored:
		return 3
	}
	return 0
}

// JUnitReport is one parsed JUnit XML file. Suites are flattened in document order; a nested
// suite's Path names its ancestors.
type JUnitReport struct {
	Name   string // the <testsuites> name, if any
	Suites []JUnitSuite
	Totals JUnitTotals // recomputed from the cases; the files' own counts are not trusted
}

// JUnitSuite is one <testsuite> element with the cases directly inside it.
type JUnitSuite struct {
	Name       string
	Path       string  // names from the outermost suite down to this one, joined by " / "
	File       string  // file attribute, if any
	Hostname   string  // hostname attribute, if any
	Timestamp  string  // timestamp attribute as written (ISO 8601, often without a zone)
	DurationMS float64 // the suite's own time attribute; 0 when absent
	Cases      []JUnitCase
	Totals     JUnitTotals
}

// JUnitTotals counts cases by outcome.
type JUnitTotals struct {
	Tests   int
	Passed  int
	Failed  int
	Errored int
	Skipped int
	// Flaky counts cases that failed and then passed on a rerun (Surefire flakyFailure /
	// flakyError); they are also counted as passed.
	Flaky      int
	DurationMS float64 // sum of the cases' durations
}

// JUnitCase is one <testcase>.
type JUnitCase struct {
	Suite      string // Path of the enclosing suite ("" for a case outside any suite)
	Classname  string
	Name       string
	File       string // file attribute of the case, else of its suite
	Line       int    // line attribute, 0 when absent
	DurationMS float64
	Status     CaseStatus
	Message    string // message attribute of the deciding failure/error/skipped element
	Type       string // type attribute of that element (exception class)
	Detail     string // its text (stack trace), clipped to 32 KiB
	Flaky      bool   // failed at first, then passed on a rerun
	Reruns     int    // Surefire rerun/flaky elements seen
}

// Key identifies a test case across runs for trends and flaky detection: a hash of suite,
// classname and name, 32 hex characters. Durations, messages and order do not enter it.
func (c JUnitCase) Key() string {
	h := sha256.New()
	var n [8]byte
	for _, f := range [...]string{c.Suite, c.Classname, c.Name} {
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		h.Write(n[:])
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func (t *JUnitTotals) add(c *JUnitCase) {
	t.Tests++
	t.DurationMS += c.DurationMS
	switch c.Status {
	case CaseFailed:
		t.Failed++
	case CaseErrored:
		t.Errored++
	case CaseSkipped:
		t.Skipped++
	default:
		t.Passed++
	}
	if c.Flaky {
		t.Flaky++
	}
}

// parseSeconds reads a JUnit time attribute (seconds) into milliseconds. Some locales write
// a decimal comma ("0,25"), old Surefire a thousands separator ("1,234.5").
func parseSeconds(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, true
	}
	if strings.Contains(s, ",") {
		if strings.Contains(s, ".") {
			s = strings.ReplaceAll(s, ",", "")
		} else {
			s = strings.Replace(s, ",", ".", 1)
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 || v > 1e9 || v != v {
		return 0, false
	}
	// Rounded to the microsecond so that 0.1 s reads as 100 ms, not 100.00000000000001.
	return math.Round(v*1e6) / 1e3, true
}

// JUnit reads a JUnit XML report: a <testsuites> root (pytest, Jest, Gradle, Go tools) or a
// single <testsuite> (Maven Surefire), with suites nested to any depth up to the limit.
// name is used in errors. The file is read as a token stream; DOCTYPE declarations and
// entities other than XML's five are refused, so billion-laughs and external-entity
// documents fail at once.
func JUnit(r io.Reader, name string) (*JUnitReport, error) {
	p := newJUnitParser(r, name)
	if err := p.run(); err != nil {
		return nil, err
	}
	return p.rep, nil
}
