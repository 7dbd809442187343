// Package config reads Scanboard's settings from MIS_* environment variables, validates
// them and fills in defaults that let `go run ./app/cmd/mis` work with nothing set: SQLite
// under ./data, in-memory sessions, the built-in WeChat sandbox.
package config

import (
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
)

// Config is the validated configuration.
type Config struct {
	Env         string // development or production
	Addr        string // listen address, host:port
	BaseURL     *url.URL
	DataDir     string
	DatabaseURL string // postgres://… or sqlite:PATH
	RedisURL    string // empty: in-memory storage
	// RedisPrefix namespaces every key (and pub/sub channel) this deployment writes, so one
	// Redis can serve several deployments or test runs.
	RedisPrefix string

	LogLevel  slog.Level
	LogFormat string // text or json

	SessionIdle     time.Duration
	SessionAbsolute time.Duration
	ShutdownTimeout time.Duration
	// TrustedProxies are the CIDRs whose X-Real-IP header is believed; empty means the
	// TCP peer is the client.
	TrustedProxies []netip.Prefix
	DefaultLocale  string

	// UploadMaxBytes caps one uploaded result file as sent (compressed or not).
	UploadMaxBytes int64
	// Workers is how many uploaded runs this node processes at once.
	Workers int
	// JobTimeout bounds the processing of one uploaded run; past it the run fails (FILE-11).
	JobTimeout time.Duration
	// UploadQuotaBytes and UploadQuotaFiles cap what one user's uploads may keep: the bytes
	// of their stored raw files (gzip-compressed) and their number; 0 is no limit (FILE-03).
	UploadQuotaBytes int64
	UploadQuotaFiles int

	WeChat WeChat
	Login  Login
	Admin  Admin
	// Channels are the other ways in: website QR, Mini Program, WeCom (channels.go).
	Channels Channels
}

// Admin holds the administration settings: the session cap, auto-approval, the recent
// sign-in rule for sensitive actions and the template messages of notifications.
type Admin struct {
	SessionMax        int    // concurrent sessions per user; 0: no limit
	SessionCapPolicy  string // evict_oldest or refuse_new
	AutoApprovePrereg bool   // a verified sign-in with a pre-registered phone is approved
	AutoApproveWeCom  bool   // WeCom members of our corp are approved
	RecentSignIn      time.Duration
	TemplateWaiting   string // OA template ids; empty: that notification is off
	TemplateApproved  string
	TemplateRejected  string
}

// Login holds the sign-in settings.
type Login struct {
	AttemptTTL  time.Duration
	OwnQR       bool
	AutoConfirm bool
	// OAuthProfile asks inside-WeChat sign-in for snsapi_userinfo (a consent page) so new
	// accounts carry the WeChat nickname and avatar; otherwise the silent snsapi_base.
	OAuthProfile bool
	Unsubscribe  string // flag or unbind
	PhonePolicy  string // pending, signin or off
	SMSProvider  string // sandbox or http
	SMSURL       string
	SMSToken     string
	SMSSign      string
}

// WeChat holds the Official Account credentials. With none set, the app mounts the built-in
// WeChat sandbox at /_sandbox and uses it through the real client.
type WeChat struct {
	OAAppID, OASecret string
	OAToken           string // push-message token set in the OA console
	OAAESKey          string // EncodingAESKey for safe mode; empty: plain mode
	// APIBase points every WeChat host at one base URL (a `mis sandbox` on staging);
	// empty: the real hosts, or the built-in sandbox when no credentials are set.
	APIBase string
}

// Sandbox reports whether the built-in WeChat sandbox stands in for WeChat.
func (c Config) Sandbox() bool { return c.WeChat.OAAppID == "" }

// Production reports whether the app runs in production mode, which refuses the sandbox.
func (c Config) Production() bool { return c.Env == "production" }

// SecureCookies reports whether cookies get Secure and the __Host- prefix.
func (c Config) SecureCookies() bool { return c.BaseURL.Scheme == "https" }

// Var describes one environment variable, for validation and for the README table.
type Var struct {
	Name, Default, Help string
}

