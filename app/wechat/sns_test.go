package wechat

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

func TestExchangeCode(t *testing.T) {
	cases := []struct {
		name      string
		answer    any
		wantErr   error
		wantCheck func(t *testing.T, tok *UserToken)
	}{
		{
			name: "success with unionid",
			answer: map[string]any{"access_token": "ua1", "expires_in": 7200, "refresh_token": "rt1",
				"openid": "o1", "scope": "snsapi_login", "unionid": "u1"},
			wantCheck: func(t *testing.T, tok *UserToken) {
				if tok.AccessToken != "ua1" || tok.OpenID != "o1" || tok.UnionID != "u1" || tok.IsSnapshotUser {
					t.Fatalf("token = %+v", tok)
				}
				if err := tok.RequireRealUser(); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "snapshot user",
			answer: map[string]any{"access_token": "ua2", "expires_in": 7200, "refresh_token": "rt2",
				"openid": "ovirtual", "scope": "snsapi_userinfo", "is_snapshotuser": 1},
			wantCheck: func(t *testing.T, tok *UserToken) {
				if !tok.IsSnapshotUser {
					t.Fatal("is_snapshotuser=1 not reported")
				}
				if err := tok.RequireRealUser(); !errors.Is(err, ErrSnapshotUser) {
					t.Fatalf("RequireRealUser = %v, want ErrSnapshotUser", err)
				}
			},
		},
		{
			name: "trailing comma in scope after refresh",
			answer: map[string]any{"access_token": "ua3", "expires_in": 7200, "refresh_token": "rt3",
				"openid": "o3", "scope": "snsapi_base,snsapi_userinfo,"},
			wantCheck: func(t *testing.T, tok *UserToken) {
				if got := tok.Scopes(); len(got) != 2 || got[0] != ScopeBase || got[1] != ScopeUserInfo {
					t.Fatalf("Scopes = %v", got)
				}
			},
		},
		{name: "invalid code", answer: errBody(40029, "invalid code"), wantErr: CodeInvalidCode},
		{name: "code reused", answer: errBody(40163, "code been used"), wantErr: CodeCodeUsed},
		{name: "code expired", answer: errBody(42003, "code expired"), wantErr: CodeCodeExpired},
		{name: "bad appid", answer: errBody(40013, "invalid appid"), wantErr: CodeInvalidAppID},
		{name: "bad secret", answer: errBody(40125, "invalid appsecret"), wantErr: CodeInvalidAppSecret},
		{name: "errcode zero with no token", answer: `{"errcode":0,"errmsg":"ok"}`, wantErr: ErrMalformedResponse},
		{name: "not JSON", answer: `<html>busy</html>`, wantErr: ErrMalformedResponse},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(t)
			f.reply("/_sandbox/sns/oauth2/access_token", c.answer)
			tok, err := f.client().ExchangeCode(context.Background(), "CODE1")
			if c.wantErr != nil {
				if !errors.Is(err, c.wantErr) {
					t.Fatalf("err = %v, want %v", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			q := f.last("/_sandbox/sns/oauth2/access_token").Query
			if q.Get("appid") != "wxtest" || q.Get("secret") != "s3cret" || q.Get("code") != "CODE1" || q.Get("grant_type") != "authorization_code" {
				t.Fatalf("query = %v", q)
			}
			c.wantCheck(t, tok)
		})
	}
}

func TestExchangeCodeErrorsAreClassified(t *testing.T) {
	f := newFake(t)
	f.reply("/_sandbox/sns/oauth2/access_token", errBody(40163, "code been used"))
	_, err := f.client().ExchangeCode(context.Background(), "C")
	var we *Error
	if !errors.As(err, &we) {
		t.Fatalf("err = %T %v, want *Error", err, err)
	}
	if we.Op != "sns/oauth2/access_token" || we.ErrCode != 40163 || !strings.HasPrefix(we.ErrMsg, "code been used") || we.HTTPStatus != 200 {
		t.Fatalf("Error = %+v", we)
	}
	if !IsInvalidCode(err) || IsTokenInvalid(err) || we.Retryable() {
		t.Fatal("40163 misclassified")
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Fatal("error text leaks the secret")
	}
}

func TestExchangeCodeRefusesEmptyCode(t *testing.T) {
	f := newFake(t)
	_, err := f.client().ExchangeCode(context.Background(), "")
	if !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("err = %v", err)
	}
	if f.count("/_sandbox/sns/oauth2/access_token") != 0 {
		t.Fatal("an empty code was sent to WeChat")
	}
}

func TestRefreshUserToken(t *testing.T) {
	t.Run("success", func(t *testing.T) {
		f := newFake(t)
		f.reply("/_sandbox/sns/oauth2/refresh_token", map[string]any{"access_token": "ua9", "expires_in": 7200,
			"refresh_token": "rt1", "openid": "o1", "scope": "snsapi_userinfo"})
		tok, err := f.client().RefreshUserToken(context.Background(), "rt1")
		if err != nil || tok.AccessToken != "ua9" {
			t.Fatalf("tok = %v, err = %v", tok, err)
		}
		q := f.last("/_sandbox/sns/oauth2/refresh_token").Query
		if q.Get("refresh_token") != "rt1" || q.Get("grant_type") != "refresh_token" || q.Has("secret") {
			t.Fatalf("query = %v (refresh sends no secret)", q)
		}
	})
	t.Run("expired refresh token", func(t *testing.T) {
		f := newFake(t)
		f.reply("/_sandbox/sns/oauth2/refresh_token", errBody(42002, "refresh_token expired"))
		_, err := f.client().RefreshUserToken(context.Background(), "rt1")
		if !errors.Is(err, CodeRefreshTokenExpired) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestValidateUserToken(t *testing.T) {
	cases := []struct {
		name    string
		answer  any
		valid   bool
		wantErr bool
	}{
		{"valid", `{"errcode":0,"errmsg":"ok"}`, true, false},
		{"expired", errBody(42001, "access_token expired"), false, false},
		{"invalid openid", errBody(40003, "invalid openid"), false, false},
		{"busy", errBody(-1, "system error"), false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(t)
			f.reply("/_sandbox/sns/auth", c.answer)
			ok, err := f.client().ValidateUserToken(context.Background(), "ua", "o1")
			if ok != c.valid || (err != nil) != c.wantErr {
				t.Fatalf("ok=%t err=%v", ok, err)
			}
		})
	}
}

func TestUserInfo(t *testing.T) {
	t.Run("success with lang", func(t *testing.T) {
		f := newFake(t)
		f.reply("/_sandbox/sns/userinfo", `{"openid":"o1","nickname":"小明😀","sex":0,"province":"","city":"","country":"",
			"headimgurl":"https://thirdwx.qlogo.cn/x/132","privilege":[],"unionid":"u1","language":""}`)
		u, err := f.client().UserInfo(context.Background(), "ua", "o1", LangEN)
		if err != nil {
			t.Fatal(err)
		}
		if u.Nickname != "小明😀" || u.UnionID != "u1" || u.HeadImgURL == "" {
			t.Fatalf("user = %+v", u)
		}
		if q := f.last("/_sandbox/sns/userinfo").Query; q.Get("lang") != "en" || q.Get("openid") != "o1" {
			t.Fatalf("query = %v", q)
		}
	})
	t.Run("default lang is zh_CN", func(t *testing.T) {
		f := newFake(t)
		f.reply("/_sandbox/sns/userinfo", `{"openid":"o1","sex":"1"}`)
		u, err := f.client().UserInfo(context.Background(), "ua", "o1", "")
		if err != nil || u.Sex != 1 {
			t.Fatalf("u = %+v, err = %v (sex as a string must decode)", u, err)
		}
		if q := f.last("/_sandbox/sns/userinfo").Query; q.Get("lang") != "zh_CN" {
			t.Fatalf("lang = %q", q.Get("lang"))
		}
	})
	t.Run("base scope token", func(t *testing.T) {
		f := newFake(t)
		f.reply("/_sandbox/sns/userinfo", errBody(48001, "api unauthorized"))
		_, err := f.client().UserInfo(context.Background(), "ua", "o1", "")
		if !errors.Is(err, CodeAPIUnauthorized) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestHTTPErrorsAndNetworkFailures(t *testing.T) {
	t.Run("HTTP 502 is retryable", func(t *testing.T) {
		f := newFake(t)
		f.handle("/_sandbox/sns/oauth2/access_token", func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "bad gateway", http.StatusBadGateway)
		})
		_, err := f.client().ExchangeCode(context.Background(), "C")
		var we *Error
		if !errors.As(err, &we) || we.HTTPStatus != 502 || !we.Retryable() {
			t.Fatalf("err = %#v", err)
		}
	})
	t.Run("connection refused is retryable and hides the secret", func(t *testing.T) {
		f := newFake(t)
		c := f.client()
		f.srv.Close()
		_, err := c.ExchangeCode(context.Background(), "SECRETCODE")
		if !IsRetryable(err) {
			t.Fatalf("err = %v, want retryable", err)
		}
		if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "SECRETCODE") {
			t.Fatalf("error text leaks query parameters: %v", err)
		}
	})
	t.Run("cancelled context is not retryable", func(t *testing.T) {
		f := newFake(t)
		f.reply("/_sandbox/sns/oauth2/access_token", errBody(40029, "invalid code"))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := f.client().ExchangeCode(ctx, "C")
		if !errors.Is(err, context.Canceled) || IsRetryable(err) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestCallLogsCarryNoSecrets(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f := newFake(t)
	f.reply("/_sandbox/sns/oauth2/access_token", map[string]any{"access_token": "USERTOKEN", "expires_in": 7200, "openid": "o1"})
	c := f.client(func(c *Config) { c.Logger = log })
	if _, err := c.ExchangeCode(context.Background(), "THECODE"); err != nil {
		t.Fatal(err)
	}
	f.srv.Close()
	_, _ = c.ExchangeCode(context.Background(), "THECODE")
	out := buf.String()
	if !strings.Contains(out, "sns/oauth2/access_token") {
		t.Fatalf("no call logged: %s", out)
	}
	for _, secret := range []string{"s3cret", "THECODE", "USERTOKEN"} {
		if strings.Contains(out, secret) {
			t.Fatalf("log leaks %s: %s", secret, out)
		}
	}
}
