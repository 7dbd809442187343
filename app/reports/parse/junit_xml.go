package parse

import (
	"bufio"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// xmlSource bounds what encoding/xml can buffer: the decoder keeps a whole token (an element
// with its attributes, or a run of text) in memory, so the source refuses to deliver more
// than maxTokenBytes past the end of the last complete token.
type xmlSource struct {
	r    *bufio.Reader
	read int64
	mark int64
}

func (s *xmlSource) ReadByte() (byte, error) {
	if s.read-s.mark >= maxTokenBytes {
		return 0, errTooLarge
	}
	b, err := s.r.ReadByte()
	if err == nil {
		s.read++
	}
	return b, err
}

func (s *xmlSource) Read(p []byte) (int, error) {
	room := maxTokenBytes - (s.read - s.mark)
	if room <= 0 {
		return 0, errTooLarge
	}
	if int64(len(p)) > room {
		p = p[:room]
	}
	n, err := s.r.Read(p)
	s.read += int64(n)
	return n, err
}

// junitParser holds the state of one JUnit parse: the open suites and the open case.
type junitParser struct {
	dec   *xml.Decoder
	src   *xmlSource
	file  string
	rep   *JUnitReport
	depth int

	suites []int      // indexes into rep.Suites of the open <testsuite> elements
	cur    *JUnitCase // open <testcase>, nil outside one
	// caseDepth is the depth of cur: only result elements directly inside it decide its
	// outcome, so a <failure> nested deeper (inside <system-out>, say) cannot.
	caseDepth int
	// result is the open failure/error/skipped/flaky element inside cur: its text is
	// collected into text while it is open.
	result    string
	resultMsg string
	resultTyp string
	text      strings.Builder
	cases     int
}

func newJUnitParser(r io.Reader, name string) *junitParser {
	src := &xmlSource{r: skipBOM(r)}
	dec := xml.NewDecoder(src)
	dec.Strict = true
	dec.CharsetReader = func(charset string, in io.Reader) (io.Reader, error) {
		// ASCII is UTF-8; anything else would need a transcoder the tools we read never need.
		switch strings.ToLower(charset) {
		case "us-ascii", "ascii", "utf8":
			return in, nil
		}
		return nil, fmt.Errorf("character encoding %q is not supported; JUnit files must be UTF-8", charset)
	}
	return &junitParser{dec: dec, src: src, file: name, rep: &JUnitReport{}}
}

func (p *junitParser) errorf(format string, args ...any) *Error {
	line, col := p.dec.InputPos()
	return &Error{File: p.file, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

// decodeError turns an encoding/xml error into a located *Error with a plain message.
func (p *junitParser) decodeError(err error) error {
	var syn *xml.SyntaxError
	switch {
	case errors.Is(err, errTooLarge):
		return p.errorf("an XML element or text is larger than %d MiB", maxTokenBytes>>20)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return p.errorf("file ends before the XML document is complete (truncated?)")
	case errors.As(err, &syn):
		if strings.Contains(syn.Msg, "unexpected EOF") {
			return p.errorf("file ends before the XML document is complete (truncated?)")
		}
		return p.errorf("invalid XML: %s", syn.Msg)
	}
	return p.errorf("invalid XML: %v", err)
}

func (p *junitParser) run() error {
	sawRoot, rootDone := false, false
	for {
		tok, err := p.dec.Token()
		if err == io.EOF {
			if !sawRoot {
				return &Error{File: p.file, Msg: "not a JUnit report: the file has no XML element"}
			}
			if !rootDone {
				return p.errorf("file ends before the XML document is complete (truncated?)")
			}
			return nil
		}
		if err != nil {
			return p.decodeError(err)
		}
		p.src.mark = p.dec.InputOffset()
		switch t := tok.(type) {
		case xml.Directive:
			return p.errorf("XML DOCTYPE and other declarations are not allowed in a JUnit report")
		case xml.StartElement:
			if rootDone {
				return p.errorf("unexpected element <%s> after the root element", t.Name.Local)
			}
			p.depth++
			if p.depth > maxNesting {
				return p.errorf("XML is nested more than %d levels deep", maxNesting)
			}
			if !sawRoot {
				sawRoot = true
				if t.Name.Local != "testsuites" && t.Name.Local != "testsuite" {
					return p.errorf("not a JUnit report: the root element is <%s>, not <testsuites> or <testsuite>", t.Name.Local)
				}
			}
			if err := p.start(&t); err != nil {
				return err
			}
		case xml.EndElement:
			p.depth--
			if err := p.end(t.Name.Local); err != nil {
				return err
			}
			if p.depth == 0 {
				rootDone = true
			}
		case xml.CharData:
			if p.result != "" {
				writeClipped(&p.text, t)
			} else if strings.TrimSpace(string(t)) != "" {
				if !sawRoot {
					return p.errorf("not a JUnit report: the file does not start with an XML element")
				}
				if rootDone {
					return p.errorf("unexpected text outside the root element")
				}
			}
		}
	}
}

// writeClipped appends text up to clipDetail bytes in total.
func writeClipped(b *strings.Builder, t []byte) {
	if room := clipDetail + 1 - b.Len(); room > 0 {
		b.Write(t[:min(len(t), room)])
	}
}

func attr(t *xml.StartElement, name string) string {
	for _, a := range t.Attr {
		if a.Name.Local == name && a.Name.Space == "" {
			return a.Value
		}
	}
	return ""
}

func (p *junitParser) start(t *xml.StartElement) error {
	switch t.Name.Local {
	case "testsuites":
		if p.depth == 1 {
			p.rep.Name = clip(attr(t, "name"), clipName)
		}
	case "testsuite":
		if p.cur != nil {
			return p.errorf("<testsuite> inside <testcase>")
		}
		ms, ok := parseSeconds(attr(t, "time"))
		if !ok {
			return p.errorf("testsuite time %q is not a number of seconds", attr(t, "time"))
		}
		s := JUnitSuite{
			Name:       clip(attr(t, "name"), clipName),
			File:       clip(attr(t, "file"), clipName),
			Hostname:   clip(attr(t, "hostname"), clipName),
			Timestamp:  clip(attr(t, "timestamp"), clipName),
			DurationMS: ms,
		}
		s.Path = s.Name
		if n := len(p.suites); n > 0 {
			s.Path = clip(p.rep.Suites[p.suites[n-1]].Path+" / "+s.Name, clipName)
		}
		p.suites = append(p.suites, len(p.rep.Suites))
		p.rep.Suites = append(p.rep.Suites, s)
	case "testcase":
		if p.cur != nil {
			return p.errorf("<testcase> inside <testcase>")
		}
		p.cases++
		if p.cases > maxItems {
			return p.errorf("more than %d test cases", maxItems)
		}
		ms, ok := parseSeconds(attr(t, "time"))
		if !ok {
			return p.errorf("testcase time %q is not a number of seconds", attr(t, "time"))
		}
		c := &JUnitCase{
			Classname:  clip(attr(t, "classname"), clipName),
			Name:       clip(attr(t, "name"), clipName),
			File:       clip(attr(t, "file"), clipName),
			DurationMS: ms,
			Status:     CasePassed,
		}
		c.Line, _ = strconv.Atoi(attr(t, "line"))
		if n := len(p.suites); n > 0 {
			s := &p.rep.Suites[p.suites[n-1]]
			c.Suite = s.Path
			if c.File == "" {
				c.File = s.File
			}
		}
		// A few tools (Gatling's assertions.xml) state the outcome as an attribute.
		switch strings.ToLower(attr(t, "status")) {
		case "failed", "failure", "false":
			c.Status = CaseFailed
		case "error", "errored":
			c.Status = CaseErrored
		case "skipped", "disabled":
			c.Status = CaseSkipped
		}
		p.cur = c
		p.caseDepth = p.depth
	case "failure", "error", "skipped", "flakyFailure", "flakyError", "rerunFailure", "rerunError":
		if p.cur != nil && p.result == "" && p.depth == p.caseDepth+1 {
			p.result = t.Name.Local
			p.resultMsg = attr(t, "message")
			p.resultTyp = attr(t, "type")
			p.text.Reset()
		}
	}
	return nil
}

func (p *junitParser) end(name string) error {
	switch {
	case p.result != "" && name == p.result && p.depth == p.caseDepth:
		p.finishResult()
	case name == "testcase" && p.cur != nil:
		c := p.cur
		p.cur = nil
		var suite *JUnitSuite
		if n := len(p.suites); n > 0 {
			suite = &p.rep.Suites[p.suites[n-1]]
		} else {
			// A case directly under <testsuites>: keep it in an unnamed suite.
			if len(p.rep.Suites) == 0 || p.rep.Suites[len(p.rep.Suites)-1].Name != "" {
				p.rep.Suites = append(p.rep.Suites, JUnitSuite{})
			}
			suite = &p.rep.Suites[len(p.rep.Suites)-1]
		}
		suite.Cases = append(suite.Cases, *c)
		suite.Totals.add(c)
		p.rep.Totals.add(c)
	case name == "testsuite" && len(p.suites) > 0 && p.cur == nil:
		p.suites = p.suites[:len(p.suites)-1]
	}
	return nil
}

func (p *junitParser) finishResult() {
	c := p.cur
	kind := p.result
	p.result = ""
	var st CaseStatus
	switch kind {
	case "failure":
		st = CaseFailed
	case "error":
		st = CaseErrored
	case "skipped":
		st = CaseSkipped
	case "flakyFailure", "flakyError":
		// Failed once, passed on a rerun: the case passed, but is flaky.
		c.Flaky = true
		c.Reruns++
		return
	default: // rerunFailure, rerunError: the main <failure>/<error> already decides.
		c.Reruns++
		return
	}
	if st.rank() > c.Status.rank() || (st == c.Status && c.Message == "" && c.Detail == "") {
		c.Status = st
		c.Message = clip(p.resultMsg, clipShort)
		c.Type = clip(p.resultTyp, clipName)
		c.Detail = clip(strings.TrimSpace(p.text.String()), clipDetail)
	}
}
