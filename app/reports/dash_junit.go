package reports

import (
	"context"
	"sort"

	"scanboard/app/apperr"
	"scanboard/ent"
	"scanboard/ent/run"
	"scanboard/ent/runcase"
)

// CaseRow is one test case with its flakiness across the project's recent runs.
type CaseRow struct {
	*ent.RunCase
	// Flips is how often the case changed between passing and failing over the last runs
	// (this one included); a case that flips is flaky even if this run passed it.
	Flips int
	Flaky bool
}

// FunctionalView is a JUnit run: totals, failing cases first, flaky ones flagged.
type FunctionalView struct {
	Run                                     *ent.Run
	Passed, Failed, Errored, Skipped, Total int
	DurationMS                              float64
	Cases                                   []CaseRow // failed and errored first, then flaky, then the rest
	FlakyCount                              int
	History                                 int // runs looked at for flakiness
}

// flakyWindow is how many of a project's JUnit runs are looked at for flipping cases.
const flakyWindow = 10

// Functional returns a JUnit run's view.
func (d *Dash) Functional(ctx context.Context, v Viewer, runID int) (*FunctionalView, error) {
	const op = "reports.Dash.Functional"
	r, err := d.s.visibleRun(ctx, v, runID)
	if err != nil {
		return nil, err
	}
	cases, err := r.QueryCases().Order(ent.Asc(runcase.FieldID)).All(ctx)
	if err != nil {
		return nil, apperr.E(op, apperr.Unavailable, err)
	}
	hist, err := d.s.db.Run.Query().Where(run.ProjectID(r.ProjectID), run.StatusEQ(run.StatusReady), run.SourceFormat("junit"), run.IDLTE(r.ID)).
		Order(ent.Desc(run.FieldID)).Limit(flakyWindow).IDs(ctx)
	if err != nil {
		return nil, apperr.E(op, apperr.Unavailable, err)
	}
	// Status per case key per run, oldest run first.
	type obs struct {
		run int
		bad bool
	}
	seen := map[string][]obs{}
	if len(hist) > 1 {
		var rows []struct {
			RunID   int    `json:"run_id"`
			CaseKey string `json:"case_key"`
			Status  string `json:"status"`
		}
		err := d.s.db.RunCase.Query().Where(runcase.RunIDIn(hist...), runcase.StatusNEQ(runcase.StatusSkipped)).
			Select(runcase.FieldRunID, runcase.FieldCaseKey, runcase.FieldStatus).Scan(ctx, &rows)
		if err != nil {
			return nil, apperr.E(op, apperr.Unavailable, err)
		}
		for _, row := range rows {
			seen[row.CaseKey] = append(seen[row.CaseKey], obs{row.RunID, row.Status != "passed"})
		}
	}
	fv := &FunctionalView{Run: r, History: len(hist)}
	for _, c := range cases {
		fv.Total++
		switch c.Status {
		case runcase.StatusPassed:
			fv.Passed++
		case runcase.StatusFailed:
			fv.Failed++
		case runcase.StatusErrored:
			fv.Errored++
		case runcase.StatusSkipped:
			fv.Skipped++
		}
		fv.DurationMS += c.DurationMs
		os := seen[c.CaseKey]
		sort.Slice(os, func(i, j int) bool { return os[i].run < os[j].run })
		flips := 0
		for i := 1; i < len(os); i++ {
			if os[i].bad != os[i-1].bad {
				flips++
			}
		}
		row := CaseRow{RunCase: c, Flips: flips, Flaky: c.Flaky || flips > 0}
		if row.Flaky {
			fv.FlakyCount++
		}
		fv.Cases = append(fv.Cases, row)
	}
	order := func(c CaseRow) int {
		switch {
		case c.Status == runcase.StatusFailed || c.Status == runcase.StatusErrored:
			return 0
		case c.Flaky:
			return 1
		case c.Status == runcase.StatusSkipped:
			return 3
		}
		return 2
	}
	sort.SliceStable(fv.Cases, func(i, j int) bool { return order(fv.Cases[i]) < order(fv.Cases[j]) })
	return fv, nil
}
