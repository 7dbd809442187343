package web

import (
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"scanboard/app/reports"
	"scanboard/views/i18n"
	vr "scanboard/views/reports"
)

// compareOf reads ?a= (reference; empty: the project's baseline) and ?b= (the run judged).
func (rp *reportPages) compareOf(c *fiber.Ctx) (*reports.Comparison, error) {
	a, _ := strconv.Atoi(c.Query("a"))
	b, err := runID(c, "")
	if q := c.Query("b"); q != "" {
		b, err = strconv.Atoi(q)
		if err != nil || b <= 0 {
			b, err = runID(c, "") // a non-number is a missing run
		}
	}
	if err != nil {
		return nil, err
	}
	return rp.dash.Compare(c.UserContext(), rp.viewer(c), max(a, 0), b)
}

var compareHeaders = []string{"reports.col.label", "reports.col.change", "reports.col.samples_ab",
	"reports.col.p95_a", "reports.col.p95_b", "reports.col.dp95", "reports.col.p99_a", "reports.col.p99_b", "reports.col.dp99",
	"reports.col.mean_a", "reports.col.mean_b", "reports.col.dmean", "reports.col.tps_a", "reports.col.tps_b", "reports.col.dtps",
	"reports.col.err_a", "reports.col.err_b", "reports.col.derr"}

func compareTable(c *fiber.Ctx, n numbers, rows []reports.CompareRow, id, csv string) vr.Table {
	num := numericCols(len(compareHeaders))
	num[1], num[2] = false, false
	t := vr.Table{ID: id, Headers: compareHeaders, Numeric: num, CSV: csv, Empty: "reports.empty"}
	delta := func(d *float64, unit string, worseUp bool) vr.Cell {
		if d == nil {
			return vr.Cell{Text: "–"}
		}
		cl := ""
		if (*d > 0) == worseUp && *d != 0 {
			cl = "sb-bad"
		} else if *d != 0 {
			cl = "sb-good"
		}
		return vr.Cell{Text: n.p.Sprintf("%+.1f", *d) + unit, Value: *d, Class: cl}
	}
	side := func(l *reports.LabelStats, f func(*reports.LabelStats) vr.Cell) vr.Cell {
		if l == nil {
			return vr.Cell{Text: "–"}
		}
		return f(l)
	}
	for _, r := range rows {
		name := r.Label
		if name == "" {
			name = transactionWord(n.lang, "reports.total")
		}
		change := vr.Cell{Text: i18n.T(c.UserContext(), "reports.change."+r.Change)}
		if r.Why != "" {
			change.Text += " (" + r.Why + ")"
		}
		cls := ""
		switch r.Change {
		case reports.ChangeRegressed:
			change.Class, cls = "sb-bad", "sb-regressed"
		case reports.ChangeImproved:
			change.Class, cls = "sb-good", "sb-improved"
		}
		counts := fmt.Sprintf("%s / %s", side(r.A, func(l *reports.LabelStats) vr.Cell { return textCell(n.int(l.Count)) }).Text,
			side(r.B, func(l *reports.LabelStats) vr.Cell { return textCell(n.int(l.Count)) }).Text)
		p95 := func(l *reports.LabelStats) vr.Cell { return n.optMS(l.P95) }
		p99 := func(l *reports.LabelStats) vr.Cell { return n.optMS(l.P99) }
		mean := func(l *reports.LabelStats) vr.Cell { return cell(n.ms(l.MeanMS), l.MeanMS) }
		tps := func(l *reports.LabelStats) vr.Cell { return cell(n.fixed(l.ThroughputPerS, 2), l.ThroughputPerS) }
		ep := func(l *reports.LabelStats) vr.Cell { return cell(n.pct(l.ErrorPct), l.ErrorPct) }
		t.Rows = append(t.Rows, vr.Row{Class: cls, Cells: []vr.Cell{textCell(name), change, textCell(counts),
			side(r.A, p95), side(r.B, p95), delta(r.DP95, "%", true),
			side(r.A, p99), side(r.B, p99), delta(r.DP99, "%", true),
			side(r.A, mean), side(r.B, mean), delta(r.DMean, "%", true),
			side(r.A, tps), side(r.B, tps), delta(r.DTput, "%", false),
			side(r.A, ep), side(r.B, ep), delta(r.DErr, " pts", true)}})
	}
	return t
}

// comparePage is GET /compare?a=&b=: run b against run a (default: the baseline).
func (rp *reportPages) comparePage(c *fiber.Ctx) error {
	cmp, err := rp.compareOf(c)
	if err != nil {
		return err
	}
	n := numbersFor(c)
	q := "?a=" + strconv.Itoa(cmp.A.ID) + "&b=" + strconv.Itoa(cmp.B.ID)
	p := cmp.Project
	m := vr.CompareModel{ProjectKey: p.Key, ProjectName: p.Name, A: cmp.A.ID, B: cmp.B.ID,
		ATitle: runTitle(c, cmp.A.ID, cmp.A.TagBuild), BTitle: runTitle(c, cmp.B.ID, cmp.B.TagBuild),
		Thresholds: i18n.T(c.UserContext(), "reports.compare.thresholds", map[string]any{
			"Pct": formatRaw(p.RegressionPct), "Pts": formatRaw(p.RegressionErrorPts), "Min": n.int(int64(p.RegressionMinCount))}),
		Overall: compareTable(c, n, []reports.CompareRow{cmp.Overall}, "cmp-overall", ""),
		Labels:  compareTable(c, n, cmp.Rows, "cmp-labels", "/compare.csv"+q),
	}
	for _, k := range []string{"compare-percentiles", "compare-throughput"} {
		m.Charts = append(m.Charts, vr.Chart{Kind: k, Title: "reports.chart." + k, Src: "/compare/series.json" + q})
	}
	pg := rp.s.page(c, "reports.compare.title")
	return rp.s.render(c, vr.ComparePage(pg, m))
}

func (rp *reportPages) compareCSV(c *fiber.Ctx) error {
	cmp, err := rp.compareOf(c)
	if err != nil {
		return err
	}
	rows := append([]reports.CompareRow{cmp.Overall}, cmp.Rows...)
	return sendCSV(c, fmt.Sprintf("compare-%d-%d.csv", cmp.A.ID, cmp.B.ID), compareTable(c, numbersFor(c), rows, "", ""))
}

// compareSeries is GET /compare/series.json?a=&b=: both runs' series, on time since start,
// for the overlayed charts.
func (rp *reportPages) compareSeries(c *fiber.Ctx) error {
	cmp, err := rp.compareOf(c)
	if err != nil {
		return err
	}
	sa, err := rp.dash.Series(c.UserContext(), rp.viewer(c), cmp.A.ID)
	if err != nil {
		return err
	}
	sb, err := rp.dash.Series(c.UserContext(), rp.viewer(c), cmp.B.ID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"a": fiber.Map{"run": cmp.A.ID, "series": sa}, "b": fiber.Map{"run": cmp.B.ID, "series": sb}})
}
