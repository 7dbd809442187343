package wechat

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisCache is the small go-redis Cache the shared-token test runs against
// when MIS_TEST_REDIS_URL is set; the app's own Redis store must behave the same.
type redisCache struct{ rdb *redis.Client }

func (c redisCache) Get(ctx context.Context, key string) ([]byte, error) {
	v, err := c.rdb.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	return v, err
}

func (c redisCache) Set(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	return c.rdb.Set(ctx, key, val, ttl).Err()
}

func (c redisCache) SetNX(ctx context.Context, key string, val []byte, ttl time.Duration) (bool, error) {
	return c.rdb.SetNX(ctx, key, val, ttl).Result()
}

func (c redisCache) Delete(ctx context.Context, key string) error {
	return c.rdb.Del(ctx, key).Err()
}

// sharedCaches returns the caches the multi-node test runs on: always memory,
// and Redis when MIS_TEST_REDIS_URL is set.
func sharedCaches(t *testing.T) map[string]func(t *testing.T) Cache {
	t.Helper()
	caches := map[string]func(t *testing.T) Cache{
		"memory": func(*testing.T) Cache { return NewMemoryCache() },
	}
	caches["redis"] = func(t *testing.T) Cache {
		t.Helper()
		u := os.Getenv("MIS_TEST_REDIS_URL")
		if u == "" {
			t.Skip("MIS_TEST_REDIS_URL is not set; skipping the Redis-backed token cache test")
		}
		opt, err := redis.ParseURL(u)
		if err != nil {
			t.Fatalf("MIS_TEST_REDIS_URL: %v", err)
		}
		rdb := redis.NewClient(opt)
		t.Cleanup(func() { _ = rdb.Close() })
		if err := rdb.Ping(context.Background()).Err(); err != nil {
			t.Fatalf("MIS_TEST_REDIS_URL: %v", err)
		}
		return redisCache{rdb: rdb}
	}
	return caches
}

