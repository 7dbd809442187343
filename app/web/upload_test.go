package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"scanboard/app/reports"
	"scanboard/app/web"
	"scanboard/ent"
)

// A small JMeter CSV: three samples, one failed.
const sampleCSV = "timeStamp,elapsed,label,responseCode,success\n" +
	"1719846000000,12,GET /,200,true\n" +
	"1719846000100,30,GET /,500,false\n" +
	"1719846000200,7,GET /api,200,true\n"

// upEnv is the web env with a reports service, two projects (shop open, vault restricted
// with no members) and users of each kind.
type upEnv struct {
	*env
	svc      *reports.Service
	dataDir  string
	active   *ent.User
	pending  *ent.User
	other    *ent.User
	maxBytes int64
	base     string // of the running server, once serve was called
}

const testBodyLimit = 16 << 10

func newUploadEnv(t *testing.T, maxBytes int64) *upEnv {
	t.Helper()
	return newUploadEnvWith(t, maxBytes, reports.Config{})
}

// newUploadEnvWith is newUploadEnv with more reports settings (quotas, deadlines).
func newUploadEnvWith(t *testing.T, maxBytes int64, cfg reports.Config) *upEnv {
	t.Helper()
	u := &upEnv{dataDir: t.TempDir(), maxBytes: maxBytes}
	u.env = newEnv(t, func(d *web.Deps) {
		cfg.DataDir, cfg.Logger, cfg.Workers = u.dataDir, d.Log, 1
		svc, err := reports.New(d.Store, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { svc.Close() })
		u.svc = svc
		d.Reports = svc
		d.UploadMaxBytes = maxBytes
		d.BodyLimit = testBodyLimit
	})
	ctx := context.Background()
	for _, in := range []reports.ProjectInput{{Key: "shop", Name: "Shop"}, {Key: "vault", Name: "Vault", Restricted: true}} {
		if _, err := u.svc.CreateProject(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	u.active = u.user("active", "employee", "Ann")
	u.pending = u.user("pending", "employee", "Pat")
	u.other = u.user("active", "employee", "Oli")
	return u
}

// token creates an upload token for usr.
func (u *upEnv) token(usr *ent.User) (string, *ent.APIToken) {
	u.t.Helper()
	raw, tok, err := u.svc.CreateToken(context.Background(), usr.ID, "ci", nil, nil)
	if err != nil {
		u.t.Fatal(err)
	}
	return raw, tok
}

// serve runs the app on a real local port (as `mis serve` does) for the tests that need
// real connections: chunked bodies, the upload client, raw TCP.
func (u *upEnv) serve() string {
	u.t.Helper()
	if u.base != "" {
		return u.base
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		u.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- u.srv.Serve(ctx, ln, 2*time.Second) }()
	u.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			u.t.Errorf("serve: %v", err)
		}
	})
	u.base = "http://" + ln.Addr().String()
	return u.base
}

// live sends req to the running server with b's cookies.
func (b *browser) live(u *upEnv, req *http.Request) *http.Response {
	u.t.Helper()
	base, _ := url.Parse(u.serve())
	req.URL.Scheme, req.URL.Host, req.Host, req.RequestURI = base.Scheme, base.Host, "", ""
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		u.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	return resp
}

// onlyReader hides a reader's length, so the client sends it chunked.
type onlyReader struct{ io.Reader }

// apiPost sends body to the upload API over a real connection, as `mis upload` and curl
// do; a negative length sends it chunked.
func (u *upEnv) apiPost(path, token string, body io.Reader, length int64, hdr ...string) *http.Response {
	u.t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, onlyReader{body})
	req.ContentLength = length
	req.Header.Set("Content-Type", "application/octet-stream")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return u.browser().live(u, req)
}

// browserUpload posts a file from the upload page: session cookie and CSRF header.
func (b *browser) upload(path string, body string, token string) *http.Response {
	b.e.t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Accept", "application/json")
	if token != "-" {
		req.Header.Set("X-CSRF-Token", b.csrf())
	}
	return b.do(req)
}

func decodeJSON[T any](t *testing.T, r *http.Response) T {
	t.Helper()
	var v T
	body := readBody(r)
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("not JSON (%d): %s", r.StatusCode, body)
	}
	return v
}

// process runs the worker until no run is left.
func (u *upEnv) process() {
	u.t.Helper()
	for {
		did, err := u.svc.ProcessNext(context.Background())
		if err != nil {
			u.t.Fatal(err)
		}
		if !did {
			return
		}
	}
}

