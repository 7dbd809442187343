package parse

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// locustMaxLine bounds one physical line of a Locust CSV file.
const locustMaxLine = 1 << 20

// ReadLocustStats reads Locust's PREFIX_stats.csv: one row per (method, name) becomes a label
// "METHOD name", the final "Aggregated" row the overall figures. Locust stores response times
// rounded to about two significant digits before taking percentiles, so its percentiles can
// be off by up to ~5% and may disagree with the exact min and max; PercentileMethod says so.
// BytesRecv is Average Content Size × Request Count (response bodies only). A file without
// its Aggregated row was cut off and is an error. name is used only in errors.
func ReadLocustStats(r io.Reader, name string) (*Summary, error) {
	c, err := newLocustCSV(r, name, "Name", "Request Count", "Failure Count")
	if err != nil {
		return nil, err
	}
	sum := &Summary{Format: LocustStats,
		PercentileMethod: "locust: response times rounded to ~2 significant digits before ranking (up to ~5% off)"}
	aggregated := false
	for {
		rec, line, err := c.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if aggregated {
			return nil, &Error{File: name, Line: line, Msg: "a row after the Aggregated row; Locust writes that row last"}
		}
		st, err := c.stats(rec, line)
		if err != nil {
			return nil, err
		}
		typ, nm := c.get(rec, "Type"), c.get(rec, "Name")
		if typ == "" && nm == "Aggregated" {
			aggregated = true
			st.Label = ""
			sum.Overall = st
			continue
		}
		st.Label = strings.TrimSpace(typ + " " + nm)
		sum.Labels = append(sum.Labels, st)
	}
	if !aggregated {
		return nil, &Error{File: name, Line: c.lastLine, Msg: "no Aggregated row: the file was cut off, or it is not a Locust _stats.csv"}
	}
	if err := c.finish(); err != nil {
		return nil, err
	}
	return sum, nil
}

// stats reads the figures of one _stats.csv row.
func (c *locustCSV) stats(rec []string, line int) (Stats, error) {
	var st Stats
	var err error
	if st.Count, err = c.int(rec, line, "Request Count"); err != nil {
		return st, err
	}
	if st.Errors, err = c.int(rec, line, "Failure Count"); err != nil {
		return st, err
	}
	if st.Errors > st.Count {
		return st, &Error{File: c.name, Line: line, Msg: fmt.Sprintf("Failure Count %d exceeds Request Count %d", st.Errors, st.Count)}
	}
	fields := []struct {
		col string
		dst *float64
	}{
		{"Average Response Time", &st.MeanMS},
		{"Min Response Time", &st.MinMS},
		{"Max Response Time", &st.MaxMS},
		{"Requests/s", &st.ThroughputPerS},
	}
	for _, f := range fields {
		if v, ok, err := c.float(rec, line, f.col); err != nil {
			return st, err
		} else if ok {
			*f.dst = v
		}
	}
	if size, ok, err := c.float(rec, line, "Average Content Size"); err != nil {
		return st, err
	} else if ok {
		st.BytesRecv = int64(math.Round(size * float64(st.Count)))
	}
	if st.Percentiles, err = c.percentiles(rec, line); err != nil {
		return st, err
	}
	// Locust writes 0 as the median of an entry without requests; that is no figure at all.
	if _, ok := st.Percentiles[50]; !ok && st.Count > 0 {
		if v, ok, err := c.float(rec, line, "Median Response Time"); err != nil {
			return st, err
		} else if ok {
			st.putPercentile(50, v)
		}
	}
	return st, nil
}

// locustCSV reads a Locust CSV file by header name.
type locustCSV struct {
	name     string
	cr       *csv.Reader
	tr       *perfTailReader
	col      map[string]int
	pcols    []locustPercentileCol // "50%", "99.9%", … in header order
	lastLine int
}

type locustPercentileCol struct {
	idx int
	p   float64
}

// newLocustCSV reads the header and checks that the required columns are there.
func newLocustCSV(r io.Reader, name string, required ...string) (*locustCSV, error) {
	tr := &perfTailReader{r: r, max: locustMaxLine}
	cr := csv.NewReader(tr)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, &Error{File: name, Msg: "the file is empty"}
	}
	if err != nil {
		return nil, perfCSVError(name, err, tr)
	}
	c := &locustCSV{name: name, cr: cr, tr: tr, col: map[string]int{}, lastLine: 1}
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		c.col[h] = i
		if num, ok := strings.CutSuffix(h, "%"); ok {
			if p, err := strconv.ParseFloat(num, 64); err == nil && p >= 0 && p <= 100 {
				c.pcols = append(c.pcols, locustPercentileCol{idx: i, p: p})
			}
		}
	}
	for _, req := range required {
		if _, ok := c.col[req]; !ok {
			return nil, &Error{File: name, Line: 1, Msg: fmt.Sprintf("header has no %q column; not the Locust file expected", req)}
		}
	}
	cr.FieldsPerRecord = len(header)
	return c, nil
}

// next returns the next record and its first line; io.EOF at the end.
func (c *locustCSV) next() ([]string, int, error) {
	rec, err := c.cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, 0, io.EOF
	}
	if err != nil {
		return nil, 0, perfCSVError(c.name, err, c.tr)
	}
	line, _ := c.cr.FieldPos(0)
	c.lastLine = line
	return rec, line, nil
}

// finish checks the file ended with a newline, as Python's csv module always writes one.
func (c *locustCSV) finish() error {
	if c.tr.last != '\n' {
		return &Error{File: c.name, Line: c.lastLine, Msg: "the file ends in the middle of a row (no final newline); it was cut off"}
	}
	return nil
}

func (c *locustCSV) get(rec []string, col string) string {
	if i, ok := c.col[col]; ok {
		return rec[i]
	}
	return ""
}

func (c *locustCSV) fieldErr(line int, col, format string, args ...any) error {
	column := 0
	if i, ok := c.col[col]; ok {
		_, column = c.cr.FieldPos(i)
	}
	return &Error{File: c.name, Line: line, Column: column, Msg: fmt.Sprintf("%s: ", col) + fmt.Sprintf(format, args...)}
}

// int reads a required whole-number column.
func (c *locustCSV) int(rec []string, line int, col string) (int64, error) {
	s := strings.TrimSpace(c.get(rec, col))
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 {
		return 0, c.fieldErr(line, col, "%q is not a whole number", s)
	}
	return v, nil
}

// float reads an optional number column; "N/A" and empty mean absent.
func (c *locustCSV) float(rec []string, line int, col string) (float64, bool, error) {
	if _, ok := c.col[col]; !ok {
		return 0, false, nil
	}
	s := strings.TrimSpace(c.get(rec, col))
	if s == "" || s == "N/A" {
		return 0, false, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false, c.fieldErr(line, col, "%q is not a number", s)
	}
	return v, true, nil
}

// percentiles reads the "N%" columns; nil when every one is N/A.
func (c *locustCSV) percentiles(rec []string, line int) (map[float64]float64, error) {
	var out map[float64]float64
	for _, pc := range c.pcols {
		s := strings.TrimSpace(rec[pc.idx])
		if s == "" || s == "N/A" {
			continue
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			_, column := c.cr.FieldPos(pc.idx)
			return nil, &Error{File: c.name, Line: line, Column: column, Msg: fmt.Sprintf("percentile column %s%%: %q is not a number", strconv.FormatFloat(pc.p, 'f', -1, 64), s)}
		}
		if out == nil {
			out = map[float64]float64{}
		}
		out[pc.p] = v
	}
	return out, nil
}
