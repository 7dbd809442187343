package web

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"scanboard/app/apperr"
	"scanboard/app/reports"
)

// apiRun is the answer of GET /api/v1/runs/{id}: what a CI pipeline needs to wait for a
// run and gate on it.
type apiRun struct {
	RunID    int          `json:"run_id"`
	Project  string       `json:"project"`
	Status   string       `json:"status"`   // queued, processing, ready or failed
	Progress int          `json:"progress"` // percent
	Error    string       `json:"error,omitempty"`
	Filename string       `json:"filename,omitempty"`
	Format   string       `json:"format"`
	Tags     reports.Tags `json:"tags"`
	Samples  int64        `json:"samples"`
	Errors   int64        `json:"errors"`
	StartMS  int64        `json:"start_ms,omitempty"`
	EndMS    int64        `json:"end_ms,omitempty"`
	// SLA is the project's SLA rules evaluated when the run was processed; absent when the
	// project has none or the run is not ready.
	SLA *apiSLA `json:"sla,omitempty"`
	URL string  `json:"url"`
}

type apiSLA struct {
	Verdict string   `json:"verdict"` // pass or fail
	Rules   []string `json:"rules"`   // one line per rule, starting PASS or FAIL
}

// apiRunStatus is GET /api/v1/runs/{id} with a bearer token of the run's uploader or anyone
// else who may see its project.
func (s *Server) apiRunStatus(c *fiber.Ctx) error {
	const op = "web.apiRunStatus"
	tp, err := s.bearer(c, reports.ScopeUpload)
	if err != nil {
		return s.jsonFail(c, err)
	}
	id, err := c.ParamsInt("id")
	if err != nil || id <= 0 {
		return apperr.E(op, apperr.NotFound, apperr.Key("error.run_not_found"), "run id is not a number")
	}
	rv, err := s.Reports.Run(c.UserContext(), tp.Viewer(), id)
	if err != nil {
		return err
	}
	r := rv.Run
	out := apiRun{
		RunID: r.ID, Status: string(r.Status), Progress: r.Progress, Error: r.Error,
		Filename: r.OriginalFilename, Format: r.SourceFormat,
		Tags:    reports.Tags{Build: r.TagBuild, Commit: r.TagCommit, Env: r.TagEnv},
		Samples: r.SampleCount, Errors: r.ErrorCount, StartMS: r.StartedMs, EndMS: r.EndedMs,
		URL: s.runURL(r.ID),
	}
	if r.Edges.Project != nil {
		out.Project = r.Edges.Project.Key
	}
	if r.SLAVerdict != "" {
		out.SLA = &apiSLA{Verdict: r.SLAVerdict, Rules: nonEmptyLines(r.SLADetail)}
	}
	return c.JSON(out)
}

// runURL is the dashboard page of a run.
func (s *Server) runURL(id int) string { return s.publicBase() + "/runs/" + itoa(id) }

// publicBase is the configured public URL without a trailing slash ("" when unset).
func (s *Server) publicBase() string {
	if s.BaseURL == nil {
		return ""
	}
	return strings.TrimRight(s.BaseURL.String(), "/")
}

func nonEmptyLines(s string) []string {
	out := []string{}
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
