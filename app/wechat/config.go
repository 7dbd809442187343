package wechat

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// DefaultTimeout bounds every HTTP call when Config.HTTPClient is nil.
// WeChat's APIs answer in well under a second; 10 s leaves room for a slow network.
const DefaultTimeout = 10 * time.Second

// Config configures a Client for one WeChat application (one appid): a website
// app, an Official Account or a Mini Program.
type Config struct {
	// AppID is the application's appid ("wx…").
	AppID string
	// Secret is the AppSecret. Never logged: String and LogValue redact it.
	Secret string
	// StableToken makes the app access token come from cgi-bin/stable_token
	// instead of cgi-bin/token (recommended when several systems share the appid).
	StableToken bool
	// Endpoints overrides WeChat's hosts; empty fields mean the real host.
	Endpoints Endpoints
	// HTTPClient sends the requests; nil means a client with DefaultTimeout.
	HTTPClient *http.Client
	// Logger receives one debug line per call (never secrets or codes); nil discards.
	Logger *slog.Logger
	// Cache stores the app access token for all nodes; nil means a MemoryCache
	// private to this Client (fine for one node, wrong for several).
	Cache Cache
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// String redacts the secret, so a Config printed by mistake leaks nothing.
func (c Config) String() string {
	return fmt.Sprintf("wechat.Config{AppID:%s Secret:%s StableToken:%t API:%s}",
		c.AppID, redact(c.Secret), c.StableToken, c.Endpoints.API)
}

// LogValue redacts the secret in structured logs.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("appid", c.AppID),
		slog.String("secret", redact(c.Secret)),
		slog.Bool("stable_token", c.StableToken),
		slog.String("api", c.Endpoints.API),
	)
}

// WorkConfig configures a WorkClient for one WeCom self-built application.
type WorkConfig struct {
	// CorpID is the company id ("ww…").
	CorpID string
	// CorpSecret is the application's secret. Never logged.
	CorpSecret string
	// AgentID is the application's agent id, required by the login pages.
	AgentID string
	// Endpoints overrides WeChat's hosts; empty fields mean the real host.
	Endpoints Endpoints
	// HTTPClient sends the requests; nil means a client with DefaultTimeout.
	HTTPClient *http.Client
	// Logger receives one debug line per call; nil discards.
	Logger *slog.Logger
	// Cache stores the access token for all nodes; nil means a process-local MemoryCache.
	Cache Cache
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// String redacts the secret.
func (c WorkConfig) String() string {
	return fmt.Sprintf("wechat.WorkConfig{CorpID:%s CorpSecret:%s AgentID:%s QYAPI:%s}",
		c.CorpID, redact(c.CorpSecret), c.AgentID, c.Endpoints.QYAPI)
}

// LogValue redacts the secret in structured logs.
func (c WorkConfig) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("corpid", c.CorpID),
		slog.String("corpsecret", redact(c.CorpSecret)),
		slog.String("agentid", c.AgentID),
		slog.String("qyapi", c.Endpoints.QYAPI),
	)
}

// redact shows whether a secret is set without showing any of it.
func redact(s string) string {
	if s == "" {
		return "(unset)"
	}
	return "[REDACTED]"
}
