package web_test

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"scanboard/app/auth"
	"scanboard/app/kv"
	"scanboard/app/store"
	"scanboard/app/store/storetest"
	"scanboard/app/web"
	"scanboard/ent"
	"scanboard/static"
	"scanboard/views/i18n"
)

// clock is a settable time source for timeout tests.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type env struct {
	t     *testing.T
	srv   *web.Server
	store *store.Store
	kv    kv.Store
	clock *clock
	log   *strings.Builder
}

type option func(*web.Deps)

func withBase(u string) option {
	return func(d *web.Deps) { d.BaseURL, _ = url.Parse(u) }
}

// newKV returns the shared store for tests: Redis when MIS_TEST_REDIS_URL is set (a
// fresh key prefix per test), memory otherwise.
func newKV(t *testing.T, now func() time.Time) kv.Store {
	t.Helper()
	if u := os.Getenv("MIS_TEST_REDIS_URL"); u != "" {
		r, err := kv.OpenRedis(context.Background(), u, kv.RedisOptions{Prefix: "mistest:" + rand.Text() + ":"})
		if err != nil {
			t.Fatalf("redis: %v", err)
		}
		t.Cleanup(func() { r.Close() })
		return r
	}
	m := kv.NewMemory(now)
	t.Cleanup(func() { m.Close() })
	return m
}

func newEnv(t *testing.T, opts ...option) *env {
	t.Helper()
	st := storetest.New(t)
	ck := &clock{now: time.Now()}
	kvs := newKV(t, nil)
	assets, err := static.Load()
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := i18n.NewBundle()
	if err != nil {
		t.Fatal(err)
	}
	var logBuf strings.Builder
	var mu sync.Mutex
	d := web.Deps{
		Log:             slog.New(slog.NewTextHandler(lockedWriter{&mu, &logBuf}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Store:           st,
		KV:              kvs,
		Sessions:        auth.NewSessions(st, ck.Now),
		Assets:          assets,
		I18n:            bundle,
		Now:             ck.Now,
		DefaultLocale:   "zh-CN",
		SessionIdle:     30 * time.Minute,
		SessionAbsolute: 12 * time.Hour,
	}
	d.BaseURL, _ = url.Parse("http://127.0.0.1:8080")
	d.Admin = web.AdminDeps{Users: auth.NewUsers(auth.UsersDeps{Store: st, KV: kvs, Sessions: d.Sessions, Now: ck.Now})}
	for _, o := range opts {
		o(&d)
	}
	srv := web.New(d)
	// A test-only route that signs a user in, standing in for the sign-in flows.
	srv.App().Post("/test/login/:id", func(c *fiber.Ctx) error {
		id, _ := c.ParamsInt("id")
		u, err := st.Client.User.Get(c.UserContext(), id)
		if err != nil {
			return err
		}
		return srv.StartSession(c, &auth.Principal{UserID: u.ID, Role: u.Role, Status: u.Status}, "test")
	})
	return &env{t: t, srv: srv, store: st, kv: kvs, clock: ck, log: &logBuf}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (e *env) user(status, role, name string) *ent.User {
	e.t.Helper()
	u, err := e.store.Client.User.Create().SetStatus(userStatus(status)).SetRole(userRole(role)).SetDisplayName(name).Save(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// browser keeps cookies between requests like a real one.
type browser struct {
	e       *env
	cookies map[string]string
}

func (e *env) browser() *browser { return &browser{e: e, cookies: map[string]string{}} }

func (b *browser) do(req *http.Request) *http.Response {
	b.e.t.Helper()
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	resp, err := b.e.srv.App().Test(req, -1)
	if err != nil {
		b.e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 || (c.Expires.Before(time.Now()) && !c.Expires.IsZero()) || c.Value == "" {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	return resp
}

func (b *browser) get(path string, hdr ...string) *http.Response {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return b.do(req)
}

// post sends a form, with the page's CSRF token unless token is "-".
func (b *browser) post(path string, form url.Values, token string) *http.Response {
	if form == nil {
		form = url.Values{}
	}
	if token == "" {
		token = b.csrf()
	}
	if token != "-" {
		form.Set("_csrf", token)
	}
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// csrf reads a fresh token from a page (the error page of an unknown path renders the
// frame with its forms).
func (b *browser) csrf() string {
	b.e.t.Helper()
	body := readBody(b.get("/no-such-page"))
	const marker = `name="csrf-token" content="`
	i := strings.Index(body, marker)
	if i < 0 {
		b.e.t.Fatalf("no csrf token in page:\n%s", body)
	}
	rest := body[i+len(marker):]
	return rest[:strings.IndexByte(rest, '"')]
}

func (b *browser) login(u *ent.User) {
	b.e.t.Helper()
	resp := b.post("/test/login/"+itoa(u.ID), nil, "")
	if resp.StatusCode != 200 {
		b.e.t.Fatalf("test login: %d %s", resp.StatusCode, readBody(resp))
	}
}

func readBody(r *http.Response) string {
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	return string(b)
}
