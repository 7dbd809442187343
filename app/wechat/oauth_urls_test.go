package wechat

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
)

func testClient(t *testing.T) *Client {
	t.Helper()
	c, err := New(Config{AppID: "wx0123456789abcdef", Secret: "s", Endpoints: SingleHost("http://127.0.0.1:8080/_sandbox/")})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestQRConnectURL(t *testing.T) {
	c := testClient(t)
	got, err := c.QRConnectURL("https://sso.example.com/wx/callback?x=1", "s_9f2c")
	if err != nil {
		t.Fatal(err)
	}
	want := "http://127.0.0.1:8080/_sandbox/connect/qrconnect?appid=wx0123456789abcdef" +
		"&redirect_uri=https%3A%2F%2Fsso.example.com%2Fwx%2Fcallback%3Fx%3D1" +
		"&response_type=code&scope=snsapi_login&state=s_9f2c#wechat_redirect"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestAuthorizeURL(t *testing.T) {
	c := testClient(t)
	for _, scope := range []Scope{ScopeBase, ScopeUserInfo} {
		t.Run(string(scope), func(t *testing.T) {
			got, err := c.AuthorizeURL("https://mis.example.com/auth/wechat/oa", scope, "abc")
			if err != nil {
				t.Fatal(err)
			}
			u, err := url.Parse(got)
			if err != nil {
				t.Fatal(err)
			}
			q := u.Query()
			if u.Path != "/_sandbox/connect/oauth2/authorize" || u.Fragment != "wechat_redirect" ||
				q.Get("scope") != string(scope) || q.Get("response_type") != "code" ||
				q.Get("redirect_uri") != "https://mis.example.com/auth/wechat/oa" || q.Get("state") != "abc" {
				t.Fatalf("url = %s", got)
			}
		})
	}
	t.Run("login scope refused", func(t *testing.T) {
		if _, err := c.AuthorizeURL("https://a.example/cb", ScopeLogin, "abc"); !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestValidateState(t *testing.T) {
	cases := []struct {
		name  string
		state string
		ok    bool
	}{
		{"typical", "A7KQ2Z0M4XN5", true},
		{"exactly 128 bytes", strings.Repeat("a", 128), true},
		{"129 bytes", strings.Repeat("a", 129), false},
		{"empty", "", false},
		{"space", "a b", false},
		{"url metacharacter", "a&b=c", false},
		{"non-ASCII", "状态", false},
		{"unreserved punctuation", "a-b_c.d~e", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := ValidateState(c.state)
			if (err == nil) != c.ok {
				t.Fatalf("err = %v, want ok=%t", err, c.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidArgument) {
				t.Fatalf("err = %v is not ErrInvalidArgument", err)
			}
		})
	}
	c := testClient(t)
	if _, err := c.QRConnectURL("https://a.example/cb", strings.Repeat("x", 129)); err == nil || !strings.Contains(err.Error(), "128") {
		t.Fatalf("QRConnectURL with long state: err = %v, want it to name the 128-byte limit", err)
	}
}

func TestRedirectURIValidated(t *testing.T) {
	c := testClient(t)
	for _, bad := range []string{"", "/relative/cb", "javascript:alert(1)", "ftp://a.example/cb", "https://a.example/cb#frag", "https:///nohost"} {
		t.Run(bad, func(t *testing.T) {
			if _, err := c.QRConnectURL(bad, "s"); !errors.Is(err, ErrInvalidArgument) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func TestInlineQR(t *testing.T) {
	c := testClient(t)
	t.Run("defaults", func(t *testing.T) {
		q, err := c.InlineQR("login_container", "https://mis.example.com/cb", "st1", InlineQRStyle{})
		if err != nil {
			t.Fatal(err)
		}
		if q.ScriptURL != "http://127.0.0.1:8080/_sandbox/connect/zh_CN/htmledition/js/wxLogin.js" {
			t.Fatalf("script = %s", q.ScriptURL)
		}
		raw, _ := json.Marshal(q.Options)
		want := `{"self_redirect":false,"id":"login_container","appid":"wx0123456789abcdef","scope":"snsapi_login",` +
			`"redirect_uri":"https%3A%2F%2Fmis.example.com%2Fcb","state":"st1"}`
		if string(raw) != want {
			t.Fatalf("options = %s\nwant      %s", raw, want)
		}
		u, _ := url.Parse(q.IframeURL)
		iq := u.Query()
		if u.Path != "/_sandbox/connect/qrconnect" || iq.Get("login_type") != "jssdk" || iq.Get("self_redirect") != "false" ||
			iq.Get("redirect_uri") != "https://mis.example.com/cb" || iq.Get("style") != "black" {
			t.Fatalf("iframe = %s", q.IframeURL)
		}
	})
	t.Run("all options", func(t *testing.T) {
		q, err := c.InlineQR("box", "https://mis.example.com/cb", "st1",
			InlineQRStyle{SelfRedirect: true, Style: "white", Href: "data:text/css;base64,AAAA", StyleLite: true, DisableFastLogin: true})
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(q.Options)
		for _, frag := range []string{`"self_redirect":true`, `"style":"white"`, `"stylelite":1`, `"fast_login":0`, `"href":"data:text/css;base64,AAAA"`} {
			if !strings.Contains(string(raw), frag) {
				t.Fatalf("options %s lack %s", raw, frag)
			}
		}
		iq, _ := url.ParseQuery(strings.SplitN(q.IframeURL, "?", 2)[1])
		if iq.Get("self_redirect") != "true" || iq.Get("stylelite") != "1" || iq.Get("fast_login") != "0" {
			t.Fatalf("iframe = %s", q.IframeURL)
		}
	})
	bad := []struct {
		name, id string
		style    InlineQRStyle
	}{
		{"no container", "", InlineQRStyle{}},
		{"unknown colour", "box", InlineQRStyle{Style: "red"}},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			if _, err := c.InlineQR(b.id, "https://mis.example.com/cb", "st1", b.style); !errors.Is(err, ErrInvalidArgument) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func TestEndpoints(t *testing.T) {
	e := SingleHost("http://h/_sandbox/")
	for _, v := range []string{e.Open, e.API, e.MP, e.QYAPI, e.WorkLogin, e.WorkOpen, e.Res} {
		if v != "http://h/_sandbox" {
			t.Fatalf("SingleHost field = %q", v)
		}
	}
	got := Endpoints{API: "http://x/"}.orDefault()
	if got.API != "http://x" || got.Open != DefaultEndpoints().Open {
		t.Fatalf("orDefault = %+v", got)
	}
	for _, v := range []string{got.Open, got.MP, got.QYAPI, got.WorkLogin, got.WorkOpen, got.Res} {
		if !strings.HasPrefix(v, "https://") {
			t.Fatalf("default host %q is not https", v)
		}
	}
}
