package web

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"scanboard/app/reports"
)

// uploadTimeout bounds the database work of one upload. The ordinary 30 s request deadline
// would run out while a large file is still arriving; the transfer itself is bounded by
// the server's ReadTimeout.
const uploadTimeout = 15 * time.Minute

// apiUpload is POST /api/v1/projects/{key}/runs, the contract documented on
// reports.Receipt: a bearer token with the upload scope, the raw file as the body (plain
// or gzip, Content-Length or chunked), the file name in X-Filename or ?filename=, tags in
// the query. 202 for a new run, 200 for content uploaded before.
func (s *Server) apiUpload(c *fiber.Ctx) error {
	tp, err := s.bearer(c, reports.ScopeUpload)
	if err != nil {
		return s.jsonFail(c, err)
	}
	name := c.Get("X-Filename")
	if name == "" {
		name = c.Query("filename")
	}
	return s.ingest(c, "web.apiUpload", tp.UserID, name)
}

// ingest streams the request body into the reports service and answers with its receipt.
func (s *Server) ingest(c *fiber.Ctx, op string, userID int, filename string) error {
	body, err := s.uploadBody(c, op)
	if err != nil {
		return s.jsonFail(c, err)
	}
	// Keep the locale and nonce of the request context, not its 30 s deadline.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.UserContext()), uploadTimeout)
	defer cancel()
	rc, err := s.Reports.Ingest(ctx, reports.IngestRequest{
		ProjectKey: c.Params("key"),
		UploaderID: userID,
		Filename:   copyString(filename),
		Tags: reports.Tags{
			Build:  copyString(c.Query("build")),
			Commit: copyString(c.Query("commit")),
			Env:    copyString(c.Query("env")),
		},
		Body:     body,
		MaxBytes: s.uploadLimit(),
	})
	if err != nil {
		return s.jsonFail(c, err)
	}
	status := fiber.StatusAccepted
	if rc.DuplicateOf != 0 {
		status = fiber.StatusOK
	}
	return c.Status(status).JSON(rc)
}

// copyString detaches a value from fasthttp's reused request buffers (P5c).
func copyString(s string) string { return string([]byte(s)) }
