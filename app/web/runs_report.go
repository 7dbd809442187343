package web

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"scanboard/app/apperr"
	"scanboard/app/reports"
	"scanboard/ent"
	"scanboard/views/i18n"
	vr "scanboard/views/reports"
)

// runPage is GET /runs/{id}: the run report of a performance run, or the security or JUnit
// view for those formats.
func (rp *reportPages) runPage(c *fiber.Ctx) error {
	id, err := runID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	rep, err := rp.dash.Run(ctx, rp.viewer(c), id)
	if err != nil {
		return err
	}
	switch reports.RunKind(rep.Run) {
	case reports.KindSecurity:
		if rep.Run.Status == "ready" {
			return rp.securityPage(c, id)
		}
	case reports.KindJUnit:
		if rep.Run.Status == "ready" {
			return rp.junitPage(c, id)
		}
	}
	m := rp.cachedRunModel(c, rep)
	if tok, ok := c.Locals(localCSRF).(string); ok {
		m.CSRF = tok
	}
	p := rp.s.page(c, "reports.run.title")
	p.Title = m.Title
	return rp.s.render(c, vr.RunPage(p, m))
}

func runTitle(c *fiber.Ctx, id int, build string) string {
	t := i18n.T(c.UserContext(), "reports.run.name", map[string]any{"ID": id})
	if build != "" {
		t += " · " + build
	}
	return t
}

// cachedRunModel is the formatted run report. A ready run's figures never change, so the
// model is kept per run, processing time, language and project settings (thresholds, rules,
// baseline: what the page shows besides the figures); the CSRF token is added per request.
func (rp *reportPages) cachedRunModel(c *fiber.Ctx, rep *reports.RunReport) vr.RunModel {
	r, p := rep.Run, rep.Project
	if r.Status != "ready" || r.ProcessedAt == nil {
		return rp.runModel(c, rep, rep.Verdict)
	}
	base := 0
	if p.BaselineRunID != nil {
		base = *p.BaselineRunID
	}
	k := modelKey{run: r.ID, stamp: r.ProcessedAt.UnixNano(), lang: i18n.Lang(c.UserContext()), project: p.UpdatedAt.UnixNano(),
		baseline: base, settings: p.SLARules + "\x00" + strconv.Itoa(p.ApdexSatisfiedMs) + "/" + strconv.Itoa(p.ApdexToleratedMs),
		uploader: uploaderName(r)}
	if m, ok := rp.models.Get(k); ok {
		return m
	}
	m := rp.runModel(c, rep, rep.Verdict)
	for _, t := range []*vr.Table{&m.Apdex, &m.Stats, &m.Errors, &m.TopErrors} {
		prerender(c, t)
	}
	rp.models.Add(k, m)
	return m
}

// prerender draws a table once for a cached page; on failure the page draws it itself.
func prerender(c *fiber.Ctx, t *vr.Table) {
	var b strings.Builder
	if err := vr.TableView(*t).Render(c.UserContext(), &b); err == nil {
		t.HTML = b.String()
	}
}

// modelKey identifies a formatted run report.
type modelKey struct {
	run                int
	stamp, project     int64
	lang               string
	baseline           int
	settings, uploader string
}

func uploaderName(r *ent.Run) string {
	if u := r.Edges.Uploader; u != nil {
		return u.DisplayName
	}
	return "–"
}

