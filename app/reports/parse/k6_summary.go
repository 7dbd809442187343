package parse

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
)

// perfMaxDocument bounds whole-document formats (k6 summaries, Gatling stats JSON). Real
// summaries are a few KiB; anything this large is not one, and reading it whole would defeat
// the flat-memory promise.
const perfMaxDocument = 64 << 20

// ReadK6Summary reads a k6 `--summary-export` file, the JSON a `handleSummary` function
// wrote (JSON.stringify of its data argument), or k6's opt-in machine-readable summary
// (schema 1.x, k6 ≥ 1.5); the shape is recognised from the content.
// Overall figures come from http_req_duration, http_reqs and http_req_failed; tagged
// sub-metrics such as `http_req_duration{name:…}` become labels. name is used only in errors.
func ReadK6Summary(r io.Reader, name string) (*Summary, error) {
	data, err := perfReadDocument(r, name)
	if err != nil {
		return nil, err
	}
	var doc struct {
		RootGroup json.RawMessage            `json:"root_group"`
		Metrics   map[string]json.RawMessage `json:"metrics"`
		Version   json.RawMessage            `json:"version"`
		Results   json.RawMessage            `json:"results"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, perfJSONError(name, data, err)
	}
	metrics := make(map[string]k6Metric, len(doc.Metrics))
	handle := false
	var checks []Check
	switch {
	case doc.Metrics != nil:
		for key, raw := range doc.Metrics {
			m, isHandle, err := k6DecodeMetric(key, raw)
			if err != nil {
				return nil, &Error{File: name, Msg: err.Error()}
			}
			handle = handle || isHandle
			metrics[key] = m
		}
		if checks, err = k6Checks(doc.RootGroup); err != nil {
			return nil, &Error{File: name, Msg: err.Error()}
		}
	case doc.Version != nil && doc.Results != nil:
		if checks, err = k6DecodeMachineReadable(doc.Results, metrics); err != nil {
			return nil, &Error{File: name, Msg: err.Error()}
		}
	default:
		return nil, &Error{File: name, Msg: `not a k6 summary: no "metrics" object at the top level`}
	}

	// The opt-in machine-readable summary (k6 ≥ 1.5) replaces what --summary-export writes,
	// so it counts as that format.
	sum := &Summary{Format: K6SummaryExport, PercentileMethod: "k6 linear interpolation"}
	if handle {
		sum.Format = K6HandleSummary
	}
	sum.Overall = k6Stats("", metrics, "")
	if c, ok := metrics["data_received"]; ok {
		sum.Overall.BytesRecv = int64(math.Round(c.values["count"]))
	}
	if c, ok := metrics["data_sent"]; ok {
		sum.Overall.BytesSent = int64(math.Round(c.values["count"]))
	}

	for key, m := range metrics {
		base, suffix, tagged := k6SplitSubmetric(key)
		switch {
		case base == "http_req_duration" && tagged && strings.Contains(suffix, "expected_response:"):
			// A status filter, not a label: the same requests seen through their outcome.
			sum.Other = append(sum.Other, k6TrendStats(key, m))
		case base == "http_req_duration" && tagged:
			sum.Labels = append(sum.Labels, k6Stats(k6LabelFromSuffix(suffix), metrics, "{"+suffix+"}"))
		case strings.HasPrefix(base, "http_req_"):
			// Request phases (blocked, waiting, …) and the counters already read above.
		case m.kind == "trend":
			sum.Other = append(sum.Other, k6TrendStats(key, m))
		case base == "iterations" && m.kind == "counter":
			sum.Other = append(sum.Other, Stats{Label: key, Count: int64(math.Round(m.values["count"])), ThroughputPerS: m.values["rate"]})
		}
		for _, th := range m.thresholds {
			c := Check{Name: key + ": " + th.expr, Threshold: true}
			if th.held {
				c.Passes = 1
			} else {
				c.Fails = 1
			}
			sum.Checks = append(sum.Checks, c)
		}
	}

	sum.Checks = append(checks, sum.Checks...)

	sort.Slice(sum.Labels, func(i, j int) bool { return sum.Labels[i].Label < sum.Labels[j].Label })
	sort.Slice(sum.Other, func(i, j int) bool { return sum.Other[i].Label < sum.Other[j].Label })
	// Checks first (by path), then thresholds (by metric and expression).
	sort.SliceStable(sum.Checks, func(i, j int) bool {
		a, b := sum.Checks[i], sum.Checks[j]
		if a.Threshold != b.Threshold {
			return !a.Threshold
		}
		return a.Name < b.Name
	})
	return sum, nil
}

// k6Metric is one metric of either summary shape, normalised.
type k6Metric struct {
	kind       string // trend, counter, rate, gauge
	values     map[string]float64
	thresholds []k6Threshold
}

type k6Threshold struct {
	expr string
	held bool
}

// k6DecodeMetric reads one entry of "metrics". handleSummary nests the figures under
// "values" and states the type; --summary-export flattens them, so the type is inferred.
func k6DecodeMetric(key string, raw json.RawMessage) (k6Metric, bool, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return k6Metric{}, false, fmt.Errorf("metrics.%q: want an object", key)
	}
	m := k6Metric{values: map[string]float64{}}
	values, handle := fields["values"]
	if handle {
		if t, ok := fields["type"]; ok {
			if err := json.Unmarshal(t, &m.kind); err != nil {
				return m, true, fmt.Errorf("metrics.%q.type: want a string", key)
			}
		}
		var vals map[string]json.RawMessage
		if err := json.Unmarshal(values, &vals); err != nil || vals == nil {
			return m, true, fmt.Errorf("metrics.%q.values: want an object", key)
		}
		for k, v := range vals {
			if err := k6PutNumber(m.values, k, v); err != nil {
				return m, true, fmt.Errorf("metrics.%q.values.%q: %v", key, k, err)
			}
		}
	} else {
		for k, v := range fields {
			if k == "thresholds" {
				continue
			}
			if err := k6PutNumber(m.values, k, v); err != nil {
				return m, false, fmt.Errorf("metrics.%q.%q: %v", key, k, err)
			}
		}
		// The export renames a rate's "rate" to "value" and states passes/fails.
		if _, ok := m.values["passes"]; ok {
			m.kind = "rate"
			if v, ok := m.values["value"]; ok {
				m.values["rate"] = v
			}
		} else if _, ok := m.values["count"]; ok && len(m.values) == 2 {
			m.kind = "counter"
		} else if _, ok := m.values["avg"]; ok {
			m.kind = "trend"
		} else if _, ok := m.values["med"]; ok {
			m.kind = "trend"
		} else if _, ok := m.values["value"]; ok {
			m.kind = "gauge"
		}
	}
	if th, ok := fields["thresholds"]; ok {
		var err error
		if m.thresholds, err = k6DecodeThresholds(th, handle); err != nil {
			return m, handle, fmt.Errorf("metrics.%q.thresholds: %v", key, err)
		}
	}
	return m, handle, nil
}

// k6DecodeThresholds reads both threshold encodings. In --summary-export the boolean is
// true when the threshold was CROSSED; handleSummary says {"ok": bool}.
func k6DecodeThresholds(raw json.RawMessage, handle bool) ([]k6Threshold, error) {
	var out []k6Threshold
	if handle {
		var th map[string]struct {
			OK *bool `json:"ok"`
		}
		if err := json.Unmarshal(raw, &th); err != nil {
			return nil, errors.New(`want an object of {"ok": bool}`)
		}
		for expr, v := range th {
			if v.OK == nil {
				return nil, fmt.Errorf("%q: missing \"ok\"", expr)
			}
			out = append(out, k6Threshold{expr: expr, held: *v.OK})
		}
	} else {
		var th map[string]bool
		if err := json.Unmarshal(raw, &th); err != nil {
			return nil, errors.New("want an object of booleans")
		}
		for expr, crossed := range th {
			out = append(out, k6Threshold{expr: expr, held: !crossed})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].expr < out[j].expr })
	return out, nil
}

func k6PutNumber(dst map[string]float64, key string, raw json.RawMessage) error {
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil {
		return fmt.Errorf("want a number, got %s", perfShort(raw))
	}
	dst[key] = f
	return nil
}

// k6Stats builds a Stats row from http_req_duration, http_reqs and http_req_failed with the
// given sub-metric suffix ("" for the whole run, "{name:x}" for a label).
func k6Stats(label string, metrics map[string]k6Metric, suffix string) Stats {
	s := k6TrendStats(label, metrics["http_req_duration"+suffix])
	if reqs, ok := metrics["http_reqs"+suffix]; ok {
		s.Count = int64(math.Round(reqs.values["count"]))
		s.ThroughputPerS = reqs.values["rate"]
	}
	if failed, ok := metrics["http_req_failed"+suffix]; ok {
		// A rate counts non-zero values as "passes", and http_req_failed is 1 on failure:
		// its passes are the failed requests.
		s.Errors = int64(math.Round(failed.values["passes"]))
		if s.Count == 0 {
			s.Count = s.Errors + int64(math.Round(failed.values["fails"]))
		}
	}
	return s
}

// k6TrendStats copies a trend's figures; k6 only states a count when summaryTrendStats asks
// for one.
func k6TrendStats(label string, m k6Metric) Stats {
	s := Stats{Label: label}
	for k, v := range m.values {
		switch k {
		case "min":
			s.MinMS = v
		case "max":
			s.MaxMS = v
		case "avg":
			s.MeanMS = v
		case "count":
			s.Count = int64(math.Round(v))
		case "med":
			s.putPercentile(50, v)
		default:
			if p, ok := k6PercentileKey(k); ok {
				s.putPercentile(p, v)
			}
		}
	}
	return s
}

func (s *Stats) putPercentile(p, v float64) {
	if s.Percentiles == nil {
		s.Percentiles = map[float64]float64{}
	}
	s.Percentiles[p] = v
}

// k6PercentileKey reads "p(95)" or "p(99.9)".
func k6PercentileKey(k string) (float64, bool) {
	inner, ok := strings.CutPrefix(k, "p(")
	if !ok {
		return 0, false
	}
	inner, ok = strings.CutSuffix(inner, ")")
	if !ok {
		return 0, false
	}
	p, err := strconv.ParseFloat(inner, 64)
	if err != nil || p < 0 || p > 100 {
		return 0, false
	}
	return p, true
}

// k6SplitSubmetric splits "http_req_duration{name:x}" into base and suffix.
func k6SplitSubmetric(key string) (base, suffix string, tagged bool) {
	i := strings.IndexByte(key, '{')
	if i < 0 || !strings.HasSuffix(key, "}") {
		return key, "", false
	}
	return key[:i], key[i+1 : len(key)-1], true
}

// k6LabelFromSuffix names a label after its tag filter: a lone name tag is the request name
// (as in the point streams); anything else keeps k6's own "key:value" spelling.
func k6LabelFromSuffix(suffix string) string {
	if v, ok := strings.CutPrefix(suffix, "name:"); ok && !strings.Contains(v, ",") {
		return strings.Trim(strings.TrimSpace(v), `"'`)
	}
	return suffix
}

