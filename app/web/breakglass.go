package web

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"scanboard/app/apperr"
	"scanboard/app/auth"
	"scanboard/views/login"
)

// breakGlassLanding is where a break-glass session starts: the only pages it may reach
// are the admin pages.
const breakGlassLanding = "/admin/users"

// breakGlassPage is GET /breakglass.
func (s *Server) breakGlassPage(c *fiber.Ctx) error {
	if _, err := s.passwords(); err != nil {
		return err
	}
	return s.render(c, login.BreakGlass(s.page(c, "signin.breakglass.title"), login.PasswordModel{}))
}

// breakGlassSignIn is POST /breakglass: email + password + TOTP code. The service audits
// every attempt on a break-glass account; the login log gets a row either way.
func (s *Server) breakGlassSignIn(c *fiber.Ctx) error {
	pw, err := s.passwords()
	if err != nil {
		return err
	}
	typed := c.FormValue("login")
	out, err := pw.SignInBreakGlass(c.UserContext(), typed, c.FormValue("password"), strings.TrimSpace(c.FormValue("code")), c.IP())
	if err != nil {
		return err
	}
	if !out.OK() {
		s.logPasswordFailure(c, auth.MethodBreakGlass, out)
		c.Status(failureStatus(out.Reason))
		return s.render(c, login.BreakGlass(s.page(c, "signin.breakglass.title"),
			login.PasswordModel{Login: truncateRunes(typed, 254), ErrorKey: failureKey(out.Reason, "signin.breakglass.error.generic")}))
	}
	s.Log.Warn("BREAK-GLASS admin signed in", "user_id", out.User.ID, "ip", c.IP())
	if _, err := s.signIn(c, out.User.ID, auth.MethodBreakGlass); err != nil {
		return err
	}
	return c.Redirect(breakGlassLanding, fiber.StatusSeeOther)
}

// breakGlassAllows is the break-glass session's own policy table: admin routes (each
// audited), signing out, and the assets every page needs. Everything else is 403, the
// home page and the sign-in pages included.
func breakGlassAllows(r Route) bool {
	switch {
	case r.Policy == Admin:
		return true
	case r.Method == fiber.MethodPost && r.Path == "/logout":
		return true
	case r.Policy == Public:
		switch r.Path {
		case "/static/*", "/favicon.ico", "/healthz", "/readyz", "/lang":
			return true
		}
	}
	return false
}

// breakGlassGate wraps every route: for a break-glass session it applies breakGlassAllows
// and writes a loud audit entry for each admin request before the handler runs (no entry,
// no request: the audit failing refuses it).
func (s *Server) breakGlassGate(r Route, h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := principal(c)
		if p == nil || p.Method != auth.MethodBreakGlass {
			return h(c)
		}
		const op = "web.breakGlassGate"
		if !breakGlassAllows(r) {
			return apperr.E(op, apperr.Forbidden, apperr.Key("signin.breakglass.forbidden"), "break-glass session outside the admin pages")
		}
		if r.Policy == Admin {
			target := c.Method() + " " + c.Path()
			s.Log.Warn("BREAK-GLASS admin request", "user_id", p.UserID, "request", target, "ip", c.IP())
			err := auth.Audit(c.UserContext(), s.Store, s.Now(), auth.AuditEntry{
				Actor:  auth.Actor{UserID: p.UserID, Label: "breakglass:" + displayName(p), IP: c.IP()},
				Action: auth.ActionBreakGlassRequest, TargetType: "request", TargetID: truncateRunes(target, 64),
				Reason: "BREAK-GLASS ADMIN REQUEST",
			})
			if err != nil {
				return err
			}
		}
		return h(c)
	}
}
