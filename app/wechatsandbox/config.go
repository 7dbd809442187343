package wechatsandbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// PushMode is how the Official Account's event pushes are encoded.
type PushMode string

// Push modes as configured in the OA backend: plaintext, compatible (plaintext and
// ciphertext side by side) and safe (ciphertext only).
const (
	PushPlain      PushMode = "plain"
	PushCompatible PushMode = "compatible"
	PushSafe       PushMode = "safe"
)

// OfficialAccount is the Official Account (公众号) the sandbox emulates.
type OfficialAccount struct {
	AppID      string
	Secret     string
	OriginalID string // gh_… id sent as ToUserName in pushes
	Name       string
	// PushURL receives event pushes; empty disables pushing.
	PushURL        string
	Token          string
	EncodingAESKey string
	Mode           PushMode
	// OAuthDomain, when set, is the only host accepted in web-OAuth redirect_uri (10003 otherwise).
	OAuthDomain string
	// UnionID says whether the OA is bound to the Open Platform account (unionid returned).
	UnionID bool
}

// WebsiteApp is an Open Platform website application (qrconnect, snsapi_login).
type WebsiteApp struct {
	AppID  string
	Secret string
	Name   string
	// RedirectDomain, when set, must equal the redirect_uri host ("redirect_uri 参数错误" otherwise).
	RedirectDomain string
}

// MiniProgram is a Mini Program (小程序).
type MiniProgram struct {
	AppID   string
	Secret  string
	Name    string
	UnionID bool
}

// WeComCorp is a WeCom (企业微信) corporation with one self-built app used for web login.
type WeComCorp struct {
	CorpID  string
	Secret  string
	AgentID string
	Name    string
	// RedirectDomain, when set, is the trusted callback domain (50001 on getuserinfo otherwise).
	RedirectDomain string
}

// Settings holds the behaviours the spec marks unconfirmed ([U]) plus lifetimes and limits.
// Every field has a default from the spec; zero values are replaced by DefaultSettings.
type Settings struct {
	WebsiteCodeTTL time.Duration // 10 min
	OAuthCodeTTL   time.Duration // 5 min (OA web auth)
	JSCodeTTL      time.Duration // 5 min [U]
	PhoneCodeTTL   time.Duration // 5 min
	WeComCodeTTL   time.Duration // 5 min
	UserTokenTTL   time.Duration // 7200 s
	RefreshTTL     time.Duration // 30 days
	AppTokenTTL    time.Duration // 7200 s
	// TokenOverlap is how long the previous /cgi-bin/token stays valid after a new one is issued.
	TokenOverlap time.Duration // 5 min
	// StableRotateBefore: stable_token rotates this long before expiry.
	StableRotateBefore time.Duration // 5 min
	StableForceMinGap  time.Duration // 30 s
	StableForcePerDay  int           // 20
	// TokenDailyQuota caps /cgi-bin/token calls per app per day (45009); -1 disables.
	TokenDailyQuota int // 2000
	// IPWhitelist, when non-empty, restricts /cgi-bin/token and stable_token callers (40164).
	IPWhitelist []string
	// ExpiredCodeErrcode is returned for an expired code: 40029 (observed) or 42003 (documented). [U]
	ExpiredCodeErrcode int
	// DefaultQRExpire applies when qrcode/create omits expire_seconds (60 s current doc, 30 s older). [U]
	DefaultQRExpire time.Duration
	MaxQRExpire     time.Duration // 2592000 s
	// PushTimeout is how long WeChat waits for the developer server.
	PushTimeout time.Duration // 5 s
	// PushAttempts is the total number of deliveries of one event (3 total vs 1+3 is [U]).
	PushAttempts int // 3
	// PushRetryDelay is the pause between attempts (besides the timeout itself). [U]
	PushRetryDelay time.Duration
	// RetryOnHTTPError retries on a non-2xx reply too, not only on a timeout or transport error. [U]
	RetryOnHTTPError *bool
	// SafeModeAcceptsSuccess: a bare "success" reply counts as an acknowledgement in safe mode. [U]
	SafeModeAcceptsSuccess *bool
	// SnapshotUserinfo48001: /sns/userinfo with a snapshot user's token answers 48001. [U]
	SnapshotUserinfo48001 *bool
	// SilentUserinfoForFollowers skips the consent page for followers asking snsapi_userinfo. [U]
	SilentUserinfoForFollowers bool
	// RotateSessionKeyOnLogin gives a Mini Program user a new session_key on every new js_code. [U]
	RotateSessionKeyOnLogin bool
	// RequireWeChatBrowser makes oauth2/authorize refuse ("请在微信客户端打开链接") browsers
	// without MicroMessenger in the User-Agent, as WeChat does. Off by default so a desktop
	// browser with a sandbox phone user chosen can act as WeChat's webview.
	RequireWeChatBrowser *bool
	// LoginQRTTL is how long a website/WeCom QR login page stays scannable. [U]
	LoginQRTTL time.Duration // 5 min
	// WebsiteDenyRedirect: a user refusing a website QR login is sent to redirect_uri?state=…
	// (old doc) instead of staying on the QR page (current doc). [U]
	WebsiteDenyRedirect *bool
	// LongPollTimeout bounds one /connect/l/qrconnect wait before it answers 408.
	LongPollTimeout time.Duration // 25 s
	// Caps keep memory bounded: the oldest entries are dropped first.
	MaxUsers, MaxCodes, MaxTokens, MaxTickets, MaxPushes, MaxMessages, MaxAttempts int
	// MaxBody bounds every request and push-reply body the sandbox reads.
	MaxBody int64 // 64 KiB
}

