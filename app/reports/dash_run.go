package reports

import (
	"context"
	"fmt"
	"math"
	"sort"

	"scanboard/app/apperr"
	"scanboard/app/reports/agg"
	"scanboard/ent"
	"scanboard/ent/runlabel"
)

// Apdex is the Application Performance Index of a label: satisfied samples are successful
// and at most T ms, tolerated ones successful and at most F ms, the rest (failures
// included) frustrated; Score = (satisfied + tolerated/2) / samples, as JMeter computes it.
type Apdex struct {
	Score                            float64
	Satisfied, Tolerated, Frustrated int64
}

// LabelStats is one row of a statistics table, the columns of JMeter's dashboard.
type LabelStats struct {
	Label       string
	Kind        string // overall, label, sub or other
	Transaction bool
	Count       int64
	Errors      int64
	ErrorPct    float64
	MeanMS      float64
	MinMS       float64
	MaxMS       float64
	// Percentiles in ms; nil when unknown (a pre-aggregated tool that did not state them).
	P50, P90, P95, P99 *float64
	ThroughputPerS     float64
	RecvKBps, SentKBps float64
	Apdex              *Apdex // nil without histograms or for time ranges
}

// ErrorStat is one row of the errors table.
type ErrorStat struct {
	Label      string
	Code       string
	Message    string
	Count      int64
	PctErrors  float64 // share of all errors
	PctSamples float64 // share of all samples
}

// LabelErrors are the most frequent errors of one label (JMeter's "Top 5 errors by sampler").
type LabelErrors struct {
	Label   string
	Samples int64
	Errors  int64
	Top     []ErrorStat
}

// RunReport is everything the run page shows apart from the charts, which load as JSON.
type RunReport struct {
	Run       *ent.Run // with Edges.Project and Edges.Uploader
	Project   *ent.Project
	Overall   *LabelStats
	Labels    []*LabelStats // top-level labels by name, then sub-results and other rows
	Errors    []ErrorStat   // by type, most frequent first
	TopErrors []LabelErrors // per label, transaction controllers excluded, as JMeter does
	Baseline  bool          // the run is its project's baseline
	Verdict   *Verdict      // the project's current SLA rules on this run
}

// runFigures is the cached, viewer-independent part of a RunReport.
type runFigures struct {
	overall   *LabelStats
	labels    []*LabelStats
	errors    []ErrorStat
	topErrors []LabelErrors
}

// Run returns the report of a run the viewer may see; others are NotFound.
func (d *Dash) Run(ctx context.Context, v Viewer, runID int) (*RunReport, error) {
	r, err := d.s.visibleRun(ctx, v, runID)
	if err != nil {
		return nil, err
	}
	p := r.Edges.Project
	arg := fmt.Sprintf("%d/%d", p.ApdexSatisfiedMs, p.ApdexToleratedMs)
	f, err := cached(d, r, keyOf("run", r, arg), func() (*runFigures, error) { return d.runFigures(ctx, r) })
	if err != nil {
		return nil, err
	}
	vd, err := d.verdictOf(ctx, r)
	if err != nil {
		return nil, err
	}
	return &RunReport{
		Run: r, Project: p, Overall: f.overall, Labels: f.labels, Errors: f.errors, TopErrors: f.topErrors,
		Baseline: p.BaselineRunID != nil && *p.BaselineRunID == r.ID, Verdict: vd,
	}, nil
}

func (d *Dash) runFigures(ctx context.Context, r *ent.Run) (*runFigures, error) {
	const op = "reports.Dash.Run"
	rows, err := d.s.db.RunLabel.Query().Where(runlabel.RunID(r.ID)).Order(ent.Asc(runlabel.FieldID)).All(ctx)
	if err != nil {
		return nil, apperr.E(op, apperr.Unavailable, err)
	}
	p := r.Edges.Project
	f := &runFigures{}
	kindOrder := map[runlabel.Kind]int{runlabel.KindOverall: 0, runlabel.KindLabel: 1, runlabel.KindSub: 2, runlabel.KindOther: 3}
	sort.SliceStable(rows, func(i, j int) bool {
		if kindOrder[rows[i].Kind] != kindOrder[rows[j].Kind] {
			return kindOrder[rows[i].Kind] < kindOrder[rows[j].Kind]
		}
		return rows[i].Name < rows[j].Name
	})
	byName := map[string]*ent.RunLabel{}
	for _, row := range rows {
		ls, err := statsOfRow(row, p)
		if err != nil {
			return nil, apperr.E(op, apperr.Internal, err)
		}
		if row.Kind == runlabel.KindOverall {
			f.overall = ls
			continue
		}
		if row.Kind == runlabel.KindLabel {
			byName[row.Name] = row
		}
		f.labels = append(f.labels, ls)
	}
	if f.overall == nil {
		f.overall = &LabelStats{Kind: string(runlabel.KindOverall)}
	}
	errs, err := r.QueryErrors().All(ctx)
	if err != nil {
		return nil, apperr.E(op, apperr.Unavailable, err)
	}
	var totalErrs int64
	perLabel := map[string]*LabelErrors{}
	for _, e := range errs {
		if e.Label == "" {
			totalErrs += e.Count
			continue
		}
		row := byName[e.Label]
		if row == nil || row.Transaction {
			continue
		}
		le := perLabel[e.Label]
		if le == nil {
			le = &LabelErrors{Label: e.Label, Samples: row.Count, Errors: row.Errors}
			perLabel[e.Label] = le
		}
		le.Top = append(le.Top, ErrorStat{Label: e.Label, Code: e.Code, Message: e.Message, Count: e.Count})
	}
	if totalErrs == 0 {
		totalErrs = f.overall.Errors
	}
	for _, e := range errs {
		if e.Label != "" {
			continue
		}
		f.errors = append(f.errors, ErrorStat{Code: e.Code, Message: e.Message, Count: e.Count,
			PctErrors: pct(e.Count, max(totalErrs, f.overall.Errors)), PctSamples: pct(e.Count, f.overall.Count)})
	}
	sortErrors(f.errors)
	for _, le := range perLabel {
		sortErrors(le.Top)
		if len(le.Top) > 5 {
			le.Top = le.Top[:5]
		}
		for i := range le.Top {
			le.Top[i].PctErrors = pct(le.Top[i].Count, le.Errors)
			le.Top[i].PctSamples = pct(le.Top[i].Count, le.Samples)
		}
		f.topErrors = append(f.topErrors, *le)
	}
	// JMeter orders the top-5 table by the number of errors.
	sort.Slice(f.topErrors, func(i, j int) bool {
		if f.topErrors[i].Errors != f.topErrors[j].Errors {
			return f.topErrors[i].Errors > f.topErrors[j].Errors
		}
		return f.topErrors[i].Label < f.topErrors[j].Label
	})
	return f, nil
}

