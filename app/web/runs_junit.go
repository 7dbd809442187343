package web

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"scanboard/app/reports"
	"scanboard/views/i18n"
	vr "scanboard/views/reports"
)

// junitPage is the run page of a JUnit file.
func (rp *reportPages) junitPage(c *fiber.Ctx, id int) error {
	fv, err := rp.dash.Functional(c.UserContext(), rp.viewer(c), id)
	if err != nil {
		return err
	}
	n := numbersFor(c)
	r := fv.Run
	key := ""
	if r.Edges.Project != nil {
		key = r.Edges.Project.Key
	}
	m := vr.JUnitModel{RunID: id, Title: runTitle(c, id, r.TagBuild), ProjectKey: key}
	m.Summary = []vr.Pair{
		{Key: "reports.junit.total", Value: n.int(int64(fv.Total))},
		{Key: "reports.junit.passed", Value: n.int(int64(fv.Passed)), Class: "sb-good"},
		{Key: "reports.junit.failed", Value: n.int(int64(fv.Failed)), Class: errClass(float64(fv.Failed))},
		{Key: "reports.junit.errored", Value: n.int(int64(fv.Errored)), Class: errClass(float64(fv.Errored))},
		{Key: "reports.junit.skipped", Value: n.int(int64(fv.Skipped))},
		{Key: "reports.junit.flaky", Value: n.int(int64(fv.FlakyCount)), Class: errClass(float64(fv.FlakyCount))},
		{Key: "reports.junit.duration", Value: n.fixed(fv.DurationMS/1000, 3) + " s"},
		{Key: "reports.junit.history", Value: n.int(int64(fv.History))},
	}
	m.Cases = casesTable(c, n, fv)
	m.Cases.CSV = "/runs/" + strconv.Itoa(id) + "/cases.csv"
	p := rp.s.page(c, "reports.run.title")
	p.Title = m.Title
	return rp.s.render(c, vr.JUnitPage(p, m))
}

func casesTable(c *fiber.Ctx, n numbers, fv *reports.FunctionalView) vr.Table {
	t := vr.Table{ID: "cases", Headers: []string{"reports.col.test", "reports.col.status", "reports.col.flaky", "reports.col.duration", "reports.col.message"},
		Numeric: []bool{false, false, false, true, false}, Empty: "reports.empty"}
	for _, cs := range fv.Cases {
		name := cs.Name
		if cs.Classname != "" {
			name = cs.Classname + "." + cs.Name
		}
		status := vr.Cell{Text: i18n.T(c.UserContext(), "reports.junit."+string(cs.Status))}
		if cs.Status == "failed" || cs.Status == "errored" {
			status.Class = "sb-bad"
		}
		flaky := ""
		if cs.Flaky {
			flaky = i18n.T(c.UserContext(), "reports.junit.flaky_flag", map[string]any{"N": cs.Flips})
		}
		t.Rows = append(t.Rows, vr.Row{Cells: []vr.Cell{textCell(name), status, {Text: flaky, Class: errClass(float64(len(flaky)))},
			cell(n.fixed(cs.DurationMs, 0)+" ms", cs.DurationMs), textCell(firstNonEmpty(cs.Message, cs.Type))}})
	}
	return t
}
