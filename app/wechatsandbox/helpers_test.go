package wechatsandbox

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is the injected clock; tests move it, never sleep.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type env struct {
	sb    *Sandbox
	clock *fakeClock
	srv   *httptest.Server
	cfg   Config
}

// newEnv starts a sandbox at /_sandbox on a test server. mod may adjust the config.
func newEnv(t *testing.T, mod func(*Config)) *env {
	t.Helper()
	e := &env{clock: &fakeClock{now: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}}
	var h http.Handler = http.NotFoundHandler()
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(e.srv.Close)
	cfg := DevConfig(e.srv.URL+"/_sandbox", "")
	cfg.Now = e.clock.Now
	cfg.Sleep = func(ctx context.Context, d time.Duration) error { return ctx.Err() }
	if mod != nil {
		mod(&cfg)
	}
	sb, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	e.sb, e.cfg, h = sb, sb.cfg, sb
	return e
}

// get calls a sandbox path and decodes the JSON answer.
func (e *env) get(t *testing.T, path string, q url.Values) map[string]any {
	t.Helper()
	return e.do(t, http.MethodGet, path+"?"+q.Encode(), "")
}

func (e *env) post(t *testing.T, path string, q url.Values, body string) map[string]any {
	t.Helper()
	return e.do(t, http.MethodPost, path+"?"+q.Encode(), body)
}

func (e *env) do(t *testing.T, method, path, body string) map[string]any {
	t.Helper()
	req := httptest.NewRequest(method, "/_sandbox"+path, strings.NewReader(body))
	req.RemoteAddr = "192.0.2.10:40000"
	rec := httptest.NewRecorder()
	e.sb.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("%s %s: HTTP %d (WeChat answers 200 even on errors): %s", method, path, rec.Code, rec.Body)
	}
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("%s %s: not JSON: %v: %s", method, path, err, rec.Body)
	}
	return m
}

// raw performs a request and returns the recorder.
func (e *env) raw(t *testing.T, method, path, body string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, "/_sandbox"+path, strings.NewReader(body))
	if method == http.MethodPost && strings.Contains(body, "=") && !strings.HasPrefix(body, "{") {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	e.sb.ServeHTTP(rec, req)
	return rec
}

func errcode(m map[string]any) int {
	f, _ := m["errcode"].(float64)
	return int(f)
}

func wantErr(t *testing.T, m map[string]any, code int) {
	t.Helper()
	if got := errcode(m); got != code {
		t.Fatalf("errcode = %d, want %d (body %v)", got, code, m)
	}
	msg, _ := m["errmsg"].(string)
	if code != 0 && !strings.Contains(msg, ", rid: ") && !strings.Contains(msg, "more info at") {
		t.Errorf("errmsg %q lacks WeChat's request-id suffix", msg)
	}
}

func (e *env) user(t *testing.T, n NewUser) User {
	t.Helper()
	if n.Nickname == "" {
		n.Nickname = "小明"
	}
	u, err := e.sb.CreateUser(n)
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	return u
}

func (e *env) appToken(t *testing.T, appid, secret string) string {
	t.Helper()
	m := e.get(t, "/cgi-bin/token", url.Values{"grant_type": {"client_credential"}, "appid": {appid}, "secret": {secret}})
	tok, _ := m["access_token"].(string)
	if tok == "" {
		t.Fatalf("no token: %v", m)
	}
	return tok
}

func (e *env) oaToken(t *testing.T) string { return e.appToken(t, e.cfg.OA.AppID, e.cfg.OA.Secret) }

// pushSink is an httptest push receiver whose handler the test sets.
type pushSink struct {
	mu      sync.Mutex
	handler http.HandlerFunc
	reqs    []sinkReq
}

type sinkReq struct {
	query url.Values
	body  string
}

func newPushSink(t *testing.T) (*pushSink, *httptest.Server) {
	t.Helper()
	p := &pushSink{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		p.mu.Lock()
		p.reqs = append(p.reqs, sinkReq{query: r.URL.Query(), body: string(b)})
		h := p.handler
		p.mu.Unlock()
		if h == nil {
			_, _ = io.WriteString(w, "success")
			return
		}
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return p, srv
}

func (p *pushSink) requests() []sinkReq {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]sinkReq(nil), p.reqs...)
}

func mustB64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func parseXMLInto(body string, v any) error {
	return xml.Unmarshal([]byte(body), v)
}

func (p *pushSink) set(h http.HandlerFunc) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.handler = h
}

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }
