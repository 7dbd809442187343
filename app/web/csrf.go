package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"

	"github.com/gofiber/fiber/v2"

	"scanboard/app/apperr"
)

// CSRF protection is the synchroniser-token pattern with the token derived from the
// session id instead of stored in the session: token = SHA-256 over a fixed label and the
// id. The id is 130 random bits that only the browser's HttpOnly cookie and the server
// know, so a page on another site can neither read nor compute the token; the hash
// reveals nothing of the id, and a new id (sign-in, privilege change) gives a new token.
//
// Fiber's csrf middleware kept the token inside the session, which cost every page view
// three decodes and a re-encode of the session plus a storage write to extend the token.
// Deriving it costs one hash and writes nothing, on any number of nodes.

// localSID holds the id of the request's live session once loadPrincipal has seen it (or
// issueCSRF started one), after any rotation.
const localSID = "sid"

const csrfLabel = "scanboard/csrf/v1\x00"

func csrfToken(sid string) string {
	h := sha256.New()
	h.Write([]byte(csrfLabel))
	h.Write([]byte(sid))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// issueCSRF gives a page its token. A visitor without a live session gets an anonymous
// one, so the token has something to be bound to (the sign-in forms need it).
func (s *Server) issueCSRF(c *fiber.Ctx) error {
	sid := s.liveSID(c)
	if sid == "" {
		sid = newSessionID()
		if err := s.sessions.save(c, sid, sessionState{}); err != nil {
			return apperr.E("web.issueCSRF", apperr.Unavailable, err)
		}
		c.Locals(localSID, sid)
	}
	c.Locals(localCSRF, csrfToken(sid))
	return c.Next()
}

// checkCSRF guards an unsafe route: the request must carry the token of its own live
// session, in the X-CSRF-Token header or the _csrf form field (WEB-02).
func (s *Server) checkCSRF(c *fiber.Ctx) error {
	sid := s.liveSID(c)
	got := c.Get("X-CSRF-Token")
	if got == "" {
		got = c.FormValue("_csrf")
	}
	switch {
	case sid == "":
		return apperr.E("web.csrf", apperr.Forbidden, apperr.Key("error.csrf"), "no live session to check the CSRF token against")
	case got == "":
		return apperr.E("web.csrf", apperr.Forbidden, apperr.Key("error.csrf"), "the request carries no CSRF token")
	}
	want := csrfToken(sid)
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return apperr.E("web.csrf", apperr.Forbidden, apperr.Key("error.csrf"), "the CSRF token does not belong to this session")
	}
	c.Locals(localCSRF, want) // a form re-rendered with errors posts again
	return c.Next()
}
