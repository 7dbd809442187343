package web

import (
	"context"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	qrcode "github.com/skip2/go-qrcode"

	"scanboard/app/apperr"
	"scanboard/app/auth"
	"scanboard/app/wechat"
)

// attemptJSON is what the PC page learns about its attempt: never the scene, the ticket
// or who scanned.
type attemptJSON struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	QR        string `json:"qr,omitempty"`
	ExpiresIn int    `json:"expires_in,omitempty"`
	Redirect  string `json:"redirect,omitempty"`
	Message   string `json:"message,omitempty"`
}

// loginAttemptCreate starts a QR attempt for this browser: an OA parameterized QR (or our
// own URL in own-QR mode) bound to the pre-login cookie, rate-limited per IP (WX-13).
func (s *Server) loginAttemptCreate(c *fiber.Ctx) error {
	const op = "web.loginAttemptCreate"
	ctx := c.UserContext()
	if s.Login.Attempts == nil || (s.Login.WeChat == nil && !s.Login.OwnQR) {
		return apperr.E(op, apperr.Unavailable, apperr.Key("login.error.unavailable"), "sign-in services not configured")
	}
	limit := s.Login.AttemptsPerMinute
	if limit <= 0 {
		limit = 20
	}
	n, err := s.KV.Incr(ctx, "rate:login_attempt:"+c.IP()+":"+s.Now().UTC().Format("200601021504"), 2*time.Minute)
	if err != nil {
		return apperr.E(op, apperr.Unavailable, err)
	}
	if n > int64(limit) {
		c.Set(fiber.HeaderRetryAfter, "60")
		return apperr.E(op, apperr.TooMany, apperr.Key("error.429"), "attempts per minute exceeded")
	}
	key := s.browserKey(c)
	scene := auth.NewScene()
	in := auth.NewAttempt{Scene: scene, BrowserKey: key, IP: c.IP(), UserAgent: c.Get(fiber.HeaderUserAgent)}
	if s.Login.OwnQR {
		in.Method = auth.MethodOwnQR
		in.QRContent = s.absURL("/login/own/" + scene)
	} else {
		in.Method = auth.MethodOAQR
		qr, err := s.Login.WeChat.CreateQRCode(ctx, wechat.QRCodeRequest{
			Action: wechat.QRStrScene, SceneStr: scene,
			// The QR outlives the attempt a little, so a scan at the last second still
			// reaches us and is answered "expired" rather than by WeChat's own error (WX-08).
			ExpireIn: s.Login.Attempts.TTL() + time.Minute,
		})
		if err != nil {
			return apperr.E(op, apperr.Unavailable, apperr.Key("login.error.wechat"), err)
		}
		in.Ticket, in.QRContent = qr.Ticket, qr.URL
	}
	at, err := s.Login.Attempts.Create(ctx, in)
	if err != nil {
		return err
	}
	return c.JSON(attemptJSON{
		ID: at.ID, Status: string(at.Status), QR: "/login/attempts/" + at.ID + "/qr.png",
		ExpiresIn: int(s.Login.Attempts.TTL() / time.Second),
	})
}

// ownAttempt loads an attempt for the browser that started it; any other browser gets
// the same NotFound as an unknown id (no oracle for guessed ids).
func (s *Server) ownAttempt(c *fiber.Ctx) (*auth.Attempt, error) {
	at, err := s.Login.Attempts.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return nil, err
	}
	if !at.Owns(s.existingBrowserKey(c)) {
		return nil, apperr.E("web.ownAttempt", apperr.NotFound, apperr.Key("login.error.unknown"), auth.ErrAttemptCookie)
	}
	return at, nil
}

// loginAttemptQR draws the attempt's QR as a PNG from our own origin (the CSP allows no
// third-party images, and the QR content never leaves this browser).
func (s *Server) loginAttemptQR(c *fiber.Ctx) error {
	at, err := s.ownAttempt(c)
	if err != nil {
		return err
	}
	png, err := qrcode.Encode(at.QRContent, qrcode.Medium, 280)
	if err != nil {
		return apperr.E("web.loginAttemptQR", apperr.Internal, err)
	}
	c.Set(fiber.HeaderContentType, "image/png")
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(png)
}

// loginAttemptStatus is the long-poll: it answers as soon as the status differs from
// ?since=, or after the hold time with the unchanged status. Changes made on any node
// arrive through kv pub/sub.
func (s *Server) loginAttemptStatus(c *fiber.Ctx) error {
	at, err := s.ownAttempt(c)
	if err != nil {
		return err
	}
	since := auth.AttemptStatus(c.Query("since", string(at.Status)))
	if at.Status == since && !since.Final() {
		ctx, cancel := context.WithTimeout(c.UserContext(), s.Login.longPoll())
		defer cancel()
		if at, err = s.Login.Attempts.Wait(ctx, at.ID, since, s.Login.longPoll()); err != nil {
			return err
		}
	}
	return c.JSON(attemptJSON{ID: at.ID, Status: publicStatus(at.Status), Message: s.statusMessage(c, at)})
}

