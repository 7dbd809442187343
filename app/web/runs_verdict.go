package web

import (
	"github.com/gofiber/fiber/v2"

	"scanboard/app/reports"
)

// runVerdict is GET /runs/{id}/verdict.json for signed-in users.
func (rp *reportPages) runVerdict(c *fiber.Ctx) error {
	id, err := runID(c, "id")
	if err != nil {
		return err
	}
	v, err := rp.dash.Verdict(c.UserContext(), rp.viewer(c), id)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

// apiVerdict is GET /api/v1/runs/{id}/verdict with an API token: the run judged by its
// project's current SLA rules. With ?gate=1 a failed verdict answers 412 and a run still
// being processed 409, so `curl -fsS …?gate=1` is a one-line CI gate.
func (rp *reportPages) apiVerdict(c *fiber.Ctx) error {
	tp, err := rp.s.bearer(c, reports.ScopeUpload)
	if err != nil {
		return rp.s.jsonFail(c, err)
	}
	id, err := runID(c, "id")
	if err != nil {
		return err
	}
	v, err := rp.dash.Verdict(c.UserContext(), tp.Viewer(), id)
	if err != nil {
		return err
	}
	if c.Query("gate") == "1" {
		switch v.Verdict {
		case "fail":
			c.Status(fiber.StatusPreconditionFailed)
		case "pending":
			c.Status(fiber.StatusConflict)
		}
	}
	return c.JSON(v)
}
