package stats

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Rule is one service-level check, parsed from an expression such as `p95<500ms`,
// `error_rate<1%`, `throughput>=100/s` or, for one label, `"GET /api"::p99<=1s`.
//
// Grammar: [LABEL "::"] METRIC OP VALUE [UNIT]
//   - LABEL: "double-quoted" (a doubled "" is a quote) or bare text up to the last "::".
//     Without a label the rule applies to the overall figures.
//   - METRIC: pN (p50, p95, p99.9; p(95) also accepted), median, mean (avg), min, max,
//     error_rate, errors, count, throughput (rps).
//   - OP: < <= > >= ==
//   - VALUE: a number; times take ms (default), s, us or m; error_rate takes % or a
//     fraction; throughput takes /s (default) or /m.
type Rule struct {
	Text     string // the expression as given
	Label    string // label the rule is about; "" with HasLabel false means overall
	HasLabel bool
	Metric   string  // canonical metric: "p", "mean", "min", "max", "error_rate", "errors", "count", "throughput"
	P        float64 // percentile for Metric "p"
	Op       string
	Value    float64 // ms for times, 0–1 for error_rate, per second for throughput
}

// RuleError is a malformed expression; Pos is the 1-based character where it goes wrong.
type RuleError struct {
	Expr string
	Pos  int
	Msg  string
}

func (e *RuleError) Error() string {
	return fmt.Sprintf("SLA %q: at position %d: %s", e.Expr, e.Pos, e.Msg)
}

// ParseRule parses one SLA expression.
func ParseRule(expr string) (Rule, error) {
	r := Rule{Text: expr}
	fail := func(byteOff int, format string, args ...any) (Rule, error) {
		return Rule{}, &RuleError{Expr: expr, Pos: len([]rune(expr[:min(byteOff, len(expr))])) + 1, Msg: fmt.Sprintf(format, args...)}
	}
	i := 0
	skip := func() {
		for i < len(expr) && (expr[i] == ' ' || expr[i] == '\t') {
			i++
		}
	}
	skip()
	if i < len(expr) && expr[i] == '"' {
		var b strings.Builder
		j := i + 1
		for {
			if j >= len(expr) {
				return fail(i, "the quoted label is not closed")
			}
			if expr[j] == '"' {
				if j+1 < len(expr) && expr[j+1] == '"' {
					b.WriteByte('"')
					j += 2
					continue
				}
				break
			}
			b.WriteByte(expr[j])
			j++
		}
		i = j + 1
		skip()
		if !strings.HasPrefix(expr[i:], "::") {
			return fail(i, `expected "::" after the quoted label`)
		}
		r.Label, r.HasLabel = b.String(), true
		i += 2
	} else if k := strings.LastIndex(expr, "::"); k >= 0 {
		r.Label, r.HasLabel = strings.TrimSpace(expr[i:k]), true
		i = k + 2
	}
	skip()
	// Metric name.
	ms := i
	for i < len(expr) && (expr[i] >= 'a' && expr[i] <= 'z' || expr[i] >= 'A' && expr[i] <= 'Z' || expr[i] == '_') {
		i++
	}
	name := strings.ToLower(expr[ms:i])
	switch name {
	case "p":
		paren := i < len(expr) && expr[i] == '('
		if paren {
			i++
		}
		ns := i
		for i < len(expr) && (expr[i] >= '0' && expr[i] <= '9' || expr[i] == '.') {
			i++
		}
		p, err := strconv.ParseFloat(expr[ns:i], 64)
		if err != nil || p <= 0 || p > 100 {
			return fail(ns, "a percentile needs a number above 0 and at most 100, like p95 or p99.9")
		}
		if paren {
			if i >= len(expr) || expr[i] != ')' {
				return fail(i, `expected ")"`)
			}
			i++
		}
		r.Metric, r.P = "p", p
	case "median", "med":
		r.Metric, r.P = "p", 50
	case "mean", "avg":
		r.Metric = "mean"
	case "min", "max", "errors", "count", "error_rate", "throughput":
		r.Metric = name
	case "rps":
		r.Metric = "throughput"
	case "":
		return fail(ms, "expected a metric (p95, mean, min, max, error_rate, errors, count, throughput)")
	default:
		return fail(ms, "unknown metric %q; use p95, p99, median, mean, min, max, error_rate, errors, count or throughput", expr[ms:i])
	}
	skip()
	// Operator.
	os := i
	for _, op := range []string{"<=", ">=", "==", "<", ">"} {
		if strings.HasPrefix(expr[i:], op) {
			r.Op = op
			i += len(op)
			break
		}
	}
	if r.Op == "" {
		return fail(os, "expected a comparison: <, <=, >, >= or ==")
	}
	skip()
	vs := i
	for i < len(expr) && (expr[i] >= '0' && expr[i] <= '9' || expr[i] == '.') {
		i++
	}
	v, err := strconv.ParseFloat(expr[vs:i], 64)
	if err != nil || math.IsInf(v, 0) {
		return fail(vs, "expected a number")
	}
	skip()
	us := i
	unit := strings.TrimSpace(expr[i:])
	switch r.Metric {
	case "p", "mean", "min", "max":
		switch unit {
		case "", "ms":
		case "s":
			v *= 1000
		case "us", "µs":
			v /= 1000
		case "m", "min":
			v *= 60000
		default:
			return fail(us, "unknown time unit %q; use ms, s, us or m", unit)
		}
	case "error_rate":
		switch unit {
		case "%":
			v /= 100
		case "":
			if v > 1 {
				return fail(vs, "an error rate without %% is a fraction from 0 to 1; write %g%% for a percentage", v)
			}
		default:
			return fail(us, "an error rate takes %% or a plain fraction, not %q", unit)
		}
	case "throughput":
		switch unit {
		case "", "/s":
		case "/m", "/min":
			v /= 60
		default:
			return fail(us, "throughput takes /s or /m, not %q", unit)
		}
	default:
		if unit != "" {
			return fail(us, "%s is a plain count and takes no unit", r.Metric)
		}
	}
	r.Value = v
	return r, nil
}

