package wechatsandbox_test

// The contract suite: the real client (app/wechat) against the sandbox, endpoint by endpoint,
// success and error paths. When either side drifts from the spec, the two stop agreeing here.

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"scanboard/app/wechat"
	"scanboard/app/wechatsandbox"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

type world struct {
	sb    *wechatsandbox.Sandbox
	cfg   wechatsandbox.Config
	srv   *httptest.Server
	clock *clock
	base  string
}

// newWorld serves a sandbox at /_sandbox on a test server; mod may change its config.
func newWorld(t *testing.T, mod func(*wechatsandbox.Config)) *world {
	t.Helper()
	w := &world{clock: &clock{now: time.Now()}}
	var h http.Handler = http.NotFoundHandler()
	var hmu sync.RWMutex
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		hmu.RLock()
		hh := h
		hmu.RUnlock()
		hh.ServeHTTP(rw, r)
	}))
	t.Cleanup(w.srv.Close)
	w.base = w.srv.URL + "/_sandbox"
	cfg := wechatsandbox.DevConfig(w.base, "")
	cfg.Now = w.clock.Now
	cfg.Settings.PushTimeout = 2 * time.Second
	if mod != nil {
		mod(&cfg)
	}
	sb, err := wechatsandbox.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hmu.Lock()
	h = sb
	hmu.Unlock()
	w.sb, w.cfg = sb, cfg
	return w
}

