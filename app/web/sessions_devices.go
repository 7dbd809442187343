package web

import (
	"github.com/gofiber/fiber/v2"

	"scanboard/views/admin"
)

// devicesPage lists the signed-in user's own sessions ("my devices").
func (s *Server) devicesPage(c *fiber.Ctx) error {
	p := principal(c)
	rows, err := s.Admin.Users.MySessions(c.UserContext(), p.UserID)
	if err != nil {
		return err
	}
	m := admin.Devices{Flash: flashOf(c)}
	for _, r := range rows {
		m.Sessions = append(m.Sessions, s.sessionLine(c, r))
	}
	return s.render(c, admin.DevicesPage(s.page(c, "devices.title"), m))
}

// deviceLogout ends one of the user's other sessions. Another user's session id is 404:
// the id in the URL grants nothing (AC-03).
func (s *Server) deviceLogout(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	p := principal(c)
	if err := s.Admin.Users.SignOutMine(c.UserContext(), p.UserID, id); err != nil {
		return err
	}
	if id == p.SessionID { // signing out this very browser is plain logout
		return s.logout(c)
	}
	return done(c, "/devices", "admin.done.device_signed_out")
}

// devicesLogoutOthers ends every session of the user but this one.
func (s *Server) devicesLogoutOthers(c *fiber.Ctx) error {
	p := principal(c)
	if _, err := s.Admin.Users.SignOutOthers(c.UserContext(), p.UserID, p.SessionID); err != nil {
		return err
	}
	return done(c, "/devices", "admin.done.devices_signed_out")
}