// Figures are what a rule is checked against: one label's or the run's statistics.
type Figures struct {
	Count, Errors                        int64
	MinMS, MaxMS, MeanMS, ThroughputPerS float64
	// Percentile returns the p-th percentile in ms, and false when it is not known (a
	// pre-aggregated format that did not state it).
	Percentile func(p float64) (float64, bool)
}

// Verdict is the outcome of a rule.
type Verdict struct {
	Pass   bool
	Known  bool    // false when the figure could not be computed; Pass is then false
	Actual float64 // in the rule's unit: ms, 0–1, per second or a count
	Msg    string  // a sentence for people, naming the rule and the actual value
}

// Eval checks the rule against figures. A figure that cannot be computed fails the rule:
// a gate that cannot be checked must not pass silently.
func (r Rule) Eval(f Figures) Verdict {
	var actual float64
	known := true
	unit := "ms"
	switch r.Metric {
	case "p":
		if f.Percentile == nil {
			known = false
		} else {
			actual, known = f.Percentile(r.P)
		}
	case "mean":
		actual = f.MeanMS
	case "min":
		actual = f.MinMS
	case "max":
		actual = f.MaxMS
	case "error_rate":
		unit = ""
		if f.Count > 0 {
			actual = float64(f.Errors) / float64(f.Count)
		}
	case "errors":
		unit = ""
		actual = float64(f.Errors)
	case "count":
		unit = ""
		actual = float64(f.Count)
	case "throughput":
		unit = "/s"
		actual = f.ThroughputPerS
	}
	if f.Count == 0 && r.Metric != "count" && r.Metric != "errors" {
		known = false
	}
	if !known {
		return Verdict{Msg: fmt.Sprintf("%s: cannot be checked: the figure is not available", r.Text)}
	}
	var pass bool
	switch r.Op {
	case "<":
		pass = actual < r.Value
	case "<=":
		pass = actual <= r.Value
	case ">":
		pass = actual > r.Value
	case ">=":
		pass = actual >= r.Value
	case "==":
		pass = actual == r.Value
	}
	shown := strconv.FormatFloat(actual, 'f', -1, 64) + unit
	if r.Metric == "error_rate" {
		shown = strconv.FormatFloat(actual*100, 'f', 3, 64) + "%"
	}
	word := "violated"
	if pass {
		word = "met"
	}
	return Verdict{Pass: pass, Known: true, Actual: actual, Msg: fmt.Sprintf("%s: %s (actual %s)", r.Text, word, shown)}
}
