package web_test

import (
	"strings"
	"testing"
)

func TestErrorPagesInBothLanguages(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, path, accept, lang string
		status                   int
		want                     []string
	}{
		{"404 zh default", "/missing", "", "", 404, []string{`lang="zh-CN"`, "页面不存在", "请求编号"}},
		{"404 en by browser", "/missing", "en-US,en;q=0.9", "", 404, []string{`lang="en"`, "This page does not exist", "Reference:"}},
		{"404 user choice beats browser", "/missing", "en-US", "zh-CN", 404, []string{"页面不存在"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := e.browser()
			if tt.lang != "" {
				b.cookies["mis_lang"] = tt.lang
			}
			resp := b.get(tt.path, "Accept-Language", tt.accept)
			body := readBody(resp)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d:\n%s", resp.StatusCode, tt.status, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("content type %q", ct)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q:\n%s", w, body)
				}
			}
		})
	}
}
