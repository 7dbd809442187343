package web

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
)

// healthz says the process is up; it touches nothing else.
func (s *Server) healthz(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"status": "ok"})
}

// readyCheckTimeout keeps /readyz answering within about a second when a dependency hangs.
const readyCheckTimeout = time.Second

// readyz says whether this node can serve: the database and the shared store answer.
func (s *Server) readyz(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	ctx, cancel := context.WithTimeout(c.UserContext(), readyCheckTimeout)
	defer cancel()
	type result struct {
		name string
		err  error
	}
	ch := make(chan result, 2)
	go func() { ch <- result{"database", s.Store.Ping(ctx)} }()
	go func() { ch <- result{"storage", s.KV.Ping(ctx)} }()
	checks := fiber.Map{}
	ok := true
	for range 2 {
		r := <-ch
		if r.err != nil {
			ok = false
			checks[r.name] = "unavailable"
			s.Log.Warn("readiness check failed", "check", r.name, "err", r.err.Error())
		} else {
			checks[r.name] = "ok"
		}
	}
	if !ok {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable", "checks": checks})
	}
	return c.JSON(fiber.Map{"status": "ok", "checks": checks})
}
