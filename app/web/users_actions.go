package web

import (
	"github.com/gofiber/fiber/v2"

	"scanboard/app/auth"
)

// userActivate re-enables a disabled or rejected user (reason required).
func (s *Server) userActivate(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Admin.Users.Activate(c.UserContext(), actor(c), id, c.FormValue("reason")); err != nil {
		return err
	}
	return done(c, userHref(id), "admin.done.activated")
}

// userDeactivate disables a user and ends all their sessions (reason required).
func (s *Server) userDeactivate(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Admin.Users.Deactivate(c.UserContext(), actor(c), id, c.FormValue("reason")); err != nil {
		return err
	}
	return done(c, userHref(id), "admin.done.deactivated")
}

// userRole changes a user's role; their sessions rotate on the next request.
func (s *Server) userRole(c *fiber.Ctx) error {
	if err := s.requireRecentSignIn(c); err != nil {
		return err
	}
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	role, err := auth.ParseRole(c.FormValue("role"))
	if err != nil {
		return err
	}
	if err := s.Admin.Users.SetRole(c.UserContext(), actor(c), id, role, c.FormValue("reason")); err != nil {
		return err
	}
	return done(c, userHref(id), "admin.done.role")
}

// userLogout ends every session of a user.
func (s *Server) userLogout(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if _, err := s.Admin.Users.ForceLogoutUser(c.UserContext(), actor(c), id, c.FormValue("reason")); err != nil {
		return err
	}
	return done(c, userHref(id), "admin.done.logged_out")
}

// identityUnbind removes a WeChat identity from its user (reason required).
func (s *Server) identityUnbind(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	owner, err := s.Admin.Users.UnbindIdentity(c.UserContext(), actor(c), id, c.FormValue("reason"))
	if err != nil {
		return err
	}
	return done(c, userHref(owner), "admin.done.unbound")
}

// phoneUnbind removes a phone binding from its user (reason required).
func (s *Server) phoneUnbind(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	owner, err := s.Admin.Users.UnbindPhone(c.UserContext(), actor(c), id, c.FormValue("reason"))
	if err != nil {
		return err
	}
	return done(c, userHref(owner), "admin.done.unbound")
}
