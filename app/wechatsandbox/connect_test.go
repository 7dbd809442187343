package wechatsandbox

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// openWebsiteQR opens the qrconnect page and returns the new login's uuid.
func (e *env) openWebsiteQR(t *testing.T, extra url.Values) string {
	t.Helper()
	q := url.Values{"appid": {e.cfg.Website.AppID}, "redirect_uri": {"https://app.example/cb?x=1"}, "response_type": {"code"}, "scope": {"snsapi_login"}, "state": {"st"}}
	for k, v := range extra {
		q[k] = v
	}
	rec := e.raw(t, http.MethodGet, "/connect/qrconnect?"+q.Encode(), "")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `id="qrlogin"`) {
		t.Fatalf("qrconnect page: %d %s", rec.Code, rec.Body)
	}
	logins := e.sb.LiveLogins(1)
	if len(logins) == 0 {
		t.Fatal("no live login after opening qrconnect")
	}
	return logins[0].UUID
}

func (e *env) websiteConfirm(t *testing.T, userID string) LoginDecision {
	t.Helper()
	uuid := e.openWebsiteQR(t, nil)
	d, err := e.sb.ConfirmLogin(userID, uuid)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestQRConnectValidation(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Website.RedirectDomain = "app.example" })
	base := url.Values{"appid": {e.cfg.Website.AppID}, "redirect_uri": {"https://app.example/cb"}, "response_type": {"code"}, "scope": {"snsapi_login"}}
	tests := []struct {
		name, key, value, want string
	}{
		{"wrong appid", "appid", e.cfg.OA.AppID, "appid"},
		{"wrong scope", "scope", "snsapi_base", "scope 参数错误"},
		{"foreign domain", "redirect_uri", "https://evil.example/cb", "redirect_uri 参数错误"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := url.Values{}
			for k, v := range base {
				q[k] = v
			}
			q.Set(tc.key, tc.value)
			rec := e.raw(t, http.MethodGet, "/connect/qrconnect?"+q.Encode(), "")
			if !strings.Contains(rec.Body.String(), tc.want) || strings.Contains(rec.Body.String(), `id="qrlogin"`) {
				t.Errorf("want an error page with %q, got %s", tc.want, rec.Body)
			}
		})
	}
}

func TestWebsiteQRFlowAndLongPoll(t *testing.T) {
	e := newEnv(t, nil)
	u := e.user(t, NewUser{})
	uuid := e.openWebsiteQR(t, url.Values{"login_type": {"jssdk"}, "self_redirect": {"true"}})
	poll := func(last string) string {
		return e.raw(t, http.MethodGet, "/connect/l/qrconnect?uuid="+uuid+"&last="+last, "").Body.String()
	}
	if got := poll(""); !strings.Contains(got, "wx_errcode=408") {
		t.Fatalf("fresh QR: %s", got)
	}
	img := e.raw(t, http.MethodGet, "/connect/qrcode/"+uuid, "")
	if img.Header().Get("Content-Type") != "image/png" || !strings.HasPrefix(img.Body.String(), "\x89PNG") {
		t.Fatalf("QR image: %v", img.Header())
	}
	res, err := e.sb.Scan(t.Context(), u.ID, e.sb.URL("/connect/confirm?uuid="+uuid))
	if err != nil || res.Kind != "website_qr" {
		t.Fatalf("scan: %+v %v", res, err)
	}
	if got := poll("408"); !strings.Contains(got, "wx_errcode=404") {
		t.Fatalf("after scan: %s", got)
	}
	done := make(chan string, 1)
	go func() { done <- poll("404") }()
	d, err := e.sb.ConfirmLogin(u.ID, uuid)
	if err != nil {
		t.Fatal(err)
	}
	if got := <-done; !strings.Contains(got, "wx_errcode=405;window.wx_code='"+d.Code+"'") {
		t.Fatalf("long-poll after confirm: %s", got)
	}
	if d.Redirect != "https://app.example/cb?x=1&code="+d.Code+"&state=st" {
		t.Errorf("redirect %q", d.Redirect)
	}
	if _, err := e.sb.ConfirmLogin(u.ID, uuid); err == nil {
		t.Error("a login can be answered once")
	}
}

func TestWebsiteQRDenyAndExpiry(t *testing.T) {
	e := newEnv(t, nil)
	u := e.user(t, NewUser{})
	uuid := e.openWebsiteQR(t, nil)
	d, err := e.sb.DenyLogin(u.ID, uuid)
	if err != nil || d.Redirect != "https://app.example/cb?x=1&state=st" || d.Code != "" {
		t.Fatalf("deny: %+v %v", d, err)
	}
	uuid2 := e.openWebsiteQR(t, nil)
	e.clock.Add(5 * time.Minute)
	if got := e.raw(t, http.MethodGet, "/connect/l/qrconnect?uuid="+uuid2+"&last=408", "").Body.String(); !strings.Contains(got, "wx_errcode=402") {
		t.Errorf("expired QR: %s", got)
	}
	if _, err := e.sb.ConfirmLogin(u.ID, uuid2); err == nil {
		t.Error("an expired QR cannot be confirmed")
	}
}

func TestLongPollTimesOut(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Settings.LongPollTimeout = time.Millisecond })
	uuid := e.openWebsiteQR(t, nil)
	if got := e.raw(t, http.MethodGet, "/connect/l/qrconnect?uuid="+uuid+"&last=408", "").Body.String(); !strings.Contains(got, "wx_errcode=408") {
		t.Errorf("got %s", got)
	}
}

