package web

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"scanboard/app/reports"
	vr "scanboard/views/reports"
)

// The run page's CSV exports: each is the table the page shows, with the same access check.

func (rp *reportPages) runStatsCSV(c *fiber.Ctx) error {
	id, err := runID(c, "id")
	if err != nil {
		return err
	}
	m, err := rp.statsFor(c, id)
	if err != nil {
		return err
	}
	return sendCSV(c, "run-"+strconv.Itoa(id)+"-statistics.csv", m.Stats)
}

func (rp *reportPages) runApdexCSV(c *fiber.Ctx) error {
	return rp.runReportCSV(c, "apdex", func(n numbers, rep *reports.RunReport) vr.Table { return apdexTable(n, rep, "") })
}

func (rp *reportPages) runErrorsCSV(c *fiber.Ctx) error {
	return rp.runReportCSV(c, "errors", func(n numbers, rep *reports.RunReport) vr.Table { return errorsTable(n, rep.Errors, "") })
}

func (rp *reportPages) runTopErrorsCSV(c *fiber.Ctx) error {
	return rp.runReportCSV(c, "top-errors", func(n numbers, rep *reports.RunReport) vr.Table {
		return topErrorsTable(n, rep.TopErrors, "")
	})
}

// runReportCSV exports one of the run report's tables as run-{id}-{name}.csv.
func (rp *reportPages) runReportCSV(c *fiber.Ctx, name string, table func(numbers, *reports.RunReport) vr.Table) error {
	id, err := runID(c, "id")
	if err != nil {
		return err
	}
	rep, err := rp.dash.Run(c.UserContext(), rp.viewer(c), id)
	if err != nil {
		return err
	}
	return sendCSV(c, "run-"+strconv.Itoa(id)+"-"+name+".csv", table(numbersFor(c), rep))
}

func (rp *reportPages) runFindingsCSV(c *fiber.Ctx) error {
	id, err := runID(c, "id")
	if err != nil {
		return err
	}
	sv, err := rp.dash.Security(c.UserContext(), rp.viewer(c), id)
	if err != nil {
		return err
	}
	return sendCSV(c, "run-"+strconv.Itoa(id)+"-findings.csv", findingsTable(numbersFor(c), sv))
}

func (rp *reportPages) runCasesCSV(c *fiber.Ctx) error {
	id, err := runID(c, "id")
	if err != nil {
		return err
	}
	fv, err := rp.dash.Functional(c.UserContext(), rp.viewer(c), id)
	if err != nil {
		return err
	}
	return sendCSV(c, "run-"+strconv.Itoa(id)+"-tests.csv", casesTable(c, numbersFor(c), fv))
}
