package web

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"scanboard/app/apperr"
	"scanboard/app/auth"
	"scanboard/app/kv"
)

// sessionState is what the server keeps per browser session, as JSON in the shared
// session storage under the session id. It holds only the user id and sign-in metadata
// (SESS-14); everything else is re-read from the database on each request. A session
// without a user (UserID 0) is an anonymous one, there for the CSRF token.
//
// Fiber's session middleware kept the same values in a gob-encoded map, and gob compiles
// its decoder anew for every request: 40–70 µs of each signed-in request went to reading
// four numbers. This typed state decodes in about a microsecond.
type sessionState struct {
	UserID  int    `json:"uid,omitempty"`
	Created int64  `json:"created,omitempty"` // unix seconds: the absolute timeout counts from here
	Seen    int64  `json:"seen,omitempty"`    // unix seconds of the last recorded activity: the idle timeout
	Priv    string `json:"priv,omitempty"`    // role+status when the id was last issued; a change rotates it
}

// touchEvery limits how often activity is written back (session TTL and Session row).
const touchEvery = time.Minute

// SessionCookieName is the cookie name: __Host- prefixed over HTTPS (SESS-01).
func SessionCookieName(secure bool) string {
	if secure {
		return "__Host-sid"
	}
	return "mis_sid"
}

// sessionStore keeps session states in the shared storage (memory, or Redis through
// gofiber/storage) and the id in a cookie: never a query parameter or header (SESS-02).
type sessionStore struct {
	storage kv.SessionStorage
	idle    time.Duration // storage TTL, renewed by every save
	cookie  string
	secure  bool
}

func newSessionStore(d Deps) *sessionStore {
	secure := d.BaseURL != nil && d.BaseURL.Scheme == "https"
	return &sessionStore{storage: d.KV.Fiber(), idle: d.SessionIdle, cookie: SessionCookieName(secure), secure: secure}
}

// newSessionID is 26 base32 characters: 130 random bits (SESS-03).
func newSessionID() string { return rand.Text() }

// load returns the live session named by the request's cookie. ok is false when there is
// no cookie, the session is gone, or its state is unreadable (a session written by an
// older release): the visitor then simply has no session.
func (st *sessionStore) load(c *fiber.Ctx) (id string, state sessionState, ok bool, err error) {
	id = c.Cookies(st.cookie)
	if id == "" {
		return "", state, false, nil
	}
	raw, err := st.storage.Get(id)
	if err != nil || raw == nil {
		return "", state, false, err
	}
	if json.Unmarshal(raw, &state) != nil {
		return "", sessionState{}, false, nil
	}
	return id, state, true, nil
}

// save stores the state under id for the idle timeout and hands the browser the cookie.
func (st *sessionStore) save(c *fiber.Ctx, id string, state sessionState) error {
	raw, err := json.Marshal(state)
	if err != nil {
		return err
	}
	if err := st.storage.Set(id, raw, st.idle); err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{
		Name: st.cookie, Value: id, Path: "/", Secure: st.secure, HTTPOnly: true,
		SameSite:    fiber.CookieSameSiteLaxMode, // Strict would drop the cookie on the return from WeChat
		SessionOnly: true,
	})
	return nil
}

// destroy deletes the session and expires the browser's cookie.
func (st *sessionStore) destroy(c *fiber.Ctx, id string) error {
	if id != "" {
		if err := st.storage.Delete(id); err != nil {
			return err
		}
	}
	c.Request().Header.DelCookie(st.cookie)
	c.Cookie(&fiber.Cookie{
		Name: st.cookie, Path: "/", Secure: st.secure, HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode,
		MaxAge: -1, Expires: time.Now().Add(-time.Minute),
	})
	return nil
}

func principal(c *fiber.Ctx) *auth.Principal {
	p, _ := c.Locals(localPrincipal).(*auth.Principal)
	return p
}