// Vars lists every variable Load reads, in the order the README documents them.
var Vars = []Var{
	{"MIS_ENV", "development", "development or production (production refuses the built-in WeChat sandbox)"},
	{"MIS_ADDR", "127.0.0.1:8080", "listen address, host:port"},
	{"MIS_BASE_URL", "http://<MIS_ADDR>", "public URL for links, QR codes and cookie security (https ⇒ Secure, __Host- cookies)"},
	{"MIS_DATA_DIR", "./data", "folder for the SQLite file and stored uploads"},
	{"MIS_DATABASE_URL", "sqlite:<MIS_DATA_DIR>/scanboard.db", "postgres://user:pass@host:5432/db?sslmode=… for PostgreSQL"},
	{"MIS_REDIS_URL", "(empty: in-memory)", "redis://host:6379/0 to share sessions and login state between nodes"},
	{"MIS_REDIS_PREFIX", "mis:", "prefix of every Redis key and channel; nodes of one deployment share it"},
	{"MIS_LOG_LEVEL", "info", "debug, info, warn or error"},
	{"MIS_LOG_FORMAT", "text", "text or json"},
	{"MIS_SESSION_IDLE", "30m", "sign out after this long without a request"},
	{"MIS_SESSION_ABSOLUTE", "12h", "sign out this long after sign-in, whatever the activity"},
	{"MIS_SHUTDOWN_TIMEOUT", "15s", "how long in-flight requests may finish on SIGINT/SIGTERM"},
	{"MIS_TRUSTED_PROXIES", "(empty)", "comma-separated CIDRs of reverse proxies whose X-Real-IP is trusted"},
	{"MIS_DEFAULT_LOCALE", "zh-CN", "zh-CN or en, when neither the user nor the browser says"},
	{"MIS_UPLOAD_MAX_BYTES", "512MiB", "largest result file accepted per upload, as sent (e.g. 100MB, 2GiB); larger ones get 413"},
	{"MIS_WORKERS", "2", "result files processed at once on this node"},
	{"MIS_JOB_TIMEOUT", "30m", "longest processing of one result file; past it its run fails with that reason (a restart or crash does not count: the run is processed again)"},
	{"MIS_UPLOAD_QUOTA_BYTES", "20GiB", "per user: total size of the stored uploads (as kept on disk, gzip-compressed); an upload past it gets 403; 0: no limit"},
	{"MIS_UPLOAD_QUOTA_FILES", "10000", "per user: number of stored uploads; one more gets 403; 0: no limit (re-sending content already in the project costs nothing)"},
	{"MIS_WECHAT_OA_APPID", "(empty: built-in sandbox)", "Official Account appid; unset, the WeChat sandbox is mounted at /_sandbox"},
	{"MIS_WECHAT_OA_SECRET", "", "Official Account secret (required with the appid)"},
	{"MIS_WECHAT_OA_TOKEN", "", "push-message token from the OA console (required with the appid)"},
	{"MIS_WECHAT_OA_AES_KEY", "(empty: plain mode)", "EncodingAESKey, 43 characters, for safe-mode pushes"},
	{"MIS_WECHAT_API_BASE", "(empty: real hosts)", "one base URL for every WeChat host, e.g. a `mis sandbox` on staging"},
	{"MIS_LOGIN_ATTEMPT_TTL", "5m", "lifetime of a sign-in QR (at most 10m)"},
	{"MIS_LOGIN_OWN_QR", "false", "true: the QR opens Scanboard on the phone (OA web OAuth + confirm) instead of the OA's parameterized QR"},
	{"MIS_LOGIN_AUTO_CONFIRM", "false", "true: an OA QR scan signs in without the confirm link (weaker against QRLjacking)"},
	{"MIS_LOGIN_OAUTH_PROFILE", "false", "inside-WeChat sign-in asks for the WeChat profile (snsapi_userinfo, with a consent page) so new accounts carry the nickname; false: silent snsapi_base"},
	{"MIS_LOGIN_UNSUBSCRIBE", "flag", "what unfollowing the OA does: flag (for admin review) or unbind (remove the OA identity and the phone number proved through it)"},
	{"MIS_PHONE_POLICY", "pending", "phone binding: pending (before approval), signin (before the first session) or off"},
	{"MIS_SMS_PROVIDER", "(sandbox in development)", "sandbox (the /_sandbox phone inbox) or http (MIS_SMS_HTTP_URL)"},
	{"MIS_SMS_HTTP_URL", "", "SMS gateway endpoint for MIS_SMS_PROVIDER=http (JSON POST {phone,text,sign})"},
	{"MIS_SMS_HTTP_TOKEN", "", "bearer token for the SMS gateway"},
	{"MIS_SMS_SIGN", "Scanboard", "signature name the SMS gateway prefixes"},
	{"MIS_SESSION_MAX_PER_USER", "0", "concurrent sessions one user may have; 0: no limit"},
	{"MIS_SESSION_CAP_POLICY", "evict_oldest", "at the cap: evict_oldest (the oldest session ends) or refuse_new (the new sign-in is refused)"},
	{"MIS_AUTO_APPROVE_PREREGISTERED", "false", "true: a verified sign-in with a phone an admin pre-registered is approved without review"},
	{"MIS_AUTO_APPROVE_WECOM", "false", "true: members of the configured WeCom corp are approved without review"},
	{"MIS_ADMIN_RECENT_SIGNIN", "0", "approvals and role changes need a sign-in this recent, e.g. 15m (SESS-15); 0: off"},
	{"MIS_ADMIN_TEMPLATE_WAITING", "(sandbox: sandbox-waiting)", "OA template id sent to admins when a new user waits; empty: off"},
	{"MIS_ADMIN_TEMPLATE_APPROVED", "(sandbox: sandbox-approved)", "OA template id sent to a user when approved; empty: off"},
	{"MIS_ADMIN_TEMPLATE_REJECTED", "(sandbox: sandbox-rejected)", "OA template id sent to a user when rejected; empty: off"},
	// More ways in (issue 5): see Channels.
	{"MIS_LOGIN_QR", "auto", "QR on /login: auto (website when MIS_WECHAT_WEBSITE_APPID is set, else oa), oa, or website (the Open Platform's inline QR; the sandbox's website app in development)"},
	{"MIS_WECHAT_WEBSITE_APPID", "(empty: off; sandbox in development)", "Open Platform website app (qrconnect, snsapi_login) appid"},
	{"MIS_WECHAT_WEBSITE_SECRET", "", "Open Platform website app secret (required with its appid)"},
	{"MIS_WECHAT_MP_APPID", "(empty: off; sandbox in development)", "Mini Program appid for the /api/mp/ JSON API"},
	{"MIS_WECHAT_MP_SECRET", "", "Mini Program secret (required with its appid)"},
	{"MIS_MP_LOGIN_KEY_TTL", "168h", "lifetime of a Mini Program login key (the bearer token of /api/mp/)"},
	{"MIS_WECOM_CORPID", "(empty: off; sandbox in development)", "WeCom corp id for WeCom web login (its members skip the queue with MIS_AUTO_APPROVE_WECOM)"},
	{"MIS_WECOM_SECRET", "", "secret of the WeCom self-built app (required with the corp id)"},
	{"MIS_WECOM_AGENTID", "", "AgentID of the WeCom self-built app (required with the corp id)"},
}

