package web

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"scanboard/app/apperr"
	"scanboard/app/reports"
)

// Long-poll timing of the upload page's processing bar: an answer comes as soon as the run
// changes, or after progressWait with the unchanged state (well inside the 30 s request
// deadline and common proxy timeouts).
const (
	progressWait  = 20 * time.Second
	progressCheck = 400 * time.Millisecond
)

// uploadProgress is GET /upload/runs/{id}/progress?status=S&progress=P, a long poll: it
// answers the run's Progress once it differs from the state the page already shows (at
// once without one), so the bar moves without a request every few hundred milliseconds.
// Server shutdown ends the wait early with the current state.
func (s *Server) uploadProgress(c *fiber.Ctx) error {
	const op = "web.uploadProgress"
	id, err := c.ParamsInt("id")
	if err != nil || id <= 0 {
		return apperr.E(op, apperr.NotFound, apperr.Key("error.run_not_found"), "run id is not a number")
	}
	v := viewerOf(principal(c))
	ctx := c.UserContext()
	seenStatus, seenPct := c.Query("status"), c.QueryInt("progress", -1)
	wait := time.NewTimer(progressWait)
	defer wait.Stop()
	t := time.NewTicker(progressCheck)
	defer t.Stop()
	for {
		pr, err := s.Reports.Progress(ctx, v, id)
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		if pr.Status != seenStatus || pr.Progress != seenPct || final(pr) {
			return c.JSON(pr)
		}
		select {
		case <-t.C:
		case <-wait.C:
			return c.JSON(pr)
		case <-c.Context().Done(): // closes on server shutdown only (P5b)
			return c.JSON(pr)
		case <-ctx.Done():
			return c.JSON(pr)
		}
	}
}

func final(p *reports.Progress) bool { return p.Status == "ready" || p.Status == "failed" }
