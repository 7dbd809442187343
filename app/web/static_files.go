package web

import (
	"strings"

	"github.com/gofiber/fiber/v2"
)

// staticFile serves an embedded asset by exact name (no file system, so no traversal).
// A request carrying the current content hash may be cached for a year; others revalidate
// by ETag.
func (s *Server) staticFile(c *fiber.Ctx) error {
	as, ok := s.Assets.Get(c.Params("*"))
	if !ok {
		return fiber.ErrNotFound
	}
	etag := `"` + as.Hash + `"`
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderContentType, as.ContentType)
	c.Set(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
	if c.Query("v") == as.Hash {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "public, no-cache")
	}
	if c.Get(fiber.HeaderIfNoneMatch) == etag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	if as.Gzip != nil && strings.Contains(c.Get(fiber.HeaderAcceptEncoding), "gzip") {
		c.Set(fiber.HeaderContentEncoding, "gzip")
		return c.Send(as.Gzip)
	}
	return c.Send(as.Body)
}

func (s *Server) favicon(c *fiber.Ctx) error {
	return c.Redirect(s.Assets.Path("img/favicon.svg"), fiber.StatusMovedPermanently)
}
