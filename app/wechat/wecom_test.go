package wechat

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"
)

func workFake(t *testing.T) (*fake, *WorkClient, *atomic.Int32) {
	t.Helper()
	f := newFake(t)
	var fetches atomic.Int32
	f.handle("/_sandbox/cgi-bin/gettoken", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("corpsecret") != "corpsecret" {
			writeJSON(w, errBody(40001, "invalid secret"))
			return
		}
		n := fetches.Add(1)
		writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "access_token": "WT" + string(rune('0'+n)), "expires_in": 7200})
	})
	w, err := NewWork(WorkConfig{CorpID: "ww1", CorpSecret: "corpsecret", AgentID: "1000002", Endpoints: f.endpoints()})
	if err != nil {
		t.Fatal(err)
	}
	return f, w, &fetches
}

func TestWorkLoginURLs(t *testing.T) {
	_, w, _ := workFake(t)
	t.Run("new login page", func(t *testing.T) {
		got, err := w.LoginURL("https://mis.example.com/auth/wecom", "st", "en")
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(got)
		q := u.Query()
		if u.Path != "/_sandbox/wwlogin/sso/login" || q.Get("login_type") != "CorpApp" || q.Get("appid") != "ww1" ||
			q.Get("agentid") != "1000002" || q.Get("redirect_uri") != "https://mis.example.com/auth/wecom" || q.Get("state") != "st" || q.Get("lang") != "en" {
			t.Fatalf("url = %s", got)
		}
	})
	t.Run("old QR page", func(t *testing.T) {
		got, err := w.QRConnectURL("https://mis.example.com/auth/wecom", "st")
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(got)
		if u.Path != "/_sandbox/wwopen/sso/qrConnect" || u.Query().Get("agentid") != "1000002" {
			t.Fatalf("url = %s", got)
		}
	})
	t.Run("bad lang", func(t *testing.T) {
		if _, err := w.LoginURL("https://mis.example.com/cb", "st", "fr"); !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("agent id required", func(t *testing.T) {
		w2, _ := NewWork(WorkConfig{CorpID: "ww1"})
		if _, err := w2.LoginURL("https://mis.example.com/cb", "st", ""); !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestWorkUserIdentity(t *testing.T) {
	cases := []struct {
		name   string
		answer string
		member bool
		id     string
		want   error
	}{
		{"member", `{"errcode":0,"errmsg":"ok","userid":"zhangsan"}`, true, "zhangsan", nil},
		{"legacy capitalized keys", `{"errcode":0,"errmsg":"ok","UserId":"lisi","DeviceId":"d1"}`, true, "lisi", nil},
		{"non-member", `{"errcode":0,"errmsg":"ok","openid":"oW1","external_userid":"wmX"}`, false, "oW1", nil},
		{"invalid code", `{"errcode":40029,"errmsg":"invalid code, hint: [1], from ip: 1.2.3.4, more info at https://open.work.weixin.qq.com/devtool/query?e=40029"}`, false, "", CodeInvalidCode},
		{"untrusted domain", `{"errcode":50001,"errmsg":"redirect_url domain not match"}`, false, "", CodeUserUnauthorized},
		{"empty identity", `{"errcode":0,"errmsg":"ok"}`, false, "", ErrMalformedResponse},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, w, _ := workFake(t)
			f.reply("/_sandbox/cgi-bin/auth/getuserinfo", c.answer)
			id, err := w.UserIdentity(context.Background(), "WCODE")
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if c.want != nil {
				return
			}
			if id.IsMember() != c.member || (c.member && id.UserID != c.id) || (!c.member && id.OpenID != c.id) {
				t.Fatalf("identity = %+v", id)
			}
			q := f.last("/_sandbox/cgi-bin/auth/getuserinfo").Query
			if q.Get("code") != "WCODE" || q.Get("access_token") != "WT1" {
				t.Fatalf("query = %v", q)
			}
		})
	}
}

func TestWorkUser(t *testing.T) {
	f, w, fetches := workFake(t)
	calls := 0
	f.handle("/_sandbox/cgi-bin/user/get", func(rw http.ResponseWriter, r *http.Request) {
		calls++
		// The first token is reported expired: the client must refresh and retry once.
		if r.URL.Query().Get("access_token") == "WT1" {
			writeJSON(rw, errBody(42001, "access_token expired"))
			return
		}
		writeJSON(rw, `{"errcode":0,"errmsg":"ok","userid":"zhangsan","name":"张三","department":[1,2],"position":"QA",
			"gender":"1","status":1,"main_department":1,"open_userid":"wo1"}`)
	})
	u, err := w.User(context.Background(), "zhangsan")
	if err != nil {
		t.Fatal(err)
	}
	if u.Name != "张三" || u.Gender != "1" || u.Status != 1 || len(u.Department) != 2 || u.MainDepartment != 1 {
		t.Fatalf("user = %+v", u)
	}
	if fetches.Load() != 2 || calls != 2 {
		t.Fatalf("token fetches %d, calls %d; want 2 and 2", fetches.Load(), calls)
	}
}

func TestWorkTokenBadSecret(t *testing.T) {
	f := newFake(t)
	f.reply("/_sandbox/cgi-bin/gettoken", errBody(40001, "invalid secret"))
	w, _ := NewWork(WorkConfig{CorpID: "ww1", CorpSecret: "x", Endpoints: f.endpoints()})
	if _, err := w.AccessToken(context.Background()); !errors.Is(err, CodeInvalidCredential) {
		t.Fatalf("err = %v", err)
	}
	// gettoken's own 40001 must not trigger the refresh-and-retry loop.
	if n := f.count("/_sandbox/cgi-bin/gettoken"); n != 1 {
		t.Fatalf("gettoken called %d times", n)
	}
}
