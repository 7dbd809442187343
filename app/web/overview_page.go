package web

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"scanboard/app/reports"
	"scanboard/views/i18n"
	vr "scanboard/views/reports"
)

func overviewFilter(c *fiber.Ctx) reports.OverviewFilter {
	return reports.OverviewFilter{Query: c.Query("q"), SLA: c.Query("sla"), HighRisk: c.Query("high") == "1"}
}

func (rp *reportPages) overviewTable(c *fiber.Ctx, f reports.OverviewFilter) (vr.Table, error) {
	rows, err := rp.dash.Overview(c.UserContext(), rp.viewer(c), f)
	if err != nil {
		return vr.Table{}, err
	}
	ctx := c.UserContext()
	n := numbersFor(c)
	h := []string{"reports.col.project", "reports.col.latest", "reports.col.started", "reports.col.p95", "reports.col.trend",
		"reports.col.error_pct", "reports.col.sla", "reports.col.high_risk"}
	t := vr.Table{ID: "overview", Headers: h, Numeric: []bool{false, false, false, true, true, true, false, true},
		CSV: "/overview.csv?" + string(c.Request().URI().QueryString()), Empty: "reports.projects.none"}
	for _, r := range rows {
		latest, started := vr.Cell{Text: "–"}, vr.Cell{Text: "–"}
		if r.Latest != nil {
			latest = cell("#"+strconv.Itoa(r.Latest.ID), float64(r.Latest.ID))
			started = textCell(n.time(r.Latest.StartedMs))
		}
		trend := vr.Cell{Text: "–"}
		if r.TrendPct != nil {
			arrow := map[string]string{reports.TrendUp: "↑", reports.TrendDown: "↓", reports.TrendFlat: "→"}[r.Trend]
			trend = vr.Cell{Text: arrow + " " + n.p.Sprintf("%+.1f%%", *r.TrendPct), Value: *r.TrendPct}
			switch r.Trend {
			case reports.TrendUp:
				trend.Class = "sb-bad"
			case reports.TrendDown:
				trend.Class = "sb-good"
			}
		}
		sla := vr.Cell{Text: "–"}
		switch r.SLA {
		case "pass":
			sla = vr.Cell{Text: "✓ " + i18n.T(ctx, "reports.sla.pass"), Class: "sb-good"}
		case "fail":
			sla = vr.Cell{Text: "✗ " + i18n.T(ctx, "reports.sla.fail"), Class: "sb-bad"}
		}
		hr := vr.Cell{Text: n.int(r.HighRisk), Value: float64(r.HighRisk)}
		if r.HighRisk > 0 {
			hr.Class = "sb-bad"
		}
		t.Rows = append(t.Rows, vr.Row{Href: "/projects/" + r.Project.Key, Cells: []vr.Cell{textCell(r.Project.Name + " (" + r.Project.Key + ")"),
			latest, started, n.optMS(r.P95), trend, cell(n.pct(r.ErrorPct), r.ErrorPct), sla, hr}})
	}
	return t, nil
}

// overviewPage is GET /overview (managers): every project on one page.
func (rp *reportPages) overviewPage(c *fiber.Ctx) error {
	f := overviewFilter(c)
	t, err := rp.overviewTable(c, f)
	if err != nil {
		return err
	}
	m := vr.OverviewModel{Query: f.Query, SLA: f.SLA, HighRisk: f.HighRisk, Table: t}
	return rp.s.render(c, vr.OverviewPage(rp.s.page(c, "reports.overview.title"), m))
}

func (rp *reportPages) overviewCSV(c *fiber.Ctx) error {
	t, err := rp.overviewTable(c, overviewFilter(c))
	if err != nil {
		return err
	}
	return sendCSV(c, "overview.csv", t)
}
