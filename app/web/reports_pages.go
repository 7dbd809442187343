package web

import (
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"scanboard/app/apperr"
	"scanboard/app/reports"
	"scanboard/views/i18n"
	vr "scanboard/views/reports"
)

// reportPages holds the dashboard handlers: run reports, projects, comparisons, security and
// JUnit views, the overview and the CSV exports. It is built with the routes when the
// reports service is configured.
type reportPages struct {
	s      *Server
	dash   *reports.Dash
	models *lru.Cache[modelKey, vr.RunModel]
}

// reportRoutes is the dashboards' block of the route table (issue 8). Project and run pages
// are for active users and check visibility per object (an invisible project is a 404);
// exports follow the page they export; the overview is for managers.
func (s *Server) reportRoutes() []Route {
	models, _ := lru.New[modelKey, vr.RunModel](256) // fails only for a size ≤ 0
	rp := &reportPages{s: s, dash: reports.NewDash(s.Reports, 0), models: models}
	get := fiber.MethodGet
	post := fiber.MethodPost
	return []Route{
		{get, "/projects", Active, rp.projectsPage, false},
		{get, "/projects.csv", Active, rp.projectsCSV, false},
		{get, "/projects/:key", Active, rp.projectPage, false},
		{get, "/projects/:key/runs.csv", Active, rp.projectRunsCSV, false},
		{get, "/projects/:key/trend.json", Active, rp.projectTrend, false},
		{get, "/projects/:key/security-trend.json", Active, rp.projectSecurityTrend, false},
		{post, "/projects/:key/baseline", Active, rp.projectBaseline, false},
		{post, "/projects/:key/settings", Manager, rp.projectSettings, false},
		{get, "/runs/:id", Active, rp.runPage, false},
		{get, "/runs/:id/series.json", Active, rp.runSeries, false},
		{get, "/runs/:id/table", Active, rp.runTable, false},
		{get, "/runs/:id/stats.csv", Active, rp.runStatsCSV, false},
		{get, "/runs/:id/apdex.csv", Active, rp.runApdexCSV, false},
		{get, "/runs/:id/errors.csv", Active, rp.runErrorsCSV, false},
		{get, "/runs/:id/top-errors.csv", Active, rp.runTopErrorsCSV, false},
		{get, "/runs/:id/findings.csv", Active, rp.runFindingsCSV, false},
		{get, "/runs/:id/cases.csv", Active, rp.runCasesCSV, false},
		{get, "/runs/:id/verdict.json", Active, rp.runVerdict, false},
		{get, "/api/v1/runs/:id/verdict", Public, rp.apiVerdict, false},
		{get, "/compare", Active, rp.comparePage, false},
		{get, "/compare.csv", Active, rp.compareCSV, false},
		{get, "/compare/series.json", Active, rp.compareSeries, false},
		{get, "/overview", Manager, rp.overviewPage, false},
		{get, "/overview.csv", Manager, rp.overviewCSV, false},
	}
}

// viewer is the signed-in user as a viewer of projects (the guard has let only active
// users through).
func (rp *reportPages) viewer(c *fiber.Ctx) reports.Viewer { return viewerOf(principal(c)) }

// runID reads the :id parameter; anything but a positive number is a missing run.
func runID(c *fiber.Ctx, name string) (int, error) {
	id, err := strconv.Atoi(c.Params(name))
	if err != nil || id <= 0 {
		return 0, apperr.E("web.runID", apperr.NotFound, apperr.Key("reports.error.run_not_found"), "run id is not a number")
	}
	return id, nil
}

// numbers formats figures for the request's locale.
type numbers struct {
	p    *message.Printer
	lang string
}

func numbersFor(c *fiber.Ctx) numbers {
	lang := i18n.Lang(c.UserContext())
	return numbers{p: message.NewPrinter(language.Make(lang)), lang: lang}
}

func (n numbers) int(v int64) string { return n.p.Sprintf("%d", v) }

// fixed formats with d decimals and the locale's grouping.
func (n numbers) fixed(v float64, d int) string { return n.p.Sprintf("%.*f", d, v) }

// ms formats a response time: whole ms when it is whole, else up to 3 decimals.
func (n numbers) ms(v float64) string {
	if v == float64(int64(v)) {
		return n.p.Sprintf("%d", int64(v))
	}
	return n.p.Sprintf("%.3f", v)
}

func (n numbers) optMS(v *float64) vr.Cell {
	if v == nil {
		return vr.Cell{Text: "–", Value: -1}
	}
	return vr.Cell{Text: n.ms(*v), Value: *v}
}

func (n numbers) pct(v float64) string { return n.p.Sprintf("%.2f%%", v) }

func (n numbers) time(ms int64) string {
	if ms == 0 {
		return "–"
	}
	return formatTimeSec(n.lang, time.UnixMilli(ms))
}

// formatTimeSec is formatTime with seconds, which test runs need.
func formatTimeSec(lang string, t time.Time) string {
	t = t.Local()
	if lang == "en" {
		return t.Format("2 Jan 2006 15:04:05")
	}
	return t.Format("2006年1月2日 15:04:05")
}

func (n numbers) duration(ms int64) string {
	d := time.Duration(ms) * time.Millisecond
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if n.lang == "en" {
		return fmt.Sprintf("%dh %02dm %02ds", h, m, s)
	}
	return fmt.Sprintf("%d小时%02d分%02d秒", h, m, s)
}

func cell(text string, v float64) vr.Cell { return vr.Cell{Text: text, Value: v} }

func textCell(s string) vr.Cell { return vr.Cell{Text: s} }
