package reports

import (
	"context"
	"math"
	"sort"

	"scanboard/app/apperr"
	"scanboard/app/reports/agg"
	"scanboard/ent"
	"scanboard/ent/runbucket"
	"scanboard/ent/runlabel"
)

// Series is a run's over-time charts, one value per chart bucket (JSON for static/js/charts.js).
// Rates are per second; percentiles are read from the buckets' coarse histograms (within
// about 1.6%), like JMeter's percentiles-over-time chart they cover every top-level sample.
type Series struct {
	BucketMS int64     `json:"bucket_ms"`
	T        []int64   `json:"t"` // bucket start, epoch ms
	Hits     []float64 `json:"hits"`
	Errors   []float64 `json:"errors"`
	Mean     []float64 `json:"mean"`
	P50      []float64 `json:"p50"`
	P90      []float64 `json:"p90"`
	P95      []float64 `json:"p95"`
	P99      []float64 `json:"p99"`
	Threads  []int     `json:"threads"`
	RecvKBps []float64 `json:"recv_kbps"`
	SentKBps []float64 `json:"sent_kbps"`
	// Codes is response codes per second by code.
	Codes map[string][]float64 `json:"codes"`
	// Labels are per-label transactions per second and mean response time.
	Labels []LabelSeries `json:"labels"`
	// Dist is the response-time distribution of the whole run; Curve its percentiles 0–100.
	Dist  Distribution `json:"dist"`
	Curve Curve        `json:"curve"`
}

// LabelSeries is one label over time, aligned with Series.T (0 where it had no samples).
type LabelSeries struct {
	Label string    `json:"label"`
	TPS   []float64 `json:"tps"`
	Mean  []float64 `json:"mean"`
}

// Distribution counts samples in equal response-time bins starting at 0.
type Distribution struct {
	BinMS  float64 `json:"bin_ms"`
	Counts []int64 `json:"counts"`
}

// Curve is the percentile curve: P[i] percent of samples took at most MS[i].
type Curve struct {
	P  []float64 `json:"p"`
	MS []float64 `json:"ms"`
}

// Series returns a run's chart data.
func (d *Dash) Series(ctx context.Context, v Viewer, runID int) (*Series, error) {
	r, err := d.s.visibleRun(ctx, v, runID)
	if err != nil {
		return nil, err
	}
	return cached(d, r, keyOf("series", r, ""), func() (*Series, error) { return d.series(ctx, r) })
}

