package wechatsandbox

import (
	"context"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"
	"time"
)

func TestFaults(t *testing.T) {
	var slept atomic.Int64
	e := newEnv(t, func(c *Config) {
		c.Sleep = func(ctx context.Context, d time.Duration) error { slept.Add(int64(d)); return nil }
	})
	oa := e.cfg.OA
	tokenQ := url.Values{"grant_type": {"client_credential"}, "appid": {oa.AppID}, "secret": {oa.Secret}}

	t.Run("errcode once", func(t *testing.T) {
		if err := e.sb.AddFault(Fault{Endpoint: "/cgi-bin/token", Errcode: -1}); err != nil {
			t.Fatal(err)
		}
		wantErr(t, e.get(t, "/cgi-bin/token", tokenQ), -1)
		wantErr(t, e.get(t, "/cgi-bin/token", tokenQ), 0)
	})
	t.Run("errcode twice with own message", func(t *testing.T) {
		_ = e.sb.AddFault(Fault{Endpoint: "/sns/userinfo", Errcode: 50001, Errmsg: "user unauthorized", Times: 2})
		for range 2 {
			wantErr(t, e.get(t, "/sns/userinfo", nil), 50001)
		}
		wantErr(t, e.get(t, "/sns/userinfo", nil), 41001)
	})
	t.Run("latency goes through the injected sleeper", func(t *testing.T) {
		_ = e.sb.AddFault(Fault{Endpoint: "/cgi-bin/token", Latency: 3 * time.Second})
		wantErr(t, e.get(t, "/cgi-bin/token", tokenQ), 0)
		if slept.Load() != int64(3*time.Second) {
			t.Errorf("slept %v", time.Duration(slept.Load()))
		}
	})
	t.Run("http status", func(t *testing.T) {
		_ = e.sb.AddFault(Fault{Endpoint: "/cgi-bin/token", HTTPStatus: 502})
		if rec := e.raw(t, http.MethodGet, "/cgi-bin/token?"+tokenQ.Encode(), ""); rec.Code != 502 {
			t.Errorf("status %d", rec.Code)
		}
	})
	t.Run("until cleared", func(t *testing.T) {
		_ = e.sb.AddFault(Fault{Endpoint: "/cgi-bin/gettoken", Errcode: 60020, Times: -1})
		for range 3 {
			wantErr(t, e.get(t, "/cgi-bin/gettoken", url.Values{"corpid": {e.cfg.WeCom.CorpID}}), 60020)
		}
		e.sb.ClearFaults()
		if len(e.sb.Faults()) != 0 {
			t.Error("faults remain after clear")
		}
	})
	t.Run("invalid faults refused", func(t *testing.T) {
		for _, f := range []Fault{{Endpoint: "/phone", Errcode: 1}, {Endpoint: "/cgi-bin/token"}, {Endpoint: "/cgi-bin/token", HTTPStatus: 99}, {Endpoint: "/cgi-bin/token", Errcode: 1, Times: -2}} {
			if err := e.sb.AddFault(f); err == nil {
				t.Errorf("accepted %+v", f)
			}
		}
	})
}
