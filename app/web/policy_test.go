package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"scanboard/app/reports"
	"scanboard/app/web"
	"scanboard/ent"
)

// expectedPolicy is the route-policy table (AC-01), written independently of routes.go:
// every route the app registers must appear here with the same policy, so adding a route
// without deciding who may reach it fails this test. Keys are "METHOD path".
var expectedPolicy = map[string]web.Policy{
	"GET /healthz":     web.Public,
	"GET /readyz":      web.Public,
	"GET /static/*":    web.Public,
	"GET /favicon.ico": web.Public,
	"GET /":            web.Public, // redirects anonymous visitors, refuses pending ones itself
	"POST /lang":       web.Public,
	"POST /logout":     web.SignedIn,
	// Sign-in (issue 4).
	"GET /login":                        web.Public,
	"POST /login/attempts":              web.Public,
	"GET /login/attempts/:id":           web.Public,
	"GET /login/attempts/:id/qr.png":    web.Public,
	"POST /login/attempts/:id/complete": web.Public,
	"GET /login/confirm":                web.Public,
	"POST /login/confirm":               web.Public,
	"GET /login/wechat":                 web.Public,
	"GET /login/own/:scene":             web.Public,
	"GET /login/oauth/callback":         web.Public,
	"GET /login/phone":                  web.Public,
	"POST /login/phone/code":            web.Public,
	"POST /login/phone/verify":          web.Public,
	"GET /wechat/push":                  web.Public,
	"POST /wechat/push":                 web.Public,
	"GET /pending":                      web.SignedIn,
	"GET /pending/wait":                 web.SignedIn,
	"POST /pending/name":                web.SignedIn,
	"GET " + web.SandboxPath:            web.Public,
	"POST " + web.SandboxPath:           web.Public,
	"GET " + web.SandboxPath + "/*":     web.Public,
	"POST " + web.SandboxPath + "/*":    web.Public,
	// More ways in (issue 5).
	"GET /login/password":         web.Public,
	"POST /login/password":        web.Public,
	"GET /profile/password":       web.Active,
	"POST /profile/password":      web.Active,
	"GET /breakglass":             web.Public,
	"POST /breakglass":            web.Public,
	"GET /login/website":          web.Public,
	"GET /login/website/callback": web.Public,
	"POST /api/mp/login":          web.Public,
	"POST /api/mp/logout":         web.Public,
	"POST /api/mp/profile":        web.Public,
	"POST /api/mp/phone":          web.Public,
	"POST /api/mp/scan":           web.Public,
	"POST /api/mp/confirm":        web.Public,
	"GET /login/wecom":            web.Public,
	"GET /login/wecom/callback":   web.Public,
	// Uploads and tokens (issue 7); the API authenticates with bearer tokens itself.
	"GET /upload":                     web.Active,
	"POST /upload/projects/:key/runs": web.Active,
	"GET /upload/runs/:id/progress":   web.Active,
	"GET /profile":                    web.SignedIn,
	"POST /profile/tokens":            web.Active,
	"POST /profile/tokens/:id/revoke": web.SignedIn,
	"POST /api/v1/projects/:key/runs": web.Public,
	"GET /api/v1/runs/:id":            web.Public,
	// Administration (issue 6).
	"GET /admin/approvals":              web.Admin,
	"POST /admin/approvals/bulk":        web.Admin,
	"POST /admin/approvals/:id/approve": web.Admin,
	"POST /admin/approvals/:id/reject":  web.Admin,
	"GET /admin/users":                  web.Admin,
	"GET /admin/users/:id":              web.Admin,
	"POST /admin/users/:id/activate":    web.Admin,
	"POST /admin/users/:id/deactivate":  web.Admin,
	"POST /admin/users/:id/role":        web.Admin,
	"POST /admin/users/:id/logout":      web.Admin,
	"POST /admin/identities/:id/unbind": web.Admin,
	"POST /admin/phones/:id/unbind":     web.Admin,
	"GET /admin/preregister":            web.Admin,
	"POST /admin/preregister":           web.Admin,
	"POST /admin/preregister/import":    web.Admin,
	"GET /admin/sessions":               web.Admin,
	"POST /admin/sessions/:id/logout":   web.Admin,
	"GET /admin/logins":                 web.Admin,
	"GET /admin/logins.csv":             web.Admin,
	"GET /admin/audit":                  web.Admin,
	"GET /admin/audit.csv":              web.Admin,
	"GET /devices":                      web.Active,
	// Dashboards (issue 8); the verdict API authenticates with bearer tokens itself.
	"GET /projects":                          web.Active,
	"GET /projects.csv":                      web.Active,
	"GET /projects/:key":                     web.Active,
	"GET /projects/:key/runs.csv":            web.Active,
	"GET /projects/:key/trend.json":          web.Active,
	"GET /projects/:key/security-trend.json": web.Active,
	"POST /projects/:key/baseline":           web.Active,
	"POST /projects/:key/settings":           web.Manager,
	"GET /runs/:id":                          web.Active,
	"GET /runs/:id/series.json":              web.Active,
	"GET /runs/:id/table":                    web.Active,
	"GET /runs/:id/stats.csv":                web.Active,
	"GET /runs/:id/apdex.csv":                web.Active,
	"GET /runs/:id/errors.csv":               web.Active,
	"GET /runs/:id/top-errors.csv":           web.Active,
	"GET /runs/:id/findings.csv":             web.Active,
	"GET /runs/:id/cases.csv":                web.Active,
	"GET /runs/:id/verdict.json":             web.Active,
	"GET /api/v1/runs/:id/verdict":           web.Public,
	"GET /compare":                           web.Active,
	"GET /compare.csv":                       web.Active,
	"GET /compare/series.json":               web.Active,
	"GET /overview":                          web.Manager,
	"GET /overview.csv":                      web.Manager,
	"POST /devices/logout-others":            web.Active,
	"POST /devices/:id/logout":               web.Active,
}

