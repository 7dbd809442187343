package parse

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// XMLOptions configures ReadJMeterXML.
type XMLOptions struct {
	File string // names the input in error messages
	// MaxTokenBytes caps one XML token (a tag with its attributes, or a text run); 0 means
	// 1 MiB. Real JMeter files stay far below it unless response data is saved.
	MaxTokenBytes int64
	// MaxDepth caps element nesting; 0 means 64 (JMeter nests sub-results at most 10 deep).
	MaxDepth int
}

// ReadJMeterXML reads a JMeter XML results file (<testResults> with <httpSample>/<sample>
// elements) as a stream and hands each sample to sink. Nested samples are sub-results: they
// are passed with Sub set (after their children, before their parent) so they never count
// as top-level samples. A failed sample's Message is its first assertion failure message
// when the response code looks fine, else the response message, as in the CSV reader.
//
// Hostile input is refused early: a DOCTYPE (and so any entity definition), a token larger
// than MaxTokenBytes or nesting deeper than MaxDepth is an error. A missing </testResults>
// after complete samples is accepted (a crashed run leaves it out); a file that stops inside
// a sample is an error.
func ReadJMeterXML(r io.Reader, opt XMLOptions, sink SampleSink) error {
	if opt.MaxTokenBytes <= 0 {
		opt.MaxTokenBytes = 1 << 20
	}
	if opt.MaxDepth <= 0 {
		opt.MaxDepth = 64
	}
	cr := &tokenLimitReader{r: r, limit: opt.MaxTokenBytes}
	d := xml.NewDecoder(cr)
	d.Strict = true
	x := &xmlParser{opt: opt, d: d, sink: sink, labels: map[string]string{}, codes: map[string]string{}, msgs: map[string]string{}}
	for {
		cr.mark()
		tok, err := d.Token()
		if err == io.EOF {
			if x.open > 0 {
				return x.errf("the file ends inside a <%s> element (truncated file?)", x.stack[len(x.stack)-1].name)
			}
			if !x.seenRoot {
				return x.errf("no <testResults> element: not a JMeter XML results file")
			}
			return nil
		}
		if err != nil {
			if errors.Is(err, errTokenTooLarge) {
				return x.errf("an XML token is larger than %d bytes; refusing the file (response data saved in the JTL?)", opt.MaxTokenBytes)
			}
			var se *xml.SyntaxError
			if errors.As(err, &se) && strings.Contains(se.Msg, "unexpected EOF") && x.open == 0 && len(x.stack) <= 1 {
				return nil // </testResults> missing after complete samples
			}
			if errors.As(err, &se) && strings.Contains(se.Msg, "unexpected EOF") {
				return x.errf("the file ends inside an element (truncated file?)")
			}
			return x.errf("%v", err)
		}
		if err := x.token(tok); err != nil {
			return err
		}
	}
}

var errTokenTooLarge = errors.New("XML token too large")

// tokenLimitReader fails when more than limit bytes are read without the decoder completing a
// token, so one giant attribute or text node cannot exhaust memory.
type tokenLimitReader struct {
	r        io.Reader
	n, since int64
	limit    int64
}

func (t *tokenLimitReader) mark() { t.since = t.n }

func (t *tokenLimitReader) Read(p []byte) (int, error) {
	// The decoder reads ahead through a 4 KiB buffer, hence the slack.
	if t.n-t.since > t.limit+8192 {
		return 0, errTokenTooLarge
	}
	n, err := t.r.Read(p)
	t.n += int64(n)
	return n, err
}

type xmlFrame struct {
	name   string
	sample bool
	s      Sample
	rm     string
	fm     string // first assertion failure message
}

type xmlParser struct {
	opt                 XMLOptions
	d                   *xml.Decoder
	sink                SampleSink
	stack               []xmlFrame
	open                int // open sample elements
	seenRoot            bool
	inFailureMsg        bool
	text                strings.Builder
	labels, codes, msgs map[string]string
}