func (rp *reportPages) runModel(c *fiber.Ctx, rep *reports.RunReport, v *reports.Verdict) vr.RunModel {
	n := numbersFor(c)
	r := rep.Run
	id := strconv.Itoa(r.ID)
	m := vr.RunModel{
		RunID: r.ID, Title: runTitle(c, r.ID, r.TagBuild), ProjectKey: rep.Project.Key, ProjectName: rep.Project.Name,
		Status: string(r.Status), StatusKey: "reports.status." + string(r.Status), Error: r.Error,
		Baseline: rep.Baseline, CanCompare: rep.Project.BaselineRunID != nil && !rep.Baseline,
		Kind: reports.RunKind(r), StatsURL: "/runs/" + id + "/table", SeriesURL: "/runs/" + id + "/series.json",
		ApdexT: n.int(int64(rep.Project.ApdexSatisfiedMs)) + " ms / " + n.int(int64(rep.Project.ApdexToleratedMs)) + " ms",
	}
	if v.Verdict == "pass" || v.Verdict == "fail" {
		m.SLA = v.Verdict
		for _, rr := range v.Rules {
			m.SLARules = append(m.SLARules, vr.RuleLine{Pass: rr.Pass, Reason: rr.Reason})
		}
	}
	o := rep.Overall
	uploader := uploaderName(r)
	tags := strings.TrimSpace(strings.Join(nonEmpty(r.TagBuild, r.TagCommit, r.TagEnv), " · "))
	if tags == "" {
		tags = "–"
	}
	m.Summary = []vr.Pair{
		{Key: "reports.summary.samples", Value: n.int(o.Count)},
		{Key: "reports.summary.errors", Value: n.pct(o.ErrorPct), Class: errClass(o.ErrorPct)},
		{Key: "reports.summary.throughput", Value: n.fixed(o.ThroughputPerS, 2) + " /s"},
		{Key: "reports.summary.duration", Value: n.duration(r.DurationMs)},
		{Key: "reports.summary.started", Value: n.time(r.StartedMs)},
		{Key: "reports.summary.ended", Value: n.time(r.EndedMs)},
		{Key: "reports.summary.tags", Value: tags},
		{Key: "reports.summary.uploader", Value: uploader},
		{Key: "reports.summary.file", Value: r.OriginalFilename + " (" + r.SourceFormat + ")"},
	}
	m.Apdex = apdexTable(n, rep, "/runs/"+id+"/apdex.csv")
	m.Stats = statsTable(n, rep.Overall, rep.Labels, "", "/runs/"+id+"/stats.csv")
	m.Errors = errorsTable(n, rep.Errors, "/runs/"+id+"/errors.csv")
	m.TopErrors = topErrorsTable(n, rep.TopErrors, "/runs/"+id+"/top-errors.csv")
	src := m.SeriesURL
	for _, ch := range []string{"percentiles", "throughput", "errors", "codes", "threads", "bytes", "labels", "distribution", "curve"} {
		m.Charts = append(m.Charts, vr.Chart{Kind: ch, Title: "reports.chart." + ch, Src: src})
	}
	return m
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func errClass(pct float64) string {
	if pct > 0 {
		return "sb-bad"
	}
	return ""
}

// statsHeaders are the statistics table's columns, JMeter's plus the row kind.
var statsHeaders = []string{"reports.col.label", "reports.col.samples", "reports.col.ko", "reports.col.error_pct",
	"reports.col.mean", "reports.col.min", "reports.col.max", "reports.col.median", "reports.col.p90", "reports.col.p95",
	"reports.col.p99", "reports.col.tps", "reports.col.recv", "reports.col.sent"}

func numericCols(n int) []bool {
	out := make([]bool, n)
	for i := 1; i < n; i++ {
		out[i] = true
	}
	return out
}

func statsRow(n numbers, l *reports.LabelStats, name string) vr.Row {
	row := vr.Row{Cells: []vr.Cell{
		textCell(name), cell(n.int(l.Count), float64(l.Count)), cell(n.int(l.Errors), float64(l.Errors)),
		{Text: n.pct(l.ErrorPct), Value: l.ErrorPct, Class: errClass(l.ErrorPct)},
		cell(n.ms(l.MeanMS), l.MeanMS), cell(n.ms(l.MinMS), l.MinMS), cell(n.ms(l.MaxMS), l.MaxMS),
		n.optMS(l.P50), n.optMS(l.P90), n.optMS(l.P95), n.optMS(l.P99),
		cell(n.fixed(l.ThroughputPerS, 2), l.ThroughputPerS), cell(n.fixed(l.RecvKBps, 2), l.RecvKBps), cell(n.fixed(l.SentKBps, 2), l.SentKBps),
	}}
	switch {
	case l.Transaction:
		row.Class = "sb-tx"
	case l.Kind == "sub":
		row.Class = "sb-sub"
	}
	return row
}

// labelName marks transaction-controller rows and sub-results in the label column.
func labelName(ctxT func(string) string, l *reports.LabelStats) string {
	switch {
	case l.Transaction:
		return l.Label + " [" + ctxT("reports.transaction") + "]"
	case l.Kind == "sub":
		return l.Label + " [" + ctxT("reports.sub") + "]"
	}
	return l.Label
}

// labelFilter matches labels by substring, or by regular expression when q is /…/.
func labelFilter(q string) (func(string) bool, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return func(string) bool { return true }, nil
	}
	if len(q) >= 2 && strings.HasPrefix(q, "/") && strings.HasSuffix(q, "/") {
		re, err := regexp.Compile(q[1 : len(q)-1])
		if err != nil {
			return nil, apperr.E("web.labelFilter", apperr.Invalid, apperr.Key("reports.error.regex"), err)
		}
		return re.MatchString, nil
	}
	lq := strings.ToLower(q)
	return func(s string) bool { return strings.Contains(strings.ToLower(s), lq) }, nil
}

