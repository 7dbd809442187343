package auth

import (
	"context"
	"encoding/json"
	"time"

	"scanboard/app/apperr"
	"scanboard/app/kv"
)

// MiniSession is what a Mini Program login key stands for: the user, the Mini Program
// identity and WeChat's session key (kept server-side only; it decrypts the user's data).
type MiniSession struct {
	UserID     int       `json:"u"`
	AppID      string    `json:"a"`
	OpenID     string    `json:"o"`
	UnionID    string    `json:"n,omitempty"`
	SessionKey string    `json:"k"`
	Created    time.Time `json:"t"`
}

// MiniKeys issues and checks the Mini Program's login keys: 260 random bits, never
// derived from the openid or the time, stored in kv under their hash (a kv dump hands out
// no usable key), expiring, and revocable one by one.
type MiniKeys struct {
	kv  kv.Store
	ttl time.Duration
	now func() time.Time
}

// NewMiniKeys returns the key store; now may be nil (time.Now).
func NewMiniKeys(store kv.Store, ttl time.Duration, now func() time.Time) *MiniKeys {
	if now == nil {
		now = time.Now
	}
	return &MiniKeys{kv: store, ttl: ttl, now: now}
}

func miniKeyKey(key string) string { return "mp:key:" + HashID(key) }

// TTL is how long a key lives.
func (m *MiniKeys) TTL() time.Duration { return m.ttl }

// Issue stores a session and returns its new key.
func (m *MiniKeys) Issue(ctx context.Context, s MiniSession) (string, error) {
	key := NewSecret() + NewSecret()
	s.Created = m.now().UTC()
	if err := m.save(ctx, key, s); err != nil {
		return "", err
	}
	return key, nil
}

// Save replaces the session behind a key (a new session key after wx.login), keeping the
// key's remaining life.
func (m *MiniKeys) save(ctx context.Context, key string, s MiniSession) error {
	b, err := json.Marshal(s)
	if err != nil {
		return apperr.E("auth.MiniKeys.save", apperr.Internal, err)
	}
	ttl := s.Created.Add(m.ttl).Sub(m.now())
	if ttl <= 0 {
		return apperr.E("auth.MiniKeys.save", apperr.Unauthorized, apperr.Key("signin.mp.error.key"), "login key expired")
	}
	if err := m.kv.Set(ctx, miniKeyKey(key), b, ttl); err != nil {
		return apperr.E("auth.MiniKeys.save", apperr.Unavailable, err)
	}
	return nil
}

// Get returns the session of a live key, or an Unauthorized error.
func (m *MiniKeys) Get(ctx context.Context, key string) (*MiniSession, error) {
	const op = "auth.MiniKeys.Get"
	if len(key) < 26 || len(key) > 128 {
		return nil, apperr.E(op, apperr.Unauthorized, apperr.Key("signin.mp.error.key"), "no or malformed login key")
	}
	b, err := m.kv.Get(ctx, miniKeyKey(key))
	if err != nil {
		return nil, apperr.E(op, apperr.Unavailable, err)
	}
	var s MiniSession
	if b == nil || json.Unmarshal(b, &s) != nil {
		return nil, apperr.E(op, apperr.Unauthorized, apperr.Key("signin.mp.error.key"), "login key unknown, revoked or expired")
	}
	if !m.now().Before(s.Created.Add(m.ttl)) {
		return nil, apperr.E(op, apperr.Unauthorized, apperr.Key("signin.mp.error.key"), "login key expired")
	}
	return &s, nil
}

// Revoke ends a key at once.
func (m *MiniKeys) Revoke(ctx context.Context, key string) error {
	if err := m.kv.Delete(ctx, miniKeyKey(key)); err != nil {
		return apperr.E("auth.MiniKeys.Revoke", apperr.Unavailable, err)
	}
	return nil
}
