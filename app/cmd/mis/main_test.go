package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"scanboard/app/store/storetest"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// syncBuffer is a bytes.Buffer safe for the server's log writes and the test's reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func envFunc(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// waitStatus polls url until it answers want or the deadline passes.
func waitStatus(t *testing.T, url string, want int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	var last string
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == want {
				return
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not answer %d (last: %s)", url, want, last)
}

func TestServeOnDefaults(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	env := map[string]string{"MIS_ADDR": addr, "MIS_DATA_DIR": filepath.Join(dir, "data")}
	if u := os.Getenv("MIS_TEST_DATABASE_URL"); u != "" {
		env["MIS_DATABASE_URL"] = storetest.URL(t)
	}
	if u := os.Getenv("MIS_TEST_REDIS_URL"); u != "" {
		env["MIS_REDIS_URL"] = u
	}
	ctx, cancel := context.WithCancel(context.Background())
	var logs syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve"}, envFunc(env), &logs, &logs) }()
	waitStatus(t, "http://"+addr+"/healthz", 200, 30*time.Second)
	waitStatus(t, "http://"+addr+"/readyz", 200, 5*time.Second)
	waitStatus(t, "http://"+addr+"/_sandbox/phone", 200, 5*time.Second)
	if env["MIS_DATABASE_URL"] == "" {
		if _, err := os.Stat(filepath.Join(dir, "data", "scanboard.db")); err != nil {
			t.Fatalf("no SQLite file under the data dir: %v", err)
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited %d:\n%s", code, logs.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop after the signal")
	}
	if !strings.Contains(logs.String(), "migration applied") {
		t.Errorf("no migration logged on a fresh database:\n%s", logs.String())
	}
}

func TestStartupFailuresAreOneLine(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"redis unreachable", map[string]string{"MIS_REDIS_URL": "redis://127.0.0.1:1/0"}, "MIS_REDIS_URL: cannot reach Redis"},
		{"malformed database url", map[string]string{"MIS_DATABASE_URL": "postgres://u:pw@%zz/db"}, "MIS_DATABASE_URL="},
		{"postgres unreachable", map[string]string{"MIS_DATABASE_URL": "postgres://u:pw@127.0.0.1:1/db?sslmode=disable&connect_timeout=3"}, "MIS_DATABASE_URL: "},
		{"bad addr", map[string]string{"MIS_ADDR": "nonsense"}, "MIS_ADDR="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.env["MIS_DATA_DIR"] = t.TempDir()
			var out, errb bytes.Buffer
			code := run(context.Background(), []string{"serve"}, envFunc(tt.env), &out, &errb)
			msg := errb.String()
			if code == 0 {
				t.Fatal("exit 0")
			}
			if strings.Count(strings.TrimSpace(msg), "\n") != 0 || !strings.Contains(msg, tt.want) {
				t.Fatalf("stderr %q: want one line containing %q", msg, tt.want)
			}
			if strings.Contains(msg, "goroutine") || strings.Contains(msg, ":pw@") {
				t.Fatalf("stderr leaks a trace or password: %q", msg)
			}
		})
	}
}

func TestMigrateCommand(t *testing.T) {
	env := map[string]string{"MIS_DATABASE_URL": storetest.URL(t)}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"migrate"}, envFunc(env), &out, &errb); code != 0 {
		t.Fatalf("migrate: %d %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "applied") {
		t.Fatalf("output %q", out.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"migrate", "-status"}, envFunc(env), &out, &errb); code != 0 || !strings.Contains(out.String(), "0 pending") {
		t.Fatalf("status after migrate: %d %q", code, out.String())
	}
}

func TestUnknownCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"frobnicate"}, envFunc(nil), &out, &errb); code != 2 || !strings.Contains(errb.String(), "unknown command") {
		t.Fatalf("code %d, stderr %q", code, errb.String())
	}
}

func TestProjectCommand(t *testing.T) {
	env := map[string]string{"MIS_DATABASE_URL": storetest.URL(t), "MIS_DATA_DIR": t.TempDir()}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"project", "create", "--key", "checkout", "--name", "Checkout", "--sla", "p95<500ms"}, envFunc(env), &out, &errb); code != 0 {
		t.Fatalf("create: %d %s", code, errb.String())
	}
	if code := run(context.Background(), []string{"project", "create", "--key", "checkout"}, envFunc(env), &out, &errb); code == 0 {
		t.Fatal("a duplicate key was accepted")
	}
	errb.Reset()
	if code := run(context.Background(), []string{"project", "create", "--key", "Bad Key"}, envFunc(env), &out, &errb); code == 0 || !strings.Contains(errb.String(), "project key") {
		t.Fatalf("bad key: %d %q", code, errb.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"project", "list"}, envFunc(env), &out, &errb); code != 0 || !strings.Contains(out.String(), "checkout") {
		t.Fatalf("list: %d %q", code, out.String())
	}
}
