package reports

import (
	"context"
	"strings"

	"scanboard/app/apperr"
	"scanboard/ent"
	"scanboard/ent/run"
	"scanboard/ent/runlabel"
)

// Trend arrows of the overview: how the latest run's p95 moved against the one before.
const (
	TrendUp   = "up"   // slower by more than the project's regression threshold
	TrendDown = "down" // faster by more than it
	TrendFlat = "flat"
	TrendNone = "" // fewer than two runs
)

// OverviewRow is one project on the managers' overview.
type OverviewRow struct {
	Project   *ent.Project
	Latest    *ent.Run // latest ready performance run, or nil
	P95       *float64
	ErrorPct  float64
	SLA       string // the latest run's verdict: pass, fail or ""
	Trend     string
	TrendPct  *float64
	HighRisk  int64    // open critical + high findings of the latest scan
	LatestAny *ent.Run // latest run of any kind, for "last activity"
}

// OverviewFilter narrows the overview.
type OverviewFilter struct {
	Query    string // substring of the key or name, case-insensitive
	SLA      string // pass, fail or "" for all
	HighRisk bool   // only projects with open high-risk findings
}

// Overview lists every project with its latest run, SLA status, trend arrow and open
// high-risk findings. Managers and admins only.
func (d *Dash) Overview(ctx context.Context, v Viewer, f OverviewFilter) ([]OverviewRow, error) {
	const op = "reports.Dash.Overview"
	if !v.SeesAll() {
		return nil, apperr.E(op, apperr.Forbidden, apperr.Key("error.403"), "the overview is for managers and admins")
	}
	ps, err := d.s.ListProjects(ctx, v)
	if err != nil {
		return nil, err
	}
	q := strings.ToLower(strings.TrimSpace(f.Query))
	var out []OverviewRow
	for _, p := range ps {
		if q != "" && !strings.Contains(strings.ToLower(p.Key), q) && !strings.Contains(strings.ToLower(p.Name), q) {
			continue
		}
		row := OverviewRow{Project: p}
		if row.LatestAny, err = d.s.db.Run.Query().Where(run.ProjectID(p.ID)).Order(ent.Desc(run.FieldID)).First(ctx); err != nil && !ent.IsNotFound(err) {
			return nil, apperr.E(op, apperr.Unavailable, err)
		}
		perf, err := d.s.db.Run.Query().Where(run.ProjectID(p.ID), run.StatusEQ(run.StatusReady),
			run.SourceFormatNotIn("junit", "zap", "sarif", "locust-failures", "locust-exceptions")).
			Order(ent.Desc(run.FieldID)).Limit(2).All(ctx)
		if err != nil {
			return nil, apperr.E(op, apperr.Unavailable, err)
		}
		if len(perf) > 0 {
			row.Latest = perf[0]
			row.SLA = perf[0].SLAVerdict
			ids := []int{perf[0].ID}
			if len(perf) > 1 {
				ids = append(ids, perf[1].ID)
			}
			rows, err := d.s.db.RunLabel.Query().Where(runlabel.RunIDIn(ids...), runlabel.KindEQ(runlabel.KindOverall)).All(ctx)
			if err != nil {
				return nil, apperr.E(op, apperr.Unavailable, err)
			}
			by := map[int]*ent.RunLabel{}
			for _, r := range rows {
				by[r.RunID] = r
			}
			if cur := by[perf[0].ID]; cur != nil {
				row.P95, row.ErrorPct = cur.P95Ms, round3(pct(cur.Errors, cur.Count))
				if len(perf) > 1 && by[perf[1].ID] != nil {
					row.TrendPct = relDelta(by[perf[1].ID].P95Ms, cur.P95Ms)
					row.Trend = TrendFlat
					if row.TrendPct != nil && *row.TrendPct > p.RegressionPct {
						row.Trend = TrendUp
					} else if row.TrendPct != nil && *row.TrendPct < -p.RegressionPct {
						row.Trend = TrendDown
					}
				}
			}
		}
		scan, err := d.s.db.Run.Query().Where(run.ProjectID(p.ID), run.StatusEQ(run.StatusReady), run.SourceFormatIn("zap", "sarif")).
			Order(ent.Desc(run.FieldID)).First(ctx)
		if err != nil && !ent.IsNotFound(err) {
			return nil, apperr.E(op, apperr.Unavailable, err)
		}
		if scan != nil {
			row.HighRisk = scan.Totals["critical"] + scan.Totals["high"]
		}
		if (f.SLA != "" && row.SLA != f.SLA) || (f.HighRisk && row.HighRisk == 0) {
			continue
		}
		out = append(out, row)
	}
	return out, nil
}
