package reports

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestClientUpload(t *testing.T) {
	var got struct {
		path, auth, name, ctype, build string
		body                           string
		length                         int64
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.path, got.auth, got.name, got.ctype = r.URL.Path, r.Header.Get("Authorization"), r.Header.Get("X-Filename"), r.Header.Get("Content-Type")
		got.build, got.body, got.length = r.URL.Query().Get("build"), string(b), r.ContentLength
		switch {
		case strings.Contains(got.body, "too big"):
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "big.csv is larger than the limit of 1 MiB"})
		case strings.Contains(got.body, "plain"):
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write([]byte("bad gateway"))
		default:
			w.WriteHeader(http.StatusAccepted)
			_ = json.NewEncoder(w).Encode(Receipt{RunID: 12, Status: "queued"})
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	c := &Client{BaseURL: srv.URL + "/", Token: "mis_secret"}
	ctx := context.Background()

	rc, err := c.Upload(ctx, "shop", write("a.jtl.gz", "content"), Tags{Build: "42"})
	if err != nil || rc.RunID != 12 || rc.Status != "queued" {
		t.Fatalf("upload: %+v, %v", rc, err)
	}
	if got.path != "/api/v1/projects/shop/runs" || got.auth != "Bearer mis_secret" || got.name != "a.jtl.gz" ||
		got.ctype != "application/gzip" || got.build != "42" || got.body != "content" || got.length != 7 {
		t.Errorf("request %+v", got)
	}

	tests := []struct {
		name, content string
		status        int
		msg           string
	}{
		{"json error", "too big", 413, "larger than the limit"},
		{"plain error", "plain", 502, "bad gateway"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Upload(ctx, "shop", write("b.csv", tt.content), Tags{})
			var he *HTTPError
			if !errors.As(err, &he) || he.Status != tt.status || !strings.Contains(he.Message, tt.msg) {
				t.Errorf("err %v, want HTTP %d with %q", err, tt.status, tt.msg)
			}
		})
	}
	if _, err := (&Client{BaseURL: "ftp://x"}).Upload(ctx, "shop", write("c.csv", "x"), Tags{}); err == nil || !strings.Contains(err.Error(), "base URL") {
		t.Errorf("bad base URL: %v", err)
	}
}
