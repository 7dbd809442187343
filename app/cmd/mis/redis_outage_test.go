package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"scanboard/app/store/storetest"
)

// startRedis runs a private redis-server on addr so the test may stop it.
func startRedis(t *testing.T, addr string) *exec.Cmd {
	t.Helper()
	port := addr[strings.LastIndexByte(addr, ':')+1:]
	cmd := exec.Command("redis-server", "--bind", "127.0.0.1", "--port", port, "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		t.Fatalf("redis-server: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if out, err := exec.Command("redis-cli", "-p", port, "ping").Output(); err == nil && strings.TrimSpace(string(out)) == "PONG" {
			return cmd
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("redis-server did not answer")
	return nil
}

// TestReadyzFollowsRedis: with PostgreSQL and Redis configured, stopping Redis turns /readyz
// into 503 and it is 200 again once Redis is back. The promptness comes from the design
// (readyz gives each check 1 s, Redis commands time out after 500 ms); the waits below are
// generous guards against a hang, not a speed check. It needs its own redis-server (to stop
// it), so it runs where the Redis tests run.
func TestReadyzFollowsRedis(t *testing.T) {
	if os.Getenv("MIS_TEST_REDIS_URL") == "" {
		t.Skip("MIS_TEST_REDIS_URL unset: the Redis outage test runs with the Redis tests (it starts its own redis-server)")
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatal("MIS_TEST_REDIS_URL is set but redis-server is not installed")
	}
	redisAddr, appAddr := freeAddr(t), freeAddr(t)
	r := startRedis(t, redisAddr)
	env := map[string]string{
		"MIS_ADDR": appAddr, "MIS_DATA_DIR": filepath.Join(t.TempDir(), "data"),
		"MIS_DATABASE_URL": storetest.URL(t), "MIS_REDIS_URL": "redis://" + redisAddr + "/0",
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve"}, envFunc(env), &logs, &logs) }()
	waitStatus(t, "http://"+appAddr+"/readyz", 200, 30*time.Second)

	r.Process.Kill()
	r.Wait()
	waitStatus(t, "http://"+appAddr+"/readyz", 503, 10*time.Second)
	startRedis(t, redisAddr)
	waitStatus(t, "http://"+appAddr+"/readyz", 200, 10*time.Second)
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("serve exited %d:\n%s", code, logs.String())
	}
}
