package stats

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"text/tabwriter"

	"scanboard/app/reports/agg"
	"scanboard/app/reports/parse"
)

// Report is what `mis report stats` prints, in the JSON shape it promises.
type Report struct {
	Format  string `json:"format"`
	Overall Row    `json:"overall"`
	Labels  []Row  `json:"labels"`
}

// Row is one label's (or the overall) statistics. Percentiles are nearest-rank over every
// sample for raw formats; for pre-aggregated formats they are the tool's own and null when
// the tool did not state them.
type Row struct {
	Label          string   `json:"label"`
	Count          int64    `json:"count"`
	Errors         int64    `json:"errors"`
	MinMS          float64  `json:"min_ms"`
	MaxMS          float64  `json:"max_ms"`
	MeanMS         float64  `json:"mean_ms"`
	P50MS          *float64 `json:"p50_ms"`
	P90MS          *float64 `json:"p90_ms"`
	P95MS          *float64 `json:"p95_ms"`
	P99MS          *float64 `json:"p99_ms"`
	ThroughputPerS float64  `json:"throughput_per_s"`
	Transaction    bool     `json:"transaction,omitempty"`

	pct func(p float64) (float64, bool)
}

// OverallLabel is the label printed for the whole-run row.
const OverallLabel = "TOTAL"

// Figures returns the row as rule input.
func (r *Row) Figures() Figures {
	return Figures{Count: r.Count, Errors: r.Errors, MinMS: r.MinMS, MaxMS: r.MaxMS, MeanMS: r.MeanMS, ThroughputPerS: r.ThroughputPerS, Percentile: r.pct}
}

func ptr(v float64, ok bool) *float64 {
	if !ok {
		return nil
	}
	return &v
}

// round3 keeps printed figures stable and readable; the histograms are finer than this
// only where the data is.
func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

func rowFromLabel(name string, l *agg.Label) Row {
	h := l.All
	pct := func(p float64) (float64, bool) { return round3(h.PercentileMS(p)), h.Count() > 0 }
	r := Row{
		Label: name, Count: l.Count, Errors: l.Errors,
		MinMS: round3(l.MinMS), MaxMS: round3(l.MaxMS), MeanMS: round3(l.MeanMS()),
		ThroughputPerS: round3(l.ThroughputPerS()), Transaction: l.Transaction, pct: pct,
	}
	r.P50MS, r.P90MS, r.P95MS, r.P99MS = ptr(pct(50)), ptr(pct(90)), ptr(pct(95)), ptr(pct(99))
	return r
}

// FromResult builds the report of raw-sample input. Sub-result labels are listed (as JMeter
// lists them) but are not part of the overall row.
func FromResult(format string, res *agg.Result) *Report {
	rep := &Report{Format: format, Overall: rowFromLabel(OverallLabel, res.Overall), Labels: []Row{}}
	for _, l := range res.Labels {
		rep.Labels = append(rep.Labels, rowFromLabel(l.Name, l))
	}
	return rep
}

func rowFromStats(name string, s *parse.Stats) Row {
	stated := s.Percentiles
	pct := func(p float64) (float64, bool) {
		v, ok := stated[p]
		return v, ok
	}
	r := Row{Label: name, Count: s.Count, Errors: s.Errors, MinMS: s.MinMS, MaxMS: s.MaxMS, MeanMS: s.MeanMS, ThroughputPerS: s.ThroughputPerS, pct: pct}
	r.P50MS, r.P90MS, r.P95MS, r.P99MS = ptr(pct(50)), ptr(pct(90)), ptr(pct(95)), ptr(pct(99))
	return r
}

// FromSummary builds the report of a pre-aggregated format from the tool's own figures.
func FromSummary(sum *parse.Summary) *Report {
	rep := &Report{Format: string(sum.Format), Overall: rowFromStats(OverallLabel, &sum.Overall), Labels: []Row{}}
	for i := range sum.Labels {
		rep.Labels = append(rep.Labels, rowFromStats(sum.Labels[i].Label, &sum.Labels[i]))
	}
	return rep
}

// WriteJSON prints the report as indented JSON.
func (rep *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// WriteTable prints the statistics table, labels first and the overall row last.
func (rep *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "Label\tCount\tErrors\tError %%\tMin\tMax\tMean\tp50\tp90\tp95\tp99\tThroughput/s\t\n")
	rows := append(append([]Row(nil), rep.Labels...), rep.Overall)
	for _, r := range rows {
		name := r.Label
		if r.Transaction {
			name += " [transaction]"
		}
		errPct := 0.0
		if r.Count > 0 {
			errPct = 100 * float64(r.Errors) / float64(r.Count)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.2f%%\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.2f\t\n", name, r.Count, r.Errors, errPct,
			num(r.MinMS), num(r.MaxMS), num(r.MeanMS), opt(r.P50MS), opt(r.P90MS), opt(r.P95MS), opt(r.P99MS), r.ThroughputPerS)
	}
	fmt.Fprintf(tw, "(format %s; times in ms; percentiles nearest-rank)\t\n", rep.Format)
	return tw.Flush()
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func opt(v *float64) string {
	if v == nil {
		return "-"
	}
	return num(*v)
}
