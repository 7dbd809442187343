package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"scanboard/app/config"
	"scanboard/app/kv"
	"scanboard/app/store"
)

// deps are the parts every subcommand that touches data needs.
type deps struct {
	cfg   config.Config
	log   *slog.Logger
	store *store.Store
	kv    kv.Store
}

func (d *deps) Close() {
	if d.kv != nil {
		d.kv.Close()
	}
	if d.store != nil {
		d.store.Close()
	}
}

// connectTimeout bounds how long start-up waits for PostgreSQL and Redis, so an
// unreachable server ends the process with a clear line well within 10 s.
const connectTimeout = 5 * time.Second

// open loads the configuration and connects the database (and, with withKV, the shared
// storage). Errors are single readable lines.
func open(ctx context.Context, getenv func(string) string, logOut io.Writer, withKV bool) (*deps, error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return nil, err
	}
	d := &deps{cfg: cfg, log: newLogger(cfg, logOut)}
	d.store, err = store.Open(ctx, cfg.DatabaseURL, connectTimeout)
	if err != nil {
		return nil, fmt.Errorf("MIS_DATABASE_URL: %w", err)
	}
	if withKV {
		// go-redis logs dial failures through its own global logger; route them to ours
		// (debug) so an unreachable Redis is reported once, as the one line below.
		redis.SetLogger(redisLog{d.log})
		if cfg.RedisURL == "" {
			d.kv = kv.NewMemory(nil)
		} else {
			r, err := kv.OpenRedis(ctx, cfg.RedisURL, kv.RedisOptions{ConnectTimeout: connectTimeout, Prefix: cfg.RedisPrefix})
			if err != nil {
				d.Close()
				return nil, fmt.Errorf("MIS_REDIS_URL: %w", err)
			}
			d.kv = r
		}
	}
	return d, nil
}

// redisLog adapts slog to go-redis's logger interface.
type redisLog struct{ l *slog.Logger }

func (r redisLog) Printf(ctx context.Context, format string, v ...any) {
	r.l.DebugContext(ctx, fmt.Sprintf(format, v...), "component", "redis")
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
