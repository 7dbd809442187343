package kv

import (
	"context"
	"strconv"
	"sync"
	"time"
)

// Memory is the in-process Store for a single node. Expired keys are dropped on read and by
// a sweep every minute.
type Memory struct {
	mu     sync.Mutex
	items  map[string]memItem
	subs   map[string]map[*memSub]struct{}
	now    func() time.Time
	done   chan struct{}
	closed bool
}

type memItem struct {
	val     []byte
	expires time.Time // zero: never
}

// NewMemory returns an empty Memory store. now may be nil (time.Now).
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	m := &Memory{items: map[string]memItem{}, subs: map[string]map[*memSub]struct{}{}, now: now, done: make(chan struct{})}
	go m.sweep()
	return m
}

func (m *Memory) sweep() {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-m.done:
			return
		case <-t.C:
			m.mu.Lock()
			now := m.now()
			for k, it := range m.items {
				if it.expired(now) {
					delete(m.items, k)
				}
			}
			m.mu.Unlock()
		}
	}
}

func (it memItem) expired(now time.Time) bool { return !it.expires.IsZero() && !now.Before(it.expires) }

func (m *Memory) expiry(ttl time.Duration) time.Time {
	if ttl <= 0 {
		return time.Time{}
	}
	return m.now().Add(ttl)
}

// get returns a live item; the caller holds mu.
func (m *Memory) get(key string) (memItem, bool) {
	it, ok := m.items[key]
	if ok && it.expired(m.now()) {
		delete(m.items, key)
		return memItem{}, false
	}
	return it, ok
}

// Get implements Store.
func (m *Memory) Get(_ context.Context, key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	it, ok := m.get(key)
	if !ok {
		return nil, nil
	}
	return append([]byte(nil), it.val...), nil
}

// Set implements Store.
func (m *Memory) Set(_ context.Context, key string, val []byte, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	m.items[key] = memItem{val: append([]byte(nil), val...), expires: m.expiry(ttl)}
	return nil
}

// SetNX implements Store.
func (m *Memory) SetNX(_ context.Context, key string, val []byte, ttl time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return false, ErrClosed
	}
	if _, ok := m.get(key); ok {
		return false, nil
	}
	m.items[key] = memItem{val: append([]byte(nil), val...), expires: m.expiry(ttl)}
	return true, nil
}

// Take implements Store.
func (m *Memory) Take(_ context.Context, key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	it, ok := m.get(key)
	if !ok {
		return nil, nil
	}
	delete(m.items, key)
	return it.val, nil
}

// Delete implements Store.
func (m *Memory) Delete(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	delete(m.items, key)
	return nil
}

// Incr implements Store.
func (m *Memory) Incr(_ context.Context, key string, ttl time.Duration) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return 0, ErrClosed
	}
	it, ok := m.get(key)
	var n int64
	if ok {
		n, _ = strconv.ParseInt(string(it.val), 10, 64)
	} else {
		it.expires = m.expiry(ttl)
	}
	n++
	it.val = strconv.AppendInt(nil, n, 10)
	m.items[key] = it
	return n, nil
}

// Publish implements Store. A subscriber that is not keeping up loses the message rather
// than blocking the publisher; subscribers treat messages as hints and re-read state.
func (m *Memory) Publish(_ context.Context, channel string, msg []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	for s := range m.subs[channel] {
		select {
		case s.ch <- append([]byte(nil), msg...):
		default:
		}
	}
	return nil
}

// Subscribe implements Store.
func (m *Memory) Subscribe(ctx context.Context, channel string) (Subscription, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	s := &memSub{m: m, channel: channel, ch: make(chan []byte, 16)}
	if m.subs[channel] == nil {
		m.subs[channel] = map[*memSub]struct{}{}
	}
	m.subs[channel][s] = struct{}{}
	go func() {
		select {
		case <-ctx.Done():
			s.Close()
		case <-m.done:
			s.Close()
		}
	}()
	return s, nil
}

type memSub struct {
	m       *Memory
	channel string
	ch      chan []byte
	once    sync.Once
}

func (s *memSub) C() <-chan []byte { return s.ch }

func (s *memSub) Close() error {
	s.once.Do(func() {
		s.m.mu.Lock()
		delete(s.m.subs[s.channel], s)
		if len(s.m.subs[s.channel]) == 0 {
			delete(s.m.subs, s.channel)
		}
		close(s.ch)
		s.m.mu.Unlock()
	})
	return nil
}

// Ping implements Store.
func (m *Memory) Ping(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	return nil
}

// Fiber implements Store.
func (m *Memory) Fiber() SessionStorage { return fiberMemory{m} }

// Close implements Store.
func (m *Memory) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	m.mu.Unlock()
	close(m.done)
	return nil
}

// fiberMemory adapts Memory to SessionStorage under its own key prefix.
type fiberMemory struct{ m *Memory }

const fiberPrefix = "fiber:"

func (f fiberMemory) Get(key string) ([]byte, error) {
	return f.m.Get(context.Background(), fiberPrefix+key)
}
func (f fiberMemory) Set(key string, val []byte, exp time.Duration) error {
	if key == "" || len(val) == 0 {
		return nil
	}
	return f.m.Set(context.Background(), fiberPrefix+key, val, exp)
}
func (f fiberMemory) Delete(key string) error {
	return f.m.Delete(context.Background(), fiberPrefix+key)
}

// Reset drops only the Fiber keys, never the rest of the store.
func (f fiberMemory) Reset() error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	for k := range f.m.items {
		if len(k) >= len(fiberPrefix) && k[:len(fiberPrefix)] == fiberPrefix {
			delete(f.m.items, k)
		}
	}
	return nil
}
func (f fiberMemory) Close() error { return nil }
