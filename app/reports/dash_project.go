package reports

import (
	"context"
	"fmt"
	"sort"

	"scanboard/app/apperr"
	"scanboard/ent"
	"scanboard/ent/project"
	"scanboard/ent/run"
	"scanboard/ent/runlabel"
)

// Kind of a run, from its source format: what its page shows.
const (
	KindPerf      = "perf"
	KindJUnit     = "junit"
	KindSecurity  = "security"
	KindErrorOnly = "errors" // Locust failures/exceptions files: an errors table only
)

// RunKind says which view a run belongs to.
func RunKind(r *ent.Run) string {
	switch r.SourceFormat {
	case "junit":
		return KindJUnit
	case "zap", "sarif":
		return KindSecurity
	case "locust-failures", "locust-exceptions":
		return KindErrorOnly
	}
	return KindPerf
}

// ProjectView is the project page: the project, a page of runs and the label names a trend
// can be drawn for.
type ProjectView struct {
	Project *ent.Project
	Runs    []*ent.Run // newest first, with Edges.Uploader
	Next    int        // BeforeID of the next page, 0 at the end
	Labels  []string   // labels of the latest ready performance runs
}

// Project returns a project page.
func (d *Dash) Project(ctx context.Context, v Viewer, key string, page RunPage) (*ProjectView, error) {
	p, err := d.s.Project(ctx, v, key)
	if err != nil {
		return nil, err
	}
	runs, next, err := d.s.ListRuns(ctx, v, key, page)
	if err != nil {
		return nil, err
	}
	pv := &ProjectView{Project: p, Runs: runs, Next: next}
	var names []string
	err = d.s.db.RunLabel.Query().
		Where(runlabel.KindEQ(runlabel.KindLabel), runlabel.HasRunWith(run.ProjectID(p.ID), run.StatusEQ(run.StatusReady))).
		Unique(true).Order(ent.Asc(runlabel.FieldName)).Limit(500).Select(runlabel.FieldName).Scan(ctx, &names)
	if err != nil {
		return nil, apperr.E("reports.Dash.Project", apperr.Unavailable, err)
	}
	pv.Labels = names
	return pv, nil
}

// TrendPoint is one run in a trend: its key figures for the chosen label (or overall).
type TrendPoint struct {
	RunID      int      `json:"run_id"`
	StartedMS  int64    `json:"started_ms"`
	Build      string   `json:"build"`
	Count      int64    `json:"count"`
	P95        *float64 `json:"p95"`
	P99        *float64 `json:"p99"`
	Throughput float64  `json:"throughput"`
	ErrorPct   float64  `json:"error_pct"`
	SLA        string   `json:"sla"`
	Baseline   bool     `json:"baseline"`
}

// Trend returns the key figures of a project's last n ready performance runs, oldest
// first, for one label ("" for the overall row).
func (d *Dash) Trend(ctx context.Context, v Viewer, key, label string, n int) ([]TrendPoint, error) {
	const op = "reports.Dash.Trend"
	p, err := d.s.Project(ctx, v, key)
	if err != nil {
		return nil, err
	}
	if n <= 0 || n > 500 {
		n = 100
	}
	runs, err := d.s.db.Run.Query().Where(run.ProjectID(p.ID), run.StatusEQ(run.StatusReady),
		run.SourceFormatNotIn("junit", "zap", "sarif", "locust-failures", "locust-exceptions")).
		Order(ent.Desc(run.FieldID)).Limit(n).All(ctx)
	if err != nil {
		return nil, apperr.E(op, apperr.Unavailable, err)
	}
	ids := make([]int, len(runs))
	for i, r := range runs {
		ids[i] = r.ID
	}
	q := d.s.db.RunLabel.Query().Where(runlabel.RunIDIn(ids...))
	if label == "" {
		q = q.Where(runlabel.KindEQ(runlabel.KindOverall))
	} else {
		q = q.Where(runlabel.KindEQ(runlabel.KindLabel), runlabel.Name(label))
	}
	rows, err := q.All(ctx)
	if err != nil {
		return nil, apperr.E(op, apperr.Unavailable, err)
	}
	byRun := map[int]*ent.RunLabel{}
	for _, row := range rows {
		byRun[row.RunID] = row
	}
	out := make([]TrendPoint, 0, len(runs))
	for i := len(runs) - 1; i >= 0; i-- {
		r := runs[i]
		row := byRun[r.ID]
		if row == nil {
			continue
		}
		out = append(out, TrendPoint{RunID: r.ID, StartedMS: r.StartedMs, Build: r.TagBuild, Count: row.Count,
			P95: row.P95Ms, P99: row.P99Ms, Throughput: row.ThroughputPerS, ErrorPct: round3(pct(row.Errors, row.Count)),
			SLA: r.SLAVerdict, Baseline: p.BaselineRunID != nil && *p.BaselineRunID == r.ID})
	}
	return out, nil
}

