package reports

import (
	"context"
	"sort"

	"scanboard/app/apperr"
	"scanboard/ent"
	"scanboard/ent/run"
	"scanboard/ent/runfinding"
)

// Risks lists finding severities from the most to the least severe.
var Risks = []string{"critical", "high", "medium", "low", "info"}

func riskRank(r string) int {
	for i, x := range Risks {
		if x == r {
			return i
		}
	}
	return len(Risks)
}

// RuleGroup is one rule of a scan with its instances (findings sharing the rule).
type RuleGroup struct {
	RuleID, Name, Risk, Confidence string
	CWE                            int
	Description, Solution          string
	Instances                      []*ent.RunFinding
	New                            int // instances not in the previous scan
}

// SecurityView is a scan: counts by risk and confidence, findings grouped by rule, and the
// difference to the previous scan of the project (by finding fingerprint).
type SecurityView struct {
	Run      *ent.Run
	Previous *ent.Run // nil for the first scan
	// Matrix counts open (unsuppressed) findings: Matrix[risk][confidence].
	Matrix      map[string]map[string]int
	Confidences []string
	Groups      []RuleGroup
	New         int
	Fixed       []*ent.RunFinding // in the previous scan, not in this one
	StillOpen   int
	Suppressed  int
}

// Security returns a scan's view.
func (d *Dash) Security(ctx context.Context, v Viewer, runID int) (*SecurityView, error) {
	const op = "reports.Dash.Security"
	r, err := d.s.visibleRun(ctx, v, runID)
	if err != nil {
		return nil, err
	}
	fs, err := r.QueryFindings().Order(ent.Asc(runfinding.FieldID)).All(ctx)
	if err != nil {
		return nil, apperr.E(op, apperr.Unavailable, err)
	}
	sv := &SecurityView{Run: r, Matrix: map[string]map[string]int{}}
	prev, err := d.previousRun(ctx, r)
	if err != nil {
		return nil, err
	}
	before := map[string]*ent.RunFinding{}
	if prev != nil {
		sv.Previous = prev
		pf, err := prev.QueryFindings().Where(runfinding.Suppressed(false)).All(ctx)
		if err != nil {
			return nil, apperr.E(op, apperr.Unavailable, err)
		}
		for _, f := range pf {
			before[f.Fingerprint] = f
		}
	}
	confs := map[string]bool{}
	groups := map[string]*RuleGroup{}
	now := map[string]bool{}
	for _, f := range fs {
		if f.Suppressed {
			sv.Suppressed++
			continue
		}
		now[f.Fingerprint] = true
		if sv.Matrix[f.Risk] == nil {
			sv.Matrix[f.Risk] = map[string]int{}
		}
		sv.Matrix[f.Risk][f.Confidence]++
		confs[f.Confidence] = true
		key := f.Tool + "\x00" + f.RuleID + "\x00" + f.Risk
		g := groups[key]
		if g == nil {
			g = &RuleGroup{RuleID: f.RuleID, Name: f.RuleName, Risk: f.Risk, Confidence: f.Confidence, CWE: f.Cwe, Description: f.Description, Solution: f.Solution}
			groups[key] = g
		}
		g.Instances = append(g.Instances, f)
		if prev != nil && before[f.Fingerprint] == nil {
			g.New++
			sv.New++
		} else if prev != nil {
			sv.StillOpen++
		}
	}
	for fp, f := range before {
		if !now[fp] {
			sv.Fixed = append(sv.Fixed, f)
		}
	}
	sort.Slice(sv.Fixed, func(i, j int) bool { return sv.Fixed[i].ID < sv.Fixed[j].ID })
	for _, g := range groups {
		sv.Groups = append(sv.Groups, *g)
	}
	sort.Slice(sv.Groups, func(i, j int) bool {
		a, b := sv.Groups[i], sv.Groups[j]
		if riskRank(a.Risk) != riskRank(b.Risk) {
			return riskRank(a.Risk) < riskRank(b.Risk)
		}
		if len(a.Instances) != len(b.Instances) {
			return len(a.Instances) > len(b.Instances)
		}
		return a.RuleID < b.RuleID
	})
	for _, c := range []string{"confirmed", "high", "medium", "low", "false-positive", ""} {
		if confs[c] {
			sv.Confidences = append(sv.Confidences, c)
			delete(confs, c)
		}
	}
	sv.Confidences = append(sv.Confidences, sortedKeys(confs)...)
	return sv, nil
}

// SecurityPoint is one scan in the trend of open findings by severity.
type SecurityPoint struct {
	RunID  int              `json:"run_id"`
	Time   int64            `json:"t"` // upload time, epoch ms
	Counts map[string]int64 `json:"counts"`
}

// SecurityTrend returns the open findings by severity of a project's last n scans, oldest
// first, from the totals stored with each scan.
func (d *Dash) SecurityTrend(ctx context.Context, v Viewer, key string, n int) ([]SecurityPoint, error) {
	p, err := d.s.Project(ctx, v, key)
	if err != nil {
		return nil, err
	}
	if n <= 0 || n > 500 {
		n = 100
	}
	runs, err := d.s.db.Run.Query().Where(run.ProjectID(p.ID), run.StatusEQ(run.StatusReady), run.SourceFormatIn("zap", "sarif")).
		Order(ent.Desc(run.FieldID)).Limit(n).All(ctx)
	if err != nil {
		return nil, apperr.E("reports.Dash.SecurityTrend", apperr.Unavailable, err)
	}
	out := make([]SecurityPoint, 0, len(runs))
	for i := len(runs) - 1; i >= 0; i-- {
		r := runs[i]
		c := map[string]int64{}
		for _, risk := range Risks {
			c[risk] = r.Totals[risk]
		}
		out = append(out, SecurityPoint{RunID: r.ID, Time: r.CreatedAt.UnixMilli(), Counts: c})
	}
	return out, nil
}