func (d *Dash) series(ctx context.Context, r *ent.Run) (*Series, error) {
	const op = "reports.Dash.Series"
	rows, err := d.s.db.RunLabel.Query().Where(runlabel.RunID(r.ID), runlabel.KindIn(runlabel.KindOverall, runlabel.KindLabel)).
		Order(ent.Asc(runlabel.FieldName)).All(ctx)
	if err != nil {
		return nil, apperr.E(op, apperr.Unavailable, err)
	}
	s := &Series{BucketMS: r.BucketMs, Codes: map[string][]float64{}, Labels: []LabelSeries{}}
	var overall *ent.RunLabel
	ids := make([]int, 0, len(rows))
	for _, row := range rows {
		if row.Kind == runlabel.KindOverall {
			overall = row
		}
		ids = append(ids, row.ID)
	}
	if overall == nil || r.BucketMs <= 0 {
		s.T = []int64{}
		return s, nil
	}
	buckets, err := d.s.db.RunBucket.Query().Where(runbucket.LabelIDIn(ids...), runbucket.GridEQ(runbucket.GridChart)).
		Order(ent.Asc(runbucket.FieldStartMs)).All(ctx)
	if err != nil {
		return nil, apperr.E(op, apperr.Unavailable, err)
	}
	// The time axis is every bucket from the first to the last, gaps included, so quiet
	// periods show as zero rather than being skipped.
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for _, b := range buckets {
		lo, hi = min(lo, b.StartMs), max(hi, b.StartMs)
	}
	if len(buckets) == 0 {
		s.T = []int64{}
		return s, nil
	}
	n := int((hi-lo)/r.BucketMs) + 1
	secs := float64(r.BucketMs) / 1000
	s.T = make([]int64, n)
	for i := range s.T {
		s.T[i] = lo + int64(i)*r.BucketMs
	}
	mk := func() []float64 { return make([]float64, n) }
	s.Hits, s.Errors, s.Mean, s.P50, s.P90, s.P95, s.P99, s.RecvKBps, s.SentKBps = mk(), mk(), mk(), mk(), mk(), mk(), mk(), mk(), mk()
	s.Threads = make([]int, n)
	labelIdx := map[int]int{}
	for _, row := range rows {
		if row.Kind == runlabel.KindLabel {
			labelIdx[row.ID] = len(s.Labels)
			s.Labels = append(s.Labels, LabelSeries{Label: row.Name, TPS: mk(), Mean: mk()})
		}
	}
	for _, b := range buckets {
		i := int((b.StartMs - lo) / r.BucketMs)
		if b.LabelID != overall.ID {
			if li, ok := labelIdx[b.LabelID]; ok && b.Count > 0 {
				s.Labels[li].TPS[i] = round3(float64(b.Count) / secs)
				s.Labels[li].Mean[i] = round3(b.SumMs / float64(b.Count))
			}
			continue
		}
		s.Hits[i] = round3(float64(b.Count) / secs)
		s.Errors[i] = round3(float64(b.Errors) / secs)
		s.Threads[i] = b.MaxThreads
		s.RecvKBps[i] = round3(float64(b.BytesRecv) / 1024 / secs)
		s.SentKBps[i] = round3(float64(b.BytesSent) / 1024 / secs)
		if b.Count > 0 {
			s.Mean[i] = round3(b.SumMs / float64(b.Count))
		}
		for code, c := range b.Codes {
			if s.Codes[code] == nil {
				s.Codes[code] = mk()
			}
			s.Codes[code][i] = round3(float64(c) / secs)
		}
		if hasBytes(b.Hist) {
			var h agg.Hist
			if err := h.UnmarshalBinary(*b.Hist); err != nil {
				return nil, apperr.E(op, apperr.Internal, err)
			}
			s.P50[i], s.P90[i], s.P95[i], s.P99[i] = h.PercentileMS(50), h.PercentileMS(90), h.PercentileMS(95), h.PercentileMS(99)
		}
	}
	if hasBytes(overall.HistAll) {
		var h agg.Hist
		if err := h.UnmarshalBinary(*overall.HistAll); err != nil {
			return nil, apperr.E(op, apperr.Internal, err)
		}
		s.Dist = distribution(&h, 100)
		s.Curve = curve(&h)
	}
	return s, nil
}

// distribution bins a histogram like JMeter's response-time distribution (100 ms bins),
// widening the bins so there are at most maxBins.
func distribution(h *agg.Hist, maxBins int) Distribution {
	bin := 100.0
	for h.MaxMS()/bin >= float64(maxBins) {
		bin *= 2
	}
	nb := int(h.MaxMS()/bin) + 1
	d := Distribution{BinMS: bin, Counts: make([]int64, nb)}
	var prev uint64
	for i := range nb {
		// A bin holds [i·bin, (i+1)·bin): count the values below its upper edge.
		upper := float64(i+1)*bin - 1e-3
		c := countAtMost(h, upper)
		d.Counts[i] = int64(c - prev)
		prev = c
	}
	return d
}

// curve samples the percentile curve finely near the tail, where it matters.
func curve(h *agg.Hist) Curve {
	var ps []float64
	for p := 1.0; p <= 90; p++ {
		ps = append(ps, p)
	}
	for p := 90.1; p < 99; p += 0.1 {
		ps = append(ps, math.Round(p*10)/10)
	}
	for p := 99.01; p < 100; p += 0.01 {
		ps = append(ps, math.Round(p*100)/100)
	}
	ps = append(ps, 100)
	sort.Float64s(ps)
	c := Curve{P: ps, MS: make([]float64, len(ps))}
	for i, p := range ps {
		c.MS[i] = h.PercentileMS(p)
	}
	return c
}