// client builds the real client for one of the sandbox's apps.
func (w *world) client(t *testing.T, appid, secret string, stable bool) *wechat.Client {
	t.Helper()
	c, err := wechat.New(wechat.Config{AppID: appid, Secret: secret, StableToken: stable, Endpoints: wechat.SingleHost(w.base)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (w *world) oa(t *testing.T) *wechat.Client {
	return w.client(t, w.cfg.OA.AppID, w.cfg.OA.Secret, false)
}

func (w *world) user(t *testing.T, n wechatsandbox.NewUser) wechatsandbox.User {
	t.Helper()
	if n.Nickname == "" {
		n.Nickname = "契约"
	}
	u, err := w.sb.CreateUser(n)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func httpGet(t *testing.T, u string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func wantCode(t *testing.T, err error, code wechat.Code) {
	t.Helper()
	if !errors.Is(err, code) {
		t.Fatalf("want errcode %d, got %v", int(code), err)
	}
}

func TestContractWebsiteQR(t *testing.T) {
	w := newWorld(t, nil)
	web := w.client(t, w.cfg.Website.AppID, w.cfg.Website.Secret, false)
	u := w.user(t, wechatsandbox.NewUser{Nickname: "网站"})
	ctx := t.Context()

	loginURL, err := web.QRConnectURL("https://app.example/auth/wechat/callback", "st8Kq")
	if err != nil {
		t.Fatal(err)
	}
	resp, body := httpGet(t, loginURL)
	if resp.StatusCode != 200 || !strings.Contains(body, `id="qrlogin"`) {
		t.Fatalf("qrconnect page: %d", resp.StatusCode)
	}
	logins := w.sb.LiveLogins(1)
	if len(logins) != 1 || logins[0].State != "st8Kq" {
		t.Fatalf("logins %+v", logins)
	}
	d, err := w.sb.ConfirmLogin(u.ID, logins[0].UUID)
	if err != nil {
		t.Fatal(err)
	}
	cb, _ := url.Parse(d.Redirect)
	if cb.Query().Get("state") != "st8Kq" {
		t.Fatalf("callback %s", d.Redirect)
	}
	tok, err := web.ExchangeCode(ctx, cb.Query().Get("code"))
	if err != nil {
		t.Fatal(err)
	}
	if tok.OpenID != u.OpenIDs[w.cfg.Website.AppID] || tok.UnionID != u.UnionID || tok.IsSnapshotUser {
		t.Errorf("token %+v", tok)
	}
	info, err := web.UserInfo(ctx, tok.AccessToken, tok.OpenID, wechat.LangEN)
	if err != nil || info.Nickname != "网站" || info.UnionID != u.UnionID {
		t.Errorf("userinfo %+v %v", info, err)
	}
	if ok, err := web.ValidateUserToken(ctx, tok.AccessToken, tok.OpenID); !ok || err != nil {
		t.Errorf("validate %v %v", ok, err)
	}
	if ok, _ := web.ValidateUserToken(ctx, tok.AccessToken, "oSomeoneElse"); ok {
		t.Error("a token must not validate for another openid")
	}
	ref, err := web.RefreshUserToken(ctx, tok.RefreshToken)
	if err != nil || ref.AccessToken != tok.AccessToken {
		t.Errorf("refresh before expiry keeps the token: %+v %v", ref, err)
	}

	t.Run("code reused", func(t *testing.T) {
		_, err := web.ExchangeCode(ctx, cb.Query().Get("code"))
		wantCode(t, err, wechat.CodeCodeUsed)
		if !wechat.IsInvalidCode(err) {
			t.Error("IsInvalidCode")
		}
	})
	t.Run("invalid code", func(t *testing.T) {
		_, err := web.ExchangeCode(ctx, "0a1b2c3d4e5f")
		wantCode(t, err, wechat.CodeInvalidCode)
	})
	t.Run("code for another app", func(t *testing.T) {
		uuid := w.openQR(t, web)
		d, _ := w.sb.ConfirmLogin(u.ID, uuid)
		_, err := w.oa(t).ExchangeCode(ctx, d.Code)
		wantCode(t, err, wechat.CodeInvalidCode)
	})
	t.Run("user refuses", func(t *testing.T) {
		uuid := w.openQR(t, web)
		d, err := w.sb.DenyLogin(u.ID, uuid)
		if err != nil {
			t.Fatal(err)
		}
		cb, _ := url.Parse(d.Redirect)
		if cb.Query().Has("code") || cb.Query().Get("state") != "st8Kq" {
			t.Errorf("refusal callback %s", d.Redirect)
		}
	})
	t.Run("user token expired, then refreshed", func(t *testing.T) {
		w.advance(t, 7201*time.Second)
		_, err := web.UserInfo(ctx, tok.AccessToken, tok.OpenID, wechat.LangZhCN)
		wantCode(t, err, wechat.CodeAccessTokenExpired)
		ref, err := web.RefreshUserToken(ctx, tok.RefreshToken)
		if err != nil || ref.AccessToken == tok.AccessToken {
			t.Fatalf("refresh after expiry: %+v %v", ref, err)
		}
		if _, err := web.UserInfo(ctx, ref.AccessToken, tok.OpenID, wechat.LangZhCN); err != nil {
			t.Error(err)
		}
		_, err = web.RefreshUserToken(ctx, "bogus")
		wantCode(t, err, wechat.CodeInvalidRefreshToken)
	})
	t.Run("inline QR", func(t *testing.T) {
		iq, err := web.InlineQR("wx_login", "https://app.example/auth/wechat/callback", "inl1", wechat.InlineQRStyle{Style: "white"})
		if err != nil {
			t.Fatal(err)
		}
		if _, js := httpGet(t, iq.ScriptURL); !strings.Contains(js, "WxLogin") {
			t.Errorf("script %s", iq.ScriptURL)
		}
		resp, body := httpGet(t, iq.IframeURL)
		if resp.StatusCode != 200 || !strings.Contains(body, "compact") {
			t.Errorf("iframe page %d", resp.StatusCode)
		}
	})
}

func (w *world) openQR(t *testing.T, web *wechat.Client) string {
	t.Helper()
	u, _ := web.QRConnectURL("https://app.example/auth/wechat/callback", "st8Kq")
	httpGet(t, u)
	return w.sb.LiveLogins(1)[0].UUID
}

func (w *world) advance(t *testing.T, d time.Duration) {
	t.Helper()
	if err := w.sb.Advance(d); err != nil {
		t.Fatal(err)
	}
}

func TestContractOAWebOAuth(t *testing.T) {
	w := newWorld(t, nil)
	oa := w.oa(t)
	ctx := t.Context()
	authorize := func(t *testing.T, userID string, scope wechat.Scope) *wechat.UserToken {
		t.Helper()
		au, err := oa.AuthorizeURL("https://app.example/auth/oa/callback", scope, "s1")
		if err != nil {
			t.Fatal(err)
		}
		res, err := w.sb.Authorize(userID, au, true)
		if err != nil || res.Code == "" {
			t.Fatalf("authorize %+v %v", res, err)
		}
		tok, err := oa.ExchangeCode(ctx, res.Code)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	t.Run("snsapi_userinfo", func(t *testing.T) {
		u := w.user(t, wechatsandbox.NewUser{Nickname: "公众号"})
		tok := authorize(t, u.ID, wechat.ScopeUserInfo)
		if tok.OpenID != u.OpenIDs[w.cfg.OA.AppID] || tok.RequireRealUser() != nil {
			t.Errorf("token %+v", tok)
		}
		info, err := oa.UserInfo(ctx, tok.AccessToken, tok.OpenID, wechat.LangZhCN)
		if err != nil || info.Nickname != "公众号" {
			t.Errorf("%+v %v", info, err)
		}
	})
	t.Run("snsapi_base has no userinfo", func(t *testing.T) {
		tok := authorize(t, w.user(t, wechatsandbox.NewUser{}).ID, wechat.ScopeBase)
		_, err := oa.UserInfo(ctx, tok.AccessToken, tok.OpenID, wechat.LangZhCN)
		wantCode(t, err, wechat.CodeAPIUnauthorized)
	})
	t.Run("snapshot user", func(t *testing.T) {
		u := w.user(t, wechatsandbox.NewUser{Snapshot: true})
		tok := authorize(t, u.ID, wechat.ScopeUserInfo)
		if !tok.IsSnapshotUser || !errors.Is(tok.RequireRealUser(), wechat.ErrSnapshotUser) {
			t.Errorf("snapshot token %+v", tok)
		}
		if tok.OpenID == u.OpenIDs[w.cfg.OA.AppID] {
			t.Error("a snapshot sign-in must not reveal the real openid")
		}
		_, err := oa.UserInfo(ctx, tok.AccessToken, tok.OpenID, wechat.LangZhCN)
		wantCode(t, err, wechat.CodeAPIUnauthorized)
	})
	t.Run("state too long", func(t *testing.T) {
		if _, err := oa.AuthorizeURL("https://app.example/cb", wechat.ScopeBase, strings.Repeat("a", 129)); !errors.Is(err, wechat.ErrInvalidArgument) {
			t.Errorf("client: %v", err)
		}
		q := url.Values{"appid": {w.cfg.OA.AppID}, "redirect_uri": {"https://app.example/cb"}, "scope": {"snsapi_base"}, "state": {strings.Repeat("a", 129)}}
		res, _ := w.sb.Authorize(w.user(t, wechatsandbox.NewUser{}).ID, w.base+"/connect/oauth2/authorize?"+q.Encode(), true)
		if res.Code != "" || res.Error == "" {
			t.Errorf("sandbox: %+v", res)
		}
	})
	t.Run("code expired", func(t *testing.T) {
		au, _ := oa.AuthorizeURL("https://app.example/cb", wechat.ScopeBase, "s")
		res, _ := w.sb.Authorize(w.user(t, wechatsandbox.NewUser{}).ID, au, true)
		w.advance(t, 5*time.Minute+time.Second)
		_, err := oa.ExchangeCode(ctx, res.Code)
		if !wechat.IsInvalidCode(err) {
			t.Errorf("expired code: %v", err)
		}
	})
}

func TestContractAppTokens(t *testing.T) {
	ctx := t.Context()
	t.Run("token expired then refreshed", func(t *testing.T) {
		w := newWorld(t, nil)
		oa := w.oa(t) // the client's clock stays real: its cache still believes the token
		first, err := oa.AccessToken(ctx)
		if err != nil {
			t.Fatal(err)
		}
		w.advance(t, 7201*time.Second)
		_, err = oa.FollowerInfo(ctx, "oNobody", wechat.LangZhCN)
		wantCode(t, err, wechat.CodeInvalidOpenID) // 42001 was answered by one refresh and a retry
		second, _ := oa.AccessToken(ctx)
		if second == first {
			t.Error("the client should hold a new token")
		}
	})
	t.Run("superseded by another node after the overlap", func(t *testing.T) {
		w := newWorld(t, nil)
		a, other := w.oa(t), w.oa(t)
		if _, err := a.AccessToken(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := other.FetchAccessToken(ctx); err != nil { // a careless second node
			t.Fatal(err)
		}
		w.advance(t, 5*time.Minute)
		_, err := a.FollowerInfo(ctx, "oNobody", wechat.LangZhCN)
		wantCode(t, err, wechat.CodeInvalidOpenID) // 40001 → refresh → retry
	})
	t.Run("stable token", func(t *testing.T) {
		w := newWorld(t, nil)
		st := w.client(t, w.cfg.OA.AppID, w.cfg.OA.Secret, true)
		a, err := st.FetchStableAccessToken(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := st.FetchStableAccessToken(ctx, false)
		if a.AccessToken != b.AccessToken || b.ExpiresIn < 300 {
			t.Errorf("normal mode: %v %v", a, b)
		}
		w.advance(t, 31*time.Second)
		f, err := st.FetchStableAccessToken(ctx, true)
		if err != nil || f.AccessToken == a.AccessToken {
			t.Errorf("force: %v %v", f, err)
		}
		if _, err := st.FollowerInfo(ctx, "oNobody", wechat.LangZhCN); !errors.Is(err, wechat.CodeInvalidOpenID) {
			t.Errorf("stable token in use: %v", err)
		}
	})
	t.Run("wrong secret", func(t *testing.T) {
		w := newWorld(t, nil)
		_, err := w.client(t, w.cfg.OA.AppID, "wrong", false).FetchAccessToken(ctx)
		wantCode(t, err, wechat.CodeInvalidAppSecret)
		_, err = w.client(t, "wx0000000000000000", "x", false).FetchAccessToken(ctx)
		wantCode(t, err, wechat.CodeInvalidAppID)
	})
	t.Run("faults: busy and HTTP 502 are retryable", func(t *testing.T) {
		w := newWorld(t, nil)
		oa := w.oa(t)
		_ = w.sb.AddFault(wechatsandbox.Fault{Endpoint: "/cgi-bin/token", Errcode: -1})
		_, err := oa.FetchAccessToken(ctx)
		if !wechat.IsRetryable(err) {
			t.Errorf("-1: %v", err)
		}
		_ = w.sb.AddFault(wechatsandbox.Fault{Endpoint: "/cgi-bin/token", HTTPStatus: 502})
		_, err = oa.FetchAccessToken(ctx)
		if !wechat.IsRetryable(err) {
			t.Errorf("502: %v", err)
		}
		_ = w.sb.AddFault(wechatsandbox.Fault{Endpoint: "/cgi-bin/token", Errcode: 45009})
		_, err = oa.FetchAccessToken(ctx)
		if wechat.IsRetryable(err) || !errors.Is(err, wechat.CodeDailyQuota) {
			t.Errorf("45009: %v", err)
		}
	})
}

// receiver runs the client's push receiver as the OA's push endpoint.
type receiver struct {
	mu     sync.Mutex
	msgs   []*wechat.Message
	errs   []error
	reply  string
	server *httptest.Server
}

func newReceiver(t *testing.T, cfg wechat.PushConfig) *receiver {
	t.Helper()
	p, err := wechat.NewPushReceiver(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rc := &receiver{}
	rc.server = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			echo, err := p.VerifyURL(r.URL.Query())
			if err != nil {
				http.Error(rw, err.Error(), http.StatusForbidden)
				return
			}
			_, _ = io.WriteString(rw, echo)
			return
		}
		m, err := p.Parse(r.URL.Query(), r.Body)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if err != nil {
			rc.errs = append(rc.errs, err)
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		rc.msgs = append(rc.msgs, m)
		if rc.reply == "" {
			_, _ = io.WriteString(rw, "success")
			return
		}
		out, err := p.ReplyText(m, rc.reply)
		if err != nil {
			http.Error(rw, err.Error(), http.StatusInternalServerError)
			return
		}
		_, _ = rw.Write(out)
	}))
	t.Cleanup(rc.server.Close)
	return rc
}

func (rc *receiver) snapshot() ([]*wechat.Message, []error) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]*wechat.Message(nil), rc.msgs...), append([]error(nil), rc.errs...)
}

func TestContractPushes(t *testing.T) {
	ctx := t.Context()
	base := wechatsandbox.DevConfig("http://x/_sandbox", "").OA
	good := wechat.PushConfig{Token: base.Token, EncodingAESKey: base.EncodingAESKey, AppID: base.AppID, OriginalID: base.OriginalID}
	for _, mode := range []wechatsandbox.PushMode{wechatsandbox.PushPlain, wechatsandbox.PushSafe} {
		t.Run(string(mode)+" scan, reply, follower info", func(t *testing.T) {
			var w *world
			cfg := good
			rc := newReceiver(t, cfg)
			rc.reply = "登录请求来自 Chrome / Windows，点击确认"
			w = newWorld(t, func(c *wechatsandbox.Config) { c.OA.PushURL = rc.server.URL + "/wechat/push"; c.OA.Mode = mode })
			oa := w.oa(t)
			u := w.user(t, wechatsandbox.NewUser{})

			qr, err := oa.CreateQRCode(ctx, wechat.QRCodeRequest{Action: wechat.QRStrScene, SceneStr: "login:7f3a", ExpireIn: 5 * time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			if resp, body := httpGet(t, oa.ShowQRCodeURL(qr.Ticket)); resp.StatusCode != 200 || !strings.HasPrefix(body, "\x89PNG") {
				t.Fatalf("showqrcode %d", resp.StatusCode)
			}
			res, err := w.sb.Scan(ctx, u.ID, qr.URL)
			if err != nil {
				t.Fatal(err)
			}
			if res.Push.Outcome != "replied" {
				t.Fatalf("push %+v", res.Push)
			}
			msgs, errs := rc.snapshot()
			if len(errs) != 0 || len(msgs) != 1 {
				t.Fatalf("receiver: %v %v", msgs, errs)
			}
			scene, ticket, ok := msgs[0].QRScan()
			if !ok || scene != "login:7f3a" || ticket != qr.Ticket || msgs[0].Event != "subscribe" || msgs[0].Encrypted != (mode == wechatsandbox.PushSafe) {
				t.Errorf("message %+v", msgs[0])
			}
			inbox, _ := w.sb.Messages(u.ID)
			if len(inbox) != 1 || inbox[0].Text != rc.reply {
				t.Errorf("inbox %+v", inbox)
			}
			f, err := oa.FollowerInfo(ctx, msgs[0].FromUserName, wechat.LangZhCN)
			if err != nil || !f.Subscribed || f.UnionID != u.UnionID || f.QRSceneStr != "login:7f3a" {
				t.Errorf("follower %+v %v", f, err)
			}
			// a second scan is SCAN with the bare scene
			if _, err := w.sb.Scan(ctx, u.ID, qr.URL); err != nil {
				t.Fatal(err)
			}
			msgs, _ = rc.snapshot()
			if scene, _, ok := msgs[1].QRScan(); !ok || msgs[1].Event != "SCAN" || scene != "login:7f3a" {
				t.Errorf("SCAN %+v", msgs[1])
			}
			if _, ok, err := w.sb.VerifyPushURL(ctx); !ok || err != nil {
				t.Errorf("URL verification failed: %v", err)
			}
		})
	}
	t.Run("duplicated push keeps its dedup key", func(t *testing.T) {
		rc := newReceiver(t, good)
		w := newWorld(t, func(c *wechatsandbox.Config) { c.OA.PushURL = rc.server.URL })
		_ = w.sb.SetPushFaults(wechatsandbox.PushFaults{Duplicate: 1})
		if _, err := w.sb.Follow(ctx, w.user(t, wechatsandbox.NewUser{}).ID); err != nil {
			t.Fatal(err)
		}
		msgs, _ := rc.snapshot()
		if len(msgs) != 2 || msgs[0].DedupKey() != msgs[1].DedupKey() {
			t.Errorf("duplicates %v", msgs)
		}
	})
	failures := []struct {
		name string
		mode wechatsandbox.PushMode
		cfg  func(*wechat.PushConfig)
		want []error
	}{
		{"bad signature", wechatsandbox.PushPlain, func(c *wechat.PushConfig) { c.Token = "anothertoken" }, []error{wechat.ErrBadSignature}},
		{"bad signature in safe mode", wechatsandbox.PushSafe, func(c *wechat.PushConfig) { c.Token = "anothertoken" }, []error{wechat.ErrBadSignature}},
		{"wrong appid in safe mode", wechatsandbox.PushSafe, func(c *wechat.PushConfig) { c.AppID = "wx1111111111111111" }, []error{wechat.ErrAppIDMismatch}},
		{"decryption failure", wechatsandbox.PushSafe, func(c *wechat.PushConfig) { c.EncodingAESKey = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR" }, []error{wechat.ErrDecrypt, wechat.ErrAppIDMismatch}},
		{"plaintext refused", wechatsandbox.PushPlain, func(c *wechat.PushConfig) { c.RequireSafeMode = true }, []error{wechat.ErrPlaintextRefused}},
	}
	for _, tc := range failures {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			tc.cfg(&cfg)
			rc := newReceiver(t, cfg)
			w := newWorld(t, func(c *wechatsandbox.Config) {
				c.OA.PushURL = rc.server.URL
				c.OA.Mode = tc.mode
				c.Settings.PushAttempts = 1
			})
			p, err := w.sb.Follow(ctx, w.user(t, wechatsandbox.NewUser{}).ID)
			if err != nil {
				t.Fatal(err)
			}
			_, errs := rc.snapshot()
			if len(errs) != 1 || !anyIs(errs[0], tc.want) {
				t.Fatalf("receiver errors %v, want one of %v", errs, tc.want)
			}
			if p.Outcome != "failed" || p.Attempts[0].Status != http.StatusBadRequest {
				t.Errorf("sandbox record %+v", p)
			}
		})
	}
}

func anyIs(err error, targets []error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}

func TestContractQRAndTemplate(t *testing.T) {
	ctx := t.Context()
	w := newWorld(t, func(c *wechatsandbox.Config) { c.Templates = []string{"tpl_login_ok"} })
	oa := w.oa(t)
	t.Run("scene too long", func(t *testing.T) {
		_, err := oa.CreateQRCode(ctx, wechat.QRCodeRequest{Action: wechat.QRStrScene, SceneStr: strings.Repeat("x", 65), ExpireIn: time.Minute})
		if !errors.Is(err, wechat.ErrInvalidArgument) {
			t.Errorf("client must refuse: %v", err)
		}
	})
	t.Run("all four actions", func(t *testing.T) {
		for _, r := range []wechat.QRCodeRequest{
			{Action: wechat.QRScene, SceneID: 42, ExpireIn: time.Minute},
			{Action: wechat.QRStrScene, SceneStr: "s", ExpireIn: time.Minute},
			{Action: wechat.QRLimitScene, SceneID: 7},
			{Action: wechat.QRLimitStrScene, SceneStr: "perm"},
		} {
			qr, err := oa.CreateQRCode(ctx, r)
			if err != nil || qr.Ticket == "" || !strings.HasPrefix(qr.URL, w.base+"/q/") {
				t.Errorf("%s: %+v %v", r.Action, qr, err)
			}
		}
	})
	t.Run("expired ticket image is gone", func(t *testing.T) {
		qr, _ := oa.CreateQRCode(ctx, wechat.QRCodeRequest{Action: wechat.QRScene, SceneID: 1, ExpireIn: time.Minute})
		w.advance(t, time.Minute)
		if resp, _ := httpGet(t, oa.ShowQRCodeURL(qr.Ticket)); resp.StatusCode != http.StatusNotFound {
			t.Errorf("status %d", resp.StatusCode)
		}
	})
	t.Run("template message", func(t *testing.T) {
		u := w.user(t, wechatsandbox.NewUser{})
		msg := wechat.TemplateMessage{ToUser: u.OpenIDs[w.cfg.OA.AppID], TemplateID: "tpl_login_ok", URL: "https://app.example/",
			Data: map[string]wechat.TemplateValue{"first": {Value: "账号已通过审核"}}}
		_, err := oa.SendTemplateMessage(ctx, msg)
		if wechat.ErrCodeOf(err) != 43004 {
			t.Errorf("not following: %v", err)
		}
		if _, err := w.sb.Follow(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		id, err := oa.SendTemplateMessage(ctx, msg)
		if err != nil || id == 0 {
			t.Fatalf("send %v %v", id, err)
		}
		inbox, _ := w.sb.Messages(u.ID)
		if len(inbox) == 0 || inbox[0].Text != "账号已通过审核" {
			t.Errorf("inbox %+v", inbox)
		}
		msg.TemplateID = "nope"
		if _, err := oa.SendTemplateMessage(ctx, msg); wechat.ErrCodeOf(err) != 40037 {
			t.Errorf("unknown template: %v", err)
		}
		_, err = oa.FollowerInfo(ctx, "oUnknown", wechat.LangZhCN)
		wantCode(t, err, wechat.CodeInvalidOpenID)
	})
}

func TestContractMiniProgram(t *testing.T) {
	ctx := t.Context()
	w := newWorld(t, nil)
	mp := w.client(t, w.cfg.Mini.AppID, w.cfg.Mini.Secret, false)
	u := w.user(t, wechatsandbox.NewUser{Nickname: "小程序", Phone: "13712345678"})

	code, err := w.sb.MiniLogin(u.ID)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := mp.Code2Session(ctx, code)
	if err != nil || sess.OpenID != u.OpenIDs[w.cfg.Mini.AppID] || sess.UnionID != u.UnionID {
		t.Fatalf("session %+v %v", sess, err)
	}
	_, err = mp.Code2Session(ctx, code)
	wantCode(t, err, wechat.CodeCodeUsed)
	_, err = mp.Code2Session(ctx, "badcode")
	wantCode(t, err, wechat.CodeInvalidCode)

	data, err := w.sb.MiniEncryptedData(u.ID, "userinfo")
	if err != nil {
		t.Fatal(err)
	}
	var mu wechat.MiniProgramUser
	if err := mp.DecryptUserData(sess.SessionKey, data.EncryptedData, data.IV, &mu); err != nil || mu.NickName != "小程序" || mu.UnionID != u.UnionID {
		t.Errorf("user data %+v %v", mu, err)
	}
	other := w.client(t, w.cfg.OA.AppID, w.cfg.OA.Secret, false)
	if err := other.DecryptUserData(sess.SessionKey, data.EncryptedData, data.IV, &mu); !errors.Is(err, wechat.ErrAppIDMismatch) {
		t.Errorf("watermark check: %v", err)
	}
	if ok, err := mp.CheckSession(ctx, sess.OpenID, sess.SessionKey); !ok || err != nil {
		t.Errorf("checksession %v %v", ok, err)
	}

	pc, _ := w.sb.MiniPhoneCode(u.ID)
	phone, err := mp.PhoneNumber(ctx, pc, sess.OpenID)
	if err != nil || phone.PurePhoneNumber != "13712345678" || phone.CountryCode != "86" {
		t.Errorf("phone %+v %v", phone, err)
	}
	_, err = mp.PhoneNumber(ctx, pc, "")
	wantCode(t, err, wechat.CodeInvalidCode)

	t.Run("decryption failure after the session key rotated", func(t *testing.T) {
		if err := w.sb.RotateSessionKey(u.ID); err != nil {
			t.Fatal(err)
		}
		if ok, err := mp.CheckSession(ctx, sess.OpenID, sess.SessionKey); ok || err != nil {
			t.Errorf("old key must no longer check: %v %v", ok, err)
		}
		fresh, _ := w.sb.MiniEncryptedData(u.ID, "phone")
		var p wechat.PhoneInfo
		err := mp.DecryptUserData(sess.SessionKey, fresh.EncryptedData, fresh.IV, &p)
		if !errors.Is(err, wechat.ErrSessionKey) && !errors.Is(err, wechat.ErrDecrypt) {
			t.Errorf("want a session-key/decrypt error, got %v", err)
		}
	})
}

func TestContractWeCom(t *testing.T) {
	ctx := t.Context()
	w := newWorld(t, nil)
	wc, err := wechat.NewWork(wechat.WorkConfig{CorpID: w.cfg.WeCom.CorpID, CorpSecret: w.cfg.WeCom.Secret, AgentID: w.cfg.WeCom.AgentID, Endpoints: wechat.SingleHost(w.base)})
	if err != nil {
		t.Fatal(err)
	}
	member := w.user(t, wechatsandbox.NewUser{Nickname: "李四", WeComUserID: "lisi"})
	guest := w.user(t, wechatsandbox.NewUser{Nickname: "访客"})
	login := func(t *testing.T, userID string, old bool) string {
		t.Helper()
		var u string
		if old {
			u, err = wc.QRConnectURL("https://app.example/auth/wecom", "wc1")
		} else {
			u, err = wc.LoginURL("https://app.example/auth/wecom", "wc1", "en")
		}
		if err != nil {
			t.Fatal(err)
		}
		if resp, body := httpGet(t, u); resp.StatusCode != 200 || !strings.Contains(body, `id="qrlogin"`) {
			t.Fatalf("login page %d", resp.StatusCode)
		}
		d, err := w.sb.ConfirmLogin(userID, w.sb.LiveLogins(1)[0].UUID)
		if err != nil {
			t.Fatal(err)
		}
		return d.Code
	}
	id, err := wc.UserIdentity(ctx, login(t, member.ID, false))
	if err != nil || !id.IsMember() || id.UserID != "lisi" {
		t.Fatalf("identity %+v %v", id, err)
	}
	usr, err := wc.User(ctx, "lisi")
	if err != nil || usr.Name != "李四" {
		t.Errorf("user %+v %v", usr, err)
	}
	gid, err := wc.UserIdentity(ctx, login(t, guest.ID, true))
	if err != nil || gid.IsMember() || gid.OpenID == "" {
		t.Errorf("guest %+v %v", gid, err)
	}
	_, err = wc.UserIdentity(ctx, "used-or-unknown")
	wantCode(t, err, wechat.CodeInvalidCode)
	if _, err := wc.User(ctx, "nobody"); wechat.ErrCodeOf(err) != 60111 {
		t.Errorf("unknown member: %v", err)
	}
}

// TestContractClientTimeoutOnLatency checks the client's context deadline against injected
// latency: the sandbox holds the call, the client gives up.
func TestContractClientTimeoutOnLatency(t *testing.T) {
	w := newWorld(t, nil)
	_ = w.sb.AddFault(wechatsandbox.Fault{Endpoint: "/cgi-bin/token", Latency: time.Minute})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := w.oa(t).FetchAccessToken(ctx)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("want a deadline error, got %v", err)
	}
}
