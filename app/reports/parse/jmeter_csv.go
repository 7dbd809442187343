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
		labels: internCache{m: make(map[string]string)},
		codes:  internCache{m: make(map[string]string)},
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

	// The current record's fields: field i is rec[start(i):ends[i]], where start(0) is 0
	// and start(i) is ends[i-1]+1. rec is the line in buf for a record without quotes; a
	// record with quotes is unquoted into scratch, with a separator byte after each field,
	// and qpos holds the buffer offset of each field's first byte for error messages. nf is
	// the number of fields; a record without quotes may have ends for only the first need
	// of them, the fields row uses (splitFull finds the rest).
	rec     []byte
	ends    []uint32
	nf      int
	need    int
	quoted  bool
	qpos    []int
	scratch []byte

	cols   []jmeterColumn
	header []string
	at     [colURL + 1]int // field index of each known column, -1 when absent

	tp                   timeParser
	labels, codes        internCache
	msgs                 map[string]string
	s                    Sample
	prevLabel            string
	prevStart, prevEnd   int64
	prevValid, hasStamps bool
	// The thread name of the previous top-level row, for telling sub-results. Rows that
	// have a sub-result are rare, so it is kept as a place in buf (from, to) and copied into
	// prevThread only before fill moves buf's contents, or at once from scratch.
	prevThread       []byte
	prevFrom, prevTo int
	prevInBuf        bool
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
	p.ownPrevThread()
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
			p.rec, p.quoted = line, false
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

// splitSimple records the field ends of a line that has no quote. It tests eight bytes at a
// time for the delimiter (SWAR) and writes the ends into a fixed array, so the loop carries
// no capacity checks; lines longer than fastLine take a plain loop instead. Past the fields
// row uses (need) it only counts the delimiters, which spares finding where the trailing
// columns (URL, Latency, …) end.
func (p *csvParser) splitSimple(line []byte) {
	if len(line) > fastLine {
		p.splitLong(line)
		return
	}
	if cap(p.ends) < fastLine+1 {
		p.ends = make([]uint32, 0, fastLine+1)
	}
	// A line of at most fastLine bytes has at most fastLine ends before the last one, so
	// n stays below fastLine in the loops and masking it only removes the bounds checks.
	ends := (*[fastLine + 1]uint32)(p.ends[:fastLine+1])
	dm := uint64(p.delim) * lsb8
	need := p.need
	n := 0
	b := line
	at := uint32(0) // offset of b in line
	for len(b) >= 8 {
		t := zeroBytes(binary.LittleEndian.Uint64(b) ^ dm)
		for t != 0 {
			ends[n&(fastLine-1)] = at + uint32(bits.TrailingZeros64(t)>>3)
			n++
			t &= t - 1
		}
		b = b[8:]
		at += 8
		if n >= need {
			p.countRest(line, b, n)
			return
		}
	}
	n = p.splitTail(ends, b, at, n)
	ends[n] = uint32(len(line))
	p.ends = ends[:n+1]
	p.nf = n + 1
}

// splitTail records the delimiters in the last few bytes b of a line, at offset at.
func (p *csvParser) splitTail(ends *[fastLine + 1]uint32, b []byte, at uint32, n int) int {
	for i, c := range b {
		if c == p.delim {
			ends[n&(fastLine-1)] = at + uint32(i)
			n++
		}
	}
	return n
}

// countRest finishes splitSimple once the first n ends are known, b being the rest of the
// line: it counts the remaining delimiters without recording where they are.
func (p *csvParser) countRest(line, b []byte, n int) {
	k := n
	dm := uint64(p.delim) * lsb8
	for ; len(b) >= 8; b = b[8:] {
		t := zeroBytes(binary.LittleEndian.Uint64(b) ^ dm)
		n += int((t >> 7) * lsb8 >> 56) // one bit per delimiter, summed into the top byte
	}
	n += bytes.Count(b, []byte{p.delim})
	if n == k { // the last field is the one after the ends found
		p.ends = append(p.ends[:k], uint32(len(line)))
	} else {
		p.ends = p.ends[:k]
	}
	p.nf = n + 1
}

// splitFull makes sure every field's end is known, for the rare uses of the fields that
// row does not read (errors, repeated headers).
func (p *csvParser) splitFull() {
	if !p.quoted && len(p.ends) < p.nf {
		p.splitLong(p.rec)
	}
}

// fastLine is the longest line splitSimple handles with its fixed array of ends (a power of
// two).
const fastLine = 4096

