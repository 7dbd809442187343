// Package wechatsandbox emulates WeChat's servers (Open Platform, Official Account, Mini
// Program, WeCom) behind one http.Handler, with a simulated phone and a JSON control API, so
// every sign-in flow can be built and tested through the real client without reaching WeChat.
//
// All state lives in memory, bounded by Settings caps, and is guarded by one mutex.
package wechatsandbox

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

//go:embed static
var staticFS embed.FS

// Sandbox is the emulator. It is an http.Handler for full request paths under Config.BasePath.
type Sandbox struct {
	cfg    Config
	set    Settings
	log    *slog.Logger
	public string // PublicURL without a trailing slash
	mux    *http.ServeMux
	client *http.Client
	sleep  func(context.Context, time.Duration) error
	sms    *SMSInbox

	mu      sync.Mutex
	offset  time.Duration // added to the clock by /api/clock/advance
	changed chan struct{} // closed and replaced on every state change, for long-polls

	users     *bounded[string, *person] // by person id
	openids   map[string]openidRef      // openid → person and app
	codes     *bounded[string, *authCode]
	userTok   *bounded[string, *userToken] // by access_token
	refresh   *bounded[string, *userToken] // by refresh_token
	appTok    *bounded[string, *appToken]  // by token string (cgi-bin/token, stable, WeCom)
	latest    map[string]string            // appid → newest /cgi-bin/token (or WeCom gettoken) token
	quota     map[string]*dayCount         // appid → /cgi-bin/token calls today
	stable    map[string]*stableState      // appid → stable_token state
	tickets   *bounded[string, *qrTicket]  // by ticket string
	ticketIDs map[string]string            // short id in the QR url → ticket
	attempts  *bounded[string, *loginAttempt]
	pushes    *bounded[string, *Push]
	faults    []*Fault
	pushFault PushFaults
	seq       int64
}

// New checks cfg, fills defaults and returns a ready sandbox.
func New(cfg Config) (*Sandbox, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("wechatsandbox: invalid config: %w", err)
	}
	cfg.Settings = cfg.Settings.withDefaults()
	if cfg.OA.OriginalID == "" {
		cfg.OA.OriginalID = "gh_" + hex.EncodeToString([]byte(cfg.OA.AppID))[:12]
	}
	s := &Sandbox{
		cfg:       cfg,
		set:       cfg.Settings,
		log:       cfg.Logger,
		public:    strings.TrimRight(cfg.PublicURL, "/"),
		client:    cfg.HTTPClient,
		sleep:     cfg.Sleep,
		changed:   make(chan struct{}),
		openids:   make(map[string]openidRef),
		latest:    make(map[string]string),
		quota:     make(map[string]*dayCount),
		stable:    make(map[string]*stableState),
		ticketIDs: make(map[string]string),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.client == nil {
		s.client = &http.Client{}
	}
	if s.sleep == nil {
		s.sleep = sleepCtx
	}
	if s.cfg.Now == nil {
		s.cfg.Now = time.Now
	}
	st := s.set
	s.users = newBounded[string, *person](st.MaxUsers)
	s.users.onEvict = func(_ string, p *person) { s.forgetPerson(p) }
	s.codes = newBounded[string, *authCode](st.MaxCodes)
	s.userTok = newBounded[string, *userToken](st.MaxTokens)
	s.refresh = newBounded[string, *userToken](st.MaxTokens)
	s.appTok = newBounded[string, *appToken](st.MaxTokens)
	s.tickets = newBounded[string, *qrTicket](st.MaxTickets)
	s.tickets.onEvict = func(_ string, t *qrTicket) { delete(s.ticketIDs, t.id) }
	s.attempts = newBounded[string, *loginAttempt](st.MaxAttempts)
	s.pushes = newBounded[string, *Push](st.MaxPushes)
	s.sms = newSMSInbox(st.MaxMessages, s.now)
	s.mux = s.routes()
	return s, nil
}

// ServeHTTP strips BasePath, applies injected faults to WeChat endpoints and dispatches.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if s.cfg.BasePath != "" {
		if p != s.cfg.BasePath && !strings.HasPrefix(p, s.cfg.BasePath+"/") {
			http.NotFound(w, r)
			return
		}
		p = strings.TrimPrefix(p, s.cfg.BasePath)
	}
	if p == "" {
		p = "/"
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path = p
	r2.URL.RawPath = ""
	if r2.Body != nil {
		r2.Body = http.MaxBytesReader(w, r2.Body, s.set.MaxBody)
	}
	if isWeChatAPI(p) && s.applyFault(w, r2, p) {
		return
	}
	s.mux.ServeHTTP(w, r2)
}