func sortErrors(es []ErrorStat) {
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].Count != es[j].Count {
			return es[i].Count > es[j].Count
		}
		return es[i].Code+es[i].Message < es[j].Code+es[j].Message
	})
}

func pct(n, of int64) float64 {
	if of <= 0 {
		return 0
	}
	return 100 * float64(n) / float64(of)
}

// statsOfRow turns a stored label row into a table row. The stored percentiles and
// throughput are those `mis report stats` prints; APDEX is read from the histogram of
// successful samples.
func statsOfRow(row *ent.RunLabel, p *ent.Project) (*LabelStats, error) {
	ls := &LabelStats{
		Label: row.Name, Kind: string(row.Kind), Transaction: row.Transaction,
		Count: row.Count, Errors: row.Errors, ErrorPct: pct(row.Errors, row.Count),
		MinMS: row.MinMs, MaxMS: row.MaxMs, ThroughputPerS: row.ThroughputPerS,
		P50: row.P50Ms, P90: row.P90Ms, P95: row.P95Ms, P99: row.P99Ms,
	}
	if row.Count > 0 {
		ls.MeanMS = round3(row.SumMs / float64(row.Count))
	}
	if secs := float64(row.LastEndMs-row.FirstStartMs) / 1000; secs > 0 {
		ls.RecvKBps = float64(row.BytesRecv) / 1024 / secs
		ls.SentKBps = float64(row.BytesSent) / 1024 / secs
	}
	if hasBytes(row.HistOk) {
		var ok agg.Hist
		if err := ok.UnmarshalBinary(*row.HistOk); err != nil {
			return nil, fmt.Errorf("label %q: %w", row.Name, err)
		}
		ls.Apdex = apdexOf(&ok, row.Count, float64(p.ApdexSatisfiedMs), float64(p.ApdexToleratedMs))
	}
	return ls, nil
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// apdexOf computes APDEX from the histogram of successful samples and the sample count.
func apdexOf(ok *agg.Hist, samples int64, satisfiedMS, toleratedMS float64) *Apdex {
	if samples == 0 {
		return nil
	}
	s := countAtMost(ok, satisfiedMS)
	t := countAtMost(ok, toleratedMS) - s
	a := &Apdex{Satisfied: int64(s), Tolerated: int64(t), Frustrated: samples - int64(s) - int64(t)}
	a.Score = math.Round((float64(a.Satisfied)+float64(a.Tolerated)/2)/float64(samples)*1000) / 1000
	return a
}

// countAtMost is how many recorded values are at most ms, found by bisecting the ranks:
// the value of rank r (nearest rank, PercentileMS at 100·r/n) grows with r. Values share
// a bucket within the histogram's precision (exact below 2,048 ms for whole-ms data).
func countAtMost(h *agg.Hist, ms float64) uint64 {
	n := h.Count()
	if n == 0 || h.MinMS() > ms {
		return 0
	}
	if h.MaxMS() <= ms {
		return n
	}
	lo, hi := uint64(1), n // value(lo) ≤ ms < value(hi)
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if valueAtRank(h, mid) <= ms {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

// valueAtRank is the r-th smallest recorded value (1-based) within the histogram's precision.
func valueAtRank(h *agg.Hist, r uint64) float64 {
	n := h.Count()
	p := 100 * float64(r) / float64(n)
	// Rank(p) is ceil(p/100·n) with a guard against rounding; p/100·n is r up to rounding.
	if agg.Rank(p, n) != r {
		p = 100 * (float64(r) - 0.5) / float64(n)
	}
	return h.PercentileMS(p)
}
