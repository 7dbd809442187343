package wechatsandbox

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func (e *env) jscode2session(t *testing.T, code string) map[string]any {
	t.Helper()
	return e.get(t, "/sns/jscode2session", url.Values{"appid": {e.cfg.Mini.AppID}, "secret": {e.cfg.Mini.Secret}, "js_code": {code}, "grant_type": {"authorization_code"}})
}

func TestMiniProgram(t *testing.T) {
	e := newEnv(t, nil)
	u := e.user(t, NewUser{Nickname: "Mini", Phone: "+8613812345678"})
	if _, err := e.sb.MiniEncryptedData(u.ID, "userinfo"); err == nil {
		t.Error("encrypted data before any login must fail clearly")
	}
	code, err := e.sb.MiniLogin(u.ID)
	if err != nil {
		t.Fatal(err)
	}
	sess := e.jscode2session(t, code)
	sk, _ := sess["session_key"].(string)
	if sess["openid"] != u.OpenIDs[e.cfg.Mini.AppID] || sess["unionid"] != u.UnionID || len(mustB64(t, sk)) != 16 {
		t.Fatalf("session %v", sess)
	}
	wantErr(t, e.jscode2session(t, code), 40163)
	wantErr(t, e.jscode2session(t, "bogus"), 40029)
	wantErr(t, e.get(t, "/sns/jscode2session", url.Values{"appid": {e.cfg.Mini.AppID}, "secret": {"x"}, "js_code": {"c"}, "grant_type": {"authorization_code"}}), 40125)

	t.Run("encrypted user data decrypts with the session key", func(t *testing.T) {
		d, err := e.sb.MiniEncryptedData(u.ID, "userinfo")
		if err != nil {
			t.Fatal(err)
		}
		plain, err := decryptMini(sk, d.IV, d.EncryptedData)
		if err != nil {
			t.Fatal(err)
		}
		var m struct {
			OpenID    string                 `json:"openId"`
			UnionID   string                 `json:"unionId"`
			NickName  string                 `json:"nickName"`
			Watermark struct{ AppID string } `json:"watermark"`
		}
		if err := json.Unmarshal(plain, &m); err != nil || m.OpenID != u.OpenIDs[e.cfg.Mini.AppID] || m.NickName != "Mini" || m.Watermark.AppID != e.cfg.Mini.AppID || m.UnionID != u.UnionID {
			t.Errorf("plaintext %s: %v", plain, err)
		}
		if d.Signature == "" || d.RawData == "" {
			t.Error("rawData and signature expected")
		}
	})
	t.Run("rotated session key breaks decryption", func(t *testing.T) {
		if err := e.sb.RotateSessionKey(u.ID); err != nil {
			t.Fatal(err)
		}
		d, _ := e.sb.MiniEncryptedData(u.ID, "phone")
		if plain, err := decryptMini(sk, d.IV, d.EncryptedData); err == nil && json.Valid(plain) {
			t.Error("data under the new key must not decrypt with the old one")
		}
	})
	t.Run("checksession", func(t *testing.T) {
		tok := e.appToken(t, e.cfg.Mini.AppID, e.cfg.Mini.Secret)
		check := func(sig string) map[string]any {
			return e.get(t, "/wxa/checksession", url.Values{"access_token": {tok}, "openid": {u.OpenIDs[e.cfg.Mini.AppID]}, "signature": {sig}, "sig_method": {"hmac_sha256"}})
		}
		wantErr(t, check(sessionSignature(sk, "")), 87009) // rotated above
		code, _ := e.sb.MiniLogin(u.ID)
		cur := e.jscode2session(t, code)["session_key"].(string)
		wantErr(t, check(sessionSignature(cur, "")), 0)
		wantErr(t, check("00"), 87009)
	})
	t.Run("phone number", func(t *testing.T) {
		tok := e.appToken(t, e.cfg.Mini.AppID, e.cfg.Mini.Secret)
		pc, _ := e.sb.MiniPhoneCode(u.ID)
		call := func(body string) map[string]any {
			return e.post(t, "/wxa/business/getuserphonenumber", url.Values{"access_token": {tok}}, body)
		}
		m := call(`{"code":"` + pc + `"}`)
		info, _ := m["phone_info"].(map[string]any)
		if errcode(m) != 0 || info["purePhoneNumber"] != "13812345678" || info["phoneNumber"] != "+8613812345678" || info["countryCode"] != "86" {
			t.Fatalf("phone %v", m)
		}
		wantErr(t, call(`{"code":"`+pc+`"}`), 40029)
		pc2, _ := e.sb.MiniPhoneCode(u.ID)
		wantErr(t, call(`{"code":"`+pc2+`","openid":"oOther"}`), 40029)
		pc3, _ := e.sb.MiniPhoneCode(u.ID)
		e.clock.Add(5 * time.Minute)
		wantErr(t, call(`{"code":"`+pc3+`"}`), 40029)
		wantErr(t, e.post(t, "/wxa/business/getuserphonenumber", url.Values{"access_token": {e.oaToken(t)}}, `{"code":"x"}`), 48001)
	})
}

