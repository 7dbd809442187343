package reports

import (
	"context"
	"fmt"
	"math"
	"sort"

	"scanboard/app/apperr"
	"scanboard/app/reports/agg"
	"scanboard/ent"
	"scanboard/ent/project"
	"scanboard/ent/run"
	"scanboard/ent/runbucket"
	"scanboard/ent/runlabel"
)

// RunPage selects a page of a project's runs, newest first: Limit rows (default 50, at most
// 500) with ids below BeforeID (0: from the newest).
type RunPage struct {
	Limit    int
	BeforeID int
}

// ListRuns returns a page of the project's runs, newest first, and the BeforeID of the next
// page (0 at the end).
func (s *Service) ListRuns(ctx context.Context, v Viewer, projectKey string, page RunPage) ([]*ent.Run, int, error) {
	const op = "reports.ListRuns"
	p, err := s.Project(ctx, v, projectKey)
	if err != nil {
		return nil, 0, apperr.E(op, err)
	}
	limit := page.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	q := s.db.Run.Query().Where(run.ProjectID(p.ID))
	if page.BeforeID > 0 {
		q = q.Where(run.IDLT(page.BeforeID))
	}
	runs, err := q.Order(ent.Desc(run.FieldID)).Limit(limit + 1).WithUploader().All(ctx)
	if err != nil {
		return nil, 0, apperr.E(op, apperr.Unavailable, err)
	}
	next := 0
	if len(runs) > limit {
		runs = runs[:limit]
		next = runs[limit-1].ID
	}
	return runs, next, nil
}

// visibleRun loads a run if v may see its project; otherwise NotFound.
func (s *Service) visibleRun(ctx context.Context, v Viewer, runID int) (*ent.Run, error) {
	const op = "reports.Run"
	st, found, err := s.runs.stamps(ctx, s.db, v, runID)
	if err != nil {
		return nil, apperr.E(op, apperr.Unavailable, err)
	}
	if !found {
		return nil, apperr.E(op, apperr.NotFound, apperr.Key("error.run_not_found"), fmt.Sprintf("no run %d", runID))
	}
	if r, ok := s.runs.get(runID, st); ok {
		return r, nil
	}
	q := s.db.Run.Query().Where(run.ID(runID))
	if !v.SeesAll() {
		q = q.Where(run.HasProjectWith(project.Or(project.Restricted(false), project.HasMembersWith(userIs(v.UserID)))))
	}
	r, err := q.WithProject().WithUploader().Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.E(op, apperr.NotFound, apperr.Key("error.run_not_found"), fmt.Sprintf("no run %d", runID))
	}
	if err != nil {
		return nil, apperr.E(op, apperr.Unavailable, err)
	}
	s.runs.put(r)
	return r, nil
}

// RunView is a run with its whole-run label rows: the overall row first, then labels by
// name (sub-results and tool-stated extra rows last).
type RunView struct {
	Run    *ent.Run
	Labels []*ent.RunLabel
}

// Run returns a run and its label rows.
func (s *Service) Run(ctx context.Context, v Viewer, runID int) (*RunView, error) {
	r, err := s.visibleRun(ctx, v, runID)
	if err != nil {
		return nil, err
	}
	ls, err := s.db.RunLabel.Query().Where(runlabel.RunID(r.ID)).Order(ent.Asc(runlabel.FieldID)).All(ctx)
	if err != nil {
		return nil, apperr.E("reports.Run", apperr.Unavailable, err)
	}
	kindOrder := map[runlabel.Kind]int{runlabel.KindOverall: 0, runlabel.KindLabel: 1, runlabel.KindSub: 2, runlabel.KindOther: 3}
	sort.SliceStable(ls, func(i, j int) bool { return kindOrder[ls[i].Kind] < kindOrder[ls[j].Kind] })
	return &RunView{Run: r, Labels: ls}, nil
}

// Progress is a run's processing state, as the upload page and `GET /api/v1/runs/{id}` show it.
type Progress struct {
	RunID    int    `json:"run_id"`
	Status   string `json:"status"`
	Progress int    `json:"progress"`
	Error    string `json:"error,omitempty"`
}

// Progress returns a run's processing state.
func (s *Service) Progress(ctx context.Context, v Viewer, runID int) (*Progress, error) {
	r, err := s.visibleRun(ctx, v, runID)
	if err != nil {
		return nil, err
	}
	return &Progress{RunID: r.ID, Status: string(r.Status), Progress: r.Progress, Error: r.Error}, nil
}

// Selection picks samples from stored aggregates: one or more runs, optionally only some
// labels, optionally a time range [FromMS, ToMS) in epoch ms (0 = open). A time range is
// read from the per-label slices (Run.label_bucket_ms wide): a slice counts when it starts
// in the range, so a range not on slice edges covers the slices that start in it (Dash.Range
// snaps outward first, so the slices holding both ends count). The overall row of a time
// range is the merge of its label rows, so both cover the same samples.
type Selection struct {
	RunIDs       []int
	Labels       []string // nil: every top-level label
	FromMS, ToMS int64
}

// Figures are a selection's merged statistics for one label (or "" for the overall row).
// Hist is the merged histogram, within 0.1% for whole runs and time ranges alike (runs
// stored before slices kept fine histograms give time ranges within about 1.6%). Percentile
// reads it.
type Figures struct {
	Label       string
	Transaction bool
	agg.Counters
	Hist *agg.Hist
}

// Percentile is the nearest-rank p-th percentile in ms, and false without samples.
func (f *Figures) Percentile(p float64) (float64, bool) {
	if f.Hist == nil || f.Hist.Count() == 0 {
		return 0, false
	}
	return math.Round(f.Hist.PercentileMS(p)*1000) / 1000, true
}

