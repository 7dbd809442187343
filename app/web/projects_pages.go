package web

import (
	"net/url"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"scanboard/app/apperr"
	"scanboard/app/reports"
	"scanboard/ent"
	"scanboard/views/i18n"
	vr "scanboard/views/reports"
)

// projectsTable lists the projects a viewer may see.
func (rp *reportPages) projectsTable(c *fiber.Ctx) (vr.Table, error) {
	ps, err := rp.s.Reports.ListProjects(c.UserContext(), rp.viewer(c))
	if err != nil {
		return vr.Table{}, err
	}
	t := vr.Table{ID: "projects", Headers: []string{"reports.col.key", "reports.col.name", "reports.col.description"}, CSV: "/projects.csv", Empty: "reports.projects.none"}
	for _, p := range ps {
		t.Rows = append(t.Rows, vr.Row{Href: "/projects/" + p.Key, Cells: []vr.Cell{textCell(p.Key), textCell(p.Name), textCell(p.Description)}})
	}
	return t, nil
}

// projectsPage is GET /projects.
func (rp *reportPages) projectsPage(c *fiber.Ctx) error {
	t, err := rp.projectsTable(c)
	if err != nil {
		return err
	}
	return rp.s.render(c, vr.ProjectsPage(rp.s.page(c, "reports.projects"), vr.ProjectsModel{Table: t}))
}

func (rp *reportPages) projectsCSV(c *fiber.Ctx) error {
	t, err := rp.projectsTable(c)
	if err != nil {
		return err
	}
	return sendCSV(c, "projects.csv", t)
}

// runsTable is a page of a project's runs with their key figures.
func (rp *reportPages) runsTable(c *fiber.Ctx, pv *reports.ProjectView) (vr.Table, error) {
	ctx := c.UserContext()
	n := numbersFor(c)
	h := []string{"reports.col.run", "reports.col.started", "reports.col.status", "reports.col.format", "reports.col.tags",
		"reports.col.samples", "reports.col.error_pct", "reports.col.p95", "reports.col.tps", "reports.col.sla"}
	t := vr.Table{ID: "runs", Headers: h, Numeric: []bool{true, false, false, false, false, true, true, true, true, false},
		CSV: "/projects/" + pv.Project.Key + "/runs.csv", Empty: "reports.runs.none"}
	for _, r := range pv.Runs {
		name := "#" + strconv.Itoa(r.ID)
		cls := ""
		if pv.Project.BaselineRunID != nil && *pv.Project.BaselineRunID == r.ID {
			name += " ★ " + i18n.T(ctx, "reports.baseline")
			cls = "sb-baseline-row"
		}
		started := r.StartedMs
		if started == 0 {
			started = r.CreatedAt.UnixMilli()
		}
		row := vr.Row{Href: "/runs/" + strconv.Itoa(r.ID), Class: cls, Cells: []vr.Cell{
			cell(name, float64(r.ID)), textCell(n.time(started)), textCell(i18n.T(ctx, "reports.status."+string(r.Status))),
			textCell(r.SourceFormat), textCell(joinTags(r)),
		}}
		kind := reports.RunKind(r)
		if kind == reports.KindPerf && r.Status == "ready" {
			ep := 0.0
			if r.SampleCount > 0 {
				ep = 100 * float64(r.ErrorCount) / float64(r.SampleCount)
			}
			row.Cells = append(row.Cells, cell(n.int(r.SampleCount), float64(r.SampleCount)), vr.Cell{Text: n.pct(ep), Value: ep, Class: errClass(ep)})
			fig, err := rp.dash.Run(ctx, rp.viewer(c), r.ID)
			if err != nil {
				return t, err
			}
			row.Cells = append(row.Cells, n.optMS(fig.Overall.P95), cell(n.fixed(fig.Overall.ThroughputPerS, 2), fig.Overall.ThroughputPerS))
		} else {
			row.Cells = append(row.Cells, cell(n.int(r.SampleCount), float64(r.SampleCount)), cell("", 0), cell("", 0), cell("", 0))
		}
		sla := vr.Cell{}
		switch r.SLAVerdict {
		case "pass":
			sla = vr.Cell{Text: "✓ " + i18n.T(ctx, "reports.sla.pass"), Class: "sb-good"}
		case "fail":
			sla = vr.Cell{Text: "✗ " + i18n.T(ctx, "reports.sla.fail"), Class: "sb-bad"}
		}
		row.Cells = append(row.Cells, sla)
		t.Rows = append(t.Rows, row)
	}
	return t, nil
}

func joinTags(r *ent.Run) string {
	out := ""
	for _, s := range nonEmpty(r.TagBuild, r.TagCommit, r.TagEnv) {
		if out != "" {
			out += " · "
		}
		out += s
	}
	return out
}

func runPageOf(c *fiber.Ctx) reports.RunPage {
	before, _ := strconv.Atoi(c.Query("before"))
	return reports.RunPage{Limit: 25, BeforeID: max(before, 0)}
}

