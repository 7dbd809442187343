package parse

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
)

// jsonWalker reads a JSON document as a stream with encoding/json's Decoder: objects and
// arrays are walked token by token and only small pieces (one alert instance, one SARIF
// result) are decoded whole, so a report with a million findings never sits in memory as one
// value. Positions in errors are computed from the decoder offset by jsonSource.
type jsonWalker struct {
	dec  *json.Decoder
	src  *jsonSource
	file string
	// opened is where the most recent object started, for errors about the object as a
	// whole that are only found after it was read (see zapAlert).
	opened jsonPos
	// context names what the next value is (the member key, or "alerts element"), for
	// type errors.
	context string
}

func newJSONWalker(r io.Reader, file string) *jsonWalker {
	src := &jsonSource{r: skipBOM(r), lastNL: -1}
	return &jsonWalker{dec: json.NewDecoder(src), src: src, file: file}
}

// jsonSource feeds the decoder and remembers where lines start, but only from the previous
// commit on: the walker commits after every token, so the list of newline offsets stays as
// short as the value being decoded while the offsets of the last two tokens can still be
// located. It also refuses to hand the decoder more than maxTokenBytes past the last commit,
// which bounds the decoder's buffer.
type jsonSource struct {
	r        io.Reader
	read     int64   // bytes handed to the decoder so far
	mark     int64   // last committed offset
	base     int64   // the commit before it: newlines before base are only counted
	lines    int     // newlines before base
	lastNL   int64   // offset of the last newline before base, -1 if none
	newlines []int64 // offsets of newlines at or after base
}

func (s *jsonSource) Read(p []byte) (int, error) {
	room := maxTokenBytes - (s.read - s.mark)
	if room <= 0 {
		return 0, errTooLarge
	}
	if int64(len(p)) > room {
		p = p[:room]
	}
	n, err := s.r.Read(p)
	for i := 0; i < n; {
		j := bytes.IndexByte(p[i:n], '\n')
		if j < 0 {
			break
		}
		s.newlines = append(s.newlines, s.read+int64(i+j))
		i += j + 1
	}
	s.read += int64(n)
	return n, err
}

// commit records that everything before off has been dealt with.
func (s *jsonSource) commit(off int64) {
	if off <= s.mark {
		return
	}
	i := 0
	for i < len(s.newlines) && s.newlines[i] < s.mark {
		i++
	}
	if i > 0 {
		s.lines += i
		s.lastNL = s.newlines[i-1]
		s.newlines = s.newlines[:copy(s.newlines, s.newlines[i:])]
	}
	s.base, s.mark = s.mark, off
}

// position gives the 1-based line and byte column of offset off. Offsets before the
// previous commit are no longer known exactly and are reported at that commit.
func (s *jsonSource) position(off int64) (line, col int) {
	off = max(off, s.base)
	line, last := s.lines, s.lastNL
	for _, nl := range s.newlines {
		if nl >= off {
			break
		}
		line++
		last = nl
	}
	return line + 1, int(off - last)
}

func (w *jsonWalker) commit() { w.src.commit(w.dec.InputOffset()) }

// errorAt builds a located *Error for byte offset off.
func (w *jsonWalker) errorAt(off int64, format string, args ...any) *Error {
	line, col := w.src.position(off)
	return &Error{File: w.file, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

// jsonPos is a remembered position, for errors found only after a whole object was read.
type jsonPos struct{ line, col int }

func (w *jsonWalker) posOf(off int64) jsonPos {
	line, col := w.src.position(off)
	return jsonPos{line, col}
}

func (w *jsonWalker) errorAtPos(p jsonPos, format string, args ...any) *Error {
	return &Error{File: w.file, Line: p.line, Column: p.col, Msg: fmt.Sprintf(format, args...)}
}

// errorHere builds a located *Error at the decoder's current position.
func (w *jsonWalker) errorHere(format string, args ...any) *Error {
	return w.errorAt(w.dec.InputOffset(), format, args...)
}

// wrap turns a decoder error into a located *Error with a plain message. before is the
// decoder offset when the failing call started.
func (w *jsonWalker) wrap(err error, before int64) error {
	var pe *Error
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &pe):
		return err
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return w.errorAt(w.src.read, "file ends in the middle of the JSON document (truncated?)")
	case errors.Is(err, errTooLarge):
		return w.errorAt(w.src.mark, "a single JSON value is larger than %d MiB", maxTokenBytes>>20)
	case errors.As(err, &syn):
		return w.errorAt(w.syntaxOffset(), "invalid JSON: %s", syn.Error())
	case errors.As(err, &typ):
		what := w.context
		if typ.Field != "" {
			what += " " + typ.Field
		}
		return w.errorAt(before, "%s: expected %s, found JSON %s", what, describeType(typ.Type), typ.Value)
	default:
		return w.errorAt(before, "%v", err)
	}
}