func TestWeCom(t *testing.T) {
	e := newEnv(t, nil)
	corp := e.cfg.WeCom
	member := e.user(t, NewUser{Nickname: "张三", WeComUserID: "zhangsan"})
	outsider := e.user(t, NewUser{Nickname: "Guest"})
	gettoken := func(id, secret string) map[string]any {
		return e.get(t, "/cgi-bin/gettoken", url.Values{"corpid": {id}, "corpsecret": {secret}})
	}
	wantErr(t, gettoken("wwnope", corp.Secret), 40013)
	wantErr(t, gettoken(corp.CorpID, "bad"), 40001)
	tm := gettoken(corp.CorpID, corp.Secret)
	tok := tm["access_token"].(string)
	if errcode(tm) != 0 || tm["errmsg"] != "ok" || gettoken(corp.CorpID, corp.Secret)["access_token"] != tok {
		t.Fatalf("WeCom hands back the same token while valid: %v", tm)
	}

	login := func(userID string) string {
		q := url.Values{"login_type": {"CorpApp"}, "appid": {corp.CorpID}, "agentid": {corp.AgentID}, "redirect_uri": {"https://app.example/wecom"}, "state": {"w1"}}
		rec := e.raw(t, http.MethodGet, "/wwlogin/sso/login?"+q.Encode(), "")
		if !strings.Contains(rec.Body.String(), `id="qrlogin"`) {
			t.Fatalf("login page: %s", rec.Body)
		}
		uuid := e.sb.LiveLogins(1)[0].UUID
		d, err := e.sb.ConfirmLogin(userID, uuid)
		if err != nil || !strings.Contains(d.Redirect, "state=w1") {
			t.Fatalf("confirm %+v %v", d, err)
		}
		return d.Code
	}
	userinfo := func(code string) map[string]any {
		return e.get(t, "/cgi-bin/auth/getuserinfo", url.Values{"access_token": {tok}, "code": {code}})
	}
	code := login(member.ID)
	if m := userinfo(code); m["userid"] != "zhangsan" || errcode(m) != 0 {
		t.Errorf("member %v", m)
	}
	wantErr(t, userinfo(code), 40029)
	if m := userinfo(login(outsider.ID)); m["openid"] == nil || m["userid"] != nil {
		t.Errorf("non-member %v", m)
	}
	if m := e.get(t, "/cgi-bin/user/getuserinfo", url.Values{"access_token": {tok}, "code": {login(member.ID)}}); m["UserId"] != "zhangsan" {
		t.Errorf("legacy keys %v", m)
	}
	if m := e.get(t, "/cgi-bin/user/get", url.Values{"access_token": {tok}, "userid": {"zhangsan"}}); m["name"] != "张三" || m["mobile"] != "" {
		t.Errorf("user/get %v", m)
	}
	wantErr(t, e.get(t, "/cgi-bin/user/get", url.Values{"access_token": {tok}, "userid": {"nobody"}}), 60111)
	wantErr(t, e.get(t, "/cgi-bin/user/get", url.Values{"access_token": {"bad"}, "userid": {"zhangsan"}}), 40014)
	e.clock.Add(7200 * time.Second)
	wantErr(t, e.get(t, "/cgi-bin/user/get", url.Values{"access_token": {tok}, "userid": {"zhangsan"}}), 42001)

	t.Run("wrong agentid", func(t *testing.T) {
		q := url.Values{"appid": {corp.CorpID}, "agentid": {"1"}, "redirect_uri": {"https://app.example/wecom"}}
		if rec := e.raw(t, http.MethodGet, "/wwopen/sso/qrConnect?"+q.Encode(), ""); strings.Contains(rec.Body.String(), `id="qrlogin"`) {
			t.Error("want an error page")
		}
	})
	t.Run("in-app authorize", func(t *testing.T) {
		q := url.Values{"appid": {corp.CorpID}, "redirect_uri": {"https://app.example/wecom"}, "scope": {"snsapi_base"}, "agentid": {corp.AgentID}, "state": {"x"}}
		res, err := e.sb.Authorize(member.ID, "https://open.weixin.qq.com/connect/oauth2/authorize?"+q.Encode(), true)
		if err != nil || res.Code == "" {
			t.Fatalf("%+v %v", res, err)
		}
		tok2 := gettoken(corp.CorpID, corp.Secret)["access_token"].(string)
		if m := e.get(t, "/cgi-bin/auth/getuserinfo", url.Values{"access_token": {tok2}, "code": {res.Code}}); m["userid"] != "zhangsan" {
			t.Errorf("%v", m)
		}
	})
}
