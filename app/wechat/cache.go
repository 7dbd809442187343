package wechat

import (
	"bytes"
	"context"
	"sync"
	"time"
)

// Cache is the store shared by all app nodes that holds the app access token
// and the lock that lets one node at a time refresh it. The app's memory and
// Redis stores (kv.Store) satisfy it; MemoryCache serves a single process and tests.
//
// Keys used: "wechat:token:<appid>", "wechat:stable_token:<appid>" and
// "wechat:work_token:<corpid>:<agentid>", each with a ":lock" sibling.
type Cache interface {
	// Get returns the value, or (nil, nil) when the key is absent or expired.
	Get(ctx context.Context, key string) ([]byte, error)
	// Set stores val under key for ttl.
	Set(ctx context.Context, key string, val []byte, ttl time.Duration) error
	// SetNX stores val only if key is absent, reporting whether it did.
	SetNX(ctx context.Context, key string, val []byte, ttl time.Duration) (bool, error)
	// Delete removes key; deleting an absent key is not an error.
	Delete(ctx context.Context, key string) error
}

// MemoryCache is a process-local Cache. Several Clients in one process may
// share it; nodes of a cluster need a shared store (Redis) instead.
type MemoryCache struct {
	mu  sync.Mutex
	m   map[string]memoryEntry
	now func() time.Time
}

type memoryEntry struct {
	val     []byte
	expires time.Time
}

// NewMemoryCache returns an empty MemoryCache that uses the real clock.
func NewMemoryCache() *MemoryCache {
	return &MemoryCache{m: make(map[string]memoryEntry), now: time.Now}
}

// Get returns a copy of the value, or nil when absent or expired.
func (c *MemoryCache) Get(_ context.Context, key string) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.live(key)
	if !ok {
		return nil, nil
	}
	return bytes.Clone(e.val), nil
}

// Set stores a copy of val for ttl (ttl <= 0 means no expiry).
func (c *MemoryCache) Set(_ context.Context, key string, val []byte, ttl time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.put(key, val, ttl)
	return nil
}

// SetNX stores val only when key is absent or expired.
func (c *MemoryCache) SetNX(_ context.Context, key string, val []byte, ttl time.Duration) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.live(key); ok {
		return false, nil
	}
	c.put(key, val, ttl)
	return true, nil
}

// Delete removes key.
func (c *MemoryCache) Delete(_ context.Context, key string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, key)
	return nil
}

// live returns the entry if present and unexpired, dropping it otherwise; c.mu is held.
func (c *MemoryCache) live(key string) (memoryEntry, bool) {
	e, ok := c.m[key]
	if !ok {
		return e, false
	}
	if !e.expires.IsZero() && !c.now().Before(e.expires) {
		delete(c.m, key)
		return e, false
	}
	return e, true
}

func (c *MemoryCache) put(key string, val []byte, ttl time.Duration) {
	e := memoryEntry{val: bytes.Clone(val)}
	if ttl > 0 {
		e.expires = c.now().Add(ttl)
	}
	c.m[key] = e
}