func statsTable(n numbers, overall *reports.LabelStats, labels []*reports.LabelStats, q, csv string) vr.Table {
	t := vr.Table{ID: "stats", Headers: statsHeaders, Numeric: numericCols(len(statsHeaders)), CSV: csv, Empty: "reports.empty"}
	match, err := labelFilter(q)
	if err != nil {
		match = func(string) bool { return false }
	}
	tr := func(k string) string { return transactionWord(n.lang, k) }
	for _, l := range labels {
		if match(l.Label) {
			t.Rows = append(t.Rows, statsRow(n, l, labelName(tr, l)))
		}
	}
	if overall != nil {
		row := statsRow(n, overall, transactionWord(n.lang, "reports.total"))
		row.Class = "sb-total"
		t.Rows = append(t.Rows, row)
	}
	return t
}

// transactionWord spells the few words put inside table cells (which carry plain strings).
func transactionWord(lang, key string) string {
	zh := map[string]string{"reports.transaction": "事务", "reports.sub": "子结果", "reports.total": "总计"}
	en := map[string]string{"reports.transaction": "transaction", "reports.sub": "sub-result", "reports.total": "Total"}
	if lang == "en" {
		return en[key]
	}
	return zh[key]
}

func apdexTable(n numbers, rep *reports.RunReport, csv string) vr.Table {
	t := vr.Table{ID: "apdex", Headers: []string{"reports.col.label", "reports.col.apdex", "reports.col.satisfied", "reports.col.tolerated", "reports.col.frustrated"},
		Numeric: numericCols(5), CSV: csv, Empty: "reports.empty"}
	add := func(name string, l *reports.LabelStats, class string) {
		if l.Apdex == nil {
			return
		}
		a := l.Apdex
		sc := "sb-good"
		if a.Score < 0.85 {
			sc = "sb-bad"
		}
		t.Rows = append(t.Rows, vr.Row{Class: class, Cells: []vr.Cell{textCell(name), {Text: n.fixed(a.Score, 3), Value: a.Score, Class: sc},
			cell(n.int(a.Satisfied), float64(a.Satisfied)), cell(n.int(a.Tolerated), float64(a.Tolerated)), cell(n.int(a.Frustrated), float64(a.Frustrated))}})
	}
	for _, l := range rep.Labels {
		if l.Kind == "label" {
			add(l.Label, l, "")
		}
	}
	add(transactionWord(n.lang, "reports.total"), rep.Overall, "sb-total")
	return t
}

func errorsTable(n numbers, es []reports.ErrorStat, csv string) vr.Table {
	t := vr.Table{ID: "errors", Headers: []string{"reports.col.error_type", "reports.col.errors", "reports.col.pct_errors", "reports.col.pct_samples"},
		Numeric: []bool{false, true, true, true}, CSV: csv, Empty: "reports.errors.none"}
	for _, e := range es {
		t.Rows = append(t.Rows, vr.Row{Cells: []vr.Cell{textCell(errorType(e)), cell(n.int(e.Count), float64(e.Count)),
			cell(n.pct(e.PctErrors), e.PctErrors), cell(n.pct(e.PctSamples), e.PctSamples)}})
	}
	return t
}