// splitLong records every field end of a line that has no quote.
func (p *csvParser) splitLong(line []byte) {
	ends := p.ends[:0]
	for i, c := range line {
		if c == p.delim {
			ends = append(ends, uint32(i))
		}
	}
	p.ends = append(ends, uint32(len(line)))
	p.nf = len(p.ends)
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
	p.ends = p.ends[:0]
	p.qpos = p.qpos[:0]
	p.scratch = p.scratch[:0]
	lines := 1
	base := p.recStart
	i := 0
	field := func(from int) {
		p.ends = append(p.ends, uint32(len(p.scratch)))
		p.qpos = append(p.qpos, from)
		p.scratch = append(p.scratch, p.delim)
	}
	finish := func(n int) (int, bool, error) {
		p.recLines = lines
		p.rec, p.quoted = p.scratch, true
		p.nf = len(p.ends)
		return n, true, nil
	}
	for {
		fs := i
		if i < len(data) && data[i] == '"' {
			i++
			for {
				// Copy up to the next quote in one go.
				k := bytes.IndexByte(data[i:], '"')
				if k < 0 {
					k = len(data) - i
				}
				chunk := data[i : i+k]
				lines += bytes.Count(chunk, []byte{'\n'})
				p.scratch = append(p.scratch, chunk...)
				i += k
				if i >= len(data) {
					if p.eof {
						return 0, false, p.errAt(base+fs, "the file ends inside a quoted field that starts here (truncated file?)")
					}
					return 0, false, nil
				}
				// data[i] is a quote: doubled, it stands for one; else it ends the field.
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
			field(base + fs)
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
		i += p.nextSpecial(data[i:])
		if i < len(data) && data[i] == '"' {
			return 0, false, p.errAt(base+i, "a quote inside an unquoted field; quote the whole field and double the quote")
		}
		e := i
		if i < len(data) && data[i] == '\n' && e > fs && data[e-1] == '\r' {
			e--
		}
		p.scratch = append(p.scratch, data[fs:e]...)
		field(base + fs)
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

// nextSpecial returns the index of the first delimiter, line feed or quote in b, or len(b),
// testing eight bytes at a time.
func (p *csvParser) nextSpecial(b []byte) int {
	dm := uint64(p.delim) * lsb8
	const nm, qm = '\n' * lsb8, '"' * lsb8
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		if t := zeroBytes(x^dm) | zeroBytes(x^nm) | zeroBytes(x^qm); t != 0 {
			return i + bits.TrailingZeros64(t)>>3
		}
	}
	for ; i < len(b); i++ {
		if c := b[i]; c == p.delim || c == '\n' || c == '"' {
			return i
		}
	}
	return len(b)
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
			p.splitFull()
			p.header = make([]string, len(p.ends))
			for i := range p.ends {
				p.header[i] = string(p.fieldAt(i))
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
	// row reads dataType and URL only when there is no responseMessage.
	p.need = 1
	for c, i := range p.at {
		if i >= 0 && (p.at[colResponseMessage] < 0 || c != int(colDataType) && c != int(colURL)) {
			p.need = max(p.need, i+1)
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

// fieldAt returns field i of the current record.
func (p *csvParser) fieldAt(i int) []byte {
	s := uint32(0)
	if i > 0 {
		s = p.ends[i-1] + 1
	}
	return p.rec[s:p.ends[i]]
}

// fieldStart is the buffer offset of field i's first byte, for error messages.
func (p *csvParser) fieldStart(i int) int {
	if p.quoted {
		return p.qpos[i]
	}
	if i == 0 {
		return p.recStart
	}
	return p.recStart + int(p.ends[i-1]) + 1
}

func (p *csvParser) field(c jmeterColumn) ([]byte, bool) {
	i := p.at[c]
	if i < 0 {
		return nil, false
	}
	return p.fieldAt(i), true
}

func (p *csvParser) isHeaderAgain() bool {
	if len(p.header) != p.nf {
		return false
	}
	p.splitFull()
	for i, h := range p.header {
		if string(p.fieldAt(i)) != h {
			return false
		}
	}
	return true
}

// row converts the current record into p.s and hands it to the sink.
func (p *csvParser) row() error {
	if n := p.nf; n != len(p.cols) {
		if n == 1 && p.ends[0] == 0 {
			return nil // blank line
		}
		if n > len(p.cols) {
			p.splitFull()
			return p.errAt(p.fieldStart(len(p.cols)), "row has %d fields but the columns are %d (%s); extra field starts here", n, len(p.cols), p.columnsText())
		}
		// Point at the end of the row's text, before its line break: p.pos is already on
		// the next line.
		end := p.pos
		for _, c := range []byte{'\n', '\r'} {
			if end > p.recStart && p.buf[end-1] == c {
				end--
			}
		}
		return p.errAt(end, "row has %d fields but the columns are %d (%s); the row ends early (truncated file?)", n, len(p.cols), p.columnsText())
	}
	s := &p.s
	*s = Sample{Line: p.line, OK: true}
	if f, ok := p.field(colTimeStamp); ok {
		var v int64
		ok = false
		if n := len(f); n > 8 && n <= 16 && cap(f) >= 16 && !p.tp.fixed {
			// Epoch milliseconds, what JMeter writes by default: parseInt's case of 9 to
			// 16 digits, written out.
			hi := binary.LittleEndian.Uint64(f[:8])
			lo := binary.LittleEndian.Uint64(f[8:16])<<(uint(16-n)*8&63) | zeroPad[(n-8)&15]
			if eightDigits(hi) && eightDigits(lo) {
				v, ok = int64(parseEight(hi)*pow10[(n-8)&15]+parseEight(lo)), true
			}
		}
		if !ok && !p.tp.fixed {
			v, ok = parseInt(f)
		}
		if !ok {
			v, ok = p.tp.parse(f)
		}
		if !ok {
			if p.isHeaderAgain() {
				return nil // concatenated files repeat the header
			}
			return p.fieldErr(colTimeStamp, "timeStamp %q is neither epoch milliseconds nor a date like 2024/07/01 15:00:00.123 (set the timestamp format)", f)
		}
		s.StartMS = v
		p.hasStamps = true
	}
	var nums [4]int64 // elapsed, bytes, sentBytes, allThreads
	bad := p.numbers(&nums)
	f, _ := p.field(colElapsed)
	if bad&1 == 0 {
		s.ElapsedMS = float64(nums[0])
	} else if v, err := strconv.ParseFloat(string(f), 64); err == nil && v >= 0 {
		s.ElapsedMS = v
	} else {
		if p.isHeaderAgain() {
			return nil
		}
		return p.fieldErr(colElapsed, "elapsed %q is not a number of milliseconds", f)
	}
	if f, ok := p.field(colLabel); ok {
		s.Label = p.labels.get(f)
	}
	var code []byte
	if f, ok := p.field(colResponseCode); ok {
		code = f
		s.Code = p.codes.get(f)
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
	for k, c := range numberColumns[1:] {
		if bad&(2<<k) != 0 {
			return p.fieldErr(c, "%s %q is not a whole number", numberNames[k], p.fieldAt(p.at[c]))
		}
	}
	s.BytesRecv, s.BytesSent, s.Threads = nums[1], nums[2], int(nums[3])
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
		if p.at[colThreadName] >= 0 && !p.quoted {
			// thread is a slice of the line, which starts at recStart in buf.
			p.prevFrom = p.recStart + cap(p.rec) - cap(thread)
			p.prevTo = p.prevFrom + len(thread)
			p.prevInBuf = true
		} else {
			p.prevThread = append(p.prevThread[:0], thread...)
			p.prevInBuf = false
		}
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
	p.ownPrevThread()
	if !bytes.Equal(thread, p.prevThread) {
		return false
	}
	if p.hasStamps && (s.StartMS < p.prevStart || s.StartMS > p.prevEnd) {
		return false
	}
	return true
}

// ownPrevThread copies the previous top-level row's thread name out of buf.
func (p *csvParser) ownPrevThread() {
	if p.prevInBuf {
		p.prevThread = append(p.prevThread[:0], p.buf[p.prevFrom:p.prevTo]...)
		p.prevInBuf = false
	}
}

// numberColumns are the whole-number columns numbers parses: elapsed (which may also be
// fractional, row's business) and the optional ones, which are 0 when absent or empty.
var (
	numberColumns = [4]jmeterColumn{colElapsed, colBytes, colSentBytes, colAllThreads}
	numberNames   = [3]string{"bytes", "sentBytes", "allThreads"}
)

// numbers parses the numberColumns into nums, setting bit k of bad when column k is not a
// whole number. Their common case, up to eight digits, is written out in the loop rather
// than left to a call of parseInt per column.
func (p *csvParser) numbers(nums *[4]int64) (bad uint8) {
	for k, c := range numberColumns {
		i := p.at[c]
		if i < 0 {
			continue
		}
		f := p.fieldAt(i)
		if n := len(f); n >= 1 && n <= 8 && cap(f) >= 8 {
			w := binary.LittleEndian.Uint64(f[:8])<<(uint(8-n)*8&63) | zeroPad[n&15]
			if eightDigits(w) {
				nums[k] = int64(parseEight(w))
				continue
			}
		}
		if len(f) == 0 && k > 0 {
			continue
		}
		v, ok := parseInt(f)
		nums[k] = v
		if !ok {
			bad |= 1 << k
		}
	}
	return bad
}

func (p *csvParser) fieldErr(c jmeterColumn, format string, args ...any) error {
	return p.errAt(p.fieldStart(p.at[c]), format, args...)
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

// parseInt parses an optionally negative decimal integer of at most 18 characters without
// allocating. Up to 16 digits are converted eight at a time (SWAR) without a branch per
// digit, whose loop exit would be mispredicted on most fields; this reads up to eight bytes
// past the end of b when b's capacity has them (they are masked off), else copies.
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
	var v uint64
	switch n := len(b); {
	case n <= 8:
		w, ok := digitWord(b)
		if !ok {
			return 0, false
		}
		v = parseEight(w)
	case n <= 16:
		hi := binary.LittleEndian.Uint64(b)
		lo, ok := digitWord(b[8:])
		if !ok || !eightDigits(hi) {
			return 0, false
		}
		v = parseEight(hi)*pow10[n-8] + parseEight(lo)
	default:
		for _, c := range b {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + uint64(c-'0')
		}
	}
	if neg {
		return -int64(v), true
	}
	return int64(v), true
}

var pow10 = [16]uint64{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000}

// digitWord returns 1–8 digits as an eight-digit word padded with leading zeros (the first
// character in the lowest byte), and whether they are all digits.
func digitWord(b []byte) (uint64, bool) {
	n := len(b)
	var w uint64
	if cap(b) >= 8 {
		w = binary.LittleEndian.Uint64(b[:8])
	} else {
		var t [8]byte
		copy(t[:], b)
		w = binary.LittleEndian.Uint64(t[:])
	}
	// n is 1 to 8: shift the digits to the top and fill the bytes below with '0'.
	w = w<<(uint(8-n)*8&63) | zeroPad[n&15]
	return w, eightDigits(w)
}

// zeroPad[n] is eight '0' digits but for the top n bytes.
var zeroPad = [16]uint64{0x3030303030303030, 0x30303030303030, 0x303030303030, 0x3030303030, 0x30303030, 0x303030, 0x3030, 0x30}

// eightDigits reports whether all eight bytes of w are ASCII digits.
func eightDigits(w uint64) bool {
	return (w&0xF0F0F0F0F0F0F0F0)|(((w+0x0606060606060606)&0xF0F0F0F0F0F0F0F0)>>4) == 0x3333333333333333
}

// parseEight converts eight ASCII digits, the first in the lowest byte, to their value:
// neighbouring digits are combined into pairs, then pairs into fours, then fours into eight.
func parseEight(w uint64) uint64 {
	w -= 0x3030303030303030
	w = w*10 + w>>8
	return ((w&0x000000FF000000FF)*(100+1000000<<32) + (w>>16&0x000000FF000000FF)*(1+10000<<32)) >> 32
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

// internCache is a small direct-mapped cache in front of an intern map: a handful of labels
// and codes repeat on every row, and comparing a few words is cheaper than hashing them.
type internCache struct {
	slots [256]cachedString
	m     map[string]string
}

// cachedString is a cache slot: the string's length and its first, second and last eight
// bytes (zero where it is shorter), which are the whole string up to 24 bytes, and beyond
// that its bytes in b.
type cachedString struct {
	n          int
	w0, w1, w2 uint64
	b          []byte
	s          string
}

func (c *internCache) get(f []byte) string {
	n := len(f)
	w0 := word8(f)
	var w1, w2 uint64
	if n > 8 {
		w2 = binary.LittleEndian.Uint64(f[n-8:])
		if n > 16 {
			w1 = binary.LittleEndian.Uint64(f[8:16])
		}
	}
	// Hash the first and last eight bytes: labels of one test plan tend to share a
	// prefix and differ at the end.
	e := &c.slots[((w0^w2*0x9E3779B97F4A7C15)^uint64(n))*0x9E3779B97F4A7C15>>56]
	if e.n == n && e.w0 == w0 && e.w1 == w1 && e.w2 == w2 && (n <= 24 || string(e.b) == string(f)) {
		return e.s // an empty slot matches only the empty string, whose interned form is ""
	}
	s := intern(c.m, f, internLimit)
	*e = cachedString{n: n, w0: w0, w1: w1, w2: w2, b: e.b[:0], s: s}
	if n > 24 {
		e.b = append(e.b, f...)
	}
	return s
}

// word8 returns the first eight bytes of b (fewer when b is shorter, zero above them) as a
// little-endian word, reading them at once when b's capacity allows.
func word8(b []byte) uint64 {
	n := len(b)
	if cap(b) < 8 {
		var t [8]byte
		copy(t[:], b)
		return binary.LittleEndian.Uint64(t[:])
	}
	w := binary.LittleEndian.Uint64(b[:8])
	if n < 8 {
		w &= 1<<(uint(n)*8&63) - 1
	}
	return w
}
