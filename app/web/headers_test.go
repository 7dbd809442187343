package web_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"scanboard/app/kv"
	"scanboard/app/web"
)

func TestWEB04_WEB05_WEB07_WEB08_SecurityHeaders(t *testing.T) {
	e := newEnv(t)
	resp := e.browser().get("/missing")
	body := readBody(resp)
	csp := resp.Header.Get("Content-Security-Policy")
	m := regexp.MustCompile(`script-src 'nonce-([A-Za-z0-9+/]+)' 'strict-dynamic'`).FindStringSubmatch(csp)
	if m == nil {
		t.Fatalf("no nonce script-src in CSP %q", csp)
	}
	for _, want := range []string{"frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP lacks %q", want)
		}
	}
	if strings.Count(body, `nonce="`+m[1]+`"`) < 2 {
		t.Errorf("page scripts do not carry this response's nonce %s", m[1])
	}
	if strings.Contains(body, "<script>") || strings.Contains(body, " style=") {
		t.Error("inline script or style attribute in the page")
	}
	want := map[string]string{
		"X-Frame-Options":            "DENY",
		"X-Content-Type-Options":     "nosniff",
		"Referrer-Policy":            "same-origin",
		"Cross-Origin-Opener-Policy": "same-origin",
	}
	for k, v := range want {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if resp.Header.Get("X-Request-Id") == "" {
		t.Error("no request id header")
	}
	again := e.browser().get("/missing")
	if again.Header.Get("Content-Security-Policy") == csp {
		t.Error("the nonce is reused across responses")
	}
}

func TestWEB01_CSRF(t *testing.T) {
	e := newEnv(t)
	u := e.user("active", "employee", "csrf")
	// A token from before sign-in belongs to the retired session id.
	b := e.browser()
	before := b.csrf()
	b.login(u)
	if after := b.csrf(); after == before || after == "" {
		t.Fatalf("token %q kept across sign-in", after)
	}
	other := e.browser()
	otherToken := other.csrf()
	tests := []struct {
		name   string
		token  string
		header map[string]string
		want   int
	}{
		{"missing token", "-", nil, http.StatusForbidden},
		{"wrong token", "not-a-token", nil, http.StatusForbidden},
		{"other session's token", otherToken, nil, http.StatusForbidden},
		{"token of the session before sign-in", before, nil, http.StatusForbidden},
		{"cross-site fetch", "", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"valid", "", nil, http.StatusSeeOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := url.Values{"lang": {"en"}, "return": {"/"}}
			tok := tt.token
			if tok == "" {
				tok = b.csrf()
			}
			if tok != "-" {
				form.Set("_csrf", tok)
			}
			req := httptest.NewRequest(http.MethodPost, "/lang", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp := b.do(req)
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}

func TestLanguageSwitchAndOpenRedirects(t *testing.T) {
	e := newEnv(t)
	tests := []struct{ ret, want string }{
		{"/reports?x=1", "/reports?x=1"},
		{"//evil.example", "/"},
		{"/\\evil.example", "/"},
		{"https://evil.example", "/"},
		{"javascript:alert(1)", "/"},
		{"/ok\r\nSet-Cookie: x=1", "/"},
		{"", "/"},
	}
	for _, tt := range tests {
		t.Run(tt.ret, func(t *testing.T) {
			b := e.browser()
			resp := b.post("/lang", url.Values{"lang": {"en"}, "return": {tt.ret}}, "")
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != tt.want {
				t.Fatalf("got %d → %q, want → %q", resp.StatusCode, resp.Header.Get("Location"), tt.want)
			}
			if b.cookies["mis_lang"] != "en" {
				t.Fatal("language cookie not set")
			}
			if body := readBody(b.get("/missing")); !strings.Contains(body, `lang="en"`) {
				t.Fatal("choice not applied to the next page")
			}
		})
	}
	if resp := e.browser().post("/lang", url.Values{"lang": {"fr"}}, ""); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("unsupported language: %d", resp.StatusCode)
	}
}

func TestAC08_MethodsAndTrace(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	req := httptest.NewRequest(http.MethodDelete, "/healthz", nil)
	if resp := b.do(req); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("DELETE /healthz = %d, want 405", resp.StatusCode)
	}
	req = httptest.NewRequest("TRACE", "/healthz", nil)
	if resp := b.do(req); resp.StatusCode < 400 {
		t.Errorf("TRACE answered %d", resp.StatusCode)
	}
	req = httptest.NewRequest(http.MethodHead, "/healthz", nil)
	if resp := b.do(req); resp.StatusCode != 200 {
		t.Errorf("HEAD /healthz = %d", resp.StatusCode)
	}
}

func TestStaticAssetsCaching(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	path := e.srv.Assets.Path("vendor/htmx.min.js")
	resp := b.get(path, "Accept-Encoding", "gzip")
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
		t.Fatalf("versioned asset: %d %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	if resp.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(resp.Header.Get("Content-Type"), "javascript") {
		t.Fatalf("encoding %q type %q", resp.Header.Get("Content-Encoding"), resp.Header.Get("Content-Type"))
	}
	etag := resp.Header.Get("ETag")
	resp = b.get("/static/vendor/htmx.min.js", "If-None-Match", etag)
	if resp.StatusCode != http.StatusNotModified {
		t.Fatalf("revalidation: %d", resp.StatusCode)
	}
	if resp := b.get("/static/vendor/htmx.min.js?v=stale"); resp.Header.Get("Cache-Control") != "public, no-cache" {
		t.Fatalf("stale version cached for long: %q", resp.Header.Get("Cache-Control"))
	}
	for _, p := range []string{"/static/../go.mod", "/static/%2e%2e/go.mod", "/static/%252e%252e/go.mod", "/static/vendor/nope.js"} {
		if resp := b.get(p); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s = %d, want 404", p, resp.StatusCode)
		}
	}
}

