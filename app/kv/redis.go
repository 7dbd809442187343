package kv

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	redisstore "github.com/gofiber/storage/redis/v3"
	"github.com/redis/go-redis/v9"
)

// Redis is the Store shared by every node. Keys live under a prefix so one Redis database
// can serve other tools too.
type Redis struct {
	c      *redis.Client
	prefix string
	fiber  SessionStorage
}

// RedisOptions tune the client. The defaults keep a request that touches a hung Redis under
// about a second, so protected routes fail closed quickly (SESS-13) instead of hanging for
// go-redis's 5 s defaults.
type RedisOptions struct {
	Prefix         string        // default "mis:"
	ConnectTimeout time.Duration // start-up ping; default 5s
	OpTimeout      time.Duration // read/write per command; default 500ms
}

// OpenRedis parses a redis:// or rediss:// URL, builds the client and pings it. An
// unreachable server is an error, never a panic (the storage package's own constructor
// panics; we hand it a client we built instead).
func OpenRedis(ctx context.Context, url string, o RedisOptions) (*Redis, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("not a valid Redis URL: %w", err)
	}
	if o.Prefix == "" {
		o.Prefix = "mis:"
	}
	if o.ConnectTimeout == 0 {
		o.ConnectTimeout = 5 * time.Second
	}
	if o.OpTimeout == 0 {
		o.OpTimeout = 500 * time.Millisecond
	}
	opt.DialTimeout = o.OpTimeout * 2
	opt.ReadTimeout = o.OpTimeout
	opt.WriteTimeout = o.OpTimeout
	opt.PoolTimeout = o.OpTimeout * 2
	opt.MaxRetries = 1
	c := redis.NewClient(opt)
	pctx, cancel := context.WithTimeout(ctx, o.ConnectTimeout)
	defer cancel()
	if err := c.Ping(pctx).Err(); err != nil {
		c.Close()
		return nil, fmt.Errorf("cannot reach Redis at %s: %w", opt.Addr, err)
	}
	r := &Redis{c: c, prefix: o.Prefix}
	r.fiber = prefixedStorage{inner: redisstore.NewFromConnection(c), prefix: o.Prefix + "fiber:"}
	return r, nil
}

// Client exposes the go-redis client for tests and tooling.
func (r *Redis) Client() *redis.Client { return r.c }

func (r *Redis) k(key string) string { return r.prefix + key }

// Get implements Store.
func (r *Redis) Get(ctx context.Context, key string) ([]byte, error) {
	b, err := r.c.Get(ctx, r.k(key)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	return b, err
}

// Set implements Store.
func (r *Redis) Set(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	return r.c.Set(ctx, r.k(key), val, ttl).Err()
}

// SetNX implements Store.
func (r *Redis) SetNX(ctx context.Context, key string, val []byte, ttl time.Duration) (bool, error) {
	res, err := r.c.SetArgs(ctx, r.k(key), val, redis.SetArgs{Mode: "NX", TTL: ttl}).Result()
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	return err == nil && res == "OK", err
}

// Take implements Store (GETDEL, Redis ≥ 6.2).
func (r *Redis) Take(ctx context.Context, key string) ([]byte, error) {
	b, err := r.c.GetDel(ctx, r.k(key)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	return b, err
}

// Delete implements Store.
func (r *Redis) Delete(ctx context.Context, key string) error { return r.c.Del(ctx, r.k(key)).Err() }

var incrScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 and tonumber(ARGV[1]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`)

// Incr implements Store; the counter and its expiry are set in one script so a crash
// between the two cannot leave a counter that never expires.
func (r *Redis) Incr(ctx context.Context, key string, ttl time.Duration) (int64, error) {
	return incrScript.Run(ctx, r.c, []string{r.k(key)}, ttl.Milliseconds()).Int64()
}

// Publish implements Store.
func (r *Redis) Publish(ctx context.Context, channel string, msg []byte) error {
	return r.c.Publish(ctx, r.k(channel), msg).Err()
}

// Subscribe implements Store. It returns once Redis confirmed the subscription, so a
// message published after Subscribe returns is delivered.
func (r *Redis) Subscribe(ctx context.Context, channel string) (Subscription, error) {
	ps := r.c.Subscribe(ctx, r.k(channel))
	if _, err := ps.Receive(ctx); err != nil {
		ps.Close()
		return nil, err
	}
	s := &redisSub{ps: ps, ch: make(chan []byte, 16), done: make(chan struct{})}
	go s.pump(ctx)
	return s, nil
}

type redisSub struct {
	ps   *redis.PubSub
	ch   chan []byte
	done chan struct{}
	once sync.Once
}

func (s *redisSub) pump(ctx context.Context) {
	defer close(s.ch)
	in := s.ps.Channel()
	for {
		select {
		case <-ctx.Done():
			s.Close()
			return
		case <-s.done:
			return
		case m, ok := <-in:
			if !ok {
				return
			}
			select {
			case s.ch <- []byte(m.Payload):
			default:
			}
		}
	}
}

func (s *redisSub) C() <-chan []byte { return s.ch }

func (s *redisSub) Close() error {
	var err error
	s.once.Do(func() {
		close(s.done)
		err = s.ps.Close()
	})
	return err
}

// Ping implements Store.
func (r *Redis) Ping(ctx context.Context) error { return r.c.Ping(ctx).Err() }

// Fiber implements Store.
func (r *Redis) Fiber() SessionStorage { return r.fiber }

// Close implements Store.
func (r *Redis) Close() error { return r.c.Close() }

// prefixedStorage namespaces Fiber's keys and refuses Reset, which on the Redis storage is
// FLUSHDB and would wipe every other key in the database.
type prefixedStorage struct {
	inner  SessionStorage
	prefix string
}

func (p prefixedStorage) Get(key string) ([]byte, error) { return p.inner.Get(p.prefix + key) }
func (p prefixedStorage) Set(key string, val []byte, exp time.Duration) error {
	return p.inner.Set(p.prefix+key, val, exp)
}
func (p prefixedStorage) Delete(key string) error { return p.inner.Delete(p.prefix + key) }
func (p prefixedStorage) Reset() error {
	return errors.New("kv: Reset of the shared Redis store is refused (it would FLUSHDB)")
}
func (p prefixedStorage) Close() error { return nil }
