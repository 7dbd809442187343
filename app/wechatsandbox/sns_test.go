package wechatsandbox

import (
	"net/url"
	"testing"
	"time"
)

// oauthCode runs the OA web-auth consent as u and returns the code.
func (e *env) oauthCode(t *testing.T, userID, scope string) string {
	t.Helper()
	q := url.Values{"appid": {e.cfg.OA.AppID}, "redirect_uri": {"https://app.example/cb"}, "response_type": {"code"}, "scope": {scope}, "state": {"s1"}}
	res, err := e.sb.Authorize(userID, "https://open.weixin.qq.com/connect/oauth2/authorize?"+q.Encode(), true)
	if err != nil || res.Code == "" {
		t.Fatalf("Authorize: %+v %v", res, err)
	}
	return res.Code
}

func (e *env) exchange(t *testing.T, appid, secret, code string) map[string]any {
	t.Helper()
	return e.get(t, "/sns/oauth2/access_token", url.Values{"appid": {appid}, "secret": {secret}, "code": {code}, "grant_type": {"authorization_code"}})
}

func TestSNSAccessToken(t *testing.T) {
	e := newEnv(t, nil)
	u := e.user(t, NewUser{})
	oa := e.cfg.OA
	tests := []struct {
		name  string
		setup func() url.Values
		want  int
	}{
		{"success", func() url.Values {
			return url.Values{"appid": {oa.AppID}, "secret": {oa.Secret}, "code": {e.oauthCode(t, u.ID, "snsapi_base")}, "grant_type": {"authorization_code"}}
		}, 0},
		{"invalid code", func() url.Values {
			return url.Values{"appid": {oa.AppID}, "secret": {oa.Secret}, "code": {"nope"}, "grant_type": {"authorization_code"}}
		}, 40029},
		{"code of another app", func() url.Values {
			return url.Values{"appid": {e.cfg.Website.AppID}, "secret": {e.cfg.Website.Secret}, "code": {e.oauthCode(t, u.ID, "snsapi_base")}, "grant_type": {"authorization_code"}}
		}, 40029},
		{"wrong secret", func() url.Values {
			return url.Values{"appid": {oa.AppID}, "secret": {"x"}, "code": {"c"}, "grant_type": {"authorization_code"}}
		}, 40125},
		{"unknown appid", func() url.Values {
			return url.Values{"appid": {"wx0"}, "secret": {"x"}, "code": {"c"}, "grant_type": {"authorization_code"}}
		}, 40013},
		{"missing appid", func() url.Values { return url.Values{"secret": {"x"}, "code": {"c"}} }, 41002},
		{"missing secret", func() url.Values { return url.Values{"appid": {oa.AppID}, "code": {"c"}} }, 41004},
		{"missing code", func() url.Values { return url.Values{"appid": {oa.AppID}, "secret": {"x"}} }, 41008},
		{"bad grant_type", func() url.Values {
			return url.Values{"appid": {oa.AppID}, "secret": {"x"}, "code": {"c"}, "grant_type": {"password"}}
		}, 40002},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := e.get(t, "/sns/oauth2/access_token", tc.setup())
			if tc.want != 0 {
				wantErr(t, m, tc.want)
				return
			}
			if _, has := m["errcode"]; has {
				t.Errorf("success must omit errcode, got %v", m)
			}
			if m["openid"] != u.OpenIDs[oa.AppID] || m["unionid"] != u.UnionID || m["expires_in"] != float64(7200) {
				t.Errorf("body %v, user %+v", m, u)
			}
		})
	}
}

func TestCodeSingleUseAndExpiry(t *testing.T) {
	e := newEnv(t, nil)
	u := e.user(t, NewUser{})
	oa := e.cfg.OA
	code := e.oauthCode(t, u.ID, "snsapi_base")
	wantErr(t, e.exchange(t, oa.AppID, oa.Secret, code), 0)
	wantErr(t, e.exchange(t, oa.AppID, oa.Secret, code), 40163)

	t.Run("expired after 5 minutes", func(t *testing.T) {
		c := e.oauthCode(t, u.ID, "snsapi_base")
		e.clock.Add(5 * time.Minute)
		wantErr(t, e.exchange(t, oa.AppID, oa.Secret, c), 40029)
	})
	t.Run("expired code errcode is a setting", func(t *testing.T) {
		e2 := newEnv(t, func(c *Config) { c.Settings.ExpiredCodeErrcode = 42003 })
		u2 := e2.user(t, NewUser{})
		c := e2.oauthCode(t, u2.ID, "snsapi_base")
		e2.clock.Add(5*time.Minute - time.Second)
		e2.sb.Advance(2 * time.Second)
		wantErr(t, e2.exchange(t, oa.AppID, oa.Secret, c), 42003)
	})
	t.Run("website codes live 10 minutes", func(t *testing.T) {
		d := e.websiteConfirm(t, u.ID)
		e.clock.Add(9 * time.Minute)
		m := e.exchange(t, e.cfg.Website.AppID, e.cfg.Website.Secret, d.Code)
		if m["unionid"] != u.UnionID || m["openid"] != u.OpenIDs[e.cfg.Website.AppID] {
			t.Errorf("website token %v", m)
		}
	})
}

