package agg

import (
	"sort"
	"unsafe"

	"scanboard/app/reports/parse"
)

// maxCodes bounds the distinct response codes kept per series; the rest count as OtherCode.
const maxCodes = 64

// OtherCode collects response codes beyond the first maxCodes distinct ones of a series.
const OtherCode = "(other)"

// CodeCount is how often one response code occurred.
type CodeCount struct {
	Code  string
	Count int64
}

// Counters are the additive figures kept for a label, the whole run, or a time bucket.
type Counters struct {
	Count     int64
	Errors    int64
	SumMS     float64
	MinMS     float64 // valid when Count > 0
	MaxMS     float64
	BytesRecv int64
	BytesSent int64
	// FirstStartMS and LastEndMS bound the samples in time (epoch ms; 0 when unknown).
	FirstStartMS int64
	LastEndMS    int64
	// Codes are response-code counts in first-seen order; see SortedCodes.
	Codes []CodeCount
}

// addSample adds one sample; end is its start plus its elapsed time rounded up (0 when it
// has no start), which Aggregator.Sample works out once for every series it counts in.
func (c *Counters) addSample(s *parse.Sample, end int64) {
	ms := s.ElapsedMS
	if c.Count == 0 || ms < c.MinMS {
		c.MinMS = ms
	}
	if c.Count == 0 || ms > c.MaxMS {
		c.MaxMS = ms
	}
	c.Count++
	if !s.OK {
		c.Errors++
	}
	c.SumMS += ms
	c.BytesRecv += s.BytesRecv
	c.BytesSent += s.BytesSent
	if start := s.StartMS; start != 0 {
		if c.FirstStartMS == 0 || start < c.FirstStartMS {
			c.FirstStartMS = start
		}
		if end > c.LastEndMS {
			c.LastEndMS = end
		}
	}
	// Parsers intern codes, so the code is nearly always the very same string as one
	// already counted: compare addresses before bytes.
	code := s.Code
	for i := range c.Codes {
		if e := &c.Codes[i]; len(e.Code) == len(code) && (unsafe.StringData(e.Code) == unsafe.StringData(code) || e.Code == code) {
			e.Count++
			return
		}
	}
	c.addCode(code, 1)
}

// addCode counts a code with a linear search: a series sees a handful of codes, and the
// parsers intern them, so this is cheaper than a map.
func (c *Counters) addCode(code string, n int64) {
	for i := range c.Codes {
		if e := &c.Codes[i]; unsafe.StringData(e.Code) == unsafe.StringData(code) && len(e.Code) == len(code) {
			e.Count += n
			return
		}
	}
	for i := range c.Codes {
		if c.Codes[i].Code == code {
			c.Codes[i].Count += n
			return
		}
	}
	if len(c.Codes) >= maxCodes {
		code = OtherCode
		for i := range c.Codes {
			if c.Codes[i].Code == code {
				c.Codes[i].Count += n
				return
			}
		}
	}
	c.Codes = append(c.Codes, CodeCount{Code: code, Count: n})
}

// Merge adds o into c.
func (c *Counters) Merge(o *Counters) {
	if o.Count == 0 {
		return
	}
	if c.Count == 0 || o.MinMS < c.MinMS {
		c.MinMS = o.MinMS
	}
	if c.Count == 0 || o.MaxMS > c.MaxMS {
		c.MaxMS = o.MaxMS
	}
	c.Count += o.Count
	c.Errors += o.Errors
	c.SumMS += o.SumMS
	c.BytesRecv += o.BytesRecv
	c.BytesSent += o.BytesSent
	if o.FirstStartMS != 0 && (c.FirstStartMS == 0 || o.FirstStartMS < c.FirstStartMS) {
		c.FirstStartMS = o.FirstStartMS
	}
	c.LastEndMS = max(c.LastEndMS, o.LastEndMS)
	for _, cc := range o.Codes {
		c.addCode(cc.Code, cc.Count)
	}
}

// MeanMS is the arithmetic mean response time, 0 when there are no samples.
func (c *Counters) MeanMS() float64 {
	if c.Count == 0 {
		return 0
	}
	return c.SumMS / float64(c.Count)
}

// ErrorRate is errors/count (0–1), 0 when there are no samples.
func (c *Counters) ErrorRate() float64 {
	if c.Count == 0 {
		return 0
	}
	return float64(c.Errors) / float64(c.Count)
}

// ThroughputPerS follows JMeter's per-label definition: samples divided by the time from the
// first start to the last end of those samples. It is 0 when the span is unknown or empty.
func (c *Counters) ThroughputPerS() float64 {
	span := c.LastEndMS - c.FirstStartMS
	if c.FirstStartMS == 0 || span <= 0 {
		return 0
	}
	return float64(c.Count) / (float64(span) / 1000)
}

// SortedCodes returns the response-code counts ordered by code.
func (c *Counters) SortedCodes() []CodeCount {
	out := append([]CodeCount(nil), c.Codes...)
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}
