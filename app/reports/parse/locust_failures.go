package parse

import (
	"errors"
	"io"
	"strings"
	"time"
)

// locustMaxRows bounds the failures and exceptions files, which are returned whole. Locust
// keeps one row per distinct error, so real files have at most a few thousand.
const locustMaxRows = 1_000_000

// LocustFailure is one row of Locust's PREFIX_failures.csv: a distinct error of one request.
type LocustFailure struct {
	Method      string
	Name        string
	Error       string
	Occurrences int64
	FirstSeenMS int64 // Unix epoch ms; 0 before Locust 2.44, which did not write the column
	LastSeenMS  int64 // Unix epoch ms; 0 when not written
	Line        int   // 1-based line of the row
}

// LocustException is one row of Locust's PREFIX_exceptions.csv: an exception raised in the
// user code, with its (multi-line) traceback.
type LocustException struct {
	Count     int64
	Message   string
	Traceback string
	Nodes     string // the workers (or "local") that raised it, as Locust lists them
	Line      int    // 1-based line where the row starts
}

// ReadLocustFailures reads Locust's PREFIX_failures.csv, with or without the First Seen and
// Last Seen columns. name is used only in errors.
func ReadLocustFailures(r io.Reader, name string) ([]LocustFailure, error) {
	c, err := newLocustCSV(r, name, "Method", "Name", "Error", "Occurrences")
	if err != nil {
		return nil, err
	}
	out := []LocustFailure{}
	for {
		rec, line, err := c.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(out) >= locustMaxRows {
			return nil, &Error{File: name, Line: line, Msg: "more than a million failure rows; not a Locust _failures.csv"}
		}
		f := LocustFailure{Method: c.get(rec, "Method"), Name: c.get(rec, "Name"), Error: c.get(rec, "Error"), Line: line}
		if f.Occurrences, err = c.int(rec, line, "Occurrences"); err != nil {
			return nil, err
		}
		if f.FirstSeenMS, err = c.isoTime(rec, line, "First Seen"); err != nil {
			return nil, err
		}
		if f.LastSeenMS, err = c.isoTime(rec, line, "Last Seen"); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	if err := c.finish(); err != nil {
		return nil, err
	}
	return out, nil
}

// ReadLocustExceptions reads Locust's PREFIX_exceptions.csv. name is used only in errors.
func ReadLocustExceptions(r io.Reader, name string) ([]LocustException, error) {
	c, err := newLocustCSV(r, name, "Count", "Message", "Traceback")
	if err != nil {
		return nil, err
	}
	out := []LocustException{}
	for {
		rec, line, err := c.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(out) >= locustMaxRows {
			return nil, &Error{File: name, Line: line, Msg: "more than a million exception rows; not a Locust _exceptions.csv"}
		}
		e := LocustException{Message: c.get(rec, "Message"), Traceback: c.get(rec, "Traceback"), Nodes: c.get(rec, "Nodes"), Line: line}
		if e.Count, err = c.int(rec, line, "Count"); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if err := c.finish(); err != nil {
		return nil, err
	}
	return out, nil
}

// isoTime reads an optional "YYYY-MM-DDTHH:MM:SSZ" column as Unix ms; 0 when absent or empty.
func (c *locustCSV) isoTime(rec []string, line int, col string) (int64, error) {
	s := strings.TrimSpace(c.get(rec, col))
	if s == "" {
		return 0, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return 0, c.fieldErr(line, col, "%q is not an ISO 8601 time like 2024-07-01T15:00:04Z", s)
	}
	return t.UnixMilli(), nil
}
