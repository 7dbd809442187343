package web

import (
	"github.com/gofiber/fiber/v2"

	"scanboard/app/apperr"
	"scanboard/app/auth"
	"scanboard/views/login"
)

// passwords is the password service, or a NotFound error when the fallback is off.
func (s *Server) passwords() (*auth.Passwords, error) {
	if s.Login.Channels.Passwords == nil {
		return nil, apperr.E("web.passwords", apperr.NotFound, "password sign-in is not configured")
	}
	return s.Login.Channels.Passwords, nil
}

// passwordPage is GET /login/password.
func (s *Server) passwordPage(c *fiber.Ctx) error {
	if _, err := s.passwords(); err != nil {
		return err
	}
	if p := principal(c); p != nil {
		return c.Redirect(landing(p), fiber.StatusSeeOther)
	}
	return s.render(c, login.Password(s.page(c, "signin.password.title"), login.PasswordModel{}))
}

// passwordSignIn is POST /login/password. Unknown account, no password and wrong
// password all get the same message; the login log keeps the difference (and a masked
// login when no account is known).
func (s *Server) passwordSignIn(c *fiber.Ctx) error {
	pw, err := s.passwords()
	if err != nil {
		return err
	}
	typed := c.FormValue("login")
	out, err := pw.SignIn(c.UserContext(), typed, c.FormValue("password"), c.IP())
	if err != nil {
		return err
	}
	if !out.OK() {
		s.logPasswordFailure(c, auth.MethodPassword, out)
		c.Status(failureStatus(out.Reason))
		return s.render(c, login.Password(s.page(c, "signin.password.title"),
			login.PasswordModel{Login: truncateRunes(typed, 254), ErrorKey: failureKey(out.Reason, "signin.password.error.generic")}))
	}
	dest, err := s.signIn(c, out.User.ID, auth.MethodPassword)
	if err != nil {
		return err
	}
	return c.Redirect(dest, fiber.StatusSeeOther)
}

func (s *Server) logPasswordFailure(c *fiber.Ctx, method string, out auth.PasswordOutcome) {
	ev := auth.LoginEvent{Method: method, Reason: out.Reason, Subject: out.Subject}
	if out.User != nil {
		ev.UserID = out.User.ID
	}
	s.logLogin(c, ev)
}

// failureStatus: 429 when throttled, 401 otherwise.
func failureStatus(reason string) int {
	if reason == auth.ReasonLockedOut || reason == auth.ReasonRateLimited {
		return fiber.StatusTooManyRequests
	}
	return fiber.StatusUnauthorized
}

// failureKey: lockouts say so (they apply to unknown accounts alike, so they reveal
// nothing); every other failure reads the same.
func failureKey(reason, generic string) string {
	if reason == auth.ReasonLockedOut || reason == auth.ReasonRateLimited {
		return "signin.password.error.locked"
	}
	return generic
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}