func TestLOG01_SpoofedClientIPIgnored(t *testing.T) {
	e := newEnv(t)
	u := e.user("active", "employee", "ip")
	b := e.browser()
	req := httptest.NewRequest(http.MethodPost, "/test/login/"+itoa(u.ID), strings.NewReader("_csrf="+b.csrf()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", "6.6.6.6")
	req.Header.Set("X-Real-IP", "6.6.6.6")
	if resp := b.do(req); resp.StatusCode != 200 {
		t.Fatalf("login: %d", resp.StatusCode)
	}
	row := e.store.Client.Session.Query().OnlyX(context.Background())
	if row.IP == "6.6.6.6" {
		t.Fatal("a spoofed forwarding header set the recorded client IP")
	}
}

// failingKV is a shared store whose every call fails, as when Redis is down.
type failingKV struct{ kv.Store }

var errDown = errors.New("connection refused")

func (failingKV) Ping(context.Context) error { return errDown }
func (f failingKV) Fiber() kv.SessionStorage { return failingStorage{} }

type failingStorage struct{}

func (failingStorage) Get(string) ([]byte, error)              { return nil, errDown }
func (failingStorage) Set(string, []byte, time.Duration) error { return errDown }
func (failingStorage) Delete(string) error                     { return errDown }
func (failingStorage) Reset() error                            { return errDown }
func (failingStorage) Close() error                            { return nil }

func TestReadyzAndSESS13_StorageDown(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	if resp := b.get("/readyz"); resp.StatusCode != 200 {
		t.Fatalf("readyz healthy: %d", resp.StatusCode)
	}
	u := e.user("active", "employee", "x")
	b.login(u)
	down := newEnv(t, func(d *web.Deps) { d.KV = failingKV{d.KV} })
	resp := down.browser().get("/readyz")
	body := readBody(resp)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, `"storage":"unavailable"`) {
		t.Fatalf("readyz with storage down: %d %s", resp.StatusCode, body)
	}
	if resp := down.browser().get("/healthz"); resp.StatusCode != 200 {
		t.Fatalf("healthz must not depend on storage: %d", resp.StatusCode)
	}
	// A signed-in browser gets 503, never the page, when the session store fails.
	sb := down.browser()
	sb.cookies = b.cookies
	if resp := sb.get("/"); resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("protected page with storage down: %d, want 503", resp.StatusCode)
	}
}

func TestGracefulShutdownFinishesInFlightRequest(t *testing.T) {
	e := newEnv(t)
	started, release := make(chan struct{}), make(chan struct{})
	e.srv.App().Get("/test/slow", func(c *fiber.Ctx) error {
		close(started)
		<-release
		return c.SendString("finished")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- e.srv.Serve(ctx, ln, 10*time.Second) }()
	type result struct {
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/test/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got <- result{body: string(b)}
	}()
	<-started
	stop() // SIGTERM arrives while the request is in flight
	time.Sleep(100 * time.Millisecond)
	close(release)
	r := <-got
	if r.err != nil || r.body != "finished" {
		t.Fatalf("in-flight request: %q, %v", r.body, r.err)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve returned %v", err)
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Fatal("still accepting connections after shutdown")
	}
}

func TestMachineRoutesCreateNoSession(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/healthz", "/readyz", "/static/css/app.css", "/api/v1/runs/1"} {
		resp := e.browser().get(p)
		for _, c := range resp.Header.Values("Set-Cookie") {
			if strings.Contains(c, "sid=") {
				t.Errorf("%s set a session cookie: %s", p, c)
			}
		}
	}
	if resp := e.browser().get("/missing"); !strings.Contains(strings.Join(resp.Header.Values("Set-Cookie"), ";"), "mis_sid=") {
		t.Error("pages no longer get a session for their CSRF token")
	}
}
