package web

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"scanboard/views/home"
	"scanboard/views/i18n"
)

// home is the landing page: anonymous visitors are sent to sign in, users waiting for
// approval to the pending page.
func (s *Server) home(c *fiber.Ctx) error {
	p := principal(c)
	if p == nil {
		return c.Redirect("/login", fiber.StatusSeeOther)
	}
	if p.Status == "pending" {
		return c.Redirect("/pending", fiber.StatusSeeOther)
	}
	if err := allow(Active, p); err != nil {
		return err
	}
	return s.render(c, home.Page(s.page(c, "home.title"), home.Model{
		Name:    displayName(p),
		RoleKey: "role." + string(p.Role),
		Since:   formatTime(i18n.Lang(c.UserContext()), p.SignedIn),
	}))
}

func itoa(n int) string { return strconv.Itoa(n) }
