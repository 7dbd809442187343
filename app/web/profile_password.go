package web

import (
	"github.com/gofiber/fiber/v2"

	"scanboard/app/apperr"
	"scanboard/views/login"
)

// setPasswordPage is GET /profile/password.
func (s *Server) setPasswordPage(c *fiber.Ctx) error {
	return s.renderSetPassword(c, login.SetPasswordModel{Saved: c.Query("saved") == "1"})
}

func (s *Server) renderSetPassword(c *fiber.Ctx, m login.SetPasswordModel) error {
	pw, err := s.passwords()
	if err != nil {
		return err
	}
	p := principal(c)
	u, err := s.Store.Client.User.Get(c.UserContext(), p.UserID)
	if err != nil {
		return apperr.E("web.setPasswordPage", apperr.Unavailable, err)
	}
	if m.Email == "" && u.Email != nil {
		m.Email = *u.Email
	}
	if m.HasOne, err = pw.HasPassword(c.UserContext(), p.UserID); err != nil {
		return err
	}
	return s.render(c, login.SetPassword(s.page(c, "signin.setpw.title"), m))
}

// setPassword is POST /profile/password: policy errors re-draw the form with the message.
func (s *Server) setPassword(c *fiber.Ctx) error {
	pw, err := s.passwords()
	if err != nil {
		return err
	}
	p := principal(c)
	email := c.FormValue("email")
	err = pw.Set(c.UserContext(), p.UserID, email, c.FormValue("password"), c.FormValue("confirm"))
	switch apperr.KindOf(err) {
	case apperr.Other:
		return c.Redirect("/profile/password?saved=1", fiber.StatusSeeOther)
	case apperr.Invalid, apperr.Conflict, apperr.Forbidden:
		c.Status(fiber.StatusUnprocessableEntity)
		return s.renderSetPassword(c, login.SetPasswordModel{Email: email, ErrorKey: string(apperr.KeyOf(err))})
	default:
		return err
	}
}
