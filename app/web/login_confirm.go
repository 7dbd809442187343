package web

import (
	"github.com/gofiber/fiber/v2"

	"scanboard/app/apperr"
	"scanboard/app/auth"
	"scanboard/views/login"
)

// loginConfirmPage is the page the confirm link in WeChat opens on the phone: "Sign in on
// Chrome/Windows from 1.2.3.4?" The token stays unused until the form is posted.
func (s *Server) loginConfirmPage(c *fiber.Ctx) error {
	t := c.Query("t")
	at, err := s.Login.Attempts.PeekConfirm(c.UserContext(), t)
	if err != nil {
		return err
	}
	info := at.Client()
	return s.render(c, login.Confirm(s.page(c, "login.confirm.title"), login.ConfirmModel{
		Token: t, Browser: info.Browser, OS: info.OS, IP: at.IP,
		Time: formatTime(lang(c), at.CreatedAt),
	}))
}

// loginConfirm uses up the token and applies the phone's answer. The token reached only
// the scanner's WeChat chat and is bound to that openid; the attempt accepts no other
// scanner, so a forwarded QR cannot be confirmed by a different account.
func (s *Server) loginConfirm(c *fiber.Ctx) error {
	ctx := c.UserContext()
	at, err := s.Login.Attempts.TakeConfirm(ctx, c.FormValue("t"))
	if err != nil {
		return err
	}
	if c.FormValue("decision") != "confirm" {
		s.logPushLogin(ctx, at, auth.LoginEvent{Method: at.Method, Reason: auth.ReasonUserDenied, Subject: auth.SubjectOpenID(at.AppID, at.OpenID)})
		if err := s.Login.Attempts.Decide(ctx, at, auth.AttemptDenied, auth.ReasonUserDenied, 0); err != nil {
			return err
		}
		return s.render(c, login.Result(s.page(c, "login.confirm.title"), "login.confirm.denied_done"))
	}
	if err := s.decideAttempt(ctx, at, at.Method == auth.MethodOAQR); err != nil {
		return err
	}
	done, err := s.Login.Attempts.Get(ctx, at.ID)
	if err != nil {
		return err
	}
	if done.Status == auth.AttemptDenied {
		return apperr.E("web.loginConfirm", apperr.Forbidden, apperr.Key("login.denied."+done.Reason), "account refused")
	}
	return s.render(c, login.Result(s.page(c, "login.confirm.title"), "login.confirm.confirmed_done"))
}

func lang(c *fiber.Ctx) string {
	l, _ := c.Locals(localLocale).(string)
	return l
}
