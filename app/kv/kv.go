// Package kv is the storage every node shares: sessions, login attempts, rate-limit
// counters, the WeChat token cache and live notifications. It has two implementations behind
// one interface: in-process memory (the embedded default, one node) and Redis (production,
// any number of nodes). Both fail loudly: there is no silent fallback from Redis to memory.
package kv

import (
	"context"
	"errors"
	"time"
)

// ErrClosed is returned after Close.
var ErrClosed = errors.New("kv: store closed")

// Store is the shared key-value store. A missing key reads as (nil, nil). TTL 0 means no
// expiry.
type Store interface {
	Get(ctx context.Context, key string) ([]byte, error)
	Set(ctx context.Context, key string, val []byte, ttl time.Duration) error
	// SetNX sets key only when it does not exist and reports whether it did.
	SetNX(ctx context.Context, key string, val []byte, ttl time.Duration) (bool, error)
	// Take reads and deletes key atomically: of two callers, at most one gets the value.
	Take(ctx context.Context, key string) ([]byte, error)
	Delete(ctx context.Context, key string) error
	// Incr adds one to the counter at key, creating it with ttl when absent, and returns the
	// new value.
	Incr(ctx context.Context, key string, ttl time.Duration) (int64, error)
	// Publish sends msg to every current subscriber of channel, on every node.
	Publish(ctx context.Context, channel string, msg []byte) error
	// Subscribe listens on channel until the subscription is closed or ctx ends.
	Subscribe(ctx context.Context, channel string) (Subscription, error)
	Ping(ctx context.Context) error
	// Fiber returns the same store in the shape of fiber.Storage, for Fiber's session
	// middleware (declared here so only the web package imports Fiber).
	Fiber() SessionStorage
	Close() error
}

// Subscription delivers published messages. C is closed when the subscription ends.
type Subscription interface {
	C() <-chan []byte
	Close() error
}

// SessionStorage has the method set of fiber.Storage.
type SessionStorage interface {
	Get(key string) ([]byte, error)
	Set(key string, val []byte, exp time.Duration) error
	Delete(key string) error
	Reset() error
	Close() error
}