func TestOpenIDPerAppUnionIDPerPerson(t *testing.T) {
	e := newEnv(t, nil)
	a, b := e.user(t, NewUser{Nickname: "A"}), e.user(t, NewUser{Nickname: "A"})
	if a.OpenIDs[e.cfg.OA.AppID] == a.OpenIDs[e.cfg.Website.AppID] {
		t.Error("openid must differ per app")
	}
	if a.UnionID == b.UnionID || a.OpenIDs[e.cfg.OA.AppID] == b.OpenIDs[e.cfg.OA.AppID] {
		t.Error("two people with one nickname must not share ids")
	}
	again, _ := e.sb.User(a.ID)
	if again.OpenIDs[e.cfg.OA.AppID] != a.OpenIDs[e.cfg.OA.AppID] {
		t.Error("openid must be stable")
	}
}

func TestRefreshAuthUserinfo(t *testing.T) {
	e := newEnv(t, nil)
	u := e.user(t, NewUser{Nickname: "小红"})
	oa := e.cfg.OA
	tok := e.exchange(t, oa.AppID, oa.Secret, e.oauthCode(t, u.ID, "snsapi_userinfo"))
	access, refresh, openid := tok["access_token"].(string), tok["refresh_token"].(string), tok["openid"].(string)

	wantErr(t, e.get(t, "/sns/auth", url.Values{"access_token": {access}, "openid": {openid}}), 0)
	wantErr(t, e.get(t, "/sns/auth", url.Values{"access_token": {access}, "openid": {"other"}}), 40003)
	info := e.get(t, "/sns/userinfo", url.Values{"access_token": {access}, "openid": {openid}, "lang": {"en"}})
	if info["nickname"] != "小红" || info["sex"] != float64(0) || info["unionid"] != u.UnionID {
		t.Errorf("userinfo %v", info)
	}

	ref := func() map[string]any {
		return e.get(t, "/sns/oauth2/refresh_token", url.Values{"appid": {oa.AppID}, "grant_type": {"refresh_token"}, "refresh_token": {refresh}})
	}
	if m := ref(); m["access_token"] != access {
		t.Errorf("refresh before expiry must keep the token: %v", m)
	}
	e.clock.Add(7201 * time.Second)
	wantErr(t, e.get(t, "/sns/userinfo", url.Values{"access_token": {access}, "openid": {openid}}), 42001)
	m := ref()
	if m["access_token"] == access || m["refresh_token"] != refresh {
		t.Errorf("refresh after expiry must issue a new token, same refresh token: %v", m)
	}
	wantErr(t, e.get(t, "/sns/auth", url.Values{"access_token": {m["access_token"].(string)}, "openid": {openid}}), 0)
	e.clock.Add(31 * 24 * time.Hour)
	wantErr(t, ref(), 42002)
	wantErr(t, e.get(t, "/sns/oauth2/refresh_token", url.Values{"appid": {oa.AppID}, "grant_type": {"refresh_token"}, "refresh_token": {"bogus"}}), 40030)
}

func TestUserinfoScopeAndSnapshot(t *testing.T) {
	e := newEnv(t, nil)
	oa := e.cfg.OA
	t.Run("snsapi_base gets 48001", func(t *testing.T) {
		u := e.user(t, NewUser{})
		tok := e.exchange(t, oa.AppID, oa.Secret, e.oauthCode(t, u.ID, "snsapi_base"))
		wantErr(t, e.get(t, "/sns/userinfo", url.Values{"access_token": {tok["access_token"].(string)}, "openid": {tok["openid"].(string)}}), 48001)
	})
	t.Run("snapshot user", func(t *testing.T) {
		u := e.user(t, NewUser{Snapshot: true})
		tok := e.exchange(t, oa.AppID, oa.Secret, e.oauthCode(t, u.ID, "snsapi_userinfo"))
		if tok["is_snapshotuser"] != float64(1) {
			t.Fatalf("is_snapshotuser missing: %v", tok)
		}
		if tok["openid"] == u.OpenIDs[oa.AppID] || tok["unionid"] != nil {
			t.Errorf("a snapshot sign-in must yield a virtual openid and no unionid: %v", tok)
		}
		wantErr(t, e.get(t, "/sns/userinfo", url.Values{"access_token": {tok["access_token"].(string)}, "openid": {tok["openid"].(string)}}), 48001)
	})
}
