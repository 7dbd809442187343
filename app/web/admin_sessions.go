package web

import (
	"github.com/gofiber/fiber/v2"

	"scanboard/app/auth"
	"scanboard/views/admin"
)

// sessionsPage lists every online session, most recently active first.
func (s *Server) sessionsPage(c *fiber.Ctx) error {
	pg := pageOf(c)
	rows, total, err := s.Admin.Users.OnlineSessions(c.UserContext(), auth.SessionFilter{Page: pg})
	if err != nil {
		return err
	}
	m := admin.Sessions{Flash: flashOf(c), Pager: pagerOf(c, pg, total)}
	for _, r := range rows {
		m.Sessions = append(m.Sessions, s.sessionLine(c, r))
	}
	return s.render(c, admin.SessionsPage(s.page(c, "admin.sessions.title"), m))
}

// sessionLogout ends one session (force logout).
func (s *Server) sessionLogout(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Admin.Users.ForceLogout(c.UserContext(), actor(c), id, c.FormValue("reason")); err != nil {
		return err
	}
	return done(c, "/admin/sessions", "admin.done.logged_out")
}