// syntaxOffset finds the byte the decoder choked on. The decoder's own offsets are relative
// to an internal counter once tokens and values are mixed, but after a syntax error the bad
// value is still in its buffer from InputOffset on, so checking that buffer alone finds the
// exact byte.
func (w *jsonWalker) syntaxOffset() int64 {
	start := w.dec.InputOffset()
	rest, _ := io.ReadAll(w.dec.Buffered())
	var syn *json.SyntaxError
	if err := json.Unmarshal(rest, new(json.RawMessage)); errors.As(err, &syn) && syn.Offset > 0 {
		return start + syn.Offset - 1
	}
	return start
}

// token reads the next token.
func (w *jsonWalker) token() (json.Token, error) {
	before := w.dec.InputOffset()
	t, err := w.dec.Token()
	if err != nil {
		return nil, w.wrap(err, before)
	}
	w.commit()
	return t, nil
}

// object walks an object (or null), calling fn for each key; fn must consume the value.
func (w *jsonWalker) object(what string, fn func(key string) error) error {
	start := w.dec.InputOffset()
	t, err := w.token()
	if err != nil {
		return err
	}
	if t == nil {
		return nil
	}
	if d, ok := t.(json.Delim); !ok || d != '{' {
		return w.errorAt(start, "%s: expected a JSON object, found %s", what, describeToken(t))
	}
	w.opened = w.posOf(w.dec.InputOffset() - 1)
	for w.dec.More() {
		t, err := w.token()
		if err != nil {
			return err
		}
		key, _ := t.(string) // the decoder only returns strings as keys
		w.context = key
		if err := fn(key); err != nil {
			return err
		}
	}
	_, err = w.token()
	return err
}

// array walks an array (or null), calling fn for each element; fn must consume it.
func (w *jsonWalker) array(what string, fn func() error) error {
	start := w.dec.InputOffset()
	t, err := w.token()
	if err != nil {
		return err
	}
	if t == nil {
		return nil
	}
	if d, ok := t.(json.Delim); !ok || d != '[' {
		return w.errorAt(start, "%s: expected a JSON array, found %s", what, describeToken(t))
	}
	for w.dec.More() {
		w.context = what + " element"
		if err := fn(); err != nil {
			return err
		}
	}
	_, err = w.token()
	return err
}

// value decodes the next value into v.
func (w *jsonWalker) value(v any) error {
	before := w.dec.InputOffset()
	if err := w.dec.Decode(v); err != nil {
		return w.wrap(err, before)
	}
	w.commit()
	return nil
}

// skip consumes the next value token by token, so an unknown member (ZAP insights, SARIF
// artifacts with embedded file contents) costs no more memory than its largest string.
func (w *jsonWalker) skip() error {
	depth := 0
	for {
		t, err := w.token()
		if err != nil {
			return err
		}
		if d, ok := t.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
				if depth > maxNesting {
					return w.errorHere("JSON is nested more than %d levels deep", maxNesting)
				}
			} else {
				depth--
			}
		}
		if depth == 0 {
			return nil
		}
	}
}

// end checks that nothing but white space follows the document.
func (w *jsonWalker) end() error {
	before := w.dec.InputOffset()
	if _, err := w.dec.Token(); err != io.EOF {
		if err != nil {
			return w.wrap(err, before)
		}
		return w.errorAt(before, "unexpected data after the end of the JSON document")
	}
	return nil
}

func describeToken(t json.Token) string {
	switch v := t.(type) {
	case json.Delim:
		if v == '[' {
			return "an array"
		}
		return "an object"
	case string:
		return "a string"
	case float64, json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return "null"
}

// jsonText is a scalar kept as text: tools disagree on whether ZAP's riskcode or a SARIF
// security-severity is a string or a number, so any scalar is accepted. Objects and arrays
// are an error.
type jsonText string

// UnmarshalJSON accepts a string, number, boolean or null.
func (t *jsonText) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) == 0:
		return nil
	case b[0] == '"' && bytes.IndexByte(b, '\\') < 0:
		// The decoder has validated the string already; without escapes it is its bytes.
		*t = jsonText(b[1 : len(b)-1])
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = jsonText(s)
	case b[0] == '{':
		return &json.UnmarshalTypeError{Value: "object", Type: reflect.TypeFor[string]()}
	case b[0] == '[':
		return &json.UnmarshalTypeError{Value: "array", Type: reflect.TypeFor[string]()}
	case string(b) == "null":
		*t = ""
	default:
		*t = jsonText(b)
	}
	return nil
}

// int reads the text as an integer, 0 when it is not one.
func (t jsonText) int() int {
	n, err := strconv.Atoi(string(t))
	if err != nil {
		return 0
	}
	return n
}

// describeType names the JSON shape a Go type expects, for error messages.
func describeType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "a whole number"
	case reflect.Float64, reflect.Float32:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.Pointer:
		return describeType(t.Elem())
	}
	return t.String()
}