// errorType is JMeter's "type of error": the response code and message.
func errorType(e reports.ErrorStat) string {
	switch {
	case e.Code != "" && e.Message != "":
		return e.Code + "/" + e.Message
	case e.Code != "":
		return e.Code
	}
	return e.Message
}

func topErrorsTable(n numbers, les []reports.LabelErrors, csv string) vr.Table {
	h := []string{"reports.col.label", "reports.col.samples", "reports.col.errors"}
	for i := 1; i <= 5; i++ {
		h = append(h, "reports.col.error"+strconv.Itoa(i), "reports.col.errors"+strconv.Itoa(i))
	}
	num := make([]bool, len(h))
	num[1], num[2] = true, true
	for i := 4; i < len(h); i += 2 {
		num[i] = true
	}
	t := vr.Table{ID: "top-errors", Headers: h, Numeric: num, CSV: csv, Empty: "reports.errors.none"}
	for _, le := range les {
		cells := []vr.Cell{textCell(le.Label), cell(n.int(le.Samples), float64(le.Samples)), cell(n.int(le.Errors), float64(le.Errors))}
		for i := range 5 {
			if i < len(le.Top) {
				cells = append(cells, textCell(errorType(le.Top[i])), cell(n.int(le.Top[i].Count), float64(le.Top[i].Count)))
			} else {
				cells = append(cells, textCell(""), cell("", 0))
			}
		}
		t.Rows = append(t.Rows, vr.Row{Cells: cells})
	}
	return t
}

// runSeries is GET /runs/{id}/series.json: the chart data of a run, from its stored buckets.
func (rp *reportPages) runSeries(c *fiber.Ctx) error {
	id, err := runID(c, "id")
	if err != nil {
		return err
	}
	s, err := rp.dash.Series(c.UserContext(), rp.viewer(c), id)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "private, max-age=60")
	return c.JSON(s)
}

// tableQuery reads the statistics table's filter and time range (epoch ms) from the query.
func tableQuery(c *fiber.Ctx) (q string, from, to int64) {
	q = c.Query("q")
	from, _ = strconv.ParseInt(c.Query("from"), 10, 64)
	to, _ = strconv.ParseInt(c.Query("to"), 10, 64)
	return q, from, to
}

// statsFor builds the statistics table of a run, for a time range when from < to.
func (rp *reportPages) statsFor(c *fiber.Ctx, id int) (vr.RunModel, error) {
	q, from, to := tableQuery(c)
	if _, err := labelFilter(q); err != nil {
		return vr.RunModel{}, err
	}
	n := numbersFor(c)
	sid := strconv.Itoa(id)
	m := vr.RunModel{RunID: id, StatsURL: "/runs/" + sid + "/table", Filter: q}
	csv := "/runs/" + sid + "/stats.csv?" + string(c.Request().URI().QueryString())
	if from > 0 && to > from {
		rt, err := rp.dash.Range(c.UserContext(), rp.viewer(c), id, from, to)
		if err != nil {
			return m, err
		}
		m.Stats = statsTable(n, rt.Overall, rt.Labels, q, csv)
		m.Range = n.time(rt.FromMS) + " – " + n.time(rt.ToMS)
		return m, nil
	}
	rep, err := rp.dash.Run(c.UserContext(), rp.viewer(c), id)
	if err != nil {
		return m, err
	}
	m.Stats = statsTable(n, rep.Overall, rep.Labels, q, csv)
	return m, nil
}

// runTable is GET /runs/{id}/table?q=&from=&to=: the statistics table fragment the run page
// swaps in when the label filter or the chart's selected time range changes.
func (rp *reportPages) runTable(c *fiber.Ctx) error {
	id, err := runID(c, "id")
	if err != nil {
		return err
	}
	m, err := rp.statsFor(c, id)
	if err != nil {
		return err
	}
	return rp.s.render(c, vr.StatsFragment(m))
}