// SetBaseline marks runID as the project's baseline (0 clears it). The run must be a ready
// run of that project.
func (d *Dash) SetBaseline(ctx context.Context, v Viewer, key string, runID int) error {
	const op = "reports.Dash.SetBaseline"
	p, err := d.s.Project(ctx, v, key)
	if err != nil {
		return err
	}
	upd := d.s.db.Project.UpdateOneID(p.ID)
	if runID == 0 {
		upd.ClearBaselineRunID()
	} else {
		ok, err := d.s.db.Run.Query().Where(run.ID(runID), run.ProjectID(p.ID), run.StatusEQ(run.StatusReady)).Exist(ctx)
		if err != nil {
			return apperr.E(op, apperr.Unavailable, err)
		}
		if !ok {
			return apperr.E(op, apperr.Invalid, apperr.Key("reports.error.baseline"), fmt.Sprintf("run %d is not a ready run of project %q", runID, key))
		}
		upd.SetBaselineRunID(runID)
	}
	if err := upd.Exec(ctx); err != nil {
		return apperr.E(op, apperr.Unavailable, err)
	}
	return nil
}

// Settings are a project's editable dashboard settings.
type Settings struct {
	SLARules           string
	ApdexSatisfiedMS   int
	ApdexToleratedMS   int
	RegressionPct      float64
	RegressionErrorPts float64
	RegressionMinCount int
}

// SaveSettings stores a project's SLA rules and thresholds. Only managers and admins may;
// rules are checked as `mis report stats --sla` checks them.
func (d *Dash) SaveSettings(ctx context.Context, v Viewer, key string, in Settings) error {
	const op = "reports.Dash.SaveSettings"
	if !v.SeesAll() {
		return apperr.E(op, apperr.Forbidden, apperr.Key("error.403"), "only managers and admins edit project settings")
	}
	p, err := d.s.Project(ctx, v, key)
	if err != nil {
		return err
	}
	if err := checkRules(in.SLARules); err != nil {
		return apperr.E(op, apperr.Invalid, apperr.Key("reports.error.sla_rule"), err)
	}
	if in.ApdexSatisfiedMS <= 0 || in.ApdexToleratedMS < in.ApdexSatisfiedMS {
		return apperr.E(op, apperr.Invalid, apperr.Key("reports.error.apdex"), "APDEX: the tolerated threshold must be at least the satisfied one, both above 0")
	}
	if in.RegressionPct <= 0 || in.RegressionErrorPts < 0 || in.RegressionMinCount < 0 {
		return apperr.E(op, apperr.Invalid, apperr.Key("reports.error.thresholds"), "regression thresholds must be positive")
	}
	err = d.s.db.Project.Update().Where(project.ID(p.ID)).SetSLARules(in.SLARules).
		SetApdexSatisfiedMs(in.ApdexSatisfiedMS).SetApdexToleratedMs(in.ApdexToleratedMS).
		SetRegressionPct(in.RegressionPct).SetRegressionErrorPts(in.RegressionErrorPts).SetRegressionMinCount(in.RegressionMinCount).
		Exec(ctx)
	if err != nil {
		return apperr.E(op, apperr.Unavailable, err)
	}
	return nil
}

// previousRun is the newest ready run of the same project and kind before r, or nil.
func (d *Dash) previousRun(ctx context.Context, r *ent.Run) (*ent.Run, error) {
	cands, err := d.s.db.Run.Query().Where(run.ProjectID(r.ProjectID), run.StatusEQ(run.StatusReady), run.IDLT(r.ID)).
		Order(ent.Desc(run.FieldID)).Limit(50).All(ctx)
	if err != nil {
		return nil, apperr.E("reports.Dash.previousRun", apperr.Unavailable, err)
	}
	for _, c := range cands {
		if RunKind(c) == RunKind(r) {
			return c, nil
		}
	}
	return nil, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
