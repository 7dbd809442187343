package parse

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// CSVOptions configures ReadJMeterCSV. The zero value reads what JMeter writes by default.
type CSVOptions struct {
	// File names the input in error messages.
	File string
	// Columns is the column set of a headerless file, by save-service header name, in file
	// order. Nil means DefaultJMeterColumns. Ignored when the file has a header line.
	Columns []string
	// Delimiter is the field separator; 0 sniffs ',', '\t', ';' or '|' from the first line.
	Delimiter byte
	// TimeFormat is JMeter's timestamp_format as a SimpleDateFormat pattern
	// (e.g. "yyyy/MM/dd HH:mm:ss.SSS"). Empty accepts epoch milliseconds and, like JMeter,
	// the common date patterns, locking onto the first that matches.
	TimeFormat string
	// Location is the zone of formatted timestamps without a zone (JMeter writes the JVM's
	// local zone). Nil means UTC.
	Location *time.Location
	// BufferSize is the read buffer; 0 means 4 MiB. Rows longer than 64 MiB are an error.
	BufferSize int
}

const (
	defaultCSVBuffer = 4 << 20
	maxCSVRecord     = 64 << 20
	// internLimit bounds the interning tables so a file with a unique message per row
	// cannot grow them without end; past it strings are simply allocated.
	internLimit = 1 << 14
	tcPrefix    = "Number of samples in transaction"
)

// ReadJMeterCSV reads a JMeter CSV results file (JTL) and hands each row to sink in file order.
//
// The header line, if present, decides the columns (any subset and order of save-service
// names, plus quoted sample variables); otherwise opt.Columns or the default set is used.
// Transaction-controller rows (response message "Number of samples in transaction …") have
// Transaction set; "<parent>-N" sub-result rows that follow their parent on the same thread
// have Sub set. The *Sample handed to sink is reused for the next row: a sink that keeps it
// must copy the struct (its strings may be kept as they are).
//
// A malformed row, or a file that ends inside a quoted field or mid-row, is a *Error with
// line and column; rows already handed to sink are not taken back, so callers treat the
// whole file as failed.
func ReadJMeterCSV(r io.Reader, opt CSVOptions, sink SampleSink) error {
	size := opt.BufferSize
	if size <= 0 {
		size = defaultCSVBuffer
	}
	loc := opt.Location
	if loc == nil {
		loc = time.UTC
	}
	p := &csvParser{
		opt:    opt,
		r:      r,
		sink:   sink,
		buf:    make([]byte, size),
		line:   1,
		tp:     timeParser{loc: loc},
		labels: make(map[string]string),
		codes:  make(map[string]string),
		msgs:   make(map[string]string),
	}
	if opt.TimeFormat != "" {
		layout, err := SimpleDateFormatLayout(opt.TimeFormat)
		if err != nil {
			return &Error{File: opt.File, Msg: err.Error()}
		}
		p.tp.layout, p.tp.fixed = layout, true
	}
	return p.run()
}

type csvSpan struct {
	quoted     bool // s, e index scratch rather than buf
	s, e, from int  // from: buffer offset of the field's first byte
}

type csvParser struct {
	opt  CSVOptions
	r    io.Reader
	sink SampleSink

	buf      []byte
	pos, end int // unread bytes are buf[pos:end]
	eof      bool
	readErr  error
	line     int // line number of the record being read
	delim    byte
	recStart int
	recLines int

	fields  [][]byte
	fstart  []int
	spans   []csvSpan
	scratch []byte

	cols   []jmeterColumn
	header []string
	at     [colURL + 1]int // field index of each known column, -1 when absent

	tp                   timeParser
	labels, codes, msgs  map[string]string
	labelCache           [256]cachedLabel
	s                    Sample
	prevLabel            string
	prevThread           []byte
	prevStart, prevEnd   int64
	prevValid, hasStamps bool
}

