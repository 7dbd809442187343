package web_test

import (
	"errors"

	"github.com/gofiber/fiber/v2"
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

func TestAPI06_InternalErrorPageHidesDetails(t *testing.T) {
	e := newEnv(t)
	e.srv.App().Get("/test/panic", func(c *fiber.Ctx) error { panic("secret detail: db password hunter2") })
	e.srv.App().Get("/test/fail", func(c *fiber.Ctx) error { return errors.New("pq: relation users does not exist") })
	tests := []struct{ name, path, accept, want string }{
		{"panic zh", "/test/panic", "", "服务器内部错误"},
		{"panic en", "/test/panic", "en", "An internal error occurred"},
		{"error zh", "/test/fail", "zh-CN", "服务器内部错误"},
		{"error en", "/test/fail", "en", "An internal error occurred"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.browser().get(tt.path, "Accept-Language", tt.accept)
			body := readBody(resp)
			if resp.StatusCode != 500 || !strings.Contains(body, tt.want) {
				t.Fatalf("%d:\n%s", resp.StatusCode, body)
			}
			for _, leak := range []string{"hunter2", "goroutine", "pq: relation", ".go:"} {
				if strings.Contains(body, leak) {
					t.Fatalf("the page leaks %q", leak)
				}
			}
			id := resp.Header.Get("X-Request-Id")
			if id == "" || !strings.Contains(body, id) {
				t.Fatal("the page does not show the request id the log carries")
			}
		})
	}
	if !strings.Contains(e.log.String(), "hunter2") {
		t.Error("the panic was not logged")
	}
}
