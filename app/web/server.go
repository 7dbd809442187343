// Package web is the only package that knows Fiber. It holds the route list, the
// middleware, one small handler file per screen or action, and the presenters that turn
// service results into view models for the templ components in /views.
package web

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"

	"scanboard/app/auth"
	"scanboard/app/kv"
	"scanboard/app/reports"
	"scanboard/app/store"
	"scanboard/static"
	"scanboard/views/i18n"
)

// Deps is everything the web layer needs; app/cmd/mis builds it.
type Deps struct {
	Log      *slog.Logger
	Store    *store.Store
	KV       kv.Store
	Sessions *auth.Sessions
	Assets   *static.Assets
	I18n     *i18n.Bundle
	Now      func() time.Time // nil: time.Now

	BaseURL         *url.URL
	DefaultLocale   string
	SessionIdle     time.Duration
	SessionAbsolute time.Duration
	TrustedProxies  []string // CIDRs or addresses whose X-Real-IP is believed
	BodyLimit       int      // bytes; 0: 4 MiB
	// Sandbox, when set, is the built-in WeChat emulator, mounted at SandboxPath.
	Sandbox http.Handler
	// Reports stores uploads and answers for runs; nil leaves the upload page, the upload
	// API and the API tokens of the profile page unmounted.
	Reports *reports.Service
	// UploadMaxBytes caps one upload body as sent (compressed or not); 0: 512 MiB. It is
	// the only body limit of the streaming upload routes (BodyLimit applies to the rest).
	UploadMaxBytes int64
	// Login holds the sign-in services (scan-to-login, push endpoint, phone binding).
	Login Login
	// Admin holds the administration services (approval, users, sessions, logs).
	Admin AdminDeps
}

// SandboxPath is where the built-in WeChat sandbox is mounted.
const SandboxPath = "/_sandbox"

// Server is the HTTP application.
type Server struct {
	Deps
	app      *fiber.App
	sessions *sessionStore
	routes   []Route
}

// New builds the app with its middleware and routes.
func New(d Deps) *Server {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.BodyLimit == 0 {
		d.BodyLimit = 4 << 20
	}
	if d.DefaultLocale == "" {
		d.DefaultLocale = "zh-CN"
	}
	s := &Server{Deps: d}
	s.app = fiber.New(fiber.Config{
		AppName:                 "Scanboard",
		ErrorHandler:            s.handleError,
		BodyLimit:               d.BodyLimit,
		ReadTimeout:             10 * time.Minute, // large uploads; idle connections use IdleTimeout
		WriteTimeout:            10 * time.Minute,
		IdleTimeout:             2 * time.Minute,
		ReadBufferSize:          16 << 10,
		DisableStartupMessage:   true,
		ProxyHeader:             proxyHeader(d.TrustedProxies),
		EnableTrustedProxyCheck: true,
		TrustedProxies:          d.TrustedProxies,
		EnableIPValidation:      true,
		RequestMethods:          []string{fiber.MethodGet, fiber.MethodHead, fiber.MethodPost, fiber.MethodPut, fiber.MethodPatch, fiber.MethodDelete, fiber.MethodOptions},

		// Upload bodies are streamed to disk, never held in memory (FILE-02). Streaming turns
		// BodyLimit off, so limitBody re-imposes it on every other route, and multipart
		// bodies are never spooled before a handler asks (P5a).
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
	})
	s.sessions = newSessionStore(d)
	s.middleware()
	s.app.Use(s.limitBody)
	s.routes = s.routeTable()
	for _, r := range s.routes {
		switch {
		case r.Method == fiber.MethodGet:
			s.app.Get(r.Path, r.Handler) // GET routes answer HEAD too
		case r.NoCSRF:
			s.app.Add(r.Method, r.Path, r.Handler)
		default:
			s.app.Add(r.Method, r.Path, s.checkCSRF, r.Handler)
		}
	}
	return s
}

// proxyHeader: without trusted proxies the TCP peer is the client and no header is read,
// so a spoofed X-Forwarded-For or X-Real-IP changes nothing (LOG-01).
func proxyHeader(trusted []string) string {
	if len(trusted) == 0 {
		return ""
	}
	return "X-Real-IP"
}

// App exposes the Fiber app for tests (app.Test).
func (s *Server) App() *fiber.App { return s.app }

// Routes returns the route table.
func (s *Server) Routes() []Route { return s.routes }

// Serve answers on ln until ctx ends, then stops accepting and gives in-flight requests up
// to grace to finish. It returns nil after a clean shutdown.
func (s *Server) Serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- s.app.Listener(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.Log.Info("shutting down", "grace", grace.String())
	err := s.app.ShutdownWithTimeout(grace)
	if errors.Is(err, context.DeadlineExceeded) {
		s.Log.Warn("requests still running after the shutdown grace period were cut off", "grace", grace.String())
		return nil
	}
	return err
}
