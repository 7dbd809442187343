package web

import "github.com/gofiber/fiber/v2"

// logout ends this browser's session (a POST: no state changes over GET, SESS-09).
func (s *Server) logout(c *fiber.Ctx) error {
	if err := s.EndSession(c, "logout"); err != nil {
		return err
	}
	return c.Redirect("/login", fiber.StatusSeeOther)
}
