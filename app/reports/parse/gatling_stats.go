package parse

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// ReadGatlingStats reads a Gatling report's js/global_stats.json (overall figures only) or
// js/stats.json (the overall figures plus one row per request and group, groups flagged
// Transaction). Gatling ≥ 3.14 no longer writes these files. The OK-only and KO-only figures
// go to Summary.Other. Percentiles are Gatling's t-digest estimates, rounded to whole ms, at
// the default ranks 50/75/95/99. name is used only in errors.
func ReadGatlingStats(r io.Reader, name string) (*Summary, error) {
	data, err := perfReadDocument(r, name)
	if err != nil {
		return nil, err
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, perfJSONError(name, data, err)
	}
	if top == nil {
		return nil, &Error{File: name, Msg: "want a JSON object at the top level"}
	}
	sum := &Summary{Format: GatlingStats,
		PercentileMethod: "gatling t-digest, rounded to ms; ranks assumed 50/75/95/99 (gatling.conf defaults)"}

	// stats.json nests the figures under "stats" and the rows under "contents";
	// global_stats.json is the figures alone.
	figures := data
	if raw, ok := top["stats"]; ok {
		figures = raw
	}
	overall, err := gatlingDecodeStats(figures, "")
	if err != nil {
		return nil, &Error{File: name, Msg: err.Error()}
	}
	sum.Overall = overall.total
	sum.Other = append(sum.Other, overall.ok, overall.ko)

	if contents, ok := top["contents"]; ok {
		if err := gatlingWalk(contents, "contents", sum, 0); err != nil {
			return nil, &Error{File: name, Msg: err.Error()}
		}
	}
	return sum, nil
}

// gatlingWalk adds a stats.json "contents" object's rows to sum, depth first, keys sorted so
// the output is stable.
func gatlingWalk(raw json.RawMessage, where string, sum *Summary, depth int) error {
	if depth > 64 {
		return fmt.Errorf("%s: groups nested too deeply", where)
	}
	var contents map[string]json.RawMessage
	if err := json.Unmarshal(raw, &contents); err != nil {
		return fmt.Errorf("%s: want an object", where)
	}
	for _, key := range perfKeys(contents) {
		var node struct {
			Type     string          `json:"type"`
			Name     string          `json:"name"`
			Path     string          `json:"path"`
			Stats    json.RawMessage `json:"stats"`
			Contents json.RawMessage `json:"contents"`
		}
		at := where + "." + key
		if err := json.Unmarshal(contents[key], &node); err != nil {
			return fmt.Errorf("%s: want an object with type, name, path and stats", at)
		}
		if node.Type != "REQUEST" && node.Type != "GROUP" {
			return fmt.Errorf("%s: type %q, want REQUEST or GROUP", at, node.Type)
		}
		if node.Stats == nil {
			return fmt.Errorf("%s: no stats", at)
		}
		label := node.Path
		if label == "" {
			label = node.Name
		}
		st, err := gatlingDecodeStats(node.Stats, label)
		if err != nil {
			return fmt.Errorf("%s.stats: %v", at, err)
		}
		st.total.Transaction = node.Type == "GROUP"
		sum.Labels = append(sum.Labels, st.total)
		if node.Contents != nil {
			if err := gatlingWalk(node.Contents, at+".contents", sum, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// gatlingSplit holds one stats block read three ways, as Gatling states it.
type gatlingSplit struct{ total, ok, ko Stats }

// gatlingDecodeStats reads the {total, ok, ko} blocks of one stats object.
func gatlingDecodeStats(raw json.RawMessage, label string) (gatlingSplit, error) {
	var blocks map[string]json.RawMessage
	if err := json.Unmarshal(raw, &blocks); err != nil || blocks == nil {
		return gatlingSplit{}, fmt.Errorf("want a stats object")
	}
	if _, ok := blocks["numberOfRequests"]; !ok {
		return gatlingSplit{}, fmt.Errorf(`no "numberOfRequests": not Gatling stats`)
	}
	var out gatlingSplit
	if label == "" {
		label = "All Requests"
		if n, ok := blocks["name"]; ok {
			_ = json.Unmarshal(n, &label)
		}
		out.total.Label = ""
	} else {
		out.total.Label = label
	}
	out.ok.Label, out.ko.Label = label+" (OK)", label+" (KO)"
	rows := []*Stats{&out.total, &out.ok, &out.ko}
	read := func(key string, set func(s *Stats, v float64)) error {
		b, ok := blocks[key]
		if !ok {
			return nil
		}
		var tri map[string]json.RawMessage
		if err := json.Unmarshal(b, &tri); err != nil {
			return fmt.Errorf("%s: want an object {total, ok, ko}", key)
		}
		for i, part := range []string{"total", "ok", "ko"} {
			v, present, err := gatlingNumber(tri[part])
			if err != nil {
				return fmt.Errorf("%s.%s: %v", key, part, err)
			}
			if present {
				set(rows[i], v)
			}
		}
		return nil
	}
	steps := []struct {
		key string
		set func(s *Stats, v float64)
	}{
		{"numberOfRequests", func(s *Stats, v float64) { s.Count = int64(v) }},
		{"minResponseTime", func(s *Stats, v float64) { s.MinMS = v }},
		{"maxResponseTime", func(s *Stats, v float64) { s.MaxMS = v }},
		{"meanResponseTime", func(s *Stats, v float64) { s.MeanMS = v }},
		{"meanNumberOfRequestsPerSecond", func(s *Stats, v float64) { s.ThroughputPerS = v }},
	}
	// gatling.conf's default charting.indicators.percentile1..4. The stats files do not say
	// which ranks they hold, so a changed gatling.conf cannot be seen here.
	for i, p := range [4]float64{50, 75, 95, 99} {
		steps = append(steps, struct {
			key string
			set func(s *Stats, v float64)
		}{"percentiles" + strconv.Itoa(i+1), func(s *Stats, v float64) { s.putPercentile(p, v) }})
	}
	for _, st := range steps {
		if err := read(st.key, st.set); err != nil {
			return out, err
		}
	}
	out.total.Errors = out.ko.Count
	out.ko.Errors = out.ko.Count
	if out.ko.Count == 0 {
		// Gatling writes 0 for every KO figure when nothing failed; they are absent, not zero.
		out.ko = Stats{Label: out.ko.Label}
	}
	return out, nil
}

// gatlingNumber reads a stats figure: a number, or in some versions a string ("-" when absent).
func gatlingNumber(raw json.RawMessage) (float64, bool, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return 0, false, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, false, fmt.Errorf("want a number, got %s", perfShort(raw))
		}
		s = strings.TrimSpace(s)
		if s == "-" || s == "" {
			return 0, false, nil
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, false, fmt.Errorf("want a number, got %q", s)
		}
		return v, true, nil
	}
	var v float64
	if err := json.Unmarshal(raw, &v); err != nil {
		return 0, false, fmt.Errorf("want a number, got %s", perfShort(raw))
	}
	return v, true, nil
}

// perfKeys returns a map's keys sorted, for stable output.
func perfKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
