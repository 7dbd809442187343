package web_test

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"scanboard/app/auth"
	"scanboard/app/wechat"
	"scanboard/app/wechatsandbox"
	"scanboard/ent/wechatidentity"
)

// newChannelEnv is the sign-in app with every channel of issue 5 on, all talking to the
// in-process sandbox: its website app, Mini Program and WeCom corp.
func newChannelEnv(t *testing.T) *loginEnv {
	t.Helper()
	le := newLoginEnv(t)
	le.withPasswords()
	sc := wechatsandbox.DevConfig("http://127.0.0.1:8080/_sandbox", "")
	hc := &http.Client{Transport: sandboxTransport{le.sb}}
	site, err := wechat.New(wechat.Config{AppID: sc.Website.AppID, Secret: sc.Website.Secret,
		Endpoints: wechat.SingleHost(sc.PublicURL), HTTPClient: hc, Now: le.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	mp, err := wechat.New(wechat.Config{AppID: sc.Mini.AppID, Secret: sc.Mini.Secret,
		Endpoints: wechat.SingleHost(sc.PublicURL), HTTPClient: hc, Now: le.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	wc, err := wechat.NewWork(wechat.WorkConfig{CorpID: sc.WeCom.CorpID, CorpSecret: sc.WeCom.Secret, AgentID: sc.WeCom.AgentID,
		Endpoints: wechat.SingleHost(sc.PublicURL), HTTPClient: hc, Now: le.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	ch := &le.srv.Login.Channels
	ch.Website, ch.InlineWebsite, ch.MiniProgram, ch.WeCom = site, true, mp, wc
	return le
}

// localPath turns an absolute URL of the app (or the sandbox under it) into the path the
// in-process app serves.
func localPath(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || u.Host != "127.0.0.1:8080" {
		t.Fatalf("not a URL of the app: %q", raw)
	}
	return u.RequestURI()
}

// websiteQR opens /login/website in b, follows it to the sandbox's QR page and returns
// the uuid of the login it opened.
func (le *loginEnv) websiteQR(b *browser) string {
	le.t.Helper()
	r := b.get("/login/website")
	if r.StatusCode != 302 {
		le.t.Fatalf("/login/website: %d", r.StatusCode)
	}
	loc := r.Header.Get("Location")
	if !strings.Contains(loc, "/_sandbox/connect/qrconnect?appid=") || !strings.Contains(loc, "scope=snsapi_login") {
		le.t.Fatalf("redirect %q", loc)
	}
	return le.openSandboxQR(b, localPath(le.t, loc))
}

func (le *loginEnv) openSandboxQR(b *browser, path string) string {
	le.t.Helper()
	if r := b.get(path); r.StatusCode != 200 {
		le.t.Fatalf("sandbox QR page: %d %s", r.StatusCode, readBody(r))
	}
	logins := le.sb.LiveLogins(1)
	if len(logins) == 0 {
		le.t.Fatal("the sandbox opened no QR login")
	}
	return logins[0].UUID
}

// confirmQR has the sandbox user scan and confirm, and returns the callback WeChat sends
// the browser to.
func (le *loginEnv) confirmQR(user, uuid string) string {
	le.t.Helper()
	if err := le.sb.ScanLogin(user, uuid); err != nil {
		le.t.Fatal(err)
	}
	d, err := le.sb.ConfirmLogin(user, uuid)
	if err != nil {
		le.t.Fatal(err)
	}
	return localPath(le.t, d.Redirect)
}

func TestWebsiteQRRedirect(t *testing.T) {
	le := newChannelEnv(t)
	ctx := context.Background()
	who := le.sbUser("小红")
	b := le.browser()
	cb := le.confirmQR(who, le.websiteQR(b))
	if !strings.HasPrefix(cb, "/login/website/callback?code=") {
		t.Fatalf("callback %q", cb)
	}
	r := b.get(cb)
	if r.StatusCode != 303 || r.Header.Get("Location") != "/pending" {
		t.Fatalf("callback: %d %s %s", r.StatusCode, r.Header.Get("Location"), readBody(r))
	}
	id := le.store.Client.WeChatIdentity.Query().Where(wechatidentity.KindEQ(wechatidentity.KindWebsite)).OnlyX(ctx)
	sbu, _ := le.sb.User(who)
	if id.Unionid == nil || *id.Unionid != sbu.UnionID || id.Nickname != "小红" {
		t.Fatalf("identity %+v, sandbox user %+v", id, sbu)
	}
	if n := len(le.loginRows(auth.MethodWebsiteQR, auth.ReasonPendingApproval)); n != 1 {
		t.Fatalf("%d success rows", n)
	}

	t.Run("the same callback again: state used", func(t *testing.T) {
		r := b.get(cb)
		if body := readBody(r); r.StatusCode != 400 || !strings.Contains(body, "already used") && !strings.Contains(body, "已") {
			t.Fatalf("%d %s", r.StatusCode, body)
		}
	})
	t.Run("reused code with a fresh state", func(t *testing.T) {
		b2 := le.browser()
		le.websiteQR(b2)
		u, _ := url.Parse(cb)
		fresh := le.stateOf(t, b2)
		r := b2.get("/login/website/callback?code=" + url.QueryEscape(u.Query().Get("code")) + "&state=" + fresh)
		if r.StatusCode != 400 || len(le.loginRows(auth.MethodWebsiteQR, auth.ReasonCodeUsed)) != 1 {
			t.Fatalf("%d %s", r.StatusCode, readBody(r))
		}
	})
}

// stateOf reads the state the last /login/website redirect of b carried, by opening it again.
func (le *loginEnv) stateOf(t *testing.T, b *browser) string {
	t.Helper()
	r := b.get("/login/website")
	u, _ := url.Parse(r.Header.Get("Location"))
	return u.Query().Get("state")
}

func TestWebsiteQRFailures(t *testing.T) {
	tests := []struct {
		name   string
		run    func(le *loginEnv, b *browser, who string) *http.Response
		status int
		reason string
	}{
		{"user refuses", func(le *loginEnv, b *browser, who string) *http.Response {
			uuid := le.websiteQR(b)
			d, err := le.sb.DenyLogin(who, uuid)
			if err != nil || d.Redirect == "" {
				t.Fatalf("deny: %+v %v", d, err)
			}
			return b.get(localPath(t, d.Redirect))
		}, 403, auth.ReasonOAuthRefused},
		{"expired code", func(le *loginEnv, b *browser, who string) *http.Response {
			cb := le.confirmQR(who, le.websiteQR(b))
			if err := le.sb.Advance(11 * time.Minute); err != nil { // WeChat's clock only: our state is still fresh
				t.Fatal(err)
			}
			return b.get(cb)
		}, 400, auth.ReasonCodeInvalid},
		{"state issued to another browser", func(le *loginEnv, b *browser, who string) *http.Response {
			other := le.browser()
			cb := le.confirmQR(who, le.websiteQR(other))
			return b.get(cb)
		}, 400, auth.ReasonStateMismatch},
		{"made-up state", func(le *loginEnv, b *browser, who string) *http.Response {
			b.get("/login/website")
			return b.get("/login/website/callback?code=x&state=AAAAAAAAAAAAAAAAAAAAAAAAAA")
		}, 400, auth.ReasonStateMismatch},
		{"state older than 10 minutes by our clock", func(le *loginEnv, b *browser, who string) *http.Response {
			cb := le.confirmQR(who, le.websiteQR(b))
			le.clock.Add(11 * time.Minute)
			return b.get(cb)
		}, 400, auth.ReasonStateMismatch},
		{"repeated state parameter", func(le *loginEnv, b *browser, who string) *http.Response {
			cb := le.confirmQR(who, le.websiteQR(b))
			return b.get(cb + "&state=AAAAAAAAAAAAAAAAAAAAAAAAAA")
		}, 400, auth.ReasonStateMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			le := newChannelEnv(t)
			b := le.browser()
			r := tt.run(le, b, le.sbUser("Z"))
			body := readBody(r)
			if r.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", r.StatusCode, tt.status, body)
			}
			if !strings.Contains(body, "<main") && !strings.Contains(body, "<article") {
				t.Fatalf("not a page: %s", body)
			}
			if n := len(le.loginRows(auth.MethodWebsiteQR, tt.reason)); n != 1 {
				t.Fatalf("%d login-log rows with %q, want 1", n, tt.reason)
			}
			if n := le.store.Client.Session.Query().CountX(context.Background()); n != 0 {
				t.Fatalf("%d sessions after a failure", n)
			}
		})
	}
}

func TestWebsiteQRInline(t *testing.T) {
	le := newChannelEnv(t)
	b := le.browser()
	r := b.get("/login")
	csp := r.Header.Get("Content-Security-Policy")
	body := readBody(r)
	m := regexp.MustCompile(`id="login-website"[^>]*data-options="([^"]*)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no inline QR on /login:\n%s", body)
	}
	var opts wechat.WxLoginOptions
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &opts); err != nil {
		t.Fatal(err)
	}
	redirect, _ := url.QueryUnescape(opts.RedirectURI)
	if opts.ID != "login-website" || opts.Scope != "snsapi_login" || opts.AppID != "wx5a0d5b0c0a0e0002" ||
		redirect != "http://127.0.0.1:8080/login/website/callback" || len(opts.State) < 26 || opts.SelfRedirect {
		t.Fatalf("options %+v", opts)
	}
	if !strings.Contains(body, `src="http://127.0.0.1:8080/_sandbox/connect/zh_CN/htmledition/js/wxLogin.js"`) || strings.Contains(body, `id="login-qr"`) {
		t.Fatal("the page must load wxLogin.js and show no OA QR")
	}
	if !strings.Contains(csp, "frame-src 'self';") {
		t.Fatalf("CSP %q: the sandbox is our own origin, nothing else may be framed", csp)
	}
	// What wxLogin.js builds: the iframe URL with login_type=jssdk; the sandbox panel may be framed by us.
	frame := "/_sandbox/connect/qrconnect?appid=" + opts.AppID + "&scope=snsapi_login&redirect_uri=" + opts.RedirectURI +
		"&state=" + opts.State + "&login_type=jssdk&self_redirect=false&style=black"
	fr := b.get(frame)
	if fr.Header.Get("X-Frame-Options") != "SAMEORIGIN" || !strings.Contains(fr.Header.Get("Content-Security-Policy"), "frame-ancestors 'self'") {
		t.Fatalf("sandbox panel headers: %v", fr.Header)
	}
	uuid := le.sb.LiveLogins(1)[0].UUID
	cb := le.confirmQR(le.sbUser("小蓝"), uuid)
	if r := b.get(cb); r.StatusCode != 303 || r.Header.Get("Location") != "/pending" {
		t.Fatalf("callback: %d %s", r.StatusCode, readBody(r))
	}
	if r := b.get("/pending"); r.StatusCode != 200 {
		t.Fatalf("pending: %d", r.StatusCode)
	}
	// Every other page still refuses to be framed.
	if h := le.browser().get("/login").Header; h.Get("X-Frame-Options") != "DENY" || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Fatalf("/login headers: %v", h)
	}
}

func TestLoginChannelChoice(t *testing.T) {
	t.Run("OA QR when the website app is not chosen", func(t *testing.T) {
		le := newChannelEnv(t)
		le.srv.Login.Channels.InlineWebsite = false
		body := readBody(le.browser().get("/login"))
		if !strings.Contains(body, `id="login-qr"`) || strings.Contains(body, "wxLogin.js") {
			t.Fatal("want the OA QR")
		}
		if !strings.Contains(body, `href="/login/password"`) || !strings.Contains(body, `href="/login/wecom"`) {
			t.Fatal("password and WeCom are offered as secondary ways")
		}
	})
	t.Run("real Open Platform host is framed only when configured", func(t *testing.T) {
		le := newChannelEnv(t)
		site, err := wechat.New(wechat.Config{AppID: "wxrealwebsite0001", Secret: "s"})
		if err != nil {
			t.Fatal(err)
		}
		le.srv.Login.Channels.Website = site
		csp := le.browser().get("/login").Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-src 'self' https://open.weixin.qq.com;") {
			t.Fatalf("CSP %q", csp)
		}
		le.srv.Login.Channels.Website = nil
		if csp := le.browser().get("/login").Header.Get("Content-Security-Policy"); strings.Contains(csp, "weixin") {
			t.Fatalf("CSP %q names WeChat without a website app", csp)
		}
	})
}