// k6Checks collects checks from root_group, whose groups and checks are objects keyed by
// name in --summary-export and arrays in handleSummary.
func k6Checks(raw json.RawMessage) ([]Check, error) {
	if len(raw) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil, nil
	}
	var out []Check
	var walk func(raw json.RawMessage, where string, depth int) error
	walk = func(raw json.RawMessage, where string, depth int) error {
		if depth > 64 {
			return fmt.Errorf("%s: groups nested too deeply", where)
		}
		var g struct {
			Path   string          `json:"path"`
			Groups json.RawMessage `json:"groups"`
			Checks json.RawMessage `json:"checks"`
		}
		if err := json.Unmarshal(raw, &g); err != nil {
			return fmt.Errorf("%s: want a group object", where)
		}
		checks, err := k6Items(g.Checks)
		if err != nil {
			return fmt.Errorf("%s.checks: %v", where, err)
		}
		for _, c := range checks {
			var ck struct {
				Name   string `json:"name"`
				Path   string `json:"path"`
				Passes *int64 `json:"passes"`
				Fails  *int64 `json:"fails"`
			}
			if err := json.Unmarshal(c, &ck); err != nil || ck.Passes == nil || ck.Fails == nil {
				return fmt.Errorf("%s.checks: each check needs numeric passes and fails", where)
			}
			n := ck.Path
			if n == "" {
				n = g.Path + "::" + ck.Name
			}
			out = append(out, Check{Name: n, Passes: *ck.Passes, Fails: *ck.Fails})
		}
		groups, err := k6Items(g.Groups)
		if err != nil {
			return fmt.Errorf("%s.groups: %v", where, err)
		}
		for _, sub := range groups {
			if err := walk(sub, where+".groups", depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(raw, "root_group", 0); err != nil {
		return nil, err
	}
	return out, nil
}

// k6Items returns the members of a JSON array or the values of a JSON object.
func k6Items(raw json.RawMessage) ([]json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	if raw[0] == '[' {
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, errors.New("want an array or object")
		}
		return items, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, errors.New("want an array or object")
	}
	items := make([]json.RawMessage, 0, len(obj))
	for _, v := range obj {
		items = append(items, v)
	}
	return items, nil
}

// perfReadDocument reads a whole small JSON document, refusing one that is implausibly large.
func perfReadDocument(r io.Reader, name string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, perfMaxDocument+1))
	if err != nil {
		return nil, &Error{File: name, Msg: "read: " + err.Error()}
	}
	if len(data) > perfMaxDocument {
		return nil, &Error{File: name, Msg: fmt.Sprintf("larger than %d MiB; this is not a summary file", perfMaxDocument>>20)}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &Error{File: name, Msg: "the file is empty"}
	}
	return data, nil
}

// perfJSONError turns a decoding error into an *Error with the line and column it happened at.
func perfJSONError(name string, data []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		line, col := perfLineCol(data, syn.Offset)
		msg := "invalid JSON: " + syn.Error()
		if syn.Offset >= int64(len(bytes.TrimRight(data, " \t\r\n"))) {
			msg = "the file ends in the middle of the JSON document (truncated?)"
		}
		return &Error{File: name, Line: line, Column: col, Msg: msg}
	case errors.As(err, &typ):
		line, col := perfLineCol(data, typ.Offset)
		where := typ.Field
		if where == "" {
			where = "value"
		}
		return &Error{File: name, Line: line, Column: col, Msg: fmt.Sprintf("%s: want %s, got JSON %s", where, typ.Type, typ.Value)}
	case errors.Is(err, io.ErrUnexpectedEOF) || err.Error() == "unexpected end of JSON input":
		line, col := perfLineCol(data, int64(len(data)))
		return &Error{File: name, Line: line, Column: col, Msg: "the file ends in the middle of the JSON document (truncated?)"}
	default:
		return &Error{File: name, Msg: "invalid JSON: " + err.Error()}
	}
}

// perfLineCol converts a byte offset to a 1-based line and column (in bytes).
func perfLineCol(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	if off < 0 {
		off = 0
	}
	before := data[:off]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1)
	if col < 1 {
		col = 1
	}
	return line, col
}

