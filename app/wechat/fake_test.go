package wechat

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
)

// fake is an httptest.Server standing in for every WeChat host at one base
// URL, the way the sandbox serves them. Handlers are registered per path and
// every request is recorded.
type fake struct {
	t        *testing.T
	srv      *httptest.Server
	mu       sync.Mutex
	handlers map[string]http.HandlerFunc
	calls    []fakeCall
}

type fakeCall struct {
	Path  string
	Query url.Values
	Body  string
}

func newFake(t *testing.T) *fake {
	t.Helper()
	f := &fake{t: t, handlers: make(map[string]http.HandlerFunc)}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.calls = append(f.calls, fakeCall{Path: r.URL.Path, Query: r.URL.Query(), Body: string(body)})
	h := f.handlers[r.URL.Path]
	f.mu.Unlock()
	if h == nil {
		http.NotFound(w, r)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	h(w, r)
}

// handle registers h for path.
func (f *fake) handle(path string, h http.HandlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.handlers[path] = h
}

// reply registers a fixed JSON answer (HTTP 200, as WeChat answers errors too).
func (f *fake) reply(path string, body any) {
	f.handle(path, func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, body) })
}

// count returns how many requests reached path.
func (f *fake) count(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c.Path == path {
			n++
		}
	}
	return n
}

// last returns the most recent request to path.
func (f *fake) last(path string) fakeCall {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.calls) - 1; i >= 0; i-- {
		if f.calls[i].Path == path {
			return f.calls[i]
		}
	}
	f.t.Fatalf("no request reached %s", path)
	return fakeCall{}
}

func (f *fake) endpoints() Endpoints { return SingleHost(f.srv.URL + "/_sandbox") }

// client returns a Client for appid wxtest pointed at the fake.
func (f *fake) client(mod ...func(*Config)) *Client {
	f.t.Helper()
	cfg := Config{AppID: "wxtest", Secret: "s3cret", Endpoints: f.endpoints()}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func writeJSON(w http.ResponseWriter, body any) {
	if s, ok := body.(string); ok {
		_, _ = io.WriteString(w, s)
		return
	}
	_ = json.NewEncoder(w).Encode(body)
}

// errBody is WeChat's error shape, with the request-id suffix real answers carry.
func errBody(code int, msg string) map[string]any {
	return map[string]any{"errcode": code, "errmsg": msg + ", rid: 65f0a1b2-1c2d3e4f-5a6b7c8d"}
}
