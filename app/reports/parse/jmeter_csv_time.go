package parse

import (
	"fmt"
	"strings"
	"time"
)

// jmeterFallbackLayouts are the patterns JMeter (2.9+) retries, in its order, when a timestamp
// is not an integer: yyyy/MM/dd HH:mm:ss.SSS, yyyy/MM/dd HH:mm:ss, yyyy-MM-dd HH:mm:ss.SSS,
// yyyy-MM-dd HH:mm:ss and MM/dd/yy HH:mm:ss.
var jmeterFallbackLayouts = []string{
	"2006/01/02 15:04:05.000",
	"2006/01/02 15:04:05",
	"2006-01-02 15:04:05.000",
	"2006-01-02 15:04:05",
	"01/02/06 15:04:05",
}

// SimpleDateFormatLayout converts a Java SimpleDateFormat pattern (as set in JMeter's
// jmeter.save.saveservice.timestamp_format) to a Go time layout. It supports the letters
// JMeter users set in practice: y M d H h m s S a E z Z X and 'quoted literals'.
func SimpleDateFormatLayout(pattern string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(pattern); {
		c := pattern[i]
		if c == '\'' {
			j := i + 1
			for j < len(pattern) && pattern[j] != '\'' {
				j++
			}
			if j >= len(pattern) {
				return "", fmt.Errorf("date pattern %q: unclosed quote at position %d", pattern, i+1)
			}
			if j == i+1 {
				b.WriteByte('\'') // '' is a literal quote
			} else {
				b.WriteString(pattern[i+1 : j])
			}
			i = j + 1
			continue
		}
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			b.WriteByte(c)
			i++
			continue
		}
		n := 1
		for i+n < len(pattern) && pattern[i+n] == c {
			n++
		}
		var s string
		switch c {
		case 'y':
			s = "2006"
			if n == 2 {
				s = "06"
			}
		case 'M':
			s = map[int]string{1: "1", 2: "01", 3: "Jan"}[n]
			if n >= 4 {
				s = "January"
			}
		case 'd':
			s = "02"
			if n == 1 {
				s = "2"
			}
		case 'H':
			s = "15"
		case 'h':
			s = "03"
			if n == 1 {
				s = "3"
			}
		case 'm':
			s = "04"
			if n == 1 {
				s = "4"
			}
		case 's':
			s = "05"
			if n == 1 {
				s = "5"
			}
		case 'S':
			// Go spells fractional seconds as part of the seconds field, so the separator
			// before S must already have been written.
			out := b.String()
			if len(out) == 0 || (out[len(out)-1] != '.' && out[len(out)-1] != ',') {
				return "", fmt.Errorf("date pattern %q: milliseconds (S) must follow '.' or ','", pattern)
			}
			s = strings.Repeat("0", n)
		case 'a':
			s = "PM"
		case 'E':
			s = "Mon"
			if n >= 4 {
				s = "Monday"
			}
		case 'z':
			s = "MST"
		case 'Z':
			s = "-0700"
		case 'X':
			s = map[int]string{1: "Z07", 2: "Z0700"}[n]
			if n >= 3 {
				s = "Z07:00"
			}
		default:
			return "", fmt.Errorf("date pattern %q: letter %q at position %d is not supported", pattern, c, i+1)
		}
		b.WriteString(s)
		i += n
	}
	return b.String(), nil
}

// timeParser turns timestamp cells into Unix epoch milliseconds. In auto mode it accepts epoch
// milliseconds and, like JMeter, locks onto the first fallback pattern that matches.
type timeParser struct {
	layout string // fixed layout; "" in auto mode until a fallback pattern matched
	fixed  bool   // layout came from the caller: never fall back to epoch ms
	loc    *time.Location
}

func (tp *timeParser) parse(b []byte) (int64, bool) {
	if !tp.fixed {
		if v, ok := parseInt(b); ok {
			return v, true
		}
	}
	if tp.layout != "" {
		t, err := time.ParseInLocation(tp.layout, string(b), tp.loc)
		if err != nil {
			return 0, false
		}
		return t.UnixMilli(), true
	}
	s := string(b)
	for _, l := range jmeterFallbackLayouts {
		if t, err := time.ParseInLocation(l, s, tp.loc); err == nil {
			tp.layout = l
			return t.UnixMilli(), true
		}
	}
	return 0, false
}

// parseDateOnly tries only the date patterns (not epoch ms), without locking onto one.
func (tp *timeParser) parseDateOnly(b []byte) (int64, bool) {
	s := string(b)
	for _, l := range jmeterFallbackLayouts {
		if t, err := time.ParseInLocation(l, s, time.UTC); err == nil {
			return t.UnixMilli(), true
		}
	}
	return 0, false
}
