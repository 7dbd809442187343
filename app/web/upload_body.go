package web

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"strings"

	"github.com/gofiber/fiber/v2"

	"scanboard/app/apperr"
)

// defaultUploadMaxBytes is the upload limit when Deps.UploadMaxBytes is unset.
const defaultUploadMaxBytes = 512 << 20

// The server streams every request body (StreamRequestBody), because Fiber's BodyLimit is
// global and upload routes need a far larger one. Fasthttp then no longer enforces
// BodyLimit at all (P5a), so limitBody does: on every route except the upload routes it
// reads the body (at most BodyLimit+1 bytes) into memory before any handler or CSRF check
// sees it, and answers 413 past the limit, for Content-Length and chunked bodies alike.
// Upload routes keep the stream and count bytes themselves (FILE-01/02).
func (s *Server) limitBody(c *fiber.Ctx) error {
	const op = "web.limitBody"
	req := c.Request()
	if !req.IsBodyStream() {
		return c.Next()
	}
	if isUploadRoute(c) {
		// Only raw bodies: a form or multipart body would make the CSRF check (which reads
		// form fields) spool the whole body to temporary files with no cap.
		if ct := mediaType(c); ct == fiber.MIMEApplicationForm || strings.HasPrefix(ct, "multipart/") {
			c.Response().SetConnectionClose()
			return apperr.E(op, apperr.Key("error.upload_raw_body"),
				fiber.NewError(fiber.StatusUnsupportedMediaType, "send the file itself as the body, not a form"))
		}
		return c.Next()
	}
	limit := s.BodyLimit
	if n := req.Header.ContentLength(); n > limit {
		c.Response().SetConnectionClose() // the unread body must not be taken for a next request
		return apperr.E(op, apperr.TooLarge, fmt.Sprintf("Content-Length %d over the %d-byte body limit", n, limit))
	}
	body, err := io.ReadAll(io.LimitReader(req.BodyStream(), int64(limit)+1))
	if err != nil {
		c.Response().SetConnectionClose()
		return apperr.E(op, apperr.Invalid, fmt.Errorf("reading the request body: %w", err))
	}
	if len(body) > limit {
		c.Response().SetConnectionClose()
		return apperr.E(op, apperr.TooLarge, fmt.Sprintf("chunked body over the %d-byte body limit", limit))
	}
	req.SetBodyRaw(body) // closes the (fully read) stream
	return c.Next()
}

// isUploadRoute reports whether the request is for a route that streams its body to the
// reports service: POST /api/v1/projects/{key}/runs and POST /upload/projects/{key}/runs.
// Fiber matches paths case-insensitively, so this does too; a path it misses is only
// limited more tightly, never less.
func isUploadRoute(c *fiber.Ctx) bool {
	if c.Method() != fiber.MethodPost {
		return false
	}
	p := strings.TrimSuffix(strings.ToLower(c.Path()), "/")
	for _, prefix := range []string{apiProjectsPrefix, uploadProjectsPrefix} {
		if rest, ok := strings.CutPrefix(p, prefix); ok {
			key, ok := strings.CutSuffix(rest, "/runs")
			return ok && key != "" && !strings.Contains(key, "/")
		}
	}
	return false
}

const (
	apiProjectsPrefix    = "/api/v1/projects/"
	uploadProjectsPrefix = "/upload/projects/"
)

// uploadLimit is the largest upload body accepted, as sent.
func (s *Server) uploadLimit() int64 {
	if s.UploadMaxBytes > 0 {
		return s.UploadMaxBytes
	}
	return defaultUploadMaxBytes
}

// uploadBody returns the request body as a stream for the reports service, refusing at
// once a Content-Length over the limit (having read only fasthttp's first buffer of it).
// Chunked bodies are counted by the service while it spools them.
func (s *Server) uploadBody(c *fiber.Ctx, op string) (io.Reader, error) {
	limit := s.uploadLimit()
	if n := c.Request().Header.ContentLength(); int64(n) > limit {
		c.Response().SetConnectionClose()
		return nil, apperr.E(op, apperr.TooLarge, apperr.Key("error.upload_too_large"),
			fmt.Errorf("the upload is %s, larger than the limit of %s", humanSize(int64(n)), humanSize(limit)))
	}
	if c.Request().IsBodyStream() {
		return c.Request().BodyStream(), nil
	}
	return bytes.NewReader(c.Body()), nil
}

func mediaType(c *fiber.Ctx) string {
	mt, _, _ := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	return strings.ToLower(mt)
}

// humanSize writes a byte count the way people read it (binary units).
func humanSize(n int64) string {
	switch {
	case n >= 1<<30:
		return trimZero(fmt.Sprintf("%.1f", float64(n)/(1<<30))) + " GiB"
	case n >= 1<<20:
		return trimZero(fmt.Sprintf("%.1f", float64(n)/(1<<20))) + " MiB"
	case n >= 1<<10:
		return trimZero(fmt.Sprintf("%.1f", float64(n)/(1<<10))) + " KiB"
	}
	return fmt.Sprintf("%d bytes", n)
}

func trimZero(s string) string { return strings.TrimSuffix(s, ".0") }