// loadPrincipal finds the signed-in user, enforcing idle and absolute timeouts and
// revocation. Storage or database failures end the request with 503: protected pages are
// never served on a guess (SESS-13, AC-06).
func (s *Server) loadPrincipal(c *fiber.Ctx) error {
	id, st, ok, err := s.sessions.load(c)
	if err != nil {
		return apperr.E("web.loadPrincipal", apperr.Unavailable, err)
	}
	if !ok {
		return c.Next()
	}
	c.Locals(localSID, id)
	if st.UserID == 0 {
		return c.Next() // an anonymous session (CSRF token)
	}
	now := s.Now()
	if now.Sub(time.Unix(st.Created, 0)) >= s.SessionAbsolute || now.Sub(time.Unix(st.Seen, 0)) >= s.SessionIdle {
		return s.endSession(c, id, "timeout")
	}
	p, err := s.Sessions.Lookup(c.UserContext(), id)
	if err != nil {
		return err
	}
	if p == nil || p.UserID != st.UserID {
		return s.endSession(c, id, "")
	}
	c.Locals(localPrincipal, p)
	// A role or status change since the id was issued rotates it (SESS-06): the old id never
	// carries the new privilege across a page load. Privileges are re-read on every request
	// anyway. Only a page navigation rotates: a background request (a long-poll started
	// before the change, a chart's JSON) answers long after, or alongside, others still
	// carrying the old id, and rotating there signed those out; and an unsafe request keeps
	// its CSRF check on the id it was made for.
	if priv := string(p.Role) + "/" + string(p.Status); st.Priv != priv && isNavigation(c) {
		if err := s.rotate(c, id, st, priv); err != nil {
			return err
		}
	} else if now.Sub(time.Unix(st.Seen, 0)) >= touchEvery {
		st.Seen = now.Unix()
		if err := s.sessions.save(c, id, st); err != nil {
			return apperr.E("web.loadPrincipal", apperr.Unavailable, err)
		}
		if err := s.Sessions.Touch(c.UserContext(), id); err != nil {
			return err
		}
	}
	return c.Next()
}

// endSession drops a dead session so the request continues anonymously.
func (s *Server) endSession(c *fiber.Ctx, id, reason string) error {
	if reason != "" {
		_ = s.Sessions.Revoke(c.UserContext(), id, nil, reason)
	}
	if err := s.sessions.destroy(c, id); err != nil {
		return apperr.E("web.endSession", apperr.Unavailable, err)
	}
	c.Locals(localSID, "")
	return c.Next()
}

// rotate moves the session to a new id (the old one is deleted first) with the current
// privileges.
func (s *Server) rotate(c *fiber.Ctx, old string, st sessionState, priv string) error {
	if err := s.sessions.storage.Delete(old); err != nil {
		return apperr.E("web.rotate", apperr.Unavailable, err)
	}
	newID := newSessionID()
	st.Priv, st.Seen = priv, s.Now().Unix()
	if err := s.sessions.save(c, newID, st); err != nil {
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
	for _, old := range []string{c.Cookies(s.sessions.cookie), s.liveSID(c)} {
		if old != "" {
			if err := s.sessions.storage.Delete(old); err != nil {
				return apperr.E(op, apperr.Unavailable, err)
			}
		}
	}
	now := s.Now()
	id := newSessionID()
	st := sessionState{UserID: p.UserID, Created: now.Unix(), Seen: now.Unix(), Priv: string(p.Role) + "/" + string(p.Status)}
	if err := s.sessions.save(c, id, st); err != nil {
		return apperr.E(op, apperr.Unavailable, err)
	}
	c.Locals(localSID, id)
	err := s.Sessions.Create(c.UserContext(), auth.NewSession{
		ID: id, UserID: p.UserID, Method: method, IP: c.IP(),
		UserAgent: c.Get(fiber.HeaderUserAgent), Expires: now.Add(s.SessionAbsolute),
	})
	if err != nil {
		_ = s.sessions.storage.Delete(id)
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

// liveSID is the id of the request's live session, if loadPrincipal or issueCSRF found or
// made one.
func (s *Server) liveSID(c *fiber.Ctx) string {
	id, _ := c.Locals(localSID).(string)
	return id
}

// EndSession signs the current browser out: the stored session and its cookie go, and the
// row is marked revoked.
func (s *Server) EndSession(c *fiber.Ctx, reason string) error {
	id := s.liveSID(c)
	if id == "" {
		id = c.Cookies(s.sessions.cookie)
	}
	if id != "" {
		if err := s.Sessions.Revoke(c.UserContext(), id, nil, reason); err != nil {
			return err
		}
	}
	if err := s.sessions.destroy(c, id); err != nil {
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
