package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestPendingUserNamesThemself(t *testing.T) {
	e := newEnv(t)
	waiting := e.user("pending", "employee", "")
	b := e.browser()
	b.login(waiting)
	if body := readBody(b.get("/pending")); !strings.Contains(body, `action="/pending/name"`) {
		t.Fatalf("the pending page offers no name form:\n%.2000s", body)
	}
	tests := []struct {
		name, value string
		want        int
	}{
		{"empty", "   ", http.StatusBadRequest},
		{"too long", strings.Repeat("名", 65), http.StatusBadRequest},
		{"control character", "Li\x07Lei", http.StatusBadRequest},
		{"good", "  李雷（测试组） ", http.StatusSeeOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := b.post("/pending/name", url.Values{"name": {tt.value}}, "")
			if resp.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
	if got := e.store.Client.User.GetX(context.Background(), waiting.ID).DisplayName; got != "李雷（测试组）" {
		t.Fatalf("display name %q", got)
	}
	admin := e.browser()
	admin.login(e.user("active", "admin", "Boss"))
	if body := readBody(admin.get("/admin/approvals")); !strings.Contains(body, "李雷（测试组）") {
		t.Fatal("the approval queue does not show the name the user gave")
	}
	// Once approved, the name is the admins' to change.
	active := e.browser()
	active.login(e.user("active", "employee", "Han"))
	if resp := active.post("/pending/name", url.Values{"name": {"Someone else"}}, ""); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("active user renaming: %d, want 403", resp.StatusCode)
	}
	if resp := e.browser().post("/pending/name", url.Values{"name": {"x"}}, ""); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("anonymous renaming: %d, want 401", resp.StatusCode)
	}
}
