package wechat

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"
)

func TestDecodeResponse(t *testing.T) {
	cases := []struct {
		name     string
		status   int
		body     string
		wantCode int
		wantErr  error
	}{
		{"success without errcode", 200, `{"access_token":"A","expires_in":7200}`, 0, nil},
		{"success with errcode 0", 200, `{"errcode":0,"errmsg":"ok","access_token":"A"}`, 0, nil},
		{"errcode as string", 200, `{"errcode":"40029","errmsg":"invalid code"}`, 40029, CodeInvalidCode},
		{"errcode null", 200, `{"errcode":null,"access_token":"A"}`, 0, nil},
		{"error with HTTP 200", 200, `{"errcode":40013,"errmsg":"invalid appid, rid: 1"}`, 40013, CodeInvalidAppID},
		{"busy", 200, `{"errcode":-1,"errmsg":"system error"}`, -1, CodeSystemBusy},
		{"HTML error page", 200, `<html>oops</html>`, 0, ErrMalformedResponse},
		{"errcode not a number", 200, `{"errcode":"abc"}`, 0, ErrMalformedResponse},
		{"wrong field type", 200, `{"access_token":5}`, 0, ErrMalformedResponse},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out AppToken
			err := decodeResponse("cgi-bin/token", c.status, []byte(c.body), &out)
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("err = %v, want %v", err, c.wantErr)
			}
			if ErrCodeOf(err) != c.wantCode {
				t.Fatalf("errcode = %d, want %d", ErrCodeOf(err), c.wantCode)
			}
			if err == nil && out.AccessToken != "A" {
				t.Fatalf("out = %+v", out)
			}
		})
	}
	t.Run("HTTP status kept", func(t *testing.T) {
		err := decodeResponse("op", 503, []byte("unavailable"), nil)
		var we *Error
		if !errors.As(err, &we) || we.HTTPStatus != 503 || we.ErrMsg != "unavailable" {
			t.Fatalf("err = %#v", err)
		}
	})
}

func TestRetryable(t *testing.T) {
	netErr := &url.Error{Op: "Get", URL: "https://api.weixin.qq.com/cgi-bin/token", Err: &net.OpError{Op: "dial", Err: errors.New("connection refused")}}
	cases := []struct {
		name string
		err  *Error
		want bool
	}{
		{"system busy", &Error{ErrCode: -1}, true},
		{"minute quota", &Error{ErrCode: 45011}, true},
		{"daily quota", &Error{ErrCode: 45009}, false},
		{"invalid code", &Error{ErrCode: 40029}, false},
		{"token expired (handled by refresh, not retry)", &Error{ErrCode: 42001}, false},
		{"HTTP 500", &Error{HTTPStatus: 500}, true},
		{"HTTP 404", &Error{HTTPStatus: 404}, false},
		{"network", &Error{Err: netErr}, true},
		{"cancelled", &Error{Err: &url.Error{Op: "Get", URL: "x", Err: context.Canceled}}, false},
		{"deadline", &Error{Err: &url.Error{Op: "Get", URL: "x", Err: context.DeadlineExceeded}}, false},
		{"malformed answer", &Error{HTTPStatus: 200, Err: ErrMalformedResponse}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.err.Retryable(); got != c.want {
				t.Fatalf("Retryable = %t, want %t", got, c.want)
			}
		})
	}
}

func TestErrorMatching(t *testing.T) {
	err := fmt.Errorf("sign-in: %w", &Error{Op: "sns/oauth2/access_token", ErrCode: 40163, ErrMsg: "code been used"})
	if !errors.Is(err, CodeCodeUsed) || errors.Is(err, CodeInvalidCode) {
		t.Fatal("errors.Is on Code")
	}
	if !IsInvalidCode(err) || IsTokenInvalid(err) || ErrCodeOf(err) != 40163 {
		t.Fatal("helpers")
	}
	for _, code := range []Code{CodeInvalidCredential, CodeInvalidAccessToken, CodeAccessTokenExpired} {
		if !IsTokenInvalid(&Error{ErrCode: int(code)}) {
			t.Fatalf("%d not a token error", code)
		}
	}
	if errors.Is(&Error{Op: "x", Err: errors.New("net")}, Code(0)) {
		t.Fatal("an error without errcode matched Code(0)")
	}
	if got := (&Error{Op: "sns/auth", ErrCode: 40003, ErrMsg: "invalid openid"}).Error(); got != "wechat sns/auth: errcode 40003: invalid openid" {
		t.Fatalf("Error() = %q", got)
	}
}

func TestScrubURLError(t *testing.T) {
	in := &url.Error{Op: "Get", URL: "https://api.weixin.qq.com/sns/oauth2/access_token?appid=wx&secret=S&code=C", Err: errors.New("refused")}
	got := scrubURLError(in).Error()
	if got != `Get "https://api.weixin.qq.com/sns/oauth2/access_token": refused` {
		t.Fatalf("scrubbed = %q", got)
	}
}

func TestNewValidatesAndDefaults(t *testing.T) {
	if _, err := New(Config{}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("New without AppID: err = %v", err)
	}
	if _, err := NewWork(WorkConfig{}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("NewWork without CorpID: err = %v", err)
	}
	c, err := New(Config{AppID: "wx1"})
	if err != nil {
		t.Fatal(err)
	}
	if c.t.hc.Timeout != DefaultTimeout || c.Endpoints() != DefaultEndpoints() || c.AppID() != "wx1" {
		t.Fatalf("defaults: timeout %s, endpoints %+v", c.t.hc.Timeout, c.Endpoints())
	}
}

func TestContextBoundsASlowWeChat(t *testing.T) {
	f := newFake(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	f.handle("/_sandbox/sns/oauth2/access_token", func(http.ResponseWriter, *http.Request) { <-release })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := f.client().ExchangeCode(ctx, "C")
	if !errors.Is(err, context.DeadlineExceeded) || IsRetryable(err) {
		t.Fatalf("err = %v, want the context deadline, not retryable", err)
	}
}
