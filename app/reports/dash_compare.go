package reports

import (
	"context"
	"fmt"
	"math"

	"scanboard/app/apperr"
	"scanboard/app/reports/agg"
	"scanboard/app/reports/stats"
	"scanboard/ent"
	"scanboard/ent/runlabel"
)

// Change classifies a label's difference between two runs.
const (
	ChangeSame      = "same"
	ChangeRegressed = "regressed"
	ChangeImproved  = "improved"
	ChangeNew       = "new"     // only in B
	ChangeGone      = "gone"    // only in A
	ChangeFew       = "too-few" // below the project's minimum sample count in either run
)

// CompareRow is one label of a comparison: A is the reference (baseline), B the run judged.
type CompareRow struct {
	Label  string
	A, B   *LabelStats // nil when the label is missing from that run
	DP95   *float64    // relative change of p95 in percent
	DP99   *float64
	DMean  *float64
	DTput  *float64
	DErr   *float64 // error-rate change in percentage points
	Change string
	Why    string // the figure and threshold that decided a regression or improvement
}

// Comparison is two runs of one project side by side.
type Comparison struct {
	Project *ent.Project
	A, B    *ent.Run
	Overall CompareRow
	Rows    []CompareRow
}

// Compare compares run b against run a (a = 0: the project's baseline). Both must be
// visible and of the same project.
func (d *Dash) Compare(ctx context.Context, v Viewer, a, b int) (*Comparison, error) {
	const op = "reports.Dash.Compare"
	rb, err := d.s.visibleRun(ctx, v, b)
	if err != nil {
		return nil, err
	}
	p := rb.Edges.Project
	if a == 0 {
		if p.BaselineRunID == nil {
			return nil, apperr.E(op, apperr.Invalid, apperr.Key("reports.error.no_baseline"), "the project has no baseline run: choose the run to compare with")
		}
		a = *p.BaselineRunID
	}
	ra, err := d.s.visibleRun(ctx, v, a)
	if err != nil {
		return nil, err
	}
	if ra.ProjectID != rb.ProjectID {
		return nil, apperr.E(op, apperr.Invalid, apperr.Key("reports.error.compare_projects"), "runs of different projects cannot be compared")
	}
	fa, err := d.Run(ctx, v, ra.ID)
	if err != nil {
		return nil, err
	}
	fb, err := d.Run(ctx, v, rb.ID)
	if err != nil {
		return nil, err
	}
	c := &Comparison{Project: p, A: ra, B: rb, Overall: compareRow(p, "", fa.Overall, fb.Overall)}
	la, lb := map[string]*LabelStats{}, map[string]*LabelStats{}
	for _, l := range fa.Labels {
		if l.Kind == "label" {
			la[l.Label] = l
		}
	}
	for _, l := range fb.Labels {
		if l.Kind == "label" {
			lb[l.Label] = l
		}
	}
	names := map[string]bool{}
	for n := range la {
		names[n] = true
	}
	for n := range lb {
		names[n] = true
	}
	for _, n := range sortedKeys(names) {
		c.Rows = append(c.Rows, compareRow(p, n, la[n], lb[n]))
	}
	return c, nil
}

func relDelta(a, b *float64) *float64 {
	if a == nil || b == nil || *a == 0 {
		return nil
	}
	v := round3(100 * (*b - *a) / *a)
	return &v
}

func fptr(v float64) *float64 { return &v }

// compareRow judges a label by the project's thresholds: a percentile growing by more than
// regression_pct percent or the error rate by more than regression_error_pts points is a
// regression, the mirror image an improvement, when both runs have enough samples.
func compareRow(p *ent.Project, label string, a, b *LabelStats) CompareRow {
	row := CompareRow{Label: label, A: a, B: b, Change: ChangeSame}
	switch {
	case a == nil:
		row.Change = ChangeNew
		return row
	case b == nil:
		row.Change = ChangeGone
		return row
	}
	row.DP95, row.DP99 = relDelta(a.P95, b.P95), relDelta(a.P99, b.P99)
	row.DMean = relDelta(fptr(a.MeanMS), fptr(b.MeanMS))
	row.DTput = relDelta(fptr(a.ThroughputPerS), fptr(b.ThroughputPerS))
	row.DErr = fptr(round3(b.ErrorPct - a.ErrorPct))
	if a.Count < int64(p.RegressionMinCount) || b.Count < int64(p.RegressionMinCount) {
		row.Change = ChangeFew
		return row
	}
	type check struct {
		name  string
		delta *float64
		limit float64
		unit  string
	}
	checks := []check{{"p95", row.DP95, p.RegressionPct, "%"}, {"p99", row.DP99, p.RegressionPct, "%"}, {"error rate", row.DErr, p.RegressionErrorPts, " pts"}}
	for _, ch := range checks {
		if ch.delta != nil && *ch.delta > ch.limit {
			row.Change, row.Why = ChangeRegressed, fmt.Sprintf("%s %+g%s > %g%s", ch.name, *ch.delta, ch.unit, ch.limit, ch.unit)
			return row
		}
	}
	for _, ch := range checks {
		if ch.delta != nil && *ch.delta < -ch.limit {
			row.Change, row.Why = ChangeImproved, fmt.Sprintf("%s %+g%s < -%g%s", ch.name, *ch.delta, ch.unit, ch.limit, ch.unit)
			return row
		}
	}
	return row
}

