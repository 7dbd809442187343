package kv_test

import (
	"context"
	"crypto/rand"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"scanboard/app/kv"
)

// stores returns the implementations to test: Memory always, Redis when MIS_TEST_REDIS_URL
// is set (each test under its own key prefix).
func stores(t *testing.T) map[string]kv.Store {
	t.Helper()
	out := map[string]kv.Store{"memory": kv.NewMemory(nil)}
	t.Cleanup(func() { out["memory"].Close() })
	url := os.Getenv("MIS_TEST_REDIS_URL")
	if url == "" {
		t.Log("MIS_TEST_REDIS_URL unset: Redis variant skipped")
		return out
	}
	r, err := kv.OpenRedis(context.Background(), url, kv.RedisOptions{Prefix: "mistest:" + rand.Text() + ":"})
	if err != nil {
		t.Fatalf("redis: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	out["redis"] = r
	return out
}

func TestStoreBasics(t *testing.T) {
	ctx := context.Background()
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			if v, err := s.Get(ctx, "missing"); v != nil || err != nil {
				t.Fatalf("Get(missing) = %q, %v", v, err)
			}
			if err := s.Set(ctx, "a", []byte("1"), time.Minute); err != nil {
				t.Fatal(err)
			}
			if v, _ := s.Get(ctx, "a"); string(v) != "1" {
				t.Fatalf("Get(a) = %q", v)
			}
			ok, err := s.SetNX(ctx, "a", []byte("2"), time.Minute)
			if ok || err != nil {
				t.Fatalf("SetNX on existing = %v, %v", ok, err)
			}
			ok, _ = s.SetNX(ctx, "b", []byte("2"), time.Minute)
			if !ok {
				t.Fatal("SetNX on absent key failed")
			}
			if v, _ := s.Take(ctx, "b"); string(v) != "2" {
				t.Fatalf("Take(b) = %q", v)
			}
			if v, _ := s.Take(ctx, "b"); v != nil {
				t.Fatalf("second Take(b) = %q, want nothing", v)
			}
			for i := int64(1); i <= 3; i++ {
				if n, err := s.Incr(ctx, "n", time.Minute); n != i || err != nil {
					t.Fatalf("Incr = %d, %v; want %d", n, err, i)
				}
			}
			_ = s.Delete(ctx, "a")
			if v, _ := s.Get(ctx, "a"); v != nil {
				t.Fatal("deleted key still readable")
			}
		})
	}
}

func TestTakeIsSingleUse(t *testing.T) {
	ctx := context.Background()
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			_ = s.Set(ctx, "once", []byte("x"), time.Minute)
			var wins atomic.Int32
			var wg sync.WaitGroup
			for range 50 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if v, _ := s.Take(ctx, "once"); v != nil {
						wins.Add(1)
					}
				}()
			}
			wg.Wait()
			if wins.Load() != 1 {
				t.Fatalf("%d callers took the value, want 1", wins.Load())
			}
		})
	}
}

func TestMemoryExpiry(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	m := kv.NewMemory(clock)
	defer m.Close()
	_ = m.Set(ctx, "k", []byte("v"), time.Second)
	if _, err := m.Incr(ctx, "c", time.Second); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	if v, _ := m.Get(ctx, "k"); v != nil {
		t.Fatal("key outlived its TTL")
	}
	if n, _ := m.Incr(ctx, "c", time.Second); n != 1 {
		t.Fatalf("counter after expiry = %d, want 1", n)
	}
}

func TestPubSub(t *testing.T) {
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			sub, err := s.Subscribe(ctx, "ch")
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Publish(ctx, "ch", []byte("hello")); err != nil {
				t.Fatal(err)
			}
			select {
			case m := <-sub.C():
				if string(m) != "hello" {
					t.Fatalf("got %q", m)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("no message within 5 s")
			}
			cancel()
			for range sub.C() { // drains and ends when the subscription closes
			}
		})
	}
}

func TestFiberStorageNamespaced(t *testing.T) {
	ctx := context.Background()
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			f := s.Fiber()
			if err := f.Set("sid", []byte("data"), time.Minute); err != nil {
				t.Fatal(err)
			}
			if v, _ := f.Get("sid"); string(v) != "data" {
				t.Fatalf("fiber Get = %q", v)
			}
			if v, _ := s.Get(ctx, "sid"); v != nil {
				t.Fatal("fiber keys leak into the app's namespace")
			}
			_ = f.Delete("sid")
			if v, _ := f.Get("sid"); v != nil {
				t.Fatal("fiber Delete did not delete")
			}
		})
	}
}

func TestOpenRedisUnreachable(t *testing.T) {
	_, err := kv.OpenRedis(context.Background(), "redis://127.0.0.1:1/0", kv.RedisOptions{ConnectTimeout: 2 * time.Second})
	if err == nil {
		t.Fatal("OpenRedis on a closed port succeeded")
	}
	if _, err := kv.OpenRedis(context.Background(), "http://nope", kv.RedisOptions{}); err == nil {
		t.Fatal("OpenRedis accepted a non-Redis URL")
	}
}