// VarError is a bad value, reported as one line naming the variable.
type VarError struct {
	Name, Value, Problem string
}

func (e *VarError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("%s: %s", e.Name, e.Problem)
	}
	return fmt.Sprintf("%s=%q: %s", e.Name, e.Value, e.Problem)
}

// Load reads the configuration through getenv (os.Getenv in the app, a map in tests).
func Load(getenv func(string) string) (Config, error) {
	l := loader{getenv: getenv}
	c := Config{
		Env:             l.oneOf("MIS_ENV", "development", "development", "production"),
		Addr:            l.str("MIS_ADDR", "127.0.0.1:8080"),
		DataDir:         l.str("MIS_DATA_DIR", "data"),
		RedisURL:        l.str("MIS_REDIS_URL", ""),
		RedisPrefix:     l.str("MIS_REDIS_PREFIX", "mis:"),
		LogFormat:       l.oneOf("MIS_LOG_FORMAT", "text", "text", "json"),
		SessionIdle:     l.duration("MIS_SESSION_IDLE", 30*time.Minute),
		SessionAbsolute: l.duration("MIS_SESSION_ABSOLUTE", 12*time.Hour),
		ShutdownTimeout: l.duration("MIS_SHUTDOWN_TIMEOUT", 15*time.Second),
		DefaultLocale:   l.oneOf("MIS_DEFAULT_LOCALE", "zh-CN", "zh-CN", "en"),
	}
	switch lvl := l.oneOf("MIS_LOG_LEVEL", "info", "debug", "info", "warn", "error"); lvl {
	case "debug":
		c.LogLevel = slog.LevelDebug
	case "warn":
		c.LogLevel = slog.LevelWarn
	case "error":
		c.LogLevel = slog.LevelError
	default:
		c.LogLevel = slog.LevelInfo
	}
	if _, port, err := net.SplitHostPort(c.Addr); err != nil {
		l.fail("MIS_ADDR", c.Addr, "must be host:port, e.g. 127.0.0.1:8080 or :8080")
	} else if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		l.fail("MIS_ADDR", c.Addr, "the port must be a number from 0 to 65535")
	}
	c.BaseURL = l.baseURL(c.Addr)
	c.DatabaseURL = l.str("MIS_DATABASE_URL", "sqlite:"+filepath.Join(c.DataDir, "scanboard.db"))
	if v := c.DatabaseURL; !hasAnyPrefix(v, "postgres://", "postgresql://", "sqlite:", "file:") {
		l.fail("MIS_DATABASE_URL", redactURL(v), "must start with postgres://, postgresql://, sqlite: or file:")
	} else if strings.HasPrefix(v, "postgres") {
		if u, err := url.Parse(v); err != nil || u.Host == "" {
			l.fail("MIS_DATABASE_URL", redactURL(v), "is not a valid PostgreSQL URL (postgres://user:pass@host:5432/db)")
		}
	}
	if v := c.RedisURL; v != "" {
		if u, err := url.Parse(v); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
			l.fail("MIS_REDIS_URL", redactURL(v), "must be redis://host:port/db or rediss://…")
		}
	}
	if strings.ContainsAny(c.RedisPrefix, " \t\r\n*?[]") {
		l.fail("MIS_REDIS_PREFIX", c.RedisPrefix, "must not contain spaces or glob characters")
	}
	if c.SessionIdle <= 0 {
		l.fail("MIS_SESSION_IDLE", l.getenv("MIS_SESSION_IDLE"), "must be positive")
	}
	if c.SessionAbsolute < c.SessionIdle {
		l.fail("MIS_SESSION_ABSOLUTE", l.getenv("MIS_SESSION_ABSOLUTE"), "must be at least MIS_SESSION_IDLE")
	}
	c.TrustedProxies = l.prefixes("MIS_TRUSTED_PROXIES")
	c.UploadMaxBytes = l.bytes("MIS_UPLOAD_MAX_BYTES", 512<<20)
	c.Workers = l.count("MIS_WORKERS", 2, 1, 256)
	c.JobTimeout = l.duration("MIS_JOB_TIMEOUT", 30*time.Minute)
	if c.JobTimeout <= 0 {
		l.fail("MIS_JOB_TIMEOUT", l.getenv("MIS_JOB_TIMEOUT"), "must be positive, e.g. 30m or 2h")
	}
	c.UploadQuotaBytes = l.bytesOrOff("MIS_UPLOAD_QUOTA_BYTES", 20<<30)
	c.UploadQuotaFiles = l.count("MIS_UPLOAD_QUOTA_FILES", 10_000, 0, math.MaxInt32)
	c.WeChat = WeChat{
		OAAppID:  l.str("MIS_WECHAT_OA_APPID", ""),
		OASecret: l.str("MIS_WECHAT_OA_SECRET", ""),
		OAToken:  l.str("MIS_WECHAT_OA_TOKEN", ""),
		OAAESKey: l.str("MIS_WECHAT_OA_AES_KEY", ""),
		APIBase:  strings.TrimRight(l.str("MIS_WECHAT_API_BASE", ""), "/"),
	}
	switch w := c.WeChat; {
	case w.OAAppID != "" && w.OASecret == "":
		l.fail("MIS_WECHAT_OA_SECRET", "", "is required when MIS_WECHAT_OA_APPID is set")
	case w.OAAppID != "" && w.OAToken == "":
		l.fail("MIS_WECHAT_OA_TOKEN", "", "is required when MIS_WECHAT_OA_APPID is set")
	case w.OAAESKey != "" && len(w.OAAESKey) != 43:
		l.fail("MIS_WECHAT_OA_AES_KEY", "", "must be the 43-character EncodingAESKey from the OA console")
	case w.APIBase != "":
		if u, err := url.Parse(w.APIBase); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			l.fail("MIS_WECHAT_API_BASE", w.APIBase, "must be an absolute http:// or https:// URL")
		}
	}
	c.Login = Login{
		AttemptTTL:   l.duration("MIS_LOGIN_ATTEMPT_TTL", 5*time.Minute),
		OwnQR:        l.oneOf("MIS_LOGIN_OWN_QR", "false", "true", "false") == "true",
		AutoConfirm:  l.oneOf("MIS_LOGIN_AUTO_CONFIRM", "false", "true", "false") == "true",
		OAuthProfile: l.oneOf("MIS_LOGIN_OAUTH_PROFILE", "false", "true", "false") == "true",
		Unsubscribe:  l.oneOf("MIS_LOGIN_UNSUBSCRIBE", "flag", "flag", "unbind"),
		PhonePolicy:  l.oneOf("MIS_PHONE_POLICY", "pending", "pending", "signin", "off"),
		SMSURL:       l.str("MIS_SMS_HTTP_URL", ""),
		SMSToken:     l.str("MIS_SMS_HTTP_TOKEN", ""),
		SMSSign:      l.str("MIS_SMS_SIGN", "Scanboard"),
	}
	defSMS := "http"
	if c.Sandbox() {
		defSMS = "sandbox"
	}
	c.Login.SMSProvider = l.oneOf("MIS_SMS_PROVIDER", defSMS, "sandbox", "http")
	if c.Login.AttemptTTL <= 0 || c.Login.AttemptTTL > 10*time.Minute {
		l.fail("MIS_LOGIN_ATTEMPT_TTL", l.getenv("MIS_LOGIN_ATTEMPT_TTL"), "must be more than 0 and at most 10m")
	}
	tpl := func(name, sandboxDefault string) string {
		if c.Sandbox() {
			return l.str(name, sandboxDefault)
		}
		return l.str(name, "")
	}
	c.Admin = Admin{
		SessionMax:        l.count("MIS_SESSION_MAX_PER_USER", 0, 0, 1000),
		SessionCapPolicy:  l.oneOf("MIS_SESSION_CAP_POLICY", "evict_oldest", "evict_oldest", "refuse_new"),
		AutoApprovePrereg: l.oneOf("MIS_AUTO_APPROVE_PREREGISTERED", "false", "true", "false") == "true",
		AutoApproveWeCom:  l.oneOf("MIS_AUTO_APPROVE_WECOM", "false", "true", "false") == "true",
		RecentSignIn:      l.duration("MIS_ADMIN_RECENT_SIGNIN", 0),
		TemplateWaiting:   tpl("MIS_ADMIN_TEMPLATE_WAITING", "sandbox-waiting"),
		TemplateApproved:  tpl("MIS_ADMIN_TEMPLATE_APPROVED", "sandbox-approved"),
		TemplateRejected:  tpl("MIS_ADMIN_TEMPLATE_REJECTED", "sandbox-rejected"),
	}
	if c.Admin.RecentSignIn < 0 {
		l.fail("MIS_ADMIN_RECENT_SIGNIN", l.getenv("MIS_ADMIN_RECENT_SIGNIN"), "must be 0 (off) or positive")
	}
	if c.Production() && c.Sandbox() {
		l.fail("MIS_WECHAT_OA_APPID", "", "is required when MIS_ENV=production: the built-in WeChat sandbox is for development only")
	}
	if c.Production() && c.BaseURL != nil && c.BaseURL.Scheme != "https" {
		l.fail("MIS_BASE_URL", c.BaseURL.String(), "must be https:// when MIS_ENV=production")
	}
	if c.Login.SMSProvider == "http" && c.Login.PhonePolicy != "off" && c.Login.SMSURL == "" {
		l.fail("MIS_SMS_HTTP_URL", "", "is required when MIS_SMS_PROVIDER=http and MIS_PHONE_POLICY is not off")
	}
	if c.Login.SMSProvider == "sandbox" && !c.Sandbox() {
		l.fail("MIS_SMS_PROVIDER", "sandbox", "the sandbox SMS inbox exists only with the built-in WeChat sandbox")
	}
	c.Channels = l.channels(c.Sandbox())
	if l.err != nil {
		return Config{}, l.err
	}
	return c, nil
}