// RuleResult is one SLA rule's outcome on a run.
type RuleResult struct {
	Rule   string  `json:"rule"`
	Pass   bool    `json:"pass"`
	Known  bool    `json:"known"`
	Actual float64 `json:"actual"`
	Reason string  `json:"reason"`
}

// Verdict is a run judged by its project's current SLA rules, for the page and for CI.
type Verdict struct {
	RunID   int          `json:"run_id"`
	Project string       `json:"project"`
	Status  string       `json:"status"`  // the run's processing status
	Verdict string       `json:"verdict"` // pass, fail, none (no rules) or pending (not ready)
	Rules   []RuleResult `json:"rules"`
}

// Verdict evaluates the project's current rules on a run's stored figures (so rules edited
// after the upload apply too), exactly as `mis report stats --sla` would on the file:
// percentiles come from the stored histograms (or the tool's stated ones).
func (d *Dash) Verdict(ctx context.Context, v Viewer, runID int) (*Verdict, error) {
	r, err := d.s.visibleRun(ctx, v, runID)
	if err != nil {
		return nil, err
	}
	return d.verdictOf(ctx, r)
}

// verdictOf is Verdict for a loaded run (with Edges.Project), cached per rule text.
func (d *Dash) verdictOf(ctx context.Context, r *ent.Run) (*Verdict, error) {
	p := r.Edges.Project
	return cached(d, r, keyOf("verdict", r, p.SLARules), func() (*Verdict, error) { return d.evalVerdict(ctx, r) })
}

func (d *Dash) evalVerdict(ctx context.Context, r *ent.Run) (*Verdict, error) {
	const op = "reports.Dash.Verdict"
	p := r.Edges.Project
	out := &Verdict{RunID: r.ID, Project: p.Key, Status: string(r.Status), Rules: []RuleResult{}}
	rules, err := parseRules(p.SLARules)
	if err != nil {
		return nil, apperr.E(op, apperr.Invalid, apperr.Key("reports.error.sla_rule"), err)
	}
	switch {
	case len(rules) == 0:
		out.Verdict = "none"
		return out, nil
	case r.Status != "ready":
		out.Verdict = "pending"
		return out, nil
	}
	rows, err := d.s.db.RunLabel.Query().Where(runlabel.RunID(r.ID), runlabel.KindIn(runlabel.KindOverall, runlabel.KindLabel)).All(ctx)
	if err != nil {
		return nil, apperr.E(op, apperr.Unavailable, err)
	}
	var overall *ent.RunLabel
	byName := map[string]*ent.RunLabel{}
	for _, row := range rows {
		if row.Kind == runlabel.KindOverall {
			overall = row
		} else {
			byName[row.Name] = row
		}
	}
	out.Verdict = "pass"
	for _, rule := range rules {
		row := overall
		if rule.HasLabel {
			row = byName[rule.Label]
		}
		var res RuleResult
		if row == nil {
			res = RuleResult{Rule: rule.Text, Reason: fmt.Sprintf("%s: no label %q in the results", rule.Text, rule.Label)}
		} else {
			f, err := ruleFigures(row)
			if err != nil {
				return nil, apperr.E(op, apperr.Internal, err)
			}
			vd := rule.Eval(f)
			res = RuleResult{Rule: rule.Text, Pass: vd.Pass, Known: vd.Known, Actual: vd.Actual, Reason: vd.Msg}
		}
		if !res.Pass {
			out.Verdict = "fail"
		}
		out.Rules = append(out.Rules, res)
	}
	return out, nil
}

// ruleFigures are a stored row as rule input, with the same rounding `mis report stats` uses.
func ruleFigures(row *ent.RunLabel) (stats.Figures, error) {
	f := stats.Figures{Count: row.Count, Errors: row.Errors, MinMS: round3(row.MinMs), MaxMS: round3(row.MaxMs), ThroughputPerS: row.ThroughputPerS}
	if row.Count > 0 {
		f.MeanMS = round3(row.SumMs / float64(row.Count))
	}
	if hasBytes(row.HistAll) {
		var h agg.Hist
		if err := h.UnmarshalBinary(*row.HistAll); err != nil {
			return f, err
		}
		f.Percentile = func(p float64) (float64, bool) { return round3(h.PercentileMS(p)), h.Count() > 0 }
		return f, nil
	}
	stated := row.Stated
	f.Percentile = func(p float64) (float64, bool) {
		v, ok := stated[pctKey(p)]
		if !ok || math.IsNaN(v) {
			return 0, false
		}
		return v, true
	}
	return f, nil
}