// Table merges the selection into per-label figures (sorted by label) and the overall row.
// Pre-aggregated runs have no histograms: their rows merge counters only.
func (s *Service) Table(ctx context.Context, v Viewer, sel Selection) ([]*Figures, *Figures, error) {
	const op = "reports.Table"
	if len(sel.RunIDs) == 0 {
		return nil, nil, apperr.E(op, apperr.Invalid, "select at least one run")
	}
	for _, id := range sel.RunIDs {
		if _, err := s.visibleRun(ctx, v, id); err != nil {
			return nil, nil, apperr.E(op, err)
		}
	}
	q := s.db.RunLabel.Query().Where(runlabel.RunIDIn(sel.RunIDs...), runlabel.KindIn(runlabel.KindOverall, runlabel.KindLabel))
	rows, err := q.All(ctx)
	if err != nil {
		return nil, nil, apperr.E(op, apperr.Unavailable, err)
	}
	want := map[string]bool{}
	for _, l := range sel.Labels {
		want[l] = true
	}
	byName := map[string]*Figures{}
	overall := &Figures{Hist: agg.NewHist()}
	ranged := sel.FromMS != 0 || sel.ToMS != 0
	for _, row := range rows {
		isOverall := row.Kind == runlabel.KindOverall
		if !isOverall && len(want) > 0 && !want[row.Name] {
			continue
		}
		f := overall
		if !isOverall {
			f = byName[row.Name]
			if f == nil {
				f = &Figures{Label: row.Name, Hist: agg.NewHist()}
				byName[row.Name] = f
			}
			f.Transaction = f.Transaction || row.Transaction
		}
		if isOverall && (len(want) > 0 || ranged) {
			continue // the overall row of a label subset or time range is merged from the labels below
		}
		if !ranged {
			if err := mergeRow(f, row); err != nil {
				return nil, nil, apperr.E(op, apperr.Internal, err)
			}
			continue
		}
		bq := s.db.RunBucket.Query().Where(runbucket.LabelID(row.ID), runbucket.GridEQ(runbucket.GridSlice))
		if sel.FromMS != 0 {
			bq = bq.Where(runbucket.StartMsGTE(sel.FromMS))
		}
		if sel.ToMS != 0 {
			bq = bq.Where(runbucket.StartMsLT(sel.ToMS))
		}
		bs, err := bq.All(ctx)
		if err != nil {
			return nil, nil, apperr.E(op, apperr.Unavailable, err)
		}
		for _, b := range bs {
			if err := mergeBucket(f, b); err != nil {
				return nil, nil, apperr.E(op, apperr.Internal, err)
			}
		}
	}
	labels := make([]*Figures, 0, len(byName))
	for _, f := range byName {
		labels = append(labels, f)
		if len(want) > 0 || ranged {
			overall.Counters.Merge(&f.Counters)
			if err := mergeInto(&overall.Hist, f.Hist); err != nil {
				return nil, nil, apperr.E(op, apperr.Internal, err)
			}
		}
	}
	sort.Slice(labels, func(i, j int) bool { return labels[i].Label < labels[j].Label })
	return labels, overall, nil
}

func counters(count, errs int64, sum, lo, hi float64, recv, sent, first, last int64, codes map[string]int64) agg.Counters {
	c := agg.Counters{Count: count, Errors: errs, SumMS: sum, MinMS: lo, MaxMS: hi, BytesRecv: recv, BytesSent: sent, FirstStartMS: first, LastEndMS: last}
	keys := make([]string, 0, len(codes))
	for k := range codes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		c.Codes = append(c.Codes, agg.CodeCount{Code: k, Count: codes[k]})
	}
	return c
}

// mergeInto adds o to *dst. An empty *dst takes o's precision; when the precisions differ
// (slices of a run stored when they were coarse, merged with fine ones) both are merged at
// the coarse one.
func mergeInto(dst **agg.Hist, o *agg.Hist) error {
	if o == nil || o.Count() == 0 {
		return nil
	}
	if (*dst).Count() == 0 {
		*dst = o.Clone()
		return nil
	}
	if (*dst).Fine() != o.Fine() {
		*dst, o = (*dst).Coarse(), o.Coarse()
	}
	return (*dst).Merge(o)
}

// hasBytes reports whether a nullable bytes column holds data (ent loads NULL as empty).
func hasBytes(b *[]byte) bool { return b != nil && len(*b) > 0 }

// mergeEncoded adds a stored histogram to *dst, straight from its encoding when the
// precisions match (a time range merges thousands of slices).
func mergeEncoded(dst **agg.Hist, enc *[]byte) error {
	if !hasBytes(enc) {
		return nil
	}
	if (*dst).Count() > 0 && (*dst).MergeBinary(*enc) == nil {
		return nil
	}
	var h agg.Hist
	if err := h.UnmarshalBinary(*enc); err != nil {
		return err
	}
	return mergeInto(dst, &h)
}

func mergeRow(f *Figures, r *ent.RunLabel) error {
	c := counters(r.Count, r.Errors, r.SumMs, r.MinMs, r.MaxMs, r.BytesRecv, r.BytesSent, r.FirstStartMs, r.LastEndMs, r.Codes)
	f.Counters.Merge(&c)
	return mergeEncoded(&f.Hist, r.HistAll)
}

// mergeBucket adds a bucket or slice. Its time span is not stored, so first/last are the
// bucket's start: throughput over a range is count / range length, for the caller to compute.
func mergeBucket(f *Figures, b *ent.RunBucket) error {
	c := counters(b.Count, b.Errors, b.SumMs, b.MinMs, b.MaxMs, b.BytesRecv, b.BytesSent, b.StartMs, b.StartMs, b.Codes)
	f.Counters.Merge(&c)
	return mergeEncoded(&f.Hist, b.Hist)
}