type loader struct {
	getenv func(string) string
	err    error // the first problem; one clear line beats a list
}

func (l *loader) fail(name, value, problem string) {
	if l.err == nil {
		l.err = &VarError{Name: name, Value: value, Problem: problem}
	}
}

func (l *loader) str(name, def string) string {
	if v := strings.TrimSpace(l.getenv(name)); v != "" {
		return v
	}
	return def
}

func (l *loader) oneOf(name, def string, allowed ...string) string {
	v := l.str(name, def)
	for _, a := range allowed {
		if strings.EqualFold(v, a) {
			return a
		}
	}
	l.fail(name, v, "must be one of "+strings.Join(allowed, ", "))
	return def
}

func (l *loader) duration(name string, def time.Duration) time.Duration {
	v := l.str(name, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		l.fail(name, v, "must be a duration such as 30m, 12h or 90s")
		return def
	}
	return d
}

func (l *loader) bytes(name string, def int64) int64 {
	v := l.str(name, "")
	if v == "" {
		return def
	}
	n, err := humanize.ParseBytes(v)
	if err != nil || n == 0 || n > math.MaxInt64 {
		l.fail(name, v, "must be a size such as 512MiB, 100MB or 1073741824")
		return def
	}
	return int64(n)
}

// bytesOrOff is bytes where 0 means "no limit".
func (l *loader) bytesOrOff(name string, def int64) int64 {
	if n, err := humanize.ParseBytes(l.str(name, "")); err == nil && n == 0 {
		return 0
	}
	return l.bytes(name, def)
}

