package web

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"scanboard/app/reports"
	"scanboard/views/i18n"
	vr "scanboard/views/reports"
)

// securityPage is the run page of a ZAP or SARIF scan.
func (rp *reportPages) securityPage(c *fiber.Ctx, id int) error {
	ctx := c.UserContext()
	sv, err := rp.dash.Security(ctx, rp.viewer(c), id)
	if err != nil {
		return err
	}
	n := numbersFor(c)
	r := sv.Run
	key := ""
	if r.Edges.Project != nil {
		key = r.Edges.Project.Key
	}
	sid := strconv.Itoa(id)
	m := vr.SecurityModel{RunID: id, Title: runTitle(c, id, r.TagBuild), ProjectKey: key, HasPrevious: sv.Previous != nil,
		CSV: "/runs/" + sid + "/findings.csv"}
	open := 0
	for _, g := range sv.Groups {
		open += len(g.Instances)
	}
	m.Summary = []vr.Pair{
		{Key: "reports.security.open", Value: n.int(int64(open))},
		{Key: "reports.security.tool", Value: r.SourceFormat},
		{Key: "reports.summary.file", Value: r.OriginalFilename},
		{Key: "reports.security.suppressed", Value: n.int(int64(sv.Suppressed))},
	}
	if sv.Previous != nil {
		m.Summary = append(m.Summary,
			vr.Pair{Key: "reports.security.new", Value: n.int(int64(sv.New)), Class: errClass(float64(sv.New))},
			vr.Pair{Key: "reports.security.fixed", Value: n.int(int64(len(sv.Fixed)))},
			vr.Pair{Key: "reports.security.still_open", Value: n.int(int64(sv.StillOpen))},
			vr.Pair{Key: "reports.security.previous", Value: runTitle(c, sv.Previous.ID, sv.Previous.TagBuild)})
	}
	// Risk × confidence counts.
	h := []string{"reports.col.risk"}
	for _, cf := range sv.Confidences {
		h = append(h, confidenceKey(cf))
	}
	m.Matrix = vr.Table{ID: "matrix", Headers: h, Numeric: numericCols(len(h)), Empty: "reports.security.none"}
	for _, risk := range reports.Risks {
		row, ok := sv.Matrix[risk]
		if !ok {
			continue
		}
		cells := []vr.Cell{{Text: i18n.T(ctx, "reports.risk."+risk), Class: "sb-risk-" + risk}}
		for _, cf := range sv.Confidences {
			cells = append(cells, cell(n.int(int64(row[cf])), float64(row[cf])))
		}
		m.Matrix.Rows = append(m.Matrix.Rows, vr.Row{Cells: cells})
	}
	for _, g := range sv.Groups {
		meta := g.RuleID
		if g.CWE > 0 {
			meta += " · CWE-" + strconv.Itoa(g.CWE)
		}
		meta += " · " + i18n.T(ctx, "reports.security.instances", map[string]any{"N": n.int(int64(len(g.Instances)))})
		t := vr.Table{Headers: []string{"reports.col.location", "reports.col.method", "reports.col.param", "reports.col.evidence"}, Empty: "reports.empty"}
		for _, f := range g.Instances {
			t.Rows = append(t.Rows, vr.Row{Cells: []vr.Cell{textCell(location(f.URI, f.File, f.Line)), textCell(f.Method), textCell(f.Param), textCell(firstNonEmpty(f.Evidence, f.Message))}})
		}
		title := g.Name
		if title == "" {
			title = g.RuleID
		}
		m.Groups = append(m.Groups, vr.FindingGroup{Title: title, Risk: g.Risk, RiskKey: "reports.risk." + g.Risk, Meta: meta, New: g.New, Instances: t})
	}
	m.Fixed = vr.Table{ID: "fixed", Headers: []string{"reports.col.rule", "reports.col.risk", "reports.col.location"}, Empty: "reports.security.none_fixed"}
	for _, f := range sv.Fixed {
		m.Fixed.Rows = append(m.Fixed.Rows, vr.Row{Cells: []vr.Cell{textCell(firstNonEmpty(f.RuleName, f.RuleID)), textCell(i18n.T(ctx, "reports.risk."+f.Risk)), textCell(location(f.URI, f.File, f.Line))}})
	}
	m.Charts = []vr.Chart{{Kind: "security-trend", Title: "reports.chart.security", Src: "/projects/" + key + "/security-trend.json"}}
	p := rp.s.page(c, "reports.run.title")
	p.Title = m.Title
	return rp.s.render(c, vr.SecurityPage(p, m))
}

func confidenceKey(cf string) string {
	if cf == "" {
		return "reports.confidence.unknown"
	}
	return "reports.confidence." + cf
}

func location(uri, file string, line int) string {
	if uri != "" {
		return uri
	}
	if line > 0 {
		return file + ":" + strconv.Itoa(line)
	}
	return file
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// findingsTable is every open finding of a scan, for the CSV export.
func findingsTable(n numbers, sv *reports.SecurityView) vr.Table {
	t := vr.Table{Headers: []string{"reports.col.rule", "reports.col.risk", "reports.col.confidence", "reports.col.cwe", "reports.col.location",
		"reports.col.method", "reports.col.param", "reports.col.evidence"}, Numeric: []bool{false, false, false, true}}
	for _, g := range sv.Groups {
		for _, f := range g.Instances {
			t.Rows = append(t.Rows, vr.Row{Cells: []vr.Cell{textCell(firstNonEmpty(f.RuleName, f.RuleID)), textCell(f.Risk), textCell(f.Confidence),
				cell(n.int(int64(f.Cwe)), float64(f.Cwe)), textCell(location(f.URI, f.File, f.Line)), textCell(f.Method), textCell(f.Param), textCell(firstNonEmpty(f.Evidence, f.Message))}})
		}
	}
	return t
}

// projectSecurityTrend is GET /projects/{key}/security-trend.json.
func (rp *reportPages) projectSecurityTrend(c *fiber.Ctx) error {
	pts, err := rp.dash.SecurityTrend(c.UserContext(), rp.viewer(c), c.Params("key"), 0)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"risks": reports.Risks, "points": pts})
}
