package wechat

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Tunables of the shared token cache. They are constants rather than settings
// because WeChat's token rules fix them, not the deployment.
const (
	// refreshAhead: refresh this long before expiry so no call ever carries a
	// token about to die. Capped at a quarter of the lifetime for short-lived tokens.
	refreshAhead = 5 * time.Minute
	// lockTTL bounds how long a crashed refresher can block the others.
	lockTTL = 15 * time.Second
	// waitMax: how long a node waits for another node's refresh before giving up;
	// longer than lockTTL so a waiter can take over an abandoned lock.
	waitMax = 20 * time.Second
	// firstPoll and maxPoll bound the waiters' backoff.
	firstPoll = 10 * time.Millisecond
	maxPoll   = 250 * time.Millisecond
)

// fetchFunc asks WeChat for a token; force asks the stable-token API to
// rotate. It returns the token and its lifetime.
type fetchFunc func(ctx context.Context, force bool) (token string, lifetime time.Duration, err error)

// tokenSource keeps one access token in a shared Cache. Only the node holding
// the lock (SetNX with a TTL) calls WeChat; the others read the cache, using the
// current token while it is still valid or polling briefly when there is none.
type tokenSource struct {
	cache Cache
	key   string
	fetch fetchFunc
	now   func() time.Time
	log   *slog.Logger
}

// tokenEntry is what the cache holds, as JSON so any store can keep it.
type tokenEntry struct {
	Token     string `json:"token"`
	ExpiresAt int64  `json:"expires_at"` // unix milliseconds
	RefreshAt int64  `json:"refresh_at"` // unix milliseconds
}

func (s *tokenSource) lockKey() string { return s.key + ":lock" }

// token returns a usable token, refreshing it when it is missing or due.
func (s *tokenSource) token(ctx context.Context) (string, error) {
	return s.obtain(ctx, "")
}

// replace is called when WeChat rejected bad (40001/40014/42001). It is a
// compare-and-refresh: if another node already stored a different token, that
// one is returned without calling WeChat again.
func (s *tokenSource) replace(ctx context.Context, bad string) (string, error) {
	return s.obtain(ctx, bad)
}

func (s *tokenSource) usable(e *tokenEntry, bad string) bool {
	return e != nil && e.Token != "" && e.Token != bad && s.now().UnixMilli() < e.ExpiresAt
}

func (s *tokenSource) fresh(e *tokenEntry, bad string) bool {
	return s.usable(e, bad) && s.now().UnixMilli() < e.RefreshAt
}

func (s *tokenSource) obtain(ctx context.Context, bad string) (string, error) {
	delay := firstPoll
	deadline := time.Now().Add(waitMax)
	for {
		e, err := s.load(ctx)
		if err != nil {
			return "", err
		}
		if s.fresh(e, bad) {
			return e.Token, nil
		}
		owner := rand.Text()
		got, err := s.cache.SetNX(ctx, s.lockKey(), []byte(owner), lockTTL)
		if err != nil {
			return "", fmt.Errorf("wechat token cache: lock: %w", err)
		}
		if got {
			return s.refreshHolding(ctx, bad, owner)
		}
		// Another node is refreshing. A token that is due but still valid
		// serves meanwhile; with none, wait for theirs.
		if s.usable(e, bad) {
			return e.Token, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("wechat token cache: gave up after %s waiting for another node to refresh the access token", waitMax)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return "", ctx.Err()
		case <-t.C:
		}
		delay = min(delay*2, maxPoll)
	}
}

// refreshHolding runs with the lock held: it re-reads the cache (another node
// may have finished just before we locked), fetches and stores a new token.
func (s *tokenSource) refreshHolding(ctx context.Context, bad, owner string) (string, error) {
	defer s.unlock(owner)
	e, err := s.load(ctx)
	if err != nil {
		return "", err
	}
	if s.fresh(e, bad) {
		return e.Token, nil
	}
	tok, life, err := s.fetch(ctx, false)
	if err == nil && bad != "" && tok == bad {
		// The stable-token API hands back the token WeChat just rejected:
		// only a forced rotation gets a new one.
		tok, life, err = s.fetch(ctx, true)
	}
	if err != nil {
		if s.usable(e, bad) {
			// Refreshing ahead failed; the current token still has time left.
			s.log.WarnContext(ctx, "wechat access token refresh failed; keeping the current token", "key", s.key, "err", err)
			return e.Token, nil
		}
		return "", err
	}
	if tok == "" || life <= 0 {
		return "", &Error{Op: "access token", Err: fmt.Errorf("%w: empty token or lifetime", ErrMalformedResponse)}
	}
	now := s.now()
	ahead := min(refreshAhead, life/4)
	ne := tokenEntry{Token: tok, ExpiresAt: now.Add(life).UnixMilli(), RefreshAt: now.Add(life - ahead).UnixMilli()}
	raw, _ := json.Marshal(ne) // a struct of strings and ints always marshals
	if err := s.cache.Set(ctx, s.key, raw, life); err != nil {
		// The token is good; other nodes will fetch their own, which is the
		// failure the cache exists to avoid, so say so loudly.
		s.log.ErrorContext(ctx, "wechat token cache: storing the access token failed", "key", s.key, "err", err)
	}
	return tok, nil
}

// unlock releases the lock if we still own it. Get-then-Delete is not atomic:
// if our lock expired and another node took it in between, we may delete
// theirs; the cost is one extra refresh, which the token rules tolerate.
func (s *tokenSource) unlock(owner string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	v, err := s.cache.Get(ctx, s.lockKey())
	if err != nil || string(v) != owner {
		return
	}
	if err := s.cache.Delete(ctx, s.lockKey()); err != nil {
		s.log.Warn("wechat token cache: releasing the refresh lock failed; it expires on its own", "key", s.key, "err", err)
	}
}

func (s *tokenSource) load(ctx context.Context) (*tokenEntry, error) {
	raw, err := s.cache.Get(ctx, s.key)
	if err != nil {
		return nil, fmt.Errorf("wechat token cache: read: %w", err)
	}
	if raw == nil {
		return nil, nil
	}
	var e tokenEntry
	if err := json.Unmarshal(raw, &e); err != nil {
		// A corrupt entry is treated as absent and overwritten by the next refresh.
		s.log.WarnContext(ctx, "wechat token cache: unreadable entry ignored", "key", s.key, "err", err)
		return nil, nil
	}
	return &e, nil
}

// withToken runs call with the current token and, when WeChat rejects the
// token (40001, 40014, 42001), refreshes it once and retries once.
func (s *tokenSource) withToken(ctx context.Context, call func(token string) error) error {
	tok, err := s.token(ctx)
	if err != nil {
		return err
	}
	err = call(tok)
	if !IsTokenInvalid(err) {
		return err
	}
	s.log.InfoContext(ctx, "wechat access token rejected; refreshing once", "key", s.key, "errcode", ErrCodeOf(err))
	tok2, rerr := s.replace(ctx, tok)
	if rerr != nil {
		return errors.Join(err, rerr)
	}
	return call(tok2)
}