func TestWxLoginJS(t *testing.T) {
	e := newEnv(t, nil)
	rec := e.raw(t, http.MethodGet, "/connect/zh_CN/htmledition/js/wxLogin.js", "")
	body := rec.Body.String()
	for _, want := range []string{"window.WxLogin", "login_type=jssdk", e.sb.URL("/connect/qrconnect"), "self_redirect="} {
		if !strings.Contains(body, want) {
			t.Errorf("wxLogin.js lacks %q", want)
		}
	}
}

func TestAuthorize(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.OA.OAuthDomain = "app.example" })
	u := e.user(t, NewUser{})
	oa := e.cfg.OA
	authURL := func(mod func(url.Values)) string {
		q := url.Values{"appid": {oa.AppID}, "redirect_uri": {"https://app.example/cb"}, "response_type": {"code"}, "scope": {"snsapi_userinfo"}, "state": {"abc"}}
		if mod != nil {
			mod(q)
		}
		return "/connect/oauth2/authorize?" + q.Encode()
	}
	tests := []struct {
		name    string
		mod     func(url.Values)
		errcode int
		errText string
	}{
		{"appid empty", func(q url.Values) { q.Del("appid") }, 10012, ""},
		{"website appid", func(q url.Values) { q.Set("appid", e.cfg.Website.AppID) }, 10016, ""},
		{"redirect empty", func(q url.Values) { q.Del("redirect_uri") }, 10011, ""},
		{"scope empty", func(q url.Values) { q.Del("scope") }, 10010, ""},
		{"scope wrong", func(q url.Values) { q.Set("scope", "snsapi_login") }, 10005, ""},
		{"domain", func(q url.Values) { q.Set("redirect_uri", "https://evil.example/cb") }, 10003, ""},
		{"state too long", func(q url.Values) { q.Set("state", strings.Repeat("s", 129)) }, 0, "state 参数过长"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := e.sb.Authorize(u.ID, authURL(tc.mod), true)
			if err != nil || res.Errcode != tc.errcode || res.Code != "" || (tc.errText != "" && res.Error != tc.errText) {
				t.Errorf("got %+v %v", res, err)
			}
		})
	}
	t.Run("128-byte state is fine", func(t *testing.T) {
		res, _ := e.sb.Authorize(u.ID, authURL(func(q url.Values) { q.Set("state", strings.Repeat("s", 128)) }), true)
		if res.Code == "" {
			t.Errorf("got %+v", res)
		}
	})
	t.Run("refusal redirects without code", func(t *testing.T) {
		res, _ := e.sb.Authorize(u.ID, authURL(nil), false)
		if res.Redirect != "https://app.example/cb?state=abc" {
			t.Errorf("got %+v", res)
		}
	})

	cookie := &http.Cookie{Name: "sbx_uid", Value: u.ID}
	t.Run("page without a phone user offers the picker", func(t *testing.T) {
		rec := e.raw(t, http.MethodGet, authURL(nil), "")
		if !strings.Contains(rec.Body.String(), "请在微信客户端打开链接") || !strings.Contains(rec.Body.String(), u.ID) {
			t.Errorf("got %s", rec.Body)
		}
	})
	t.Run("snsapi_base redirects at once", func(t *testing.T) {
		rec := e.raw(t, http.MethodGet, authURL(func(q url.Values) { q.Set("scope", "snsapi_base") }), "", cookie)
		if rec.Code != http.StatusFound || !strings.HasPrefix(rec.Header().Get("Location"), "https://app.example/cb?code=") {
			t.Errorf("got %d %v", rec.Code, rec.Header())
		}
	})
	t.Run("snsapi_userinfo asks consent, then redirects", func(t *testing.T) {
		rec := e.raw(t, http.MethodGet, authURL(nil), "", cookie)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `name="decision" value="allow"`) {
			t.Fatalf("consent page: %d %s", rec.Code, rec.Body)
		}
		inner := url.Values{"appid": {oa.AppID}, "redirect_uri": {"https://app.example/cb"}, "scope": {"snsapi_userinfo"}, "state": {"abc"}}
		form := url.Values{"query": {inner.Encode()}, "decision": {"allow"}}
		rec = e.raw(t, http.MethodPost, "/connect/oauth2/authorize", form.Encode(), cookie)
		loc, _ := url.Parse(rec.Header().Get("Location"))
		if rec.Code != http.StatusFound || loc.Query().Get("code") == "" || loc.Query().Get("state") != "abc" {
			t.Fatalf("after allow: %d %v", rec.Code, rec.Header())
		}
		m := e.exchange(t, oa.AppID, oa.Secret, loc.Query().Get("code"))
		if m["scope"] != "snsapi_userinfo" {
			t.Errorf("token %v", m)
		}
	})
	t.Run("WeChat-only mode refuses a desktop browser", func(t *testing.T) {
		yes := true
		e2 := newEnv(t, func(c *Config) { c.Settings.RequireWeChatBrowser = &yes })
		rec := e2.raw(t, http.MethodGet, authURL(nil), "", cookie)
		if !strings.Contains(rec.Body.String(), "请在微信客户端打开链接") {
			t.Errorf("got %s", rec.Body)
		}
	})
}