func (x *xmlParser) errf(format string, args ...any) error {
	line, col := x.d.InputPos()
	return &Error{File: x.opt.File, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

func (x *xmlParser) token(tok xml.Token) error {
	switch t := tok.(type) {
	case xml.Directive:
		return x.errf("XML declarations such as DOCTYPE are refused: JMeter never writes them and they can define entities")
	case xml.StartElement:
		if len(x.stack) >= x.opt.MaxDepth {
			return x.errf("elements nested deeper than %d; refusing the file", x.opt.MaxDepth)
		}
		name := t.Name.Local
		if len(x.stack) == 0 {
			if name != "testResults" {
				return x.errf("the root element is <%s>, expected <testResults>", name)
			}
			x.seenRoot = true
		}
		f := xmlFrame{name: name}
		isSample := (name == "httpSample" || name == "sample") && len(x.stack) > 0
		if isSample {
			// A sample inside something else (e.g. responseData) is not a result.
			parent := x.stack[len(x.stack)-1]
			isSample = parent.name == "testResults" || parent.sample
		}
		if isSample {
			line, _ := x.d.InputPos()
			f.sample = true
			f.s = Sample{OK: true, Line: line, Sub: len(x.stack) > 1}
			if err := x.attrs(&f, t.Attr); err != nil {
				return err
			}
			x.open++
		}
		if name == "failureMessage" && len(x.stack) > 0 && x.stack[len(x.stack)-1].name == "assertionResult" {
			x.inFailureMsg = true
			x.text.Reset()
		}
		x.stack = append(x.stack, f)
	case xml.CharData:
		if x.inFailureMsg {
			x.text.Write(t)
		}
	case xml.EndElement:
		if len(x.stack) == 0 {
			return x.errf("unexpected </%s>", t.Name.Local)
		}
		f := x.stack[len(x.stack)-1]
		x.stack = x.stack[:len(x.stack)-1]
		if f.name == "failureMessage" && x.inFailureMsg {
			x.inFailureMsg = false
			// The message belongs to the sample that owns this assertionResult.
			for i := len(x.stack) - 1; i >= 0; i-- {
				if x.stack[i].sample {
					if x.stack[i].fm == "" {
						x.stack[i].fm = strings.TrimSpace(x.text.String())
					}
					break
				}
			}
		}
		if f.sample {
			x.open--
			s := f.s
			if !s.OK {
				if f.fm != "" && (s.Code == "" || isSuccessCode([]byte(s.Code))) {
					s.Message = internString(x.msgs, f.fm)
				} else {
					s.Message = internString(x.msgs, f.rm)
				}
			}
			if err := x.sink.Sample(&s); err != nil {
				return err
			}
		}
	}
	return nil
}

func (x *xmlParser) attrs(f *xmlFrame, attrs []xml.Attr) error {
	s := &f.s
	seenT := false
	for _, a := range attrs {
		v := a.Value
		var err error
		switch a.Name.Local {
		case "t":
			var n float64
			n, err = strconv.ParseFloat(v, 64)
			if err == nil && n < 0 {
				err = errors.New("negative")
			}
			s.ElapsedMS, seenT = n, true
		case "ts":
			s.StartMS, err = strconv.ParseInt(v, 10, 64)
		case "s":
			switch v {
			case "true":
			case "false":
				s.OK = false
			default:
				err = errors.New("not true/false")
			}
		case "lb":
			s.Label = internString(x.labels, v)
		case "rc", "rs":
			s.Code = internString(x.codes, v)
		case "rm":
			f.rm = v
			s.Transaction = strings.HasPrefix(v, tcPrefix)
		case "by":
			s.BytesRecv, err = strconv.ParseInt(v, 10, 64)
		case "sby":
			s.BytesSent, err = strconv.ParseInt(v, 10, 64)
		case "na":
			var n int64
			n, err = strconv.ParseInt(v, 10, 64)
			s.Threads = int(n)
		}
		if err != nil {
			return x.errf("attribute %s=%q of <%s> is not valid", a.Name.Local, v, f.name)
		}
	}
	if !seenT {
		return x.errf("<%s> has no t (elapsed) attribute", f.name)
	}
	return nil
}

func internString(m map[string]string, s string) string {
	if v, ok := m[s]; ok {
		return v
	}
	if len(m) < internLimit {
		m[s] = s
	}
	return s
}
