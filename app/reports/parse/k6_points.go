package parse

import (
	"math"
	"strconv"
)

// k6MaxLine bounds one line of k6 point output. A real point is about 340 bytes; a longer
// line means the input is not what it claims to be, and refusing it keeps memory flat.
const k6MaxLine = 1 << 20

// k6Tags are the system tags a request sample is built from.
type k6Tags struct {
	Name             string `json:"name"`
	URL              string `json:"url"`
	Status           string `json:"status"`
	ExpectedResponse string `json:"expected_response"`
	Error            string `json:"error"`
	ErrorCode        string `json:"error_code"`
}

// k6Assembler turns k6 metric points into request samples. Both point outputs carry the
// same points in the same order, so the JSON and CSV readers share it.
//
// A request's outcome is its expected_response tag. When that system tag was turned off,
// the http_req_failed point k6 emits right after http_req_duration (same time, same tags)
// decides instead, so the sample is held back until that point or the next request arrives.
type k6Assembler struct {
	sink    SampleSink
	labels  map[string]string // interned labels, codes and messages
	threads int               // last vus gauge value
	pending Sample
	pendNs  int64 // end time of the held sample, ns
	pendURL string
	held    bool
}

func newK6Assembler(sink SampleSink) *k6Assembler {
	return &k6Assembler{sink: sink, labels: map[string]string{}}
}

func (a *k6Assembler) intern(s string) string {
	if s == "" {
		return ""
	}
	if v, ok := a.labels[s]; ok {
		return v
	}
	// Bound the table: a run with unbounded distinct URLs must not grow memory forever.
	if len(a.labels) > 1<<16 {
		return s
	}
	a.labels[s] = s
	return s
}

// duration handles an http_req_duration point that ended at endNs (Unix ns).
func (a *k6Assembler) duration(line int, endNs int64, value float64, tags *k6Tags) error {
	if err := a.flush(); err != nil {
		return err
	}
	label := tags.Name
	if label == "" {
		label = tags.URL
	}
	// k6 stamps the point with the request's end; the sample starts duration ms earlier.
	endMS := float64(endNs) / 1e6
	s := Sample{
		Label:     a.intern(label),
		StartMS:   int64(math.Round(endMS - value)),
		ElapsedMS: value,
		Code:      a.intern(tags.Status),
		Threads:   a.threads,
		Line:      line,
	}
	switch tags.ExpectedResponse {
	case "true":
		s.OK = true
		return a.sink.Sample(&s)
	case "false":
		s.Message = a.message(tags)
		return a.sink.Sample(&s)
	}
	a.pending, a.pendNs, a.pendURL, a.held = s, endNs, tags.URL, true
	a.pending.Message = a.message(tags)
	return nil
}

func (a *k6Assembler) message(tags *k6Tags) string {
	if tags.Error != "" {
		return a.intern(tags.Error)
	}
	if tags.ErrorCode != "" {
		return a.intern("error_code " + tags.ErrorCode)
	}
	return ""
}

// failed handles an http_req_failed point: 1 means the request failed.
func (a *k6Assembler) failed(endNs int64, value float64, tags *k6Tags) error {
	if !a.held || endNs != a.pendNs || tags.URL != a.pendURL {
		return nil
	}
	a.held = false
	s := a.pending // hand out a copy: the sink may keep what it is given
	s.OK = value == 0
	if s.OK {
		s.Message = ""
	}
	return a.sink.Sample(&s)
}

func (a *k6Assembler) vus(value float64) {
	if value >= 0 && value < math.MaxInt32 {
		a.threads = int(value)
	}
}

// flush emits a held sample that no http_req_failed point settled. k6's default response
// callback treats 200–399 as expected, so that is the judgement used.
func (a *k6Assembler) flush() error {
	if !a.held {
		return nil
	}
	a.held = false
	s := a.pending
	code, err := strconv.Atoi(s.Code)
	s.OK = err == nil && code >= 200 && code < 400
	if s.OK {
		s.Message = ""
	}
	return a.sink.Sample(&s)
}
