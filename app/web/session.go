package web

import (
	"crypto/rand"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/session"

	"scanboard/app/apperr"
	"scanboard/app/auth"
)

// Session data keys. The session holds only the user id and sign-in metadata (SESS-14);
// everything else is re-read from the database on each request.
const (
	sessUser    = "uid"
	sessCreated = "created" // unix seconds: the absolute timeout counts from here
	sessSeen    = "seen"    // unix seconds of the last recorded activity: the idle timeout
	sessPriv    = "priv"    // role+status when the id was last issued; a change rotates it
	sessFlash   = "flash"
)

// touchEvery limits how often activity is written back (session TTL and Session row).
const touchEvery = time.Minute

// SessionCookieName is the cookie name: __Host- prefixed over HTTPS (SESS-01).
func SessionCookieName(secure bool) string {
	if secure {
		return "__Host-sid"
	}
	return "mis_sid"
}

func newSessionStore(d Deps) *session.Store {
	secure := d.BaseURL != nil && d.BaseURL.Scheme == "https"
	return session.New(session.Config{
		Storage:           d.KV.Fiber(),
		Expiration:        d.SessionIdle,
		KeyLookup:         "cookie:" + SessionCookieName(secure), // never query or header (SESS-02)
		CookieSecure:      secure,
		CookieHTTPOnly:    true,
		CookieSameSite:    "Lax", // Strict would drop the cookie on the return from WeChat
		CookiePath:        "/",
		CookieSessionOnly: true,
		KeyGenerator:      rand.Text, // 26 base32 characters: 130 random bits (SESS-03)
	})
}

func principal(c *fiber.Ctx) *auth.Principal {
	p, _ := c.Locals(localPrincipal).(*auth.Principal)
	return p
}

// loadPrincipal finds the signed-in user, enforcing idle and absolute timeouts and
// revocation. Storage or database failures end the request with 503: protected pages are
// never served on a guess (SESS-13, AC-06).
func (s *Server) loadPrincipal(c *fiber.Ctx) error {
	if c.Cookies(SessionCookieName(s.secure())) == "" {
		return c.Next()
	}
	sess, err := s.sessions.Get(c)
	if err != nil {
		return apperr.E("web.loadPrincipal", apperr.Unavailable, err)
	}
	uid, ok := sess.Get(sessUser).(int)
	if !ok {
		if !sess.Fresh() {
			c.Locals(localSID, sess.ID()) // an anonymous session (CSRF token, flash)
		}
		return c.Next()
	}
	now := s.Now()
	created, _ := sess.Get(sessCreated).(int64)
	seen, _ := sess.Get(sessSeen).(int64)
	if now.Sub(time.Unix(created, 0)) >= s.SessionAbsolute || now.Sub(time.Unix(seen, 0)) >= s.SessionIdle {
		return s.endSession(c, sess, "timeout")
	}
	p, err := s.Sessions.Lookup(c.UserContext(), sess.ID())
	if err != nil {
		return err
	}
	if p == nil || p.UserID != uid {
		return s.endSession(c, sess, "")
	}
	c.Locals(localPrincipal, p)
	// A role or status change since the id was issued rotates it (SESS-06): the old id never
	// carries the new privilege across a page load. Privileges are re-read on every request
	// anyway. Only a page navigation rotates: a background request (a long-poll started
	// before the change, a chart's JSON) answers long after, or alongside, others still
	// carrying the old id, and rotating there signed those out; and an unsafe request keeps
	// its CSRF check on the id it was made for.
	c.Locals(localSID, sess.ID())
	if priv := string(p.Role) + "/" + string(p.Status); sess.Get(sessPriv) != priv && isNavigation(c) {
		if err := s.rotate(c, sess, priv); err != nil {
			return err
		}
	} else if now.Sub(time.Unix(seen, 0)) >= touchEvery {
		sess.Set(sessSeen, now.Unix())
		if err := sess.Save(); err != nil {
			return apperr.E("web.loadPrincipal", apperr.Unavailable, err)
		}
		if err := s.Sessions.Touch(c.UserContext(), sess.ID()); err != nil {
			return err
		}
	}
	return c.Next()
}

// endSession drops a dead session so the request continues anonymously.
func (s *Server) endSession(c *fiber.Ctx, sess *session.Session, reason string) error {
	if reason != "" {
		_ = s.Sessions.Revoke(c.UserContext(), sess.ID(), nil, reason)
	}
	if err := sess.Destroy(); err != nil {
		return apperr.E("web.endSession", apperr.Unavailable, err)
	}
	c.Locals(localSID, "")
	return c.Next()
}