// RangeTable is the statistics table of a time range of a run, merged from the per-label
// slices (Run.label_bucket_ms wide, each with counters and a 0.1% histogram).
//
// Samples are placed by start time, and a slice holds whole samples, so the requested
// range [RequestedFromMS, RequestedToMS) snaps outward to slice edges: FromMS down to the
// start of the slice holding the first requested millisecond, ToMS up to the end of the
// slice holding the last. The rows are then the statistics of exactly the samples that
// started in [FromMS, ToMS): counts, errors, min, max and bytes exactly, the mean to
// rounding, percentiles within 0.1%. Snapped says whether the bounds moved, so the UI shows
// the range the table really covers. Throughput and KB/s divide by the part of [FromMS,
// ToMS) inside the run.
type RangeTable struct {
	FromMS, ToMS                   int64 // as snapped: the range the rows cover
	RequestedFromMS, RequestedToMS int64
	Snapped                        bool
	SliceMS                        int64
	Overall                        *LabelStats
	Labels                         []*LabelStats
}

// Range computes a run's statistics table for a time range.
func (d *Dash) Range(ctx context.Context, v Viewer, runID int, fromMS, toMS int64) (*RangeTable, error) {
	const op = "reports.Dash.Range"
	r, err := d.s.visibleRun(ctx, v, runID)
	if err != nil {
		return nil, err
	}
	if toMS <= fromMS {
		return nil, apperr.E(op, apperr.Invalid, apperr.Key("reports.error.range"), "the end of the time range must be after its start")
	}
	slice := r.LabelBucketMs
	if slice <= 0 || r.PreAggregated {
		return nil, apperr.E(op, apperr.Invalid, apperr.Key("reports.error.no_slices"), "this run has no time slices to select a range from")
	}
	// Slices count when they start in the range; snap the start down so the slice holding
	// fromMS is included, and the end up so the slice holding toMS-1 is too.
	from := floorDiv(fromMS, slice) * slice
	to := (floorDiv(toMS-1, slice) + 1) * slice
	labels, sum, err := d.s.Table(ctx, v, Selection{RunIDs: []int{r.ID}, FromMS: from, ToMS: to})
	if err != nil {
		return nil, err
	}
	spanFrom, spanTo := max(from, r.StartedMs), min(to, r.EndedMs)
	if r.StartedMs == 0 {
		spanFrom, spanTo = from, to
	}
	secs := float64(spanTo-spanFrom) / 1000
	rt := &RangeTable{FromMS: from, ToMS: to, RequestedFromMS: fromMS, RequestedToMS: toMS, Snapped: from != fromMS || to != toMS,
		SliceMS: slice, Overall: figuresRow(sum, "overall", secs)}
	for _, l := range labels {
		if l.Count == 0 {
			continue
		}
		rt.Labels = append(rt.Labels, figuresRow(l, "label", secs))
	}
	return rt, nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func figuresRow(f *Figures, kind string, secs float64) *LabelStats {
	ls := &LabelStats{Label: f.Label, Kind: kind, Transaction: f.Transaction, Count: f.Count, Errors: f.Errors,
		ErrorPct: pct(f.Errors, f.Count), MinMS: round3(f.MinMS), MaxMS: round3(f.MaxMS), MeanMS: round3(f.MeanMS())}
	if f.Count == 0 {
		ls.MinMS, ls.MaxMS = 0, 0
	}
	for _, q := range []struct {
		p   float64
		dst **float64
	}{{50, &ls.P50}, {90, &ls.P90}, {95, &ls.P95}, {99, &ls.P99}} {
		if v, ok := f.Percentile(q.p); ok {
			*q.dst = &v
		}
	}
	if secs > 0 {
		ls.ThroughputPerS = round3(float64(f.Count) / secs)
		ls.RecvKBps = float64(f.BytesRecv) / 1024 / secs
		ls.SentKBps = float64(f.BytesSent) / 1024 / secs
	}
	return ls
}
