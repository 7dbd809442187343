package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/fiber/v2/middleware/requestid"

	"scanboard/app/apperr"
	"scanboard/views/i18n"
)

// Locals keys.
const (
	localRequestID = "requestid"
	localNonce     = "csp-nonce"
	localCSRF      = "csrf"
	localPrincipal = "principal"
	localLocale    = "locale"
)

// requestTimeout bounds the database and Redis work of an ordinary request (P5(b): fasthttp
// gives handlers no deadline of their own).
const requestTimeout = 30 * time.Second

func (s *Server) middleware() {
	s.app.Use(requestid.New(requestid.Config{
		Generator:  func() string { return rand.Text()[:16] },
		ContextKey: localRequestID,
	}))
	s.app.Use(s.securityHeaders)
	s.app.Use(s.requestContext)
	s.app.Use(recover.New(recover.Config{
		EnableStackTrace: true,
		StackTraceHandler: func(c *fiber.Ctx, e any) {
			s.Log.Error("panic", "request_id", requestID(c), "panic", fmt.Sprint(e), "stack", string(debug.Stack()))
		},
	}))
	s.app.Use(s.rejectCrossSite)
	// The session first: it may end or rotate the session, and the token is derived from
	// the id that the response leaves the browser with.
	s.app.Use(s.loadPrincipal)
	// Pages get their token here; unsafe requests are checked by the route itself (see
	// New), so a method no route takes is answered 405, not 403.
	s.app.Use(func(c *fiber.Ctx) error {
		if isSafe(c.Method()) && wantsToken(c.Path()) && !isBackground(c) {
			return s.issueCSRF(c)
		}
		return c.Next()
	})
}

// rejectCrossSite refuses unsafe requests the browser marks as cross-site (Fetch Metadata),
// before the token check (WEB-01).
func (s *Server) rejectCrossSite(c *fiber.Ctx) error {
	if isSafe(c.Method()) {
		return c.Next()
	}
	if c.Get("Sec-Fetch-Site") == "cross-site" {
		return apperr.E("web.rejectCrossSite", apperr.Forbidden, apperr.Key("error.csrf"))
	}
	return c.Next()
}

func requestID(c *fiber.Ctx) string {
	id, _ := c.Locals(localRequestID).(string)
	return id
}

// finish renders a failed request's error page while the request context is still live,
// then writes one structured log line per request.
func (s *Server) finish(c *fiber.Ctx, start time.Time, err error) {
	if err != nil {
		// Let the error handler set the status before it is logged.
		if herr := s.app.ErrorHandler(c, err); herr != nil {
			s.Log.Error("error page failed", "request_id", requestID(c), "err", herr.Error())
			_ = c.SendStatus(fiber.StatusInternalServerError)
		}
	}
	attrs := []any{
		"request_id", requestID(c),
		"method", c.Method(),
		"path", c.Path(),
		"status", c.Response().StatusCode(),
		"dur_ms", s.Now().Sub(start).Milliseconds(),
		"ip", c.IP(),
	}
	if p := principal(c); p != nil {
		attrs = append(attrs, "user_id", p.UserID)
	}
	level := slog.LevelInfo
	if c.Response().StatusCode() >= 500 {
		level = slog.LevelError
	}
	s.Log.Log(c.UserContext(), level, "request", attrs...)
}

// securityHeaders sets a strict CSP with a fresh nonce per response, and the other headers
// of the checklist (WEB-04…09).
func (s *Server) securityHeaders(c *fiber.Ctx) error {
	var b [18]byte
	_, _ = rand.Read(b[:])
	nonce := base64.RawStdEncoding.EncodeToString(b[:])
	c.Locals(localNonce, nonce)
	h := &c.Response().Header
	h.Set("Content-Security-Policy", strings.Join([]string{
		"default-src 'self'",
		"script-src 'nonce-" + nonce + "' 'strict-dynamic'",
		"style-src 'self' 'nonce-" + nonce + "'",
		"img-src 'self' data: blob:",
		"font-src 'self'",
		"connect-src 'self'",
		"frame-src " + s.frameSrc(),
		"object-src 'none'",
		"base-uri 'none'",
		"form-action 'self'",
		"frame-ancestors " + s.frameAncestors(c),
	}, "; "))
	if s.frameAncestors(c) == "'self'" {
		h.Set("X-Frame-Options", "SAMEORIGIN")
	} else {
		h.Set("X-Frame-Options", "DENY")
	}
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
	if s.secure() {
		h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
	}
	return c.Next()
}

// requestContext gives the handler a context with a deadline, the locale and the CSP nonce,
// so templ components and services read them from ctx. Errors are rendered and the request
// logged here, before the context is cancelled.
func (s *Server) requestContext(c *fiber.Ctx) error {
	start := s.Now()
	lang := s.I18n.Match(c.Cookies(langCookie), c.Get(fiber.HeaderAcceptLanguage), s.DefaultLocale)
	c.Locals(localLocale, lang)
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	ctx = i18n.WithLocalizer(ctx, s.I18n.Localizer(lang))
	ctx = templ.WithNonce(ctx, c.Locals(localNonce).(string))
	c.SetUserContext(ctx)
	s.finish(c, start, c.Next())
	return nil
}

func (s *Server) secure() bool { return s.BaseURL != nil && s.BaseURL.Scheme == "https" }

func isSafe(method string) bool {
	return method == fiber.MethodGet || method == fiber.MethodHead || method == fiber.MethodOptions
}

// NonceFromRequest returns the CSP nonce of a request that reached a net/http handler
// mounted in the app (the sandbox), so its pages pass the app's policy.
func NonceFromRequest(r *http.Request) string {
	n, _ := r.Context().Value(localNonce).(string)
	return n
}

// wantsToken: only pages get a CSRF token (and with it a session). Health checks, assets,
// the JSON API, WeChat pushes and the sandbox must not create a session per request.
func wantsToken(path string) bool {
	for _, p := range []string{"/api/", SandboxPath, "/static/", "/healthz", "/readyz", "/wechat/"} {
		if strings.HasPrefix(path, p) {
			return false
		}
	}
	return true
}

// isBackground reports a script's own request (a long-poll, a chart's JSON), as Fetch
// Metadata tells: it renders no form, so it gets no CSRF token, and the token middleware
// must not save the session at its end — a long-poll that outlives a session rotation
// would write the retired id back and hand it to the browser. htmx requests fetch page
// fragments that may hold forms, so they keep their token.
func isBackground(c *fiber.Ctx) bool {
	mode := c.Get("Sec-Fetch-Mode")
	return mode != "" && mode != "navigate" && c.Get("HX-Request") == ""
}