// DefaultSettings returns the spec's defaults.
func DefaultSettings() Settings {
	yes, no := true, false
	return Settings{
		WebsiteCodeTTL:         10 * time.Minute,
		OAuthCodeTTL:           5 * time.Minute,
		JSCodeTTL:              5 * time.Minute,
		PhoneCodeTTL:           5 * time.Minute,
		WeComCodeTTL:           5 * time.Minute,
		UserTokenTTL:           7200 * time.Second,
		RefreshTTL:             30 * 24 * time.Hour,
		AppTokenTTL:            7200 * time.Second,
		TokenOverlap:           5 * time.Minute,
		StableRotateBefore:     5 * time.Minute,
		StableForceMinGap:      30 * time.Second,
		StableForcePerDay:      20,
		TokenDailyQuota:        2000,
		ExpiredCodeErrcode:     40029,
		DefaultQRExpire:        60 * time.Second,
		MaxQRExpire:            2592000 * time.Second,
		PushTimeout:            5 * time.Second,
		PushAttempts:           3,
		RetryOnHTTPError:       &yes,
		SafeModeAcceptsSuccess: &yes,
		SnapshotUserinfo48001:  &yes,
		RequireWeChatBrowser:   &no,
		LongPollTimeout:        25 * time.Second,
		LoginQRTTL:             5 * time.Minute,
		WebsiteDenyRedirect:    &yes,
		MaxUsers:               1000,
		MaxCodes:               10000,
		MaxTokens:              10000,
		MaxTickets:             10000,
		MaxPushes:              1000,
		MaxMessages:            200,
		MaxAttempts:            1000,
		MaxBody:                64 << 10,
	}
}

// withDefaults fills zero fields of s from DefaultSettings.
func (s Settings) withDefaults() Settings {
	d := DefaultSettings()
	durs := []struct{ v, def *time.Duration }{
		{&s.WebsiteCodeTTL, &d.WebsiteCodeTTL}, {&s.OAuthCodeTTL, &d.OAuthCodeTTL},
		{&s.JSCodeTTL, &d.JSCodeTTL}, {&s.PhoneCodeTTL, &d.PhoneCodeTTL},
		{&s.WeComCodeTTL, &d.WeComCodeTTL}, {&s.UserTokenTTL, &d.UserTokenTTL},
		{&s.RefreshTTL, &d.RefreshTTL}, {&s.AppTokenTTL, &d.AppTokenTTL},
		{&s.TokenOverlap, &d.TokenOverlap}, {&s.StableRotateBefore, &d.StableRotateBefore},
		{&s.StableForceMinGap, &d.StableForceMinGap}, {&s.DefaultQRExpire, &d.DefaultQRExpire},
		{&s.MaxQRExpire, &d.MaxQRExpire}, {&s.PushTimeout, &d.PushTimeout},
		{&s.LongPollTimeout, &d.LongPollTimeout}, {&s.LoginQRTTL, &d.LoginQRTTL},
	}
	for _, x := range durs {
		if *x.v == 0 {
			*x.v = *x.def
		}
	}
	ints := []struct{ v, def *int }{
		{&s.StableForcePerDay, &d.StableForcePerDay}, {&s.TokenDailyQuota, &d.TokenDailyQuota},
		{&s.ExpiredCodeErrcode, &d.ExpiredCodeErrcode}, {&s.PushAttempts, &d.PushAttempts},
		{&s.MaxUsers, &d.MaxUsers}, {&s.MaxCodes, &d.MaxCodes}, {&s.MaxTokens, &d.MaxTokens},
		{&s.MaxTickets, &d.MaxTickets}, {&s.MaxPushes, &d.MaxPushes},
		{&s.MaxMessages, &d.MaxMessages}, {&s.MaxAttempts, &d.MaxAttempts},
	}
	for _, x := range ints {
		if *x.v == 0 {
			*x.v = *x.def
		}
	}
	if s.MaxBody == 0 {
		s.MaxBody = d.MaxBody
	}
	bools := []struct {
		v   *(*bool)
		def *bool
	}{
		{&s.RetryOnHTTPError, d.RetryOnHTTPError}, {&s.SafeModeAcceptsSuccess, d.SafeModeAcceptsSuccess},
		{&s.SnapshotUserinfo48001, d.SnapshotUserinfo48001}, {&s.RequireWeChatBrowser, d.RequireWeChatBrowser},
		{&s.WebsiteDenyRedirect, d.WebsiteDenyRedirect},
	}
	for _, x := range bools {
		if *x.v == nil {
			*x.v = x.def
		}
	}
	return s
}