// publicStatus hides "done" (another tab took the session) behind "expired" for the page.
func publicStatus(st auth.AttemptStatus) string {
	if st == auth.AttemptDone {
		return string(auth.AttemptExpired)
	}
	return string(st)
}

func (s *Server) statusMessage(c *fiber.Ctx, at *auth.Attempt) string {
	if at.Status != auth.AttemptDenied {
		return ""
	}
	return tr(c, "login.denied."+at.Reason)
}

// loginAttemptComplete turns a decided attempt into this browser's session, once: the
// pre-login cookie must match and the one-shot key is taken atomically (WX-09, WX-10).
func (s *Server) loginAttemptComplete(c *fiber.Ctx) error {
	ctx := c.UserContext()
	key := s.existingBrowserKey(c)
	at, err := s.Login.Attempts.Complete(ctx, c.Params("id"), key)
	if err != nil {
		if at != nil || apperr.KindOf(err) == apperr.Forbidden {
			reason := auth.ReasonCookieMismatch
			if at != nil && at.Status == auth.AttemptExpired {
				reason = auth.ReasonQRExpired
			} else if at != nil {
				reason = "not_confirmed"
			}
			method := auth.MethodOAQR
			if at != nil {
				method = at.Method
			}
			s.logLogin(c, auth.LoginEvent{Method: method, Reason: reason})
		}
		return err
	}
	u, err := s.Store.Client.User.Get(ctx, at.UserID)
	if err != nil {
		return apperr.E("web.loginAttemptComplete", apperr.Unavailable, err)
	}
	if at.Status == auth.AttemptNeedPhone {
		if err := s.holdForPhone(c, key, u.ID, at.Method); err != nil {
			return err
		}
		return c.JSON(attemptJSON{ID: at.ID, Status: string(at.Status), Redirect: "/login/phone"})
	}
	dest, err := s.signIn(c, u.ID, at.Method)
	if err != nil {
		return err
	}
	return c.JSON(attemptJSON{ID: at.ID, Status: string(auth.AttemptConfirmed), Redirect: dest})
}

// signIn starts the session of an account that passed a sign-in flow and writes the
// login log. Disabled and rejected accounts get no session.
func (s *Server) signIn(c *fiber.Ctx, userID int, method string) (string, error) {
	ctx := c.UserContext()
	u, err := s.Store.Client.User.Get(ctx, userID)
	if err != nil {
		return "", apperr.E("web.signIn", apperr.Unavailable, err)
	}
	switch u.Status {
	case "disabled", "rejected":
		s.logLogin(c, auth.LoginEvent{Method: method, UserID: u.ID, Reason: string(u.Status)})
		return "", apperr.E("web.signIn", apperr.Forbidden, apperr.Key("login.denied."+string(u.Status)), "account is "+string(u.Status))
	}
	p := &auth.Principal{UserID: u.ID, Name: u.DisplayName, Role: u.Role, Status: u.Status}
	if err := s.StartSession(c, p, method); err != nil {
		return "", err
	}
	reason := ""
	if u.Status == "pending" {
		reason = auth.ReasonPendingApproval
	}
	s.logLogin(c, auth.LoginEvent{Method: method, Success: true, UserID: u.ID, Reason: reason})
	c.ClearCookie(s.preLoginCookie())
	return landing(p), nil
}

// logLogin writes a login-log row for this request's browser. A failure to log is itself
// logged, not shown: the user's outcome does not depend on it.
func (s *Server) logLogin(c *fiber.Ctx, ev auth.LoginEvent) {
	if s.Login.Log == nil {
		return
	}
	if ev.IP == "" {
		ev.IP = c.IP()
	}
	if ev.UserAgent == "" {
		ev.UserAgent = c.Get(fiber.HeaderUserAgent)
	}
	if err := s.Login.Log.Record(c.UserContext(), ev); err != nil {
		s.Log.Error("login log write failed", "request_id", requestID(c), "err", err.Error())
	}
}

// absURL is an absolute URL of ours, always from the configured base (never from Host or
// X-Forwarded-Host: OAUTH-06).
func (s *Server) absURL(path string) string {
	if s.BaseURL == nil {
		return path
	}
	return strings.TrimRight(s.BaseURL.String(), "/") + path
}