// TestTwoNodesFetchTokenOnce is the multi-node guarantee: two clients (two
// app nodes) sharing one cache, hammered concurrently, call cgi-bin/token once.
func TestTwoNodesFetchTokenOnce(t *testing.T) {
	for name, mk := range sharedCaches(t) {
		t.Run(name, func(t *testing.T) {
			cache := mk(t)
			// A fresh appid per run keeps a shared Redis from serving an old token.
			appID := "wx" + rand.Text()[:16]
			f := newFake(t)
			var fetches atomic.Int32
			f.handle("/_sandbox/cgi-bin/token", func(w http.ResponseWriter, r *http.Request) {
				fetches.Add(1)
				// A slow answer widens the window in which nodes could race.
				time.Sleep(50 * time.Millisecond)
				writeJSON(w, map[string]any{"access_token": "T-" + r.URL.Query().Get("appid"), "expires_in": 7200})
			})
			nodeA := f.client(func(c *Config) { c.AppID, c.Cache = appID, cache })
			nodeB := f.client(func(c *Config) { c.AppID, c.Cache = appID, cache })

			var wg sync.WaitGroup
			errs := make(chan error, 40)
			for i := range 40 {
				node := nodeA
				if i%2 == 1 {
					node = nodeB
				}
				wg.Go(func() {
					tok, err := node.AccessToken(context.Background())
					if err == nil && tok != "T-"+appID {
						err = errors.New("unexpected token " + tok)
					}
					errs <- err
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			if n := fetches.Load(); n != 1 {
				t.Fatalf("cgi-bin/token called %d times, want 1", n)
			}
		})
	}
}

// tokenFake serves cgi-bin/token with numbered tokens and an API that accepts
// only the tokens listed in good.
type tokenFake struct {
	*fake
	fetches atomic.Int32
	mu      sync.Mutex
	good    map[string]bool
}

func newTokenFake(t *testing.T) *tokenFake {
	tf := &tokenFake{fake: newFake(t), good: map[string]bool{}}
	tf.handle("/_sandbox/cgi-bin/token", func(w http.ResponseWriter, _ *http.Request) {
		n := tf.fetches.Add(1)
		writeJSON(w, map[string]any{"access_token": "T" + string(rune('0'+n)), "expires_in": 7200})
	})
	tf.handle("/_sandbox/cgi-bin/user/info", func(w http.ResponseWriter, r *http.Request) {
		tf.mu.Lock()
		ok := tf.good[r.URL.Query().Get("access_token")]
		tf.mu.Unlock()
		if !ok {
			writeJSON(w, errBody(40001, "invalid credential, access_token is invalid or not latest"))
			return
		}
		writeJSON(w, map[string]any{"subscribe": 1, "openid": r.URL.Query().Get("openid"), "unionid": "u1"})
	})
	return tf
}

func (tf *tokenFake) accept(tokens ...string) {
	tf.mu.Lock()
	defer tf.mu.Unlock()
	tf.good = map[string]bool{}
	for _, tok := range tokens {
		tf.good[tok] = true
	}
}

func TestTokenRejectedRefreshOnceRetryOnce(t *testing.T) {
	t.Run("expired token refreshed and call retried", func(t *testing.T) {
		tf := newTokenFake(t)
		c := tf.client()
		tf.accept("T1")
		if _, err := c.FollowerInfo(context.Background(), "o1", ""); err != nil {
			t.Fatal(err)
		}
		// Another system rotated the token: T1 is now rejected, T2 will be minted.
		tf.accept("T2")
		f, err := c.FollowerInfo(context.Background(), "o1", "")
		if err != nil {
			t.Fatal(err)
		}
		if !f.Subscribed || f.UnionID != "u1" {
			t.Fatalf("follower = %+v", f)
		}
		if n := tf.fetches.Load(); n != 2 {
			t.Fatalf("token fetched %d times, want 2", n)
		}
		if tok, _ := c.AccessToken(context.Background()); tok != "T2" {
			t.Fatalf("cached token = %s, want T2", tok)
		}
	})
	t.Run("still rejected after one refresh", func(t *testing.T) {
		tf := newTokenFake(t)
		c := tf.client()
		tf.accept()
		_, err := c.FollowerInfo(context.Background(), "o1", "")
		if !errors.Is(err, CodeInvalidCredential) {
			t.Fatalf("err = %v, want 40001", err)
		}
		if n := tf.fetches.Load(); n != 2 {
			t.Fatalf("token fetched %d times, want exactly 2 (one refresh, no loop)", n)
		}
		if n := tf.count("/_sandbox/cgi-bin/user/info"); n != 2 {
			t.Fatalf("call sent %d times, want 2 (one retry)", n)
		}
	})
	t.Run("compare and refresh uses another node's newer token", func(t *testing.T) {
		tf := newTokenFake(t)
		cache := NewMemoryCache()
		nodeA := tf.client(func(c *Config) { c.Cache = cache })
		nodeB := tf.client(func(c *Config) { c.Cache = cache })
		tok1, _ := nodeA.AccessToken(context.Background())
		// Node B saw tok1 rejected and refreshed; node A then reports the same tok1.
		tok2, err := nodeB.RefreshAccessToken(context.Background(), tok1)
		if err != nil || tok2 == tok1 {
			t.Fatalf("B refresh = %s, %v", tok2, err)
		}
		tok3, err := nodeA.RefreshAccessToken(context.Background(), tok1)
		if err != nil || tok3 != tok2 {
			t.Fatalf("A refresh = %s, %v; want B's %s", tok3, err, tok2)
		}
		if n := tf.fetches.Load(); n != 2 {
			t.Fatalf("token fetched %d times, want 2", n)
		}
	})
}

func TestTokenRefreshAhead(t *testing.T) {
	tf := newTokenFake(t)
	now := time.Unix(1_700_000_000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	cache := NewMemoryCache()
	c := tf.client(func(c *Config) { c.Now, c.Cache = clock, cache })
	ctx := context.Background()

	if tok, _ := c.AccessToken(ctx); tok != "T1" {
		t.Fatalf("first token %s", tok)
	}
	advance(7200*time.Second - refreshAhead - time.Second)
	if tok, _ := c.AccessToken(ctx); tok != "T1" {
		t.Fatalf("token before the refresh window = %s, want T1", tok)
	}
	t.Run("another node refreshing: current token serves meanwhile", func(t *testing.T) {
		advance(2 * time.Second)
		if ok, _ := cache.SetNX(ctx, c.tokens.lockKey(), []byte("other"), time.Minute); !ok {
			t.Fatal("could not simulate another node's lock")
		}
		if tok, err := c.AccessToken(ctx); err != nil || tok != "T1" {
			t.Fatalf("token = %s, %v; want T1 without waiting", tok, err)
		}
		_ = cache.Delete(ctx, c.tokens.lockKey())
	})
	t.Run("inside the window the token is replaced", func(t *testing.T) {
		if tok, _ := c.AccessToken(ctx); tok != "T2" {
			t.Fatalf("token = %s, want T2", tok)
		}
		if n := tf.fetches.Load(); n != 2 {
			t.Fatalf("fetches = %d", n)
		}
	})
}

func TestTokenWaiterHonoursContext(t *testing.T) {
	tf := newTokenFake(t)
	cache := NewMemoryCache()
	c := tf.client(func(c *Config) { c.Cache = cache })
	// Another node holds the lock and there is no token yet.
	if ok, _ := cache.SetNX(context.Background(), c.tokens.lockKey(), []byte("other"), time.Minute); !ok {
		t.Fatal("lock")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err := c.AccessToken(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's deadline", err)
	}
	if tf.fetches.Load() != 0 {
		t.Fatal("a waiter fetched a token while another node held the lock")
	}
}

func TestTokenWaiterPicksUpOtherNodesToken(t *testing.T) {
	tf := newTokenFake(t)
	cache := NewMemoryCache()
	c := tf.client(func(c *Config) { c.Cache = cache })
	ctx := context.Background()
	if ok, _ := cache.SetNX(ctx, c.tokens.lockKey(), []byte("other"), time.Minute); !ok {
		t.Fatal("lock")
	}
	done := make(chan string)
	go func() {
		tok, _ := c.AccessToken(ctx)
		done <- tok
	}()
	// The other node finishes: it stores its token and releases the lock.
	raw, _ := json.Marshal(tokenEntry{Token: "FROM-OTHER", ExpiresAt: time.Now().Add(time.Hour).UnixMilli(), RefreshAt: time.Now().Add(time.Hour).UnixMilli()})
	_ = cache.Set(ctx, c.tokens.key, raw, time.Hour)
	if tok := <-done; tok != "FROM-OTHER" {
		t.Fatalf("token = %s", tok)
	}
	if tf.fetches.Load() != 0 {
		t.Fatal("waiter fetched its own token")
	}
}

func TestTokenFetchErrors(t *testing.T) {
	cases := []struct {
		name   string
		answer any
		want   error
	}{
		{"bad secret", errBody(40125, "invalid appsecret"), CodeInvalidAppSecret},
		{"ip not whitelisted", errBody(40164, "invalid ip 1.2.3.4, not in whitelist"), CodeIPNotWhitelisted},
		{"daily quota", errBody(45009, "reach max api daily quota limit"), CodeDailyQuota},
		{"empty token", `{"access_token":"","expires_in":7200}`, ErrMalformedResponse},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(t)
			f.reply("/_sandbox/cgi-bin/token", c.answer)
			_, err := f.client().AccessToken(context.Background())
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
}

type failingCache struct{ Cache }

func (failingCache) Get(context.Context, string) ([]byte, error) {
	return nil, errors.New("redis: connection refused")
}

func TestTokenCacheFailureIsReported(t *testing.T) {
	tf := newTokenFake(t)
	c := tf.client(func(c *Config) { c.Cache = failingCache{NewMemoryCache()} })
	_, err := c.AccessToken(context.Background())
	if err == nil {
		t.Fatal("a broken cache went unnoticed")
	}
	if tf.fetches.Load() != 0 {
		t.Fatal("fetched a token without the shared cache; other nodes would be invalidated")
	}
}

func TestStableToken(t *testing.T) {
	f := newFake(t)
	var mu sync.Mutex
	current, forced := "S1", 0
	f.handle("/_sandbox/cgi-bin/stable_token", func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			GrantType    string `json:"grant_type"`
			AppID        string `json:"appid"`
			Secret       string `json:"secret"`
			ForceRefresh bool   `json:"force_refresh"`
		}
		if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&in) != nil || in.GrantType != "client_credential" || in.Secret != "s3cret" {
			writeJSON(w, errBody(40002, "invalid grant_type"))
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if in.ForceRefresh {
			forced++
			current = "S2"
		}
		writeJSON(w, map[string]any{"access_token": current, "expires_in": 7134})
	})
	c := f.client(func(c *Config) { c.StableToken = true })
	ctx := context.Background()
	tok, err := c.AccessToken(ctx)
	if err != nil || tok != "S1" {
		t.Fatalf("token = %s, %v", tok, err)
	}
	if f.count("/_sandbox/cgi-bin/token") != 0 {
		t.Fatal("stable mode called cgi-bin/token")
	}
	// WeChat rejected S1: a normal call returns S1 again, so the client must force.
	tok, err = c.RefreshAccessToken(ctx, "S1")
	if err != nil || tok != "S2" || forced != 1 {
		t.Fatalf("refresh = %s, %v, forced %d", tok, err, forced)
	}
	if n := f.count("/_sandbox/cgi-bin/stable_token"); n != 3 {
		t.Fatalf("stable_token called %d times, want 3 (initial, normal, forced)", n)
	}
}

func TestMemoryCache(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(0, 0)
	c := NewMemoryCache()
	c.now = func() time.Time { return now }
	if v, err := c.Get(ctx, "k"); v != nil || err != nil {
		t.Fatalf("absent key = %v, %v", v, err)
	}
	if ok, _ := c.SetNX(ctx, "k", []byte("a"), time.Second); !ok {
		t.Fatal("SetNX on absent key failed")
	}
	if ok, _ := c.SetNX(ctx, "k", []byte("b"), time.Second); ok {
		t.Fatal("SetNX overwrote a live key")
	}
	now = now.Add(time.Second)
	if v, _ := c.Get(ctx, "k"); v != nil {
		t.Fatal("expired key still served")
	}
	if ok, _ := c.SetNX(ctx, "k", []byte("c"), 0); !ok {
		t.Fatal("SetNX on expired key failed")
	}
	_ = c.Delete(ctx, "k")
	if v, _ := c.Get(ctx, "k"); v != nil {
		t.Fatal("deleted key still served")
	}
}