func (s *Server) rotate(c *fiber.Ctx, sess *session.Session, priv string) error {
	old := sess.ID()
	if err := sess.Regenerate(); err != nil {
		return apperr.E("web.rotate", apperr.Unavailable, err)
	}
	sess.Set(sessPriv, priv)
	sess.Set(sessSeen, s.Now().Unix())
	newID := sess.ID()
	if err := sess.Save(); err != nil {
		return apperr.E("web.rotate", apperr.Unavailable, err)
	}
	c.Locals(localSID, newID)
	return s.Sessions.Rotate(c.UserContext(), old, newID)
}

// StartSession signs the user in on this browser: a new session id (the pre-login one is
// destroyed, SESS-05), the user id and sign-in time in the session, and a Session row.
func (s *Server) StartSession(c *fiber.Ctx, p *auth.Principal, method string) error {
	const op = "web.StartSession"
	// The concurrent-session cap (SESS-12) evicts the oldest or refuses this one.
	if s.Admin.Users != nil {
		if err := s.Admin.SessionCap.Admit(c.UserContext(), s.Admin.Users, p.UserID); err != nil {
			return err
		}
	}
	sess, err := s.sessions.Get(c)
	if err != nil {
		return apperr.E(op, apperr.Unavailable, err)
	}
	if err := sess.Reset(); err != nil { // new id, old data gone
		return apperr.E(op, apperr.Unavailable, err)
	}
	now := s.Now()
	sess.Set(sessUser, p.UserID)
	sess.Set(sessCreated, now.Unix())
	sess.Set(sessSeen, now.Unix())
	sess.Set(sessPriv, string(p.Role)+"/"+string(p.Status))
	id := sess.ID()
	if err := sess.Save(); err != nil {
		return apperr.E(op, apperr.Unavailable, err)
	}
	c.Locals(localSID, id)
	err = s.Sessions.Create(c.UserContext(), auth.NewSession{
		ID: id, UserID: p.UserID, Method: method, IP: c.IP(),
		UserAgent: c.Get(fiber.HeaderUserAgent), Expires: now.Add(s.SessionAbsolute),
	})
	if err != nil {
		_ = s.sessions.Delete(id)
		return err
	}
	// A user left waiting is either approved by policy (pre-registered phone, WeCom) or
	// announced to the admins; neither may fail the sign-in itself.
	if s.Admin.Users != nil && p.Status == "pending" {
		if _, err := s.Admin.Users.Waiting(c.UserContext(), p.UserID, c.IP()); err != nil {
			s.Log.Warn("approval policy or admin notification failed", "user_id", p.UserID, "err", err.Error())
		}
	}
	return nil
}

// EndSession signs the current browser out: the stored session and its cookie go, and the
// row is marked revoked.
func (s *Server) EndSession(c *fiber.Ctx, reason string) error {
	sess, err := s.sessions.Get(c)
	if err != nil {
		return apperr.E("web.EndSession", apperr.Unavailable, err)
	}
	if err := s.Sessions.Revoke(c.UserContext(), sess.ID(), nil, reason); err != nil {
		return err
	}
	if err := sess.Destroy(); err != nil {
		return apperr.E("web.EndSession", apperr.Unavailable, err)
	}
	c.Locals(localSID, "")
	return nil
}

// guard enforces a route's policy before its handler runs.
func (s *Server) guard(pol Policy, h fiber.Handler) fiber.Handler {
	if pol == Public {
		return h
	}
	return func(c *fiber.Ctx) error {
		p := principal(c)
		if err := allow(pol, p); err != nil {
			return err
		}
		return h(c)
	}
}

// errNotSignedIn is what anonymous visitors of a protected page get.
var errNotSignedIn = errors.New("not signed in")

func allow(pol Policy, p *auth.Principal) error {
	const op = "web.guard"
	if p == nil {
		return apperr.E(op, apperr.Unauthorized, errNotSignedIn)
	}
	if pol == SignedIn {
		return nil
	}
	if p.Status != "active" {
		return apperr.E(op, apperr.Forbidden, "account is "+string(p.Status))
	}
	switch pol {
	case Active:
		return nil
	case Manager:
		if p.Role == "manager" || p.Role == "admin" {
			return nil
		}
	case Admin:
		if p.Role == "admin" {
			return nil
		}
	}
	return apperr.E(op, apperr.Forbidden, "role "+string(p.Role)+" below "+pol.String())
}

// isNavigation reports whether a request loads a page: Fetch Metadata says so in browsers;
// clients without it (tests, curl) count when the request is a plain GET not sent by htmx.
func isNavigation(c *fiber.Ctx) bool {
	if c.Method() != fiber.MethodGet {
		return false
	}
	if mode := c.Get("Sec-Fetch-Mode"); mode != "" {
		return mode == "navigate"
	}
	return c.Get("HX-Request") == ""
}