func (p *csvParser) errAt(off int, format string, args ...any) *Error {
	line, col := p.lineCol(off)
	return &Error{File: p.opt.File, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

// lineCol turns a buffer offset inside the current record into a 1-based line and column
// (in characters); it is only called on the error path.
func (p *csvParser) lineCol(off int) (int, int) {
	if off < p.recStart {
		off = p.recStart
	}
	if off > p.end {
		off = p.end
	}
	rec := p.buf[p.recStart:off]
	line := p.line + bytes.Count(rec, []byte{'\n'})
	ls := p.recStart
	if i := bytes.LastIndexByte(rec, '\n'); i >= 0 {
		ls = p.recStart + i + 1
	}
	return line, utf8.RuneCount(p.buf[ls:off]) + 1
}

// fill moves the unread tail to the front of the buffer and reads more. It grows the buffer
// when one record does not fit.
func (p *csvParser) fill() error {
	if p.pos > 0 {
		n := copy(p.buf, p.buf[p.pos:p.end])
		p.end = n
		p.pos = 0
		p.recStart = 0
	}
	if p.end == len(p.buf) {
		if len(p.buf) >= maxCSVRecord {
			return p.errAt(p.pos, "a row is longer than %d MiB; is this really a JMeter CSV file?", maxCSVRecord>>20)
		}
		nb := make([]byte, 2*len(p.buf))
		copy(nb, p.buf[:p.end])
		p.buf = nb
	}
	for {
		n, err := p.r.Read(p.buf[p.end:])
		p.end += n
		if err == io.EOF {
			p.eof = true
			return nil
		}
		if err != nil {
			return &Error{File: p.opt.File, Line: p.line, Msg: "read failed: " + err.Error()}
		}
		if n > 0 {
			return nil
		}
	}
}

func (p *csvParser) run() error {
	if err := p.sniff(); err != nil {
		return err
	}
	for {
		ok, err := p.readRecord()
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		if err := p.row(); err != nil {
			return err
		}
		p.line += p.recLines
	}
}

// readRecord splits the next record into p.fields. Lines without a quote take a fast path;
// quoted fields may span lines and need the quote-aware scanner.
func (p *csvParser) readRecord() (bool, error) {
	for {
		p.recStart = p.pos
		data := p.buf[p.pos:p.end]
		nl := bytes.IndexByte(data, '\n')
		if nl < 0 && !p.eof {
			if err := p.fill(); err != nil {
				return false, err
			}
			continue
		}
		if len(data) == 0 {
			return false, nil
		}
		line := data
		if nl >= 0 {
			line = data[:nl]
		}
		if bytes.IndexByte(line, '"') < 0 {
			p.pos += len(line)
			if nl >= 0 {
				p.pos++
			}
			if n := len(line); n > 0 && line[n-1] == '\r' {
				line = line[:n-1]
			}
			p.splitSimple(line)
			p.recLines = 1
			return true, nil
		}
		n, done, err := p.splitQuoted(data)
		if err != nil {
			return false, err
		}
		if !done {
			if err := p.fill(); err != nil {
				return false, err
			}
			continue
		}
		p.pos += n
		return true, nil
	}
}

// splitSimple splits a line that has no quote. It tests eight bytes at a time for the
// delimiter (SWAR), which on slow cores is several times faster than a byte loop; it returns
// false, having split nothing, if it meets a quote after all.
func (p *csvParser) splitSimple(line []byte) {
	p.fields = p.fields[:0]
	p.fstart = p.fstart[:0]
	d := p.delim
	dm := uint64(d) * lsb8
	s := 0
	i := 0
	for ; i+8 <= len(line); i += 8 {
		t := zeroBytes(binary.LittleEndian.Uint64(line[i:]) ^ dm)
		for t != 0 {
			j := i + bits.TrailingZeros64(t)>>3
			p.fields = append(p.fields, line[s:j])
			p.fstart = append(p.fstart, p.recStart+s)
			s = j + 1
			t &= t - 1
		}
	}
	for ; i < len(line); i++ {
		if line[i] == d {
			p.fields = append(p.fields, line[s:i])
			p.fstart = append(p.fstart, p.recStart+s)
			s = i + 1
		}
	}
	p.fields = append(p.fields, line[s:])
	p.fstart = append(p.fstart, p.recStart+s)
}

const (
	lsb8 = 0x0101010101010101
	low7 = 0x7F7F7F7F7F7F7F7F
)

// zeroBytes has the top bit set in exactly the bytes of x that are zero (no false positives
// from borrows, unlike the shorter has-zero trick).
func zeroBytes(x uint64) uint64 {
	t := (x & low7) + low7
	return ^(t | x | low7)
}

// splitQuoted parses one record that contains quotes, following JMeter's reader: a quoted
// field may hold the delimiter, CR/LF and doubled quotes; a quote inside an unquoted field
// or a character other than a delimiter or line end after a closing quote is an error. It
// returns done=false when the record continues past the buffered data.
func (p *csvParser) splitQuoted(data []byte) (int, bool, error) {
	p.spans = p.spans[:0]
	p.scratch = p.scratch[:0]
	lines := 1
	base := p.recStart
	i := 0
	finish := func(n int) (int, bool, error) {
		p.recLines = lines
		p.fields = p.fields[:0]
		p.fstart = p.fstart[:0]
		for _, sp := range p.spans {
			if sp.quoted {
				p.fields = append(p.fields, p.scratch[sp.s:sp.e])
			} else {
				p.fields = append(p.fields, p.buf[sp.s:sp.e])
			}
			p.fstart = append(p.fstart, sp.from)
		}
		return n, true, nil
	}
	for {
		fs := i
		if i < len(data) && data[i] == '"' {
			i++
			ss := len(p.scratch)
			for {
				if i >= len(data) {
					if p.eof {
						return 0, false, p.errAt(base+fs, "the file ends inside a quoted field that starts here (truncated file?)")
					}
					return 0, false, nil
				}
				c := data[i]
				if c == '"' {
					if i+1 >= len(data) && !p.eof {
						return 0, false, nil
					}
					if i+1 < len(data) && data[i+1] == '"' {
						p.scratch = append(p.scratch, '"')
						i += 2
						continue
					}
					i++
					break
				}
				if c == '\n' {
					lines++
				}
				p.scratch = append(p.scratch, c)
				i++
			}
			p.spans = append(p.spans, csvSpan{quoted: true, s: ss, e: len(p.scratch), from: base + fs})
			if i >= len(data) {
				if !p.eof {
					return 0, false, nil
				}
				return finish(i)
			}
			switch c := data[i]; {
			case c == p.delim:
				i++
				continue
			case c == '\n':
				return finish(i + 1)
			case c == '\r' && i+1 < len(data) && data[i+1] == '\n':
				return finish(i + 2)
			case c == '\r' && i+1 >= len(data) && !p.eof:
				return 0, false, nil
			default:
				return 0, false, p.errAt(base+i, "unexpected %q after the closing quote of a field", c)
			}
		}
		for i < len(data) && data[i] != p.delim && data[i] != '\n' {
			if data[i] == '"' {
				return 0, false, p.errAt(base+i, "a quote inside an unquoted field; quote the whole field and double the quote")
			}
			i++
		}
		e := i
		if i < len(data) && data[i] == '\n' && e > fs && data[e-1] == '\r' {
			e--
		}
		p.spans = append(p.spans, csvSpan{s: base + fs, e: base + e, from: base + fs})
		if i >= len(data) {
			if !p.eof {
				return 0, false, nil
			}
			return finish(i)
		}
		if data[i] == p.delim {
			i++
			continue
		}
		return finish(i + 1)
	}
}

// sniff reads the first line, picks the delimiter and decides whether it is a header.
func (p *csvParser) sniff() error {
	for bytes.IndexByte(p.buf[p.pos:p.end], '\n') < 0 && !p.eof {
		if err := p.fill(); err != nil {
			return err
		}
	}
	if bytes.HasPrefix(p.buf[p.pos:p.end], []byte("\xef\xbb\xbf")) {
		p.pos += 3
	}
	first := p.buf[p.pos:p.end]
	if i := bytes.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	}
	first = bytes.TrimSuffix(first, []byte{'\r'})
	if len(bytes.TrimSpace(first)) == 0 {
		if p.eof && p.pos == p.end {
			return nil // an empty file has no samples
		}
		return &Error{File: p.opt.File, Line: 1, Msg: "the first line is empty; expected a JMeter CSV header or row"}
	}
	candidates := []byte(",\t;|")
	if p.opt.Delimiter != 0 {
		candidates = []byte{p.opt.Delimiter}
	}
	for _, d := range candidates {
		cells := strings.Split(string(first), string(d))
		if cols, ok := headerColumns(cells); ok {
			p.delim = d
			p.setColumns(cols)
			if _, err := p.readRecord(); err != nil {
				return err
			}
			p.header = make([]string, len(p.fields))
			for i, f := range p.fields {
				p.header[i] = string(f)
			}
			p.line += p.recLines
			return p.checkRequired()
		}
	}
	names := p.opt.Columns
	if names == nil {
		names = DefaultJMeterColumns()
	}
	cols := make([]jmeterColumn, len(names))
	for i, n := range names {
		c, ok := lookupJMeterColumn(n)
		if !ok && !isSampleVariableCell(n) {
			return &Error{File: p.opt.File, Msg: fmt.Sprintf("column %q in the configured column list is not a JMeter save-service column", n)}
		}
		cols[i] = c
	}
	p.delim = candidates[0]
	best := -1
	for _, d := range candidates {
		n := countOutsideQuotes(first, d)
		if n+1 == len(cols) {
			p.delim = d
			break
		}
		if n > best {
			best, p.delim = n, d
		}
	}
	p.setColumns(cols)
	return p.checkRequired()
}

func (p *csvParser) checkRequired() error {
	if p.at[colElapsed] < 0 {
		return &Error{File: p.opt.File, Line: 1, Msg: "no elapsed column: JMeter CSV needs at least the elapsed time of each sample"}
	}
	return nil
}

func (p *csvParser) setColumns(cols []jmeterColumn) {
	p.cols = cols
	for i := range p.at {
		p.at[i] = -1
	}
	for i, c := range cols {
		if c != colOther {
			p.at[c] = i
		}
	}
}

// headerColumns reports whether cells form a JMeter header: every cell a save-service column
// name (each at most once), optionally followed by quoted sample-variable names.
func headerColumns(cells []string) ([]jmeterColumn, bool) {
	if len(cells) < 2 {
		return nil, false
	}
	cols := make([]jmeterColumn, len(cells))
	seen := map[string]bool{}
	vars := false
	known := 0
	for i, c := range cells {
		if isSampleVariableCell(c) {
			vars = true
			continue
		}
		col, ok := lookupJMeterColumn(c)
		if !ok || vars || seen[strings.ToLower(c)] {
			return nil, false
		}
		seen[strings.ToLower(c)] = true
		cols[i] = col
		known++
	}
	return cols, known >= 2
}

func countOutsideQuotes(b []byte, d byte) int {
	n := 0
	in := false
	for _, c := range b {
		switch {
		case c == '"':
			in = !in
		case c == d && !in:
			n++
		}
	}
	return n
}

func (p *csvParser) field(c jmeterColumn) ([]byte, bool) {
	i := p.at[c]
	if i < 0 {
		return nil, false
	}
	return p.fields[i], true
}

func (p *csvParser) isHeaderAgain() bool {
	if len(p.header) != len(p.fields) {
		return false
	}
	for i, f := range p.fields {
		if string(f) != p.header[i] {
			return false
		}
	}
	return true
}

// row converts the current record into p.s and hands it to the sink.
func (p *csvParser) row() error {
	if len(p.fields) != len(p.cols) {
		if len(p.fields) == 1 && len(p.fields[0]) == 0 {
			return nil // blank line
		}
		if len(p.fields) > len(p.cols) {
			return p.errAt(p.fstart[len(p.cols)], "row has %d fields but the columns are %d (%s); extra field starts here", len(p.fields), len(p.cols), p.columnsText())
		}
		return p.errAt(p.pos, "row has %d fields but the columns are %d (%s); the row ends early (truncated file?)", len(p.fields), len(p.cols), p.columnsText())
	}
	s := &p.s
	*s = Sample{Line: p.line, OK: true}
	if f, ok := p.field(colTimeStamp); ok {
		v, ok := p.tp.parse(f)
		if !ok {
			if p.isHeaderAgain() {
				return nil // concatenated files repeat the header
			}
			return p.fieldErr(colTimeStamp, "timeStamp %q is neither epoch milliseconds nor a date like 2024/07/01 15:00:00.123 (set the timestamp format)", f)
		}
		s.StartMS = v
		p.hasStamps = true
	}
	f, _ := p.field(colElapsed)
	if v, ok := parseInt(f); ok {
		s.ElapsedMS = float64(v)
	} else if v, err := strconv.ParseFloat(string(f), 64); err == nil && v >= 0 {
		s.ElapsedMS = v
	} else {
		if p.isHeaderAgain() {
			return nil
		}
		return p.fieldErr(colElapsed, "elapsed %q is not a number of milliseconds", f)
	}
	if f, ok := p.field(colLabel); ok {
		s.Label = p.label(f)
	}
	var code []byte
	if f, ok := p.field(colResponseCode); ok {
		code = f
		s.Code = intern(p.codes, f, internLimit)
	}
	if f, ok := p.field(colSuccess); ok {
		switch {
		case string(f) == "true":
		case string(f) == "false":
			s.OK = false
		case bytes.EqualFold(f, []byte("true")):
		case bytes.EqualFold(f, []byte("false")):
			s.OK = false
		default:
			return p.fieldErr(colSuccess, "success %q is neither true nor false", f)
		}
	} else if code != nil {
		s.OK = isSuccessCode(code)
	}
	rm, hasRM := p.field(colResponseMessage)
	if hasRM {
		s.Transaction = bytes.HasPrefix(rm, []byte(tcPrefix))
	} else {
		dt, okDT := p.field(colDataType)
		u, okURL := p.field(colURL)
		s.Transaction = okDT && okURL && len(dt) == 0 && string(u) == "null"
	}
	var err error
	if s.BytesRecv, err = p.intField(colBytes, "bytes"); err != nil {
		return err
	}
	if s.BytesSent, err = p.intField(colSentBytes, "sentBytes"); err != nil {
		return err
	}
	th, err := p.intField(colAllThreads, "allThreads")
	if err != nil {
		return err
	}
	s.Threads = int(th)
	if !s.OK {
		// Keep the text JMeter's dashboard would use as the error key: the assertion
		// message when the response code itself looks fine, else the response message.
		fm, _ := p.field(colFailureMessage)
		if len(bytes.TrimSpace(fm)) > 0 && (len(code) == 0 || isSuccessCode(code)) {
			s.Message = intern(p.msgs, fm, internLimit)
		} else {
			s.Message = intern(p.msgs, rm, internLimit)
		}
	}
	thread, _ := p.field(colThreadName)
	if p.isSubResult(s, thread) {
		s.Sub = true
	} else {
		p.prevValid = true
		p.prevLabel = s.Label
		p.prevThread = append(p.prevThread[:0], thread...)
		p.prevStart, p.prevEnd = s.StartMS, s.StartMS+int64(s.ElapsedMS)
	}
	return p.sink.Sample(s)
}

// isSubResult applies the only test CSV allows (there is no parent pointer): the label is
// "<previous top-level label>-<digits>", on the same thread, starting within the parent.
func (p *csvParser) isSubResult(s *Sample, thread []byte) bool {
	if !p.prevValid {
		return false
	}
	pl := p.prevLabel
	l := s.Label
	if len(l) < len(pl)+2 || l[len(pl)] != '-' || l[:len(pl)] != pl {
		return false
	}
	for i := len(pl) + 1; i < len(l); i++ {
		if l[i] < '0' || l[i] > '9' {
			return false
		}
	}
	if !bytes.Equal(thread, p.prevThread) {
		return false
	}
	if p.hasStamps && (s.StartMS < p.prevStart || s.StartMS > p.prevEnd) {
		return false
	}
	return true
}

func (p *csvParser) intField(c jmeterColumn, name string) (int64, error) {
	f, ok := p.field(c)
	if !ok || len(f) == 0 {
		return 0, nil
	}
	v, ok := parseInt(f)
	if !ok {
		return 0, p.fieldErr(c, "%s %q is not a whole number", name, f)
	}
	return v, nil
}

func (p *csvParser) fieldErr(c jmeterColumn, format string, args ...any) error {
	return p.errAt(p.fstart[p.at[c]], format, args...)
}

func (p *csvParser) columnsText() string {
	if p.header != nil {
		return strings.Join(p.header, string(p.delim))
	}
	names := p.opt.Columns
	if names == nil {
		names = DefaultJMeterColumns()
	}
	return strings.Join(names, ",")
}

// parseInt parses an optionally negative decimal integer without allocating.
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	neg := false
	if b[0] == '-' {
		neg = true
		b = b[1:]
		if len(b) == 0 {
			return 0, false
		}
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

func isSuccessCode(code []byte) bool {
	return len(code) == 3 && (code[0] == '2' || code[0] == '3') &&
		code[1] >= '0' && code[1] <= '9' && code[2] >= '0' && code[2] <= '9'
}

// intern returns a string equal to b, shared with earlier calls, so repeated labels and codes
// cost no allocation. Invalid UTF-8 is replaced because labels come from user scripts.
func intern(m map[string]string, b []byte, limit int) string {
	if s, ok := m[string(b)]; ok {
		return s
	}
	s := string(b)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if len(m) < limit {
		m[string(b)] = s
	}
	return s
}

// cachedLabel is one slot of a small direct-mapped cache in front of the label intern map;
// a handful of labels repeat on every row, and comparing a few bytes is cheaper than hashing.
type cachedLabel struct {
	b []byte
	s string
}

func (p *csvParser) label(f []byte) string {
	n := len(f)
	h := n
	if n > 0 {
		h = h*31 + int(f[0]) + int(f[n-1])*7 + int(f[n/2])*13
		if n > 1 {
			h += int(f[n-2]) * 131
		}
	}
	c := &p.labelCache[h&255]
	if c.b != nil && string(c.b) == string(f) {
		return c.s
	}
	s := intern(p.labels, f, internLimit)
	c.b, c.s = append(c.b[:0], f...), s
	return s
}