// projectPage is GET /projects/{key}: runs, trends, baseline and (for managers) settings.
func (rp *reportPages) projectPage(c *fiber.Ctx) error {
	key := c.Params("key")
	pv, err := rp.dash.Project(c.UserContext(), rp.viewer(c), key, runPageOf(c))
	if err != nil {
		return err
	}
	t, err := rp.runsTable(c, pv)
	if err != nil {
		return err
	}
	p := pv.Project
	label := c.Query("label")
	tq := "/projects/" + p.Key + "/trend.json?label=" + url.QueryEscape(label)
	m := vr.ProjectModel{Key: p.Key, Name: p.Name, Description: p.Description, Runs: t, Labels: pv.Labels, Label: label,
		TrendURL: tq, CanEdit: viewerOf(principal(c)).SeesAll(), SLARules: p.SLARules, ApdexS: p.ApdexSatisfiedMs, ApdexT: p.ApdexToleratedMs,
		RegPct: formatRaw(p.RegressionPct), RegErr: formatRaw(p.RegressionErrorPts), RegMin: p.RegressionMinCount}
	if p.BaselineRunID != nil {
		m.BaselineID = *p.BaselineRunID
	}
	if tok, ok := c.Locals(localCSRF).(string); ok {
		m.CSRF = tok
	}
	if pv.Next != 0 {
		m.NextURL = "/projects/" + p.Key + "?before=" + strconv.Itoa(pv.Next) + "&label=" + url.QueryEscape(label)
	}
	for _, k := range []string{"trend-p95", "trend-throughput", "trend-errors"} {
		m.Charts = append(m.Charts, vr.Chart{Kind: k, Title: "reports.chart." + k, Src: tq})
	}
	m.Charts = append(m.Charts, vr.Chart{Kind: "security-trend", Title: "reports.chart.security", Src: "/projects/" + p.Key + "/security-trend.json"})
	pg := rp.s.page(c, "reports.projects")
	pg.Title = p.Name
	return rp.s.render(c, vr.ProjectPage(pg, m))
}

func (rp *reportPages) projectRunsCSV(c *fiber.Ctx) error {
	pv, err := rp.dash.Project(c.UserContext(), rp.viewer(c), c.Params("key"), runPageOf(c))
	if err != nil {
		return err
	}
	t, err := rp.runsTable(c, pv)
	if err != nil {
		return err
	}
	return sendCSV(c, pv.Project.Key+"-runs.csv", t)
}

// projectTrend is GET /projects/{key}/trend.json?label=: key figures across runs.
func (rp *reportPages) projectTrend(c *fiber.Ctx) error {
	pts, err := rp.dash.Trend(c.UserContext(), rp.viewer(c), c.Params("key"), c.Query("label"), 0)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"label": c.Query("label"), "points": pts})
}

// projectBaseline is POST /projects/{key}/baseline: mark a run (run_id) as the baseline.
func (rp *reportPages) projectBaseline(c *fiber.Ctx) error {
	key := c.Params("key")
	id, err := strconv.Atoi(c.FormValue("run_id"))
	if err != nil || id < 0 {
		return apperr.E("web.projectBaseline", apperr.Invalid, apperr.Key("reports.error.baseline"), "run_id is not a number")
	}
	if err := rp.dash.SetBaseline(c.UserContext(), rp.viewer(c), key, id); err != nil {
		return err
	}
	if err := rp.s.audit(c, "project.baseline", "project", key, map[string]any{"run_id": id}); err != nil {
		return err
	}
	if id == 0 {
		return c.Redirect("/projects/"+key, fiber.StatusSeeOther)
	}
	return c.Redirect("/runs/"+strconv.Itoa(id), fiber.StatusSeeOther)
}

// projectSettings is POST /projects/{key}/settings (managers): SLA rules and thresholds.
func (rp *reportPages) projectSettings(c *fiber.Ctx) error {
	key := c.Params("key")
	atoi := func(name string) int { v, _ := strconv.Atoi(c.FormValue(name)); return v }
	atof := func(name string) float64 { v, _ := strconv.ParseFloat(c.FormValue(name), 64); return v }
	in := reports.Settings{SLARules: c.FormValue("sla_rules"), ApdexSatisfiedMS: atoi("apdex_satisfied_ms"), ApdexToleratedMS: atoi("apdex_tolerated_ms"),
		RegressionPct: atof("regression_pct"), RegressionErrorPts: atof("regression_error_pts"), RegressionMinCount: atoi("regression_min_count")}
	if err := rp.dash.SaveSettings(c.UserContext(), rp.viewer(c), key, in); err != nil {
		return err
	}
	if err := rp.s.audit(c, "project.settings", "project", key, map[string]any{
		"sla_rules": in.SLARules, "apdex_satisfied_ms": in.ApdexSatisfiedMS, "apdex_tolerated_ms": in.ApdexToleratedMS,
		"regression_pct": in.RegressionPct, "regression_error_pts": in.RegressionErrorPts, "regression_min_count": in.RegressionMinCount,
	}); err != nil {
		return err
	}
	return c.Redirect("/projects/"+key, fiber.StatusSeeOther)
}