// leftovers lists the files under the service's temporary upload folder.
func (u *upEnv) leftovers() []string {
	u.t.Helper()
	es, err := os.ReadDir(filepath.Join(u.dataDir, "uploads", "tmp"))
	if err != nil {
		u.t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestUploadRoutes(t *testing.T) {
	u := newUploadEnv(t, 1<<20)
	raw, _ := u.token(u.active)
	tests := []struct {
		name   string
		who    *ent.User // nil: anonymous
		method string
		path   string
		body   string
		hdr    []string
		want   int
		has    string // in the body
		hasNot string
	}{
		{"upload page anonymous", nil, "GET", "/upload", "", nil, http.StatusSeeOther, "", ""},
		{"upload page pending", u.pending, "GET", "/upload", "", nil, http.StatusForbidden, "", ""},
		{"upload page lists visible projects only", u.active, "GET", "/upload", "", nil, http.StatusOK, `value="shop"`, `value="vault"`},
		{"upload page preselects", u.active, "GET", "/upload?project=shop", "", nil, http.StatusOK, `value="shop" selected`, ""},
		{"upload page loads its script", u.active, "GET", "/upload", "", nil, http.StatusOK, `/static/js/upload.`, "<script>"},
		{"browser upload anonymous", nil, "POST", "/upload/projects/shop/runs", sampleCSV, nil, http.StatusUnauthorized, "", ""},
		{"browser upload pending", u.pending, "POST", "/upload/projects/shop/runs", sampleCSV, nil, http.StatusForbidden, "", ""},
		{"browser upload invisible project", u.active, "POST", "/upload/projects/vault/runs", sampleCSV, nil, http.StatusNotFound, "", ""},
		{"browser upload", u.active, "POST", "/upload/projects/shop/runs?filename=a.csv&build=42", sampleCSV, nil, http.StatusAccepted, `"status":"queued"`, ""},
		{"progress anonymous", nil, "GET", "/upload/runs/1/progress", "", []string{"Accept", "application/json"}, http.StatusUnauthorized, "", ""},
		{"progress unknown run", u.active, "GET", "/upload/runs/999/progress", "", nil, http.StatusNotFound, "", ""},
		{"progress", u.active, "GET", "/upload/runs/1/progress", "", nil, http.StatusOK, `"status":"queued"`, ""},
		{"profile anonymous", nil, "GET", "/profile", "", nil, http.StatusSeeOther, "", ""},
		{"profile pending sees no tokens", u.pending, "GET", "/profile", "", nil, http.StatusOK, "approved", "/profile/tokens"},
		{"profile lists tokens", u.active, "GET", "/profile", "", nil, http.StatusOK, raw[:12], raw},
		{"create token pending", u.pending, "POST", "/profile/tokens", "name=x", nil, http.StatusForbidden, "", ""},
		{"revoke someone else's token", u.other, "POST", "/profile/tokens/1/revoke", "", nil, http.StatusNotFound, "", ""},
		{"api upload without token", nil, "POST", "/api/v1/projects/shop/runs", sampleCSV, nil, http.StatusUnauthorized, "Bearer", ""},
		{"api upload with a session only", u.active, "POST", "/api/v1/projects/shop/runs", sampleCSV, nil, http.StatusUnauthorized, "", ""},
		{"api upload form body", nil, "POST", "/api/v1/projects/shop/runs", "a=b", []string{"Authorization", "Bearer " + raw, "Content-Type", "application/x-www-form-urlencoded"}, http.StatusUnsupportedMediaType, "not a form", ""},
		{"api run without token", nil, "GET", "/api/v1/runs/1", "", nil, http.StatusUnauthorized, "", ""},
		{"api run with a session only", u.active, "GET", "/api/v1/runs/1", "", nil, http.StatusUnauthorized, "", ""},
		{"api run", nil, "GET", "/api/v1/runs/1", "", []string{"Authorization", "Bearer " + raw}, http.StatusOK, `"status":"queued"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := u.browser()
			if tt.who != nil {
				b.login(tt.who)
			}
			var req *http.Request
			if tt.method == "GET" {
				req = httptest.NewRequest(tt.method, tt.path, nil)
			} else {
				req = httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
				req.Header.Set("Content-Type", "application/octet-stream")
				if strings.HasPrefix(tt.path, "/profile") {
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				}
				if !strings.HasPrefix(tt.path, "/api/") {
					req.Header.Set("X-CSRF-Token", b.csrf())
				}
			}
			req.Header.Set("Accept-Language", "en")
			for i := 0; i+1 < len(tt.hdr); i += 2 {
				req.Header.Set(tt.hdr[i], tt.hdr[i+1])
			}
			resp := b.do(req)
			body := readBody(resp)
			if resp.StatusCode != tt.want {
				t.Fatalf("%s %s = %d, want %d\n%s", tt.method, tt.path, resp.StatusCode, tt.want, body)
			}
			if tt.has != "" && !strings.Contains(body, tt.has) && !strings.Contains(resp.Header.Get("WWW-Authenticate"), tt.has) {
				t.Errorf("answer lacks %q:\n%s", tt.has, body)
			}
			if tt.hasNot != "" && strings.Contains(body, tt.hasNot) {
				t.Errorf("answer contains %q:\n%s", tt.hasNot, body)
			}
		})
	}
}

func TestBrowserUploadNeedsCSRF(t *testing.T) {
	u := newUploadEnv(t, 1<<20)
	b := u.browser()
	b.login(u.active)
	if r := b.upload("/upload/projects/shop/runs", sampleCSV, "-"); r.StatusCode != http.StatusForbidden {
		t.Fatalf("upload without the CSRF header = %d, want 403", r.StatusCode)
	}
	if n := len(u.leftovers()); n != 0 {
		t.Fatalf("%d temporary files left", n)
	}
}

func TestAPIUploadContract(t *testing.T) {
	u := newUploadEnv(t, 1<<20)
	raw, _ := u.token(u.active)
	// The file name comes from X-Filename (winning over ?filename=), tags from the query.
	r := u.apiPost("/api/v1/projects/shop/runs?filename=ignored.txt&build=b7&commit=abc&env=staging", raw,
		strings.NewReader(sampleCSV), int64(len(sampleCSV)), "X-Filename", "results.csv")
	if r.StatusCode != http.StatusAccepted {
		t.Fatalf("upload = %d: %s", r.StatusCode, readBody(r))
	}
	rc := decodeJSON[reports.Receipt](t, r)
	if rc.RunID == 0 || rc.Status != "queued" || rc.DuplicateOf != 0 {
		t.Fatalf("receipt %+v", rc)
	}
	u.process()
	r = u.apiPost("/api/v1/projects/shop/runs?filename=again.csv", raw, strings.NewReader(sampleCSV), -1) // same content, chunked
	if r.StatusCode != http.StatusOK {
		t.Fatalf("duplicate upload = %d: %s", r.StatusCode, readBody(r))
	}
	dup := decodeJSON[reports.Receipt](t, r)
	if dup.DuplicateOf != rc.RunID || dup.RunID != rc.RunID || dup.Status != "ready" {
		t.Fatalf("duplicate receipt %+v, want duplicate of %d", dup, rc.RunID)
	}
	req := httptest.NewRequest(http.MethodGet, "/api/v1/runs/"+itoa(rc.RunID), nil)
	req.Header.Set("Authorization", "Bearer "+raw)
	r = u.browser().do(req)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("run status = %d", r.StatusCode)
	}
	var got struct {
		RunID    int          `json:"run_id"`
		Project  string       `json:"project"`
		Status   string       `json:"status"`
		Progress int          `json:"progress"`
		Filename string       `json:"filename"`
		Format   string       `json:"format"`
		Tags     reports.Tags `json:"tags"`
		Samples  int64        `json:"samples"`
		Errors   int64        `json:"errors"`
		URL      string       `json:"url"`
	}
	if err := json.Unmarshal([]byte(readBody(r)), &got); err != nil {
		t.Fatal(err)
	}
	want := reports.Tags{Build: "b7", Commit: "abc", Env: "staging"}
	if got.RunID != rc.RunID || got.Project != "shop" || got.Status != "ready" || got.Progress != 100 ||
		got.Filename != "results.csv" || got.Format != "jmeter-csv" || got.Tags != want ||
		got.Samples != 3 || got.Errors != 1 || got.URL != "http://127.0.0.1:8080/runs/"+itoa(rc.RunID) {
		t.Fatalf("run status %+v", got)
	}
}

func TestAPIUploadErrors(t *testing.T) {
	u := newUploadEnv(t, 1<<20)
	raw, _ := u.token(u.active)
	tests := []struct {
		name string
		path string
		body string
		want int
		has  string
	}{
		{"unknown format names the problem", "/api/v1/projects/shop/runs?filename=notes.csv", "hello\nworld\n", http.StatusBadRequest, "unknown format"},
		{"broken gzip", "/api/v1/projects/shop/runs?filename=r.csv.gz", "\x1f\x8b\x08\x00garbage", http.StatusBadRequest, "r.csv.gz"},
		{"no such project", "/api/v1/projects/nope/runs", sampleCSV, http.StatusNotFound, ""},
		{"restricted project", "/api/v1/projects/vault/runs", sampleCSV, http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := u.apiPost(tt.path, raw, strings.NewReader(tt.body), int64(len(tt.body)))
			e := decodeJSON[struct {
				Error string `json:"error"`
				Code  string `json:"code"`
			}](t, r)
			if r.StatusCode != tt.want || e.Error == "" || !strings.Contains(e.Error, tt.has) {
				t.Fatalf("= %d %+v, want %d with %q", r.StatusCode, e, tt.want, tt.has)
			}
		})
	}
	if n := len(u.leftovers()); n != 0 {
		t.Fatalf("%d temporary files left", n)
	}
}

func TestAPITokens(t *testing.T) {
	u := newUploadEnv(t, 1<<20)
	ctx := context.Background()
	revoked, rt := u.token(u.active)
	if err := u.svc.RevokeToken(ctx, u.active.ID, rt.ID); err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(time.Hour)
	expired, et, err := u.svc.CreateToken(ctx, u.active.ID, "short", nil, &past)
	if err != nil {
		t.Fatal(err)
	}
	// Expire it in the database: the service's clock is the real one here.
	if err := u.store.Client.APIToken.UpdateOneID(et.ID).SetExpiresAt(time.Now().Add(-time.Minute)).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	// A token without the upload scope cannot be made through the service, which knows no
	// other scope yet; store one directly, as a future read-only scope would be.
	readOnly := "mis_READONLYTOKENFORTESTSXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
	sum := sha256.Sum256([]byte(readOnly))
	if err := u.store.Client.APIToken.Create().SetUserID(u.active.ID).SetName("ro").SetPrefix(readOnly[:12]).
		SetTokenHash(hex.EncodeToString(sum[:])).SetScopes([]string{"read"}).SetCreatedAt(time.Now()).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	pendingTok, _ := u.token(u.pending)
	good, _ := u.token(u.active)
	tests := []struct {
		name, auth string
		want       int
		has        string
	}{
		{"missing", "", http.StatusUnauthorized, "Bearer"},
		{"not bearer", "Basic dXNlcjpwdw==", http.StatusUnauthorized, "Bearer"},
		{"unknown", "Bearer mis_nosuchtoken", http.StatusUnauthorized, "unknown"},
		{"revoked", "Bearer " + revoked, http.StatusUnauthorized, "revoked"},
		{"expired", "Bearer " + expired, http.StatusUnauthorized, "expired"},
		{"owner not active", "Bearer " + pendingTok, http.StatusUnauthorized, "not an active user"},
		{"wrong scope", "Bearer " + readOnly, http.StatusForbidden, "upload scope"},
		{"valid", "Bearer " + good, http.StatusAccepted, "queued"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := u.apiPost("/api/v1/projects/shop/runs?filename=t.csv", "", strings.NewReader(sampleCSV+tt.name+",1,x,200,true\n"), -1, "Authorization", tt.auth)
			body := readBody(r)
			if r.StatusCode != tt.want || !strings.Contains(body+r.Header.Get("WWW-Authenticate"), tt.has) {
				t.Fatalf("= %d %s, want %d with %q", r.StatusCode, body, tt.want, tt.has)
			}
		})
	}
}

// FILE-01: an upload over the limit is refused with 413 and a message, for Content-Length
// and chunked bodies; one at the limit is taken. FILE-02: the server streams request
// bodies, so these limits are the handler's own, and nothing stays on disk.
func TestFILE01UploadSizeLimit(t *testing.T) {
	const limit = 64 << 10
	u := newUploadEnv(t, limit)
	raw, _ := u.token(u.active)
	// A JMeter CSV of exactly n bytes.
	csvOf := func(n int, seed string) string {
		var b strings.Builder
		b.WriteString("timeStamp,elapsed,label,responseCode,success\n")
		for i := 0; b.Len() < n-200; i++ {
			fmt.Fprintf(&b, "%d,%d,GET /%s,200,true\n", 1719846000000+i, i%97, seed)
		}
		line := fmt.Sprintf("1719846999999,1,GET /%s,200,true\n", seed)
		b.WriteString(strings.Repeat(" ", n-b.Len()-len(line)) + line)
		return b.String()
	}
	tests := []struct {
		name    string
		size    int
		chunked bool
		browser bool
		want    int
	}{
		{"content-length at the limit", limit, false, false, http.StatusAccepted},
		{"content-length one over", limit + 1, false, false, http.StatusRequestEntityTooLarge},
		{"chunked at the limit", limit, true, false, http.StatusAccepted},
		{"chunked one over", limit + 1, true, false, http.StatusRequestEntityTooLarge},
		{"chunked ten times over", 10 * limit, true, false, http.StatusRequestEntityTooLarge},
		{"browser at the limit", limit, false, true, http.StatusAccepted},
		{"browser one over", limit + 1, false, true, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := csvOf(tt.size, strings.ReplaceAll(tt.name, " ", "-"))
			if len(body) != tt.size {
				t.Fatalf("test body is %d bytes, want %d", len(body), tt.size)
			}
			var r *http.Response
			if tt.browser {
				b := u.browser()
				b.login(u.active)
				r = b.upload("/upload/projects/shop/runs?filename=big.csv", body, "")
			} else {
				n := int64(len(body))
				if tt.chunked {
					n = -1
				}
				r = u.apiPost("/api/v1/projects/shop/runs?filename=big.csv", raw, strings.NewReader(body), n)
			}
			got := readBody(r)
			if r.StatusCode != tt.want {
				t.Fatalf("= %d %s, want %d", r.StatusCode, got, tt.want)
			}
			if tt.want == http.StatusRequestEntityTooLarge && !strings.Contains(got, "64 KiB") {
				t.Fatalf("413 answer does not name the limit: %s", got)
			}
			if n := len(u.leftovers()); n != 0 {
				t.Fatalf("%d temporary files left", n)
			}
		})
	}
}

// FILE-01/FILE-02 on the other routes: streaming is on for the whole server, so the small
// global body limit is enforced by the app itself, before CSRF checks or handlers read
// the body.
func TestFILE02OtherRoutesKeepTheSmallLimit(t *testing.T) {
	u := newUploadEnv(t, 1<<20)
	b := u.browser()
	b.login(u.active)
	tests := []struct {
		name    string
		size    int
		chunked bool
		want    int
	}{
		{"form under the limit", 1 << 10, false, http.StatusOK},
		{"content-length over", testBodyLimit + 1, false, http.StatusRequestEntityTooLarge},
		{"chunked under the limit", 1 << 10, true, http.StatusOK},
		{"chunked over", 4 * testBodyLimit, true, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := url.Values{"_csrf": {b.csrf()}, "name": {"ci"}, "expires_days": {"30"}, "pad": {strings.Repeat("x", tt.size)}}
			enc := form.Encode()
			req := httptest.NewRequest(http.MethodPost, "/profile/tokens", strings.NewReader(enc))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			var r *http.Response
			if tt.chunked {
				req = httptest.NewRequest(http.MethodPost, "/profile/tokens", onlyReader{strings.NewReader(enc)})
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.ContentLength = -1
				r = b.live(u, req)
			} else {
				r = b.do(req)
			}
			body := readBody(r)
			if r.StatusCode != tt.want {
				t.Fatalf("= %d, want %d\n%s", r.StatusCode, tt.want, body)
			}
		})
	}
}

func TestProfileTokens(t *testing.T) {
	u := newUploadEnv(t, 1<<20)
	b := u.browser()
	b.login(u.active)
	r := b.post("/profile/tokens", url.Values{"name": {"Jenkins nightly"}, "expires_days": {"30"}}, "")
	body := readBody(r)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("create = %d\n%s", r.StatusCode, body)
	}
	ts, err := u.svc.ListTokens(context.Background(), u.active.ID)
	if err != nil || len(ts) != 1 {
		t.Fatalf("tokens %v %v", ts, err)
	}
	tok := ts[0]
	i := strings.Index(body, `id="new-token" readonly value="`)
	if i < 0 {
		t.Fatalf("the new token is not shown:\n%s", body)
	}
	secret := body[i+len(`id="new-token" readonly value="`):]
	secret = secret[:strings.IndexByte(secret, '"')]
	if !strings.HasPrefix(secret, tok.Prefix) || tok.ExpiresAt == nil || tok.ExpiresAt.Sub(time.Now()) < 29*24*time.Hour {
		t.Fatalf("token %q, stored %+v", secret, tok)
	}
	if _, err := u.svc.AuthenticateToken(context.Background(), secret); err != nil {
		t.Fatalf("the shown token does not authenticate: %v", err)
	}
	// Shown once: the profile page has the prefix, never the secret.
	page := readBody(b.get("/profile"))
	if strings.Contains(page, secret) || !strings.Contains(page, tok.Prefix) || !strings.Contains(page, "Jenkins nightly") {
		t.Fatalf("profile page after creation:\n%s", page)
	}
	for _, bad := range []url.Values{{"name": {""}, "expires_days": {"30"}}, {"name": {"x"}, "expires_days": {"7"}}} {
		if r := b.post("/profile/tokens", bad, ""); r.StatusCode != http.StatusBadRequest {
			t.Errorf("create %v = %d, want 400", bad, r.StatusCode)
		}
	}
	if r := b.post("/profile/tokens/"+itoa(tok.ID)+"/revoke", nil, ""); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke = %d", r.StatusCode)
	}
	if _, err := u.svc.AuthenticateToken(context.Background(), secret); err == nil {
		t.Fatal("a revoked token still authenticates")
	}
	if !strings.Contains(readBody(b.get("/profile", "Accept-Language", "en")), "revoked") {
		t.Fatal("the token list does not show the revocation")
	}
	if r := b.post("/profile/tokens/"+itoa(tok.ID)+"/revoke", nil, "-"); r.StatusCode != http.StatusForbidden {
		t.Fatalf("revoke without CSRF = %d, want 403", r.StatusCode)
	}
}

func TestUploadProgressLongPoll(t *testing.T) {
	u := newUploadEnv(t, 1<<20)
	b := u.browser()
	b.login(u.active)
	r := b.upload("/upload/projects/shop/runs?filename=a.csv", sampleCSV, "")
	if r.StatusCode != http.StatusAccepted {
		t.Fatalf("upload = %d %s", r.StatusCode, readBody(r))
	}
	rc := decodeJSON[reports.Receipt](t, r)
	// The page already shows "queued, 0%": the poll waits until the worker has done the run.
	done := make(chan struct{})
	go func() {
		defer close(done)
		time.Sleep(300 * time.Millisecond)
		for {
			did, err := u.svc.ProcessNext(context.Background())
			if err != nil || !did {
				return
			}
		}
	}()
	r = b.get("/upload/runs/" + itoa(rc.RunID) + "/progress?status=queued&progress=0")
	p := decodeJSON[reports.Progress](t, r)
	<-done
	if p.Status == "queued" {
		t.Fatalf("the long poll answered without a change: %+v", p)
	}
	if p.Status != "ready" {
		// processing was seen first: poll again from there
		r = b.get("/upload/runs/" + itoa(rc.RunID) + "/progress?status=" + p.Status + "&progress=" + itoa(p.Progress))
		p = decodeJSON[reports.Progress](t, r)
	}
	if p.Status != "ready" || p.Progress != 100 {
		t.Fatalf("progress %+v", p)
	}
	// A failed run carries the service's message, with the file and line.
	bad := "timeStamp,elapsed,label,responseCode,success\n1719846000000,12,GET /,200,true\n1719846000100,1"
	r = b.upload("/upload/projects/shop/runs?filename=cut.csv", bad, "")
	rc = decodeJSON[reports.Receipt](t, r)
	u.process()
	p = decodeJSON[reports.Progress](t, b.get("/upload/runs/"+itoa(rc.RunID)+"/progress"))
	if p.Status != "failed" || !strings.Contains(p.Error, "cut.csv") || !strings.Contains(p.Error, "3") {
		t.Fatalf("failed run progress %+v", p)
	}
	// Another user who cannot see the project cannot watch it either.
	if err := u.store.Client.Project.Update().SetRestricted(true).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	o := u.browser()
	o.login(u.other)
	if r := o.get("/upload/runs/" + itoa(rc.RunID) + "/progress"); r.StatusCode != http.StatusNotFound {
		t.Fatalf("progress of an invisible run = %d, want 404", r.StatusCode)
	}
}
