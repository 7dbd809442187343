package wechat

import (
	"context"
	"fmt"
	"net/url"
	"time"
)

// Client calls WeChat on behalf of one application (one appid): a website app,
// an Official Account or a Mini Program. It is safe for concurrent use.
type Client struct {
	appID  string
	secret string
	stable bool
	t      transport
	tokens *tokenSource
}

// New returns a Client for cfg. AppID is required; Secret is required by every
// server-side call but not by the URL builders.
func New(cfg Config) (*Client, error) {
	if cfg.AppID == "" {
		return nil, fmt.Errorf("%w: wechat.Config.AppID is empty", ErrInvalidArgument)
	}
	c := &Client{
		appID:  cfg.AppID,
		secret: cfg.Secret,
		stable: cfg.StableToken,
		t:      newTransport(cfg.HTTPClient, cfg.Endpoints, cfg.Logger, cfg.Now),
	}
	cache := cfg.Cache
	if cache == nil {
		cache = NewMemoryCache()
	}
	kind := "token"
	if cfg.StableToken {
		// Stable and ordinary tokens are independent at WeChat; keep them apart here too.
		kind = "stable_token"
	}
	c.tokens = &tokenSource{
		cache: cache,
		key:   "wechat:" + kind + ":" + cfg.AppID,
		fetch: c.fetchAppToken,
		now:   c.t.now,
		log:   c.t.log,
	}
	return c, nil
}

// AppID returns the application's appid.
func (c *Client) AppID() string { return c.appID }

// Endpoints returns the base URLs in use.
func (c *Client) Endpoints() Endpoints { return c.t.ep }

// AccessToken returns the app access token (not a user's OAuth token) from the
// shared cache, fetching it when missing or due for refresh.
func (c *Client) AccessToken(ctx context.Context) (string, error) {
	return c.tokens.token(ctx)
}

// RefreshAccessToken is for callers that saw WeChat reject token outside this
// client: it fetches a new token unless another node already replaced it.
func (c *Client) RefreshAccessToken(ctx context.Context, rejected string) (string, error) {
	return c.tokens.replace(ctx, rejected)
}

// AppToken is the answer of cgi-bin/token and cgi-bin/stable_token.
type AppToken struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
}

// FetchAccessToken calls cgi-bin/token directly, bypassing the shared cache.
// Every call invalidates the previous token after five minutes, for every
// node: use AccessToken instead unless you are testing the endpoint.
func (c *Client) FetchAccessToken(ctx context.Context) (*AppToken, error) {
	q := url.Values{"grant_type": {"client_credential"}, "appid": {c.appID}, "secret": {c.secret}}
	return getJSON(ctx, &c.t, "cgi-bin/token", c.t.ep.API, "/cgi-bin/token", q, decodeInto[AppToken])
}

// FetchStableAccessToken calls cgi-bin/stable_token directly, bypassing the
// shared cache. forceRefresh rotates the token at once (WeChat allows it 20
// times a day, 30 s apart).
func (c *Client) FetchStableAccessToken(ctx context.Context, forceRefresh bool) (*AppToken, error) {
	in := struct {
		GrantType    string `json:"grant_type"`
		AppID        string `json:"appid"`
		Secret       string `json:"secret"`
		ForceRefresh bool   `json:"force_refresh"`
	}{"client_credential", c.appID, c.secret, forceRefresh}
	return postJSON(ctx, &c.t, "cgi-bin/stable_token", c.t.ep.API, "/cgi-bin/stable_token", nil, in, decodeInto[AppToken])
}

func (c *Client) fetchAppToken(ctx context.Context, force bool) (string, time.Duration, error) {
	var (
		t   *AppToken
		err error
	)
	if c.stable {
		t, err = c.FetchStableAccessToken(ctx, force)
	} else {
		t, err = c.FetchAccessToken(ctx)
	}
	if err != nil {
		return "", 0, err
	}
	return t.AccessToken, time.Duration(t.ExpiresIn) * time.Second, nil
}

// withToken runs call with the app access token, refreshing once and retrying
// once if WeChat rejects the token.
func (c *Client) withToken(ctx context.Context, call func(q url.Values) error) error {
	return c.tokens.withToken(ctx, func(tok string) error {
		return call(url.Values{"access_token": {tok}})
	})
}
