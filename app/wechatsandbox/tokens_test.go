package wechatsandbox

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestAppTokenOverlap(t *testing.T) {
	e := newEnv(t, nil)
	qa := e.oaToken(t)
	info := func(tok string) map[string]any {
		return e.get(t, "/cgi-bin/user/info", url.Values{"access_token": {tok}, "openid": {"unknown"}})
	}
	wantErr(t, info(qa), 40003) // token fine, openid not
	qb := e.oaToken(t)
	if qa == qb {
		t.Fatal("each /cgi-bin/token call mints a new token")
	}
	e.clock.Add(4 * time.Minute)
	wantErr(t, info(qa), 40003) // still inside the 5-minute overlap
	e.clock.Add(time.Minute)
	wantErr(t, info(qa), 40001)
	wantErr(t, info(qb), 40003)
	e.clock.Add(7200 * time.Second)
	wantErr(t, info(qb), 42001)
	wantErr(t, info(""), 41001)
	wantErr(t, info("garbage"), 40001)
}

func TestTokenErrors(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Settings.TokenDailyQuota = 2; c.Settings.IPWhitelist = []string{"192.0.2.10"} })
	oa := e.cfg.OA
	tests := []struct {
		name string
		q    url.Values
		want int
	}{
		{"grant type", url.Values{"grant_type": {"x"}, "appid": {oa.AppID}, "secret": {oa.Secret}}, 40002},
		{"appid missing", url.Values{"grant_type": {"client_credential"}, "secret": {oa.Secret}}, 41002},
		{"secret missing", url.Values{"grant_type": {"client_credential"}, "appid": {oa.AppID}}, 41004},
		{"unknown appid", url.Values{"grant_type": {"client_credential"}, "appid": {"wxnope"}, "secret": {"s"}}, 40013},
		{"wrong secret", url.Values{"grant_type": {"client_credential"}, "appid": {oa.AppID}, "secret": {"s"}}, 40125},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { wantErr(t, e.get(t, "/cgi-bin/token", tc.q), tc.want) })
	}
	t.Run("daily quota", func(t *testing.T) {
		e.oaToken(t)
		e.oaToken(t)
		wantErr(t, e.get(t, "/cgi-bin/token", url.Values{"grant_type": {"client_credential"}, "appid": {oa.AppID}, "secret": {oa.Secret}}), 45009)
		e.clock.Add(24 * time.Hour)
		e.oaToken(t)
	})
	t.Run("ip whitelist", func(t *testing.T) {
		e2 := newEnv(t, func(c *Config) { c.Settings.IPWhitelist = []string{"203.0.113.1"} })
		m := e2.get(t, "/cgi-bin/token", url.Values{"grant_type": {"client_credential"}, "appid": {oa.AppID}, "secret": {oa.Secret}})
		wantErr(t, m, 40164)
		if !strings.Contains(m["errmsg"].(string), "192.0.2.10") {
			t.Errorf("errmsg should name the caller IP: %v", m)
		}
	})
}

func TestStableToken(t *testing.T) {
	e := newEnv(t, nil)
	oa := e.cfg.OA
	stable := func(force bool) map[string]any {
		b, _ := json.Marshal(stableTokenRequest{GrantType: "client_credential", AppID: oa.AppID, Secret: oa.Secret, ForceRefresh: force})
		return e.post(t, "/cgi-bin/stable_token", nil, string(b))
	}
	a := stable(false)["access_token"]
	if b := stable(false)["access_token"]; a != b {
		t.Fatal("normal mode must return the same token")
	}
	plain := e.oaToken(t)
	if stable(false)["access_token"] != a {
		t.Fatal("/cgi-bin/token must not disturb the stable token")
	}
	info := func(tok any) int {
		return errcode(e.get(t, "/cgi-bin/user/info", url.Values{"access_token": {tok.(string)}, "openid": {"x"}}))
	}
	if info(plain) != 40003 || info(a) != 40003 {
		t.Fatal("both kinds must work side by side")
	}
	e.clock.Add(31 * time.Second)
	f := stable(true)["access_token"]
	if f == a || info(a) != 40001 {
		t.Fatalf("force_refresh must replace and invalidate at once (old now %d)", info(a))
	}
	if stable(true)["access_token"] != f {
		t.Error("a second force within 30 s must not refresh")
	}
	t.Run("rotates 5 minutes before expiry", func(t *testing.T) {
		e.clock.Add(7200*time.Second - 5*time.Minute)
		m := stable(false)
		if m["access_token"] == f || m["expires_in"].(float64) < 300 {
			t.Errorf("want a fresh token with expires_in >= 300: %v", m)
		}
	})
	t.Run("20 forces a day", func(t *testing.T) {
		e2 := newEnv(t, nil)
		st := func(force bool) any {
			b, _ := json.Marshal(stableTokenRequest{GrantType: "client_credential", AppID: oa.AppID, Secret: oa.Secret, ForceRefresh: force})
			return e2.post(t, "/cgi-bin/stable_token", nil, string(b))["access_token"]
		}
		prev := st(false)
		for i := 0; i < 20; i++ {
			e2.clock.Add(time.Minute)
			next := st(true)
			if next == prev {
				t.Fatalf("force %d did not refresh", i+1)
			}
			prev = next
		}
		e2.clock.Add(time.Minute)
		if st(true) != prev {
			t.Error("the 21st force of the day must not refresh")
		}
	})
	t.Run("bad body", func(t *testing.T) {
		wantErr(t, e.post(t, "/cgi-bin/stable_token", nil, "{"), 47001)
	})
}