// perfShort quotes at most 40 bytes of raw input for an error message.
func perfShort(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 40 {
		return string(raw[:40]) + "…"
	}
	return string(raw)
}

// k6DecodeMachineReadable reads the "results" of k6's schema-versioned summary into metrics
// and returns its checks. Its rates state {matches, rate, total}: matches are the non-zero
// values, i.e. the failed requests for http_req_failed, as passes are in the older shapes.
func k6DecodeMachineReadable(raw json.RawMessage, metrics map[string]k6Metric) ([]Check, error) {
	var res struct {
		Checks *struct {
			Results []struct {
				Name   string `json:"name"`
				Passes *int64 `json:"passes"`
				Fails  *int64 `json:"fails"`
			} `json:"results"`
		} `json:"checks"`
		Metrics []struct {
			Name   string                     `json:"name"`
			Type   string                     `json:"type"`
			Values map[string]json.RawMessage `json:"values"`
		} `json:"metrics"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return nil, errors.New(`results: want {"checks": {"results": [...]}, "metrics": [...]}`)
	}
	for i, m := range res.Metrics {
		if m.Name == "" {
			return nil, fmt.Errorf("results.metrics[%d]: no name", i)
		}
		km := k6Metric{kind: m.Type, values: map[string]float64{}}
		for k, v := range m.Values {
			if err := k6PutNumber(km.values, k, v); err != nil {
				return nil, fmt.Errorf("results.metrics[%d] (%s).values.%q: %v", i, m.Name, k, err)
			}
		}
		if m.Type == "rate" {
			if matches, ok := km.values["matches"]; ok {
				km.values["passes"] = matches
				km.values["fails"] = km.values["total"] - matches
			}
		}
		metrics[m.Name] = km
	}
	var checks []Check
	if res.Checks != nil {
		for i, c := range res.Checks.Results {
			if c.Passes == nil || c.Fails == nil {
				return nil, fmt.Errorf("results.checks.results[%d]: each check needs numeric passes and fails", i)
			}
			checks = append(checks, Check{Name: c.Name, Passes: *c.Passes, Fails: *c.Fails})
		}
	}
	return checks, nil
}