// SMS returns the sandbox SMS inbox the app's development SMS sender delivers into.
func (s *Sandbox) SMS() *SMSInbox { return s.sms }

// URL returns the public absolute URL of a sandbox path such as "/phone".
func (s *Sandbox) URL(path string) string { return s.public + path }

// now is the injected clock plus any offset set through the control API.
func (s *Sandbox) now() time.Time {
	s.mu.Lock()
	off := s.offset
	s.mu.Unlock()
	return s.cfg.Now().Add(off)
}

// nowLocked is now for callers that already hold s.mu.
func (s *Sandbox) nowLocked() time.Time { return s.cfg.Now().Add(s.offset) }

// notifyLocked wakes every long-poll waiting for a state change. Callers hold s.mu.
func (s *Sandbox) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("wechatsandbox: crypto/rand failed: " + err.Error())
	}
	return b
}

// randToken returns n random bytes encoded URL-safe without padding.
func randToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("wechatsandbox: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// randAlnum returns n characters from [0-9A-Za-z]; WeChat ids and codes look like this.
func randAlnum(n int) string {
	const chars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("wechatsandbox: crypto/rand failed: " + err.Error())
	}
	for i := range b {
		b[i] = chars[int(b[i])%len(chars)]
	}
	return string(b)
}

// randDigits returns n decimal digits (nonces and echostr are numeric strings).
func randDigits(n int) string {
	b := randBytes(n)
	for i := range b {
		b[i] = '0' + b[i]%10
	}
	return string(b)
}

func randHex(n int) string {
	b := make([]byte, (n+1)/2)
	if _, err := rand.Read(b); err != nil {
		panic("wechatsandbox: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b)[:n]
}

// rid imitates WeChat's request id suffix "rid: xxxxxxxx-xxxxxxxx-xxxxxxxx".
func rid() string { return randHex(8) + "-" + randHex(8) + "-" + randHex(8) }

// writeJSON answers with HTTP 200 and a JSON body, as WeChat does even for errors.
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(v)
}

// apiError writes {"errcode":N,"errmsg":"msg, rid: …"} with HTTP 200.
func apiError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, map[string]any{"errcode": code, "errmsg": msg + ", rid: " + rid()})
}

// weComError writes WeCom's error shape, whose errmsg carries a hint, the caller IP and a link.
func weComError(w http.ResponseWriter, r *http.Request, code int, msg string) {
	writeJSON(w, map[string]any{"errcode": code, "errmsg": fmt.Sprintf(
		"%s, hint: [%d_%s], from ip: %s, more info at https://open.work.weixin.qq.com/devtool/query?e=%d",
		msg, time.Now().Unix(), randHex(6), clientIP(r), code)})
}

// errText is the usual errmsg for each errcode the sandbox emits.
func errText(code int) string {
	switch code {
	case -1:
		return "system error"
	case 40001:
		return "invalid credential, access_token is invalid or not latest"
	case 40002:
		return "invalid grant_type"
	case 40003:
		return "invalid openid"
	case 40013:
		return "invalid appid"
	case 40014:
		return "invalid access_token"
	case 40029:
		return "invalid code"
	case 40030:
		return "invalid refresh_token"
	case 40037:
		return "invalid template_id"
	case 40052:
		return "invalid action name"
	case 40053:
		return "invalid action info"
	case 40125:
		return "invalid appsecret"
	case 40163:
		return "code been used"
	case 40164:
		return "invalid ip, not in whitelist"
	case 41001:
		return "access_token missing"
	case 41002:
		return "appid missing"
	case 41004:
		return "appsecret missing"
	case 41008:
		return "missing code"
	case 42001:
		return "access_token expired"
	case 42002:
		return "refresh_token expired"
	case 42003:
		return "code expired"
	case 43004:
		return "require subscribe"
	case 44002:
		return "empty post data"
	case 45009:
		return "reach max api daily quota limit"
	case 45011:
		return "api minute-quota reach limit  mustslower  retry next minute"
	case 47001:
		return "data format error"
	case 48001:
		return "api unauthorized"
	case 50001:
		return "user unauthorized"
	case 60111:
		return "userid not found"
	case 87009:
		return "invalid signature"
	}
	return "error"
}

// fail writes the standard error for code.
func fail(w http.ResponseWriter, code int) { apiError(w, code, errText(code)) }

// clientIP is the TCP peer address; the sandbox trusts no forwarding header.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// readJSON decodes a bounded JSON body into v.
func readJSON(r *http.Request, v any) error {
	if r.Body == nil {
		return io.EOF
	}
	dec := json.NewDecoder(r.Body)
	return dec.Decode(v)
}
