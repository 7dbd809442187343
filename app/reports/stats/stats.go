// Package stats is `mis report stats FILE… [--json] [--sla EXPR…]`: offline statistics of
// result files, with SLA rules as a one-line CI gate. It needs no server or database. The SLA
// rule parser and evaluator are exported for the dashboards, which check the same rules.
package stats

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"scanboard/app/reports/agg"
	"scanboard/app/reports/parse"
)

// Exit codes of Main.
const (
	ExitOK        = 0 // every rule met (or none given)
	ExitViolation = 1 // at least one SLA rule violated or impossible to check
	ExitBadInput  = 2 // unreadable input, unsupported format or a malformed rule
)

const usage = `usage: mis report stats FILE… [--json] [--sla EXPR]…

Prints response-time statistics of JMeter, k6, Gatling or Locust result files (gzip ok).
Several raw-sample files (e.g. one per load engine) are combined into one report.

  --json        print JSON: format, overall and labels[] instead of a table
  --sla EXPR    check a rule; repeatable. Exit 1 if any is violated.
                [LABEL::]METRIC OP VALUE[UNIT], e.g. p95<500ms  p99<=1s  error_rate<1%%
                mean<200ms  throughput>=100/s  "GET /api"::p95<300ms
`

// Main runs the command with args (the words after "stats") and returns the exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var files, exprs []string
	asJSON := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			files = append(files, args[i+1:]...)
			i = len(args)
		case a == "--json" || a == "-json":
			asJSON = true
		case a == "--sla" || a == "-sla":
			if i+1 >= len(args) {
				fmt.Fprintln(stderr, "mis report stats: --sla needs an expression, e.g. --sla 'p95<500ms'")
				return ExitBadInput
			}
			exprs = append(exprs, args[i+1])
			i++
		case strings.HasPrefix(a, "--sla="):
			exprs = append(exprs, strings.TrimPrefix(a, "--sla="))
		case a == "-h" || a == "--help":
			fmt.Fprintf(stdout, usage)
			return ExitOK
		case strings.HasPrefix(a, "-") && a != "-":
			fmt.Fprintf(stderr, "mis report stats: unknown option %q\n\n"+usage, a)
			return ExitBadInput
		default:
			files = append(files, a)
		}
	}
	if len(files) == 0 {
		fmt.Fprintf(stderr, "mis report stats: no file given\n\n"+usage)
		return ExitBadInput
	}
	rules := make([]Rule, 0, len(exprs))
	for _, e := range exprs {
		r, err := ParseRule(e)
		if err != nil {
			fmt.Fprintln(stderr, "mis report stats:", err)
			return ExitBadInput
		}
		rules = append(rules, r)
	}
	rep, err := Build(ctx, files)
	if err != nil {
		fmt.Fprintln(stderr, "mis report stats:", err)
		return ExitBadInput
	}
	if asJSON {
		err = rep.WriteJSON(stdout)
	} else {
		err = rep.WriteTable(stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "mis report stats:", err)
		return ExitBadInput
	}
	code := ExitOK
	for _, v := range Check(rep, rules) {
		if !v.Pass {
			fmt.Fprintln(stderr, "SLA", v.Msg)
			code = ExitViolation
		}
	}
	return code
}

// Check evaluates rules against a report: rules with a label against that label's row
// (a missing label fails the rule), the others against the overall row.
func Check(rep *Report, rules []Rule) []Verdict {
	out := make([]Verdict, 0, len(rules))
	for _, r := range rules {
		row := &rep.Overall
		if r.HasLabel {
			row = nil
			for i := range rep.Labels {
				if rep.Labels[i].Label == r.Label {
					row = &rep.Labels[i]
					break
				}
			}
		}
		if row == nil {
			out = append(out, Verdict{Msg: fmt.Sprintf("%s: no label %q in the results", r.Text, r.Label)})
			continue
		}
		out = append(out, r.Eval(row.Figures()))
	}
	return out
}

// Build reads, detects, parses and aggregates files into one report. Raw-sample files are
// combined; a pre-aggregated file (k6 summary, Locust stats, Gatling stats JSON) must be the
// only file, since its figures cannot be merged with others.
func Build(ctx context.Context, files []string) (*Report, error) {
	a := agg.New(agg.Options{})
	var formats []string
	for _, name := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		format, sum, err := readFile(ctx, name, a)
		if err != nil {
			return nil, err
		}
		if sum != nil {
			if len(files) > 1 {
				return nil, fmt.Errorf("%s is pre-aggregated (%s): its figures cannot be combined with other files; give it alone", name, format)
			}
			return FromSummary(sum), nil
		}
		if !contains(formats, string(format)) {
			formats = append(formats, string(format))
		}
	}
	return FromResult(strings.Join(formats, "+"), a.Result()), nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// ctxSink stops a long parse soon after the context is cancelled.
type ctxSink struct {
	ctx  context.Context
	next parse.SampleSink
	n    int
}

func (c *ctxSink) Sample(s *parse.Sample) error {
	c.n++
	if c.n&0xffff == 0 {
		if err := c.ctx.Err(); err != nil {
			return err
		}
	}
	return c.next.Sample(s)
}

// readFile feeds a raw-sample file into a, or returns the Summary of a pre-aggregated one.
func readFile(ctx context.Context, name string, a *agg.Aggregator) (parse.Format, *parse.Summary, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", nil, fmt.Errorf("cannot read %s: %w", name, errors.Unwrap(err))
	}
	defer f.Close()
	r, err := parse.Open(f, parse.OpenOptions{})
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", name, err)
	}
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(parse.DetectHeadSize)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return "", nil, fmt.Errorf("%s: %w", name, err)
	}
	format, err := parse.Detect(name, head)
	if err != nil {
		return "", nil, err
	}
	base := filepath.Base(name)
	sink := &ctxSink{ctx: ctx, next: a}
	switch format {
	case parse.JMeterCSV:
		err = parse.ReadJMeterCSV(br, parse.CSVOptions{File: base}, sink)
	case parse.JMeterXML:
		err = parse.ReadJMeterXML(br, parse.XMLOptions{File: base}, sink)
	case parse.K6JSON:
		err = parse.ReadK6JSON(br, base, sink)
	case parse.K6CSV:
		err = parse.ReadK6CSV(br, base, sink)
	case parse.GatlingLog:
		err = parse.ReadGatlingLog(br, base, sink)
	case parse.K6SummaryExport, parse.K6HandleSummary:
		sum, err := parse.ReadK6Summary(br, base)
		return format, sum, err
	case parse.LocustStats:
		sum, err := parse.ReadLocustStats(br, base)
		return format, sum, err
	case parse.GatlingStats:
		sum, err := parse.ReadGatlingStats(br, base)
		return format, sum, err
	default:
		return format, nil, fmt.Errorf("%s is a %s file: it holds no response-time statistics (report stats reads JMeter, k6, Gatling and Locust stats files)", name, format)
	}
	return format, nil, err
}
