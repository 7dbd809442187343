package web_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// FILE-06: Scanboard never serves an uploaded file back; what it lets people download are
// CSV exports. Each one is an attachment under a name the server builds (ASCII, never the
// uploader's), with a fixed Content-Type and nosniff, so no browser renders it inline. The
// uploader's name is only ever shown escaped. The table must list every .csv route, so a new
// export cannot skip this test.
func TestFILE06_DownloadsAreAttachments(t *testing.T) {
	de := newDashEnv(t)
	de.seed()
	de.upload("named", "shop", `"><svg onload=alert(1)>.csv`, genCSV(t, 200, 9))
	b := de.browser()
	b.login(de.employee)
	m := de.browser()
	m.login(de.manager)
	a := de.browser()
	a.login(de.user("active", "admin", "Ada"))
	tests := []struct {
		route, path string
		b           *browser
	}{
		{"/projects.csv", "/projects.csv", b},
		{"/projects/:key/runs.csv", "/projects/shop/runs.csv", b},
		{"/runs/:id/stats.csv", "/runs/{named}/stats.csv", b},
		{"/runs/:id/apdex.csv", "/runs/{named}/apdex.csv", b},
		{"/runs/:id/errors.csv", "/runs/{perf1}/errors.csv", b},
		{"/runs/:id/top-errors.csv", "/runs/{perf1}/top-errors.csv", b},
		{"/runs/:id/findings.csv", "/runs/{zap1}/findings.csv", b},
		{"/runs/:id/cases.csv", "/runs/{junit}/cases.csv", b},
		{"/compare.csv", "/compare.csv?a={perf1}&b={named}", b},
		{"/overview.csv", "/overview.csv", m},
		{"/admin/logins.csv", "/admin/logins.csv", a},
		{"/admin/audit.csv", "/admin/audit.csv", a},
	}
	disposition := regexp.MustCompile(`^attachment; filename="[A-Za-z0-9._-]+\.csv"$`)
	tested := map[string]bool{}
	for _, tt := range tests {
		tested[tt.route] = true
		t.Run(tt.route, func(t *testing.T) {
			r := tt.b.get(de.path(tt.path))
			body := readBody(r)
			if r.StatusCode != http.StatusOK {
				t.Fatalf("= %d %s", r.StatusCode, body)
			}
			h := r.Header
			if cd := h.Get("Content-Disposition"); !disposition.MatchString(cd) {
				t.Errorf("Content-Disposition %q, want an attachment with a server-made ASCII name", cd)
			}
			if ct := h.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if h.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("X-Content-Type-Options %q, want nosniff", h.Get("X-Content-Type-Options"))
			}
		})
	}
	seen := map[string]bool{}
	for _, rt := range de.srv.App().GetRoutes(true) {
		if rt.Method == http.MethodGet && strings.HasSuffix(rt.Path, ".csv") {
			seen[rt.Path] = true
			if !tested[rt.Path] {
				t.Errorf("the download %s is not checked here", rt.Path)
			}
		}
	}
	if len(seen) != len(tested) {
		t.Errorf("the app has %d .csv routes, the table %d", len(seen), len(tested))
	}

	r := b.get(de.path("/runs/{named}"))
	page := readBody(r)
	if r.StatusCode != http.StatusOK || strings.Contains(page, "<svg onload") || !strings.Contains(page, "&lt;svg onload=alert(1)&gt;.csv") {
		t.Fatalf("run page %d: the uploader's file name is not shown escaped", r.StatusCode)
	}
}
