package wechat

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
)

func TestCode2Session(t *testing.T) {
	cases := []struct {
		name   string
		answer any
		want   error
	}{
		{"success", `{"openid":"oGZUI0eg","session_key":"tiihtNczf5v6AKRyjwEUhQ==","unionid":"ocMvos6N"}`, nil},
		{"invalid code", errBody(40029, "invalid code"), CodeInvalidCode},
		{"code reused", errBody(40163, "code been used"), CodeCodeUsed},
		{"code blocked", errBody(40226, "code blocked"), CodeCodeBlocked},
		{"rate limited", errBody(45011, "api minute-quota reach limit"), CodeMinuteQuota},
		{"no session key", `{"openid":"o1"}`, ErrMalformedResponse},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(t)
			f.reply("/_sandbox/sns/jscode2session", c.answer)
			s, err := f.client().Code2Session(context.Background(), "JSCODE")
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if c.want != nil {
				return
			}
			if s.OpenID != "oGZUI0eg" || s.SessionKey != "tiihtNczf5v6AKRyjwEUhQ==" || s.UnionID != "ocMvos6N" {
				t.Fatalf("session = %+v", s)
			}
			q := f.last("/_sandbox/sns/jscode2session").Query
			if q.Get("js_code") != "JSCODE" || q.Get("grant_type") != "authorization_code" || q.Get("secret") != "s3cret" {
				t.Fatalf("query = %v", q)
			}
		})
	}
	t.Run("blocked code is an invalid code, not retryable", func(t *testing.T) {
		f := newFake(t)
		f.reply("/_sandbox/sns/jscode2session", errBody(40226, "code blocked"))
		_, err := f.client().Code2Session(context.Background(), "J")
		if !IsInvalidCode(err) || IsRetryable(err) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("minute quota is retryable", func(t *testing.T) {
		f := newFake(t)
		f.reply("/_sandbox/sns/jscode2session", errBody(45011, "minute quota"))
		_, err := f.client().Code2Session(context.Background(), "J")
		if !IsRetryable(err) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestPhoneNumber(t *testing.T) {
	cases := []struct {
		name        string
		answer      string
		wantErr     error
		wantCountry string
	}{
		{"country code as string", `{"errcode":0,"errmsg":"ok","phone_info":{"phoneNumber":"+8613800000000","purePhoneNumber":"13800000000","countryCode":"86","watermark":{"timestamp":1718000000,"appid":"wxtest"}}}`, nil, "86"},
		{"country code as number", `{"errcode":0,"errmsg":"ok","phone_info":{"phoneNumber":"+8613800000000","purePhoneNumber":"13800000000","countryCode":86,"watermark":{"timestamp":1718000000,"appid":"wxtest"}}}`, nil, "86"},
		{"invalid code", `{"errcode":40029,"errmsg":"invalid code"}`, CodeInvalidCode, ""},
		{"no phone_info", `{"errcode":0,"errmsg":"ok"}`, ErrMalformedResponse, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := oaFake(t)
			f.reply("/_sandbox/wxa/business/getuserphonenumber", c.answer)
			p, err := f.client().PhoneNumber(context.Background(), "PHONECODE", "o1")
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("err = %v, want %v", err, c.wantErr)
			}
			if c.wantErr != nil {
				return
			}
			if p.PurePhoneNumber != "13800000000" || p.CountryCode != c.wantCountry || p.Watermark.AppID != "wxtest" {
				t.Fatalf("phone = %+v", p)
			}
			call := f.last("/_sandbox/wxa/business/getuserphonenumber")
			var body map[string]string
			_ = json.Unmarshal([]byte(call.Body), &body)
			if body["code"] != "PHONECODE" || body["openid"] != "o1" || call.Query.Get("access_token") != "APPTOKEN" {
				t.Fatalf("request = %+v", call)
			}
		})
	}
}

func TestCheckSession(t *testing.T) {
	const sessionKey = "o0q0otL8aEzpcZL/FT9WsQ=="
	f := oaFake(t)
	f.handle("/_sandbox/wxa/checksession", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("sig_method") != "hmac_sha256" || q.Get("signature") != HMACSHA256Hex(sessionKey, "") {
			writeJSON(w, errBody(87009, "invalid signature"))
			return
		}
		writeJSON(w, `{"errcode":0,"errmsg":"ok"}`)
	})
	c := f.client()
	ok, err := c.CheckSession(context.Background(), "o1", sessionKey)
	if err != nil || !ok {
		t.Fatalf("current key: ok=%t err=%v", ok, err)
	}
	ok, err = c.CheckSession(context.Background(), "o1", "tiihtNczf5v6AKRyjwEUhQ==")
	if err != nil || ok {
		t.Fatalf("rotated key: ok=%t err=%v", ok, err)
	}
	if q := f.last("/_sandbox/wxa/checksession").Query; q.Get("openid") != "o1" || q.Get("access_token") != "APPTOKEN" {
		t.Fatalf("query = %v", q)
	}
}

func TestPhoneInfoCountryCodeAsNumber(t *testing.T) {
	// The legacy encrypted getPhoneNumber payload has been seen with a numeric countryCode.
	var p PhoneInfo
	if err := json.Unmarshal([]byte(`{"phoneNumber":"+1 555","purePhoneNumber":"555","countryCode":1,"watermark":{"appid":"wx","timestamp":1}}`), &p); err != nil {
		t.Fatal(err)
	}
	if p.CountryCode != "1" || p.Watermark.AppID != "wx" || p.PhoneNumber != "+1 555" {
		t.Fatalf("phone = %+v", p)
	}
}