// Config configures a Sandbox. Build one with DevConfig and adjust.
type Config struct {
	// BasePath is the prefix every request path starts with, e.g. "/_sandbox" ("" for the root).
	BasePath string
	// PublicURL is the sandbox's absolute URL as browsers and phones reach it (QR contents, links).
	PublicURL string
	OA        OfficialAccount
	Website   WebsiteApp
	Mini      MiniProgram
	WeCom     WeComCorp
	// Templates lists the template ids template/send accepts; empty accepts any id.
	Templates []string
	Settings  Settings
	// Now is the clock; nil means time.Now. The control API can move it forward on top.
	Now func() time.Time
	// Sleep waits for injected latency; nil means a context-aware timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// HTTPClient sends event pushes; nil means a client with no global timeout
	// (each attempt gets Settings.PushTimeout).
	HTTPClient *http.Client
	Logger     *slog.Logger
	// Nonce returns the CSP nonce for a page request. nil: templ's nonce in the request context;
	// when that is empty too, the sandbox makes its own nonce and sets its own CSP header.
	Nonce func(r *http.Request) string
}

// DevConfig returns a development configuration: one OA (safe mode), a website app, a Mini
// Program and a WeCom corp with fixed, obviously fake credentials, pushing to pushURL.
func DevConfig(publicURL, pushURL string) Config {
	return Config{
		BasePath:  basePathOf(publicURL),
		PublicURL: publicURL,
		OA: OfficialAccount{
			AppID: "wx5a0d5b0c0a0e0001", Secret: "sandbox-oa-secret-0000000000000001",
			OriginalID: "gh_5a0d5b0c0a01", Name: "Scanboard 沙箱公众号",
			PushURL: pushURL, Token: "sandboxtoken",
			EncodingAESKey: "c2FuZGJveHNhbmRib3hzYW5kYm94c2FuZGJveHNhbmQ",
			Mode:           PushSafe, UnionID: true,
		},
		Website:  WebsiteApp{AppID: "wx5a0d5b0c0a0e0002", Secret: "sandbox-web-secret-000000000000002", Name: "Scanboard"},
		Mini:     MiniProgram{AppID: "wx5a0d5b0c0a0e0003", Secret: "sandbox-mp-secret-0000000000000003", Name: "Scanboard 小程序", UnionID: true},
		WeCom:    WeComCorp{CorpID: "ww5a0d5b0c0a0e0004", Secret: "sandbox-wecom-secret-00000000000004", AgentID: "1000002", Name: "Scanboard 企业"},
		Settings: DefaultSettings(),
	}
}

// basePathOf returns the path of an absolute URL without a trailing slash.
func basePathOf(publicURL string) string {
	u, err := url.Parse(publicURL)
	if err != nil {
		return ""
	}
	return strings.TrimRight(u.Path, "/")
}

// validate checks what would make the sandbox misbehave silently.
func (c Config) validate() error {
	var errs []error
	if c.BasePath != "" && (!strings.HasPrefix(c.BasePath, "/") || strings.HasSuffix(c.BasePath, "/")) {
		errs = append(errs, fmt.Errorf("BasePath %q must start with / and not end with /", c.BasePath))
	}
	u, err := url.Parse(c.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("PublicURL %q must be an absolute http(s) URL", c.PublicURL))
	}
	if c.OA.AppID == "" || c.OA.Secret == "" {
		errs = append(errs, errors.New("OA needs an AppID and a Secret"))
	}
	if c.OA.EncodingAESKey != "" {
		if _, err := aesKey(c.OA.EncodingAESKey); err != nil {
			errs = append(errs, fmt.Errorf("OA.EncodingAESKey: %w", err))
		}
	}
	if c.OA.Mode != PushPlain && c.OA.Mode != PushCompatible && c.OA.Mode != PushSafe {
		errs = append(errs, fmt.Errorf("OA.Mode %q: want plain, compatible or safe", c.OA.Mode))
	}
	if c.OA.Mode != PushPlain && c.OA.EncodingAESKey == "" {
		errs = append(errs, fmt.Errorf("OA.Mode %s needs an EncodingAESKey", c.OA.Mode))
	}
	if c.OA.PushURL != "" && c.OA.Token == "" {
		errs = append(errs, errors.New("OA.PushURL is set but OA.Token is empty"))
	}
	return errors.Join(errs...)
}