func (l *loader) count(name string, def, lo, hi int) int {
	v := l.str(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		l.fail(name, v, fmt.Sprintf("must be a whole number from %d to %d", lo, hi))
		return def
	}
	return n
}

func (l *loader) baseURL(addr string) *url.URL {
	v := l.str("MIS_BASE_URL", "")
	if v == "" {
		host, port, _ := net.SplitHostPort(addr)
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "127.0.0.1"
		}
		v = "http://" + net.JoinHostPort(host, port)
	}
	u, err := url.Parse(strings.TrimRight(v, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		l.fail("MIS_BASE_URL", v, "must be an absolute http:// or https:// URL")
		return &url.URL{Scheme: "http", Host: "127.0.0.1"}
	}
	if u.RawQuery != "" || u.Fragment != "" {
		l.fail("MIS_BASE_URL", v, "must not have a query or fragment")
	}
	return u
}

func (l *loader) prefixes(name string) []netip.Prefix {
	v := l.str(name, "")
	if v == "" {
		return nil
	}
	var out []netip.Prefix
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if !strings.Contains(part, "/") {
			if a, err := netip.ParseAddr(part); err == nil {
				out = append(out, netip.PrefixFrom(a, a.BitLen()))
				continue
			}
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			l.fail(name, v, fmt.Sprintf("%q is not an IP address or CIDR", part))
			return nil
		}
		out = append(out, p.Masked())
	}
	return out
}

func hasAnyPrefix(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// redactURL hides a password before a value is echoed in an error message.
func redactURL(v string) string {
	u, err := url.Parse(v)
	if err != nil {
		if at := strings.LastIndexByte(v, '@'); at > 0 {
			return "…" + v[at:]
		}
		return v
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	return u.String()
}
