package web_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"scanboard/app/auth"
	"scanboard/app/kv"
	"scanboard/app/reports"
	"scanboard/app/reports/gen"
	"scanboard/app/store/storetest"
	"scanboard/app/web"
	"scanboard/ent/user"
	"scanboard/static"
	"scanboard/views/i18n"
)

// BenchmarkRunPage serves the run report of a 1,000,000-sample run and, for the yardstick
// the issue names, /healthz on the same in-process server (app.Test, the same path every
// request takes). The acceptance bar is run page ≥ 1/10 of /healthz's throughput: compare
// the two ns/op figures (the ratio is also reported as healthz/runpage).
func BenchmarkRunPage(b *testing.B) {
	st := storetest.New(b)
	assets, err := static.Load()
	if err != nil {
		b.Fatal(err)
	}
	bundle, err := i18n.NewBundle()
	if err != nil {
		b.Fatal(err)
	}
	mem := kv.NewMemory(nil)
	b.Cleanup(func() { mem.Close() })
	svc, err := reports.New(st, reports.Config{DataDir: b.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { svc.Close() })
	srv := web.New(web.Deps{Log: slog.New(slog.DiscardHandler), Store: st, KV: mem, Sessions: auth.NewSessions(st, time.Now),
		Assets: assets, I18n: bundle, DefaultLocale: "zh-CN", SessionIdle: time.Hour, SessionAbsolute: 12 * time.Hour, Reports: svc})
	srv.App().Post("/bench/login/:id", func(c *fiber.Ctx) error {
		id, _ := c.ParamsInt("id")
		return srv.StartSession(c, &auth.Principal{UserID: id, Role: user.RoleEmployee, Status: user.StatusActive}, "test")
	})
	ctx := context.Background()
	u := st.Client.User.Create().SetStatus(user.StatusActive).SetRole(user.RoleEmployee).SetDisplayName("bench").SaveX(ctx)
	if _, err := svc.CreateProject(ctx, reports.ProjectInput{Key: "shop", SLARules: "p95<2s\nerror_rate<5%"}); err != nil {
		b.Fatal(err)
	}
	var raw bytes.Buffer
	if _, err := gen.JMeterCSV(&raw, gen.Options{Rows: 1_000_000, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	rc, err := svc.Ingest(ctx, reports.IngestRequest{ProjectKey: "shop", UploaderID: u.ID, Filename: "big.csv", Body: &raw})
	if err != nil {
		b.Fatal(err)
	}
	for {
		did, err := svc.ProcessNext(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if !did {
			break
		}
	}
	if r := st.Client.Run.GetX(ctx, rc.RunID); r.SampleCount != 1_000_000 {
		b.Fatalf("run has %d samples", r.SampleCount)
	}

	// Sign in once through the app (CSRF token from a page, then the login route).
	cookies := map[string]string{}
	do := func(req *http.Request) *http.Response {
		for k, v := range cookies {
			req.AddCookie(&http.Cookie{Name: k, Value: v})
		}
		resp, err := srv.App().Test(req, -1)
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range resp.Cookies() {
			cookies[c.Name] = c.Value
		}
		return resp
	}
	page := do(httptest.NewRequest(http.MethodGet, "/no-such-page", nil))
	body, _ := io.ReadAll(page.Body)
	tok := between(string(body), `name="csrf-token" content="`, `"`)
	req := httptest.NewRequest(http.MethodPost, "/bench/login/"+strconv.Itoa(u.ID), nil)
	req.Header.Set("X-CSRF-Token", tok)
	if resp := do(req); resp.StatusCode != 200 {
		b.Fatalf("login: %d", resp.StatusCode)
	}

	get := func(b *testing.B, path string) {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		for k, v := range cookies {
			req.AddCookie(&http.Cookie{Name: k, Value: v})
		}
		resp, err := srv.App().Test(req, -1)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("%s: %d", path, resp.StatusCode)
		}
		b.SetBytes(n)
	}
	runPath := "/runs/" + strconv.Itoa(rc.RunID)
	var healthz, runpage float64
	b.Run("healthz", func(b *testing.B) {
		for b.Loop() {
			get(b, "/healthz")
		}
		healthz = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	b.Run("runpage", func(b *testing.B) {
		get(b, runPath) // first view computes and caches the derived figures
		b.ResetTimer()
		for b.Loop() {
			get(b, runPath)
		}
		runpage = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		if healthz > 0 {
			b.ReportMetric(healthz/runpage, "healthz/runpage")
		}
	})
	// The same probe without a session cookie skips the per-request user lookup: the
	// strictest yardstick.
	b.Run("healthz-anonymous", func(b *testing.B) {
		for b.Loop() {
			resp, err := srv.App().Test(httptest.NewRequest(http.MethodGet, "/healthz", nil), -1)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
	b.Run("runpage-parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				get(b, runPath)
			}
		})
	})
	b.Run("healthz-parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				get(b, "/healthz")
			}
		})
	})
	// The same two requests over a real TCP listener, sent the way wrk sends them: one
	// kept-alive connection, requests written from prepared bytes, responses read just far
	// enough to find their end. The client costs next to nothing, the server's worker
	// goroutines are reused (app.Test starts one per request), and both requests pay the
	// same HTTP and loopback costs: the figure to compare with the bar.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = srv.App().Listener(ln) }()
	b.Cleanup(func() { _ = srv.App().Shutdown() })
	var cookieHeader strings.Builder
	for k, v := range cookies {
		if cookieHeader.Len() > 0 {
			cookieHeader.WriteString("; ")
		}
		cookieHeader.WriteString(k + "=" + v)
	}
	var tcpHealthz float64
	b.Run("tcp-healthz-anonymous", func(b *testing.B) {
		c := dialRaw(b, ln.Addr().String(), "/healthz", "")
		for b.Loop() {
			c.get(b)
		}
		tcpHealthz = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	b.Run("tcp-runpage", func(b *testing.B) {
		c := dialRaw(b, ln.Addr().String(), runPath, cookieHeader.String())
		c.get(b)
		b.ResetTimer()
		for b.Loop() {
			c.get(b)
		}
		b.SetBytes(int64(c.lastLen))
		if tcpHealthz > 0 {
			b.ReportMetric(tcpHealthz/(float64(b.Elapsed().Nanoseconds())/float64(b.N)), "healthz/runpage")
		}
	})
	b.Run("series", func(b *testing.B) {
		for b.Loop() {
			get(b, runPath+"/series.json")
		}
	})
}

func between(s, start, end string) string {
	i := bytes.Index([]byte(s), []byte(start))
	if i < 0 {
		return ""
	}
	rest := s[i+len(start):]
	j := bytes.IndexByte([]byte(rest), end[0])
	if j < 0 {
		return ""
	}
	return rest[:j]
}

// rawConn is a minimal keep-alive HTTP/1.1 client for one request, like wrk's.
type rawConn struct {
	conn    net.Conn
	r       *bufio.Reader
	req     []byte
	lastLen int
}

func dialRaw(b *testing.B, addr, path, cookie string) *rawConn {
	b.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	req := "GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\n"
	if cookie != "" {
		req += "Cookie: " + cookie + "\r\n"
	}
	req += "\r\n"
	return &rawConn{conn: conn, r: bufio.NewReaderSize(conn, 64<<10), req: []byte(req)}
}

// get sends the request and reads the response up to its end, failing on anything but 200.
func (c *rawConn) get(b *testing.B) {
	if _, err := c.conn.Write(c.req); err != nil {
		b.Fatal(err)
	}
	status, err := c.r.ReadSlice('\n')
	if err != nil {
		b.Fatal(err)
	}
	if !bytes.HasPrefix(status, []byte("HTTP/1.1 200 ")) {
		b.Fatalf("status line %q", status)
	}
	length := -1
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			b.Fatal(err)
		}
		if len(line) <= 2 {
			break
		}
		if k, v, ok := bytes.Cut(line, []byte(":")); ok && bytes.EqualFold(k, []byte("Content-Length")) {
			length, _ = strconv.Atoi(string(bytes.TrimSpace(v)))
		}
	}
	if length < 0 {
		b.Fatal("response without Content-Length")
	}
	if _, err := c.r.Discard(length); err != nil {
		b.Fatal(err)
	}
	c.lastLen = length
}
