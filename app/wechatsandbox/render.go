package wechatsandbox

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/a-h/templ"

	views "scanboard/views/sandbox"
)

// lang picks zh-CN or en: ?lang=, then the sbx_lang cookie, then Accept-Language.
func lang(w http.ResponseWriter, r *http.Request, base string) string {
	if l := r.URL.Query().Get("lang"); l == "en" || l == "zh-CN" {
		http.SetCookie(w, &http.Cookie{Name: "sbx_lang", Value: l, Path: cookiePath(base), HttpOnly: true, SameSite: http.SameSiteLaxMode})
		return l
	}
	if c, err := r.Cookie("sbx_lang"); err == nil && (c.Value == "en" || c.Value == "zh-CN") {
		return c.Value
	}
	al := strings.ToLower(r.Header.Get("Accept-Language"))
	if al != "" && !strings.HasPrefix(al, "zh") {
		return "en"
	}
	return "zh-CN"
}

func cookiePath(base string) string {
	if base == "" {
		return "/"
	}
	return base + "/"
}

// page builds the common view model for r.
func (s *Sandbox) page(w http.ResponseWriter, r *http.Request, titleKey string) views.Page {
	l := lang(w, r, s.cfg.BasePath)
	q := r.URL.Query()
	q.Del("lang")
	self := s.cfg.BasePath + r.URL.Path
	if enc := q.Encode(); enc != "" {
		self += "?" + enc
	}
	return views.Page{Lang: l, Title: views.T(l, titleKey), Base: s.cfg.BasePath, Self: self}
}

// render writes a templ component with the CSP nonce the app provides, or with the sandbox's
// own nonce and CSP header when running alone.
func (s *Sandbox) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	ctx := r.Context()
	nonce := ""
	if s.cfg.Nonce != nil {
		nonce = s.cfg.Nonce(r)
	} else {
		nonce = templ.GetNonce(ctx)
	}
	if nonce == "" {
		nonce = randToken(16)
		w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+nonce+
			"'; style-src 'nonce-"+nonce+"'; img-src 'self' data:; connect-src 'self'; form-action 'self' http: https:; frame-ancestors *; base-uri 'none'")
	}
	ctx = templ.WithNonce(ctx, nonce)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	if err := c.Render(ctx, w); err != nil {
		s.log.LogAttrs(context.Background(), slog.LevelError, "sandbox page render failed", slog.String("path", r.URL.Path), slogErr(err))
	}
}

// errorPage renders a WeChat-style error page (HTTP 200, as WeChat's webview shows them).
func (s *Sandbox) errorPage(w http.ResponseWriter, r *http.Request, code int, text string) {
	p := s.page(w, r, "error")
	detail := ""
	if code != 0 {
		detail = "errcode " + itoa(int64(code))
	}
	s.render(w, r, http.StatusOK, views.ActionPage(views.ActionView{
		Page: p, Heading: p.L("error"), Text: text, Detail: detail, Error: true,
		Links: []views.Link{{Label: p.L("back"), URL: s.cfg.BasePath + "/phone"}},
	}))
}

// withQuery appends params to a redirect URI that may already have a query.
func withQuery(base string, params url.Values) string {
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	if i := strings.Index(base, "#"); i >= 0 {
		base = base[:i]
	}
	return base + sep + params.Encode()
}