// who is one kind of visitor of the walk.
type who string

const (
	anonymous who = "anonymous"
	pending   who = "pending"
	employee  who = "employee"
	manager   who = "manager"
	admin     who = "admin"
	disabled  who = "disabled"
)

var everyone = []who{anonymous, pending, employee, manager, admin, disabled}

// mayReach is what the policies mean, spelled out per visitor.
func mayReach(p web.Policy, w who) bool {
	switch p {
	case web.Public:
		return true
	case web.SignedIn:
		return w != anonymous
	case web.Active:
		return w == employee || w == manager || w == admin
	case web.Manager:
		return w == manager || w == admin
	case web.Admin:
		return w == admin
	}
	return false
}

// visitors signs one browser in per kind of visitor. The disabled user's status is set in
// the database behind the app's back (no session revocation), so the walk proves the
// policy check itself refuses them, not only the revocation.
func visitors(t *testing.T, e *env) map[who]*browser {
	t.Helper()
	out := map[who]*browser{anonymous: e.browser()}
	mk := func(status, role string, w who) *ent.User {
		u := e.user(status, role, string(w))
		b := e.browser()
		b.login(u)
		out[w] = b
		return u
	}
	mk("pending", "employee", pending)
	mk("active", "employee", employee)
	mk("active", "manager", manager)
	mk("active", "admin", admin)
	d := mk("active", "employee", disabled)
	if err := e.store.Client.User.UpdateOneID(d.ID).SetStatus("disabled").Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	return out
}

// concrete fills path parameters so the request reaches the route.
func concrete(path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, ":") || p == "*" {
			parts[i] = "1"
		}
	}
	return strings.Join(parts, "/")
}

// refused reports whether a response is the policy's refusal: 401/403, or the redirect to
// sign in that anonymous page views get.
func refused(resp *http.Response) bool {
	switch resp.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		return true
	case http.StatusSeeOther, http.StatusFound:
		return strings.HasPrefix(resp.Header.Get("Location"), "/login")
	}
	return false
}

func TestRoutePolicyWalk(t *testing.T) {
	// The pending page's long poll answers at once here: the walk is about who gets in.
	// Reports are wired so their routes (uploads, dashboards) are walked too.
	e := newEnv(t, func(d *web.Deps) {
		d.Login.LongPoll = time.Millisecond
		svc, err := reports.New(d.Store, reports.Config{DataDir: t.TempDir(), Logger: d.Log, Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { svc.Close() })
		d.Reports = svc
	})
	table := map[string]web.Policy{}
	for _, r := range e.srv.Routes() {
		key := r.Method + " " + r.Path
		want, ok := expectedPolicy[key]
		if !ok {
			t.Errorf("route %s has no entry in the policy table (AC-01): decide who may reach it", key)
			continue
		}
		if r.Policy != want {
			t.Errorf("route %s has policy %s, the table says %s", key, r.Policy, want)
		}
		table[key] = r.Policy
	}
	// Every route Fiber knows must come from the route table (no side doors), except HEAD
	// (answered by GET routes) and the test-only sign-in route.
	for _, r := range e.srv.App().GetRoutes(true) {
		if r.Method == http.MethodHead || r.Path == "/test/login/:id" {
			continue
		}
		if _, ok := table[r.Method+" "+r.Path]; !ok {
			t.Errorf("Fiber route %s %s is not in the route table", r.Method, r.Path)
		}
	}
	for key, pol := range table {
		method, path, _ := strings.Cut(key, " ")
		if pol == web.Public {
			continue // nothing to refuse; the handlers' own tests cover them
		}
		// Fresh visitors per route: an allowed POST (logout, force logout, deactivate…) must
		// not change who the next route is walked as.
		bs := visitors(t, e)
		for _, w := range everyone {
			t.Run(strings.ReplaceAll(key, "/", "_")+"/"+string(w), func(t *testing.T) {
				b := bs[w]
				var resp *http.Response
				switch {
				case method == http.MethodGet:
					resp = b.get(concrete(path))
				case strings.HasSuffix(path, "/runs"):
					// Upload routes take the raw file as the body and refuse forms before
					// anything reads them, so the walk sends what a real client sends.
					req := httptest.NewRequest(method, concrete(path)+"?filename=walk.csv", strings.NewReader("walk"))
					req.Header.Set("Content-Type", "application/octet-stream")
					req.Header.Set("X-CSRF-Token", b.csrf())
					resp = b.do(req)
				default:
					resp = b.post(concrete(path), url.Values{"reason": {"walk"}}, "")
				}
				body := readBody(resp)
				if got, allowed := refused(resp), mayReach(pol, w); got == allowed {
					if allowed && method != http.MethodGet {
						return // an allowed unsafe request may still be refused on its merits
					}
					t.Fatalf("%s %s as %s: status %d (location %q), policy %s says reach=%v\n%.300s",
						method, path, w, resp.StatusCode, resp.Header.Get("Location"), pol, allowed, body)
				}
			})
		}
	}
}

// TestPolicyWalkHasEveryMethod guards the table itself: unknown methods are 405 (AC-08).
func TestUnknownMethodIs405(t *testing.T) {
	e := newEnv(t)
	req := httptest.NewRequest(http.MethodDelete, "/admin/users/1", nil)
	resp, err := e.srv.App().Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("DELETE /admin/users/1: %d, want 405", resp.StatusCode)
	}
}
