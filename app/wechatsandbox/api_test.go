package wechatsandbox

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// apiCall performs a control-API request and decodes the answer.
func (e *env) apiCall(t *testing.T, method, path, body string, wantStatus int) map[string]any {
	t.Helper()
	rec := e.raw(t, method, path, body)
	if rec.Code != wantStatus {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, rec.Code, wantStatus, rec.Body)
	}
	var m map[string]any
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return m
}

func TestControlAPI(t *testing.T) {
	sink, srv := newPushSink(t)
	e := newEnv(t, withPush(srv.URL, PushSafe))

	u := e.apiCall(t, "POST", "/api/users", `{"nickname":"API 用户","avatar_color":"#1989fa","phone":"13900001111"}`, http.StatusCreated)
	uid := u["id"].(string)
	e.apiCall(t, "POST", "/api/users", `{"nickname":""}`, http.StatusBadRequest)
	e.apiCall(t, "POST", "/api/users", `{"nickname":"x","typo":1}`, http.StatusBadRequest)
	if got := e.apiCall(t, "GET", "/api/users", "", 200)["users"].([]any); len(got) != 1 {
		t.Fatalf("users %v", got)
	}
	e.apiCall(t, "GET", "/api/users/"+uid, "", 200)
	e.apiCall(t, "GET", "/api/users/nobody", "", http.StatusNotFound)

	t.Run("follow and pushes", func(t *testing.T) {
		p := e.apiCall(t, "POST", "/api/follow", `{"user":"`+uid+`"}`, 200)
		if p["event"] != "subscribe" || p["outcome"] != "acknowledged" || len(sink.requests()) != 1 {
			t.Fatalf("follow %v", p)
		}
		e.apiCall(t, "POST", "/api/follow", `{"user":"`+uid+`"}`, http.StatusBadRequest)
		ps := e.apiCall(t, "GET", "/api/pushes", "", 200)["pushes"].([]any)
		if len(ps) != 1 {
			t.Fatalf("pushes %v", ps)
		}
		e.apiCall(t, "POST", "/api/unfollow", `{"user":"`+uid+`"}`, 200)
	})
	t.Run("scan an OA ticket", func(t *testing.T) {
		m := e.createQR(t, `{"expire_seconds":60,"action_name":"QR_STR_SCENE","action_info":{"scene":{"scene_str":"api"}}}`)
		q := e.apiCall(t, "GET", "/api/qrcodes", "", 200)
		if len(q["tickets"].([]any)) != 1 {
			t.Fatalf("qrcodes %v", q)
		}
		res := e.apiCall(t, "POST", "/api/scan", `{"user":"`+uid+`","content":"`+m["url"].(string)+`"}`, 200)
		if res["event"] != "subscribe" || res["scene"] != "api" {
			t.Errorf("scan %v", res)
		}
		e.apiCall(t, "POST", "/api/scan", `{"user":"`+uid+`","content":"what"}`, http.StatusBadRequest)
		e.apiCall(t, "POST", "/api/scan", `{"content":"x"}`, http.StatusBadRequest)
	})
	t.Run("website login confirm and deny", func(t *testing.T) {
		uuid := e.openWebsiteQR(t, nil)
		if r := e.apiCall(t, "POST", "/api/scan", `{"user":"`+uid+`","uuid":"`+uuid+`"}`, 200); r["kind"] != "website_qr" {
			t.Errorf("scan %v", r)
		}
		d := e.apiCall(t, "POST", "/api/confirm", `{"user":"`+uid+`","uuid":"`+uuid+`"}`, 200)
		if d["code"] == "" || !strings.Contains(d["redirect"].(string), "code=") {
			t.Errorf("confirm %v", d)
		}
		e.apiCall(t, "POST", "/api/deny", `{"user":"`+uid+`","uuid":"`+uuid+`"}`, http.StatusBadRequest)
		uuid2 := e.openWebsiteQR(t, nil)
		if d := e.apiCall(t, "POST", "/api/deny", `{"user":"`+uid+`","uuid":"`+uuid2+`"}`, 200); d["wx_errcode"] != float64(403) {
			t.Errorf("deny %v", d)
		}
	})
	t.Run("authorize", func(t *testing.T) {
		q := url.Values{"appid": {e.cfg.OA.AppID}, "redirect_uri": {"https://app.example/cb"}, "scope": {"snsapi_base"}, "state": {"x"}}
		body, _ := json.Marshal(map[string]any{"user": uid, "url": "https://open.weixin.qq.com/connect/oauth2/authorize?" + q.Encode() + "#wechat_redirect"})
		r := e.apiCall(t, "POST", "/api/authorize", string(body), 200)
		if r["code"] == nil {
			t.Errorf("authorize %v", r)
		}
	})
	t.Run("mini program", func(t *testing.T) {
		e.apiCall(t, "POST", "/api/miniprogram/encrypted-data", `{"user":"`+uid+`"}`, http.StatusBadRequest)
		c := e.apiCall(t, "POST", "/api/miniprogram/code", `{"user":"`+uid+`"}`, 200)
		sess := e.jscode2session(t, c["code"].(string))
		d := e.apiCall(t, "POST", "/api/miniprogram/encrypted-data", `{"user":"`+uid+`","kind":"phone"}`, 200)
		plain, err := decryptMini(sess["session_key"].(string), d["iv"].(string), d["encrypted_data"].(string))
		if err != nil || !strings.Contains(string(plain), "13900001111") {
			t.Errorf("phone data %s %v", plain, err)
		}
		if pc := e.apiCall(t, "POST", "/api/miniprogram/phone-code", `{"user":"`+uid+`"}`, 200); pc["code"] == "" {
			t.Error("no phone code")
		}
		e.apiCall(t, "POST", "/api/miniprogram/rotate-session-key", `{"user":"`+uid+`"}`, 200)
	})
	t.Run("sms", func(t *testing.T) {
		if err := e.sb.DeliverSMS("+8613900001111", "您的验证码是 123456"); err != nil {
			t.Fatal(err)
		}
		e.apiCall(t, "POST", "/api/sms", `{"phone":"12","text":"x"}`, http.StatusBadRequest)
		got := e.apiCall(t, "GET", "/api/sms?phone=13900001111", "", 200)["sms"].([]any)
		if len(got) != 1 || !strings.Contains(got[0].(map[string]any)["text"].(string), "123456") {
			t.Errorf("sms %v", got)
		}
		if err := e.sb.SMS().Send(t.Context(), "13900002222", "other"); err != nil {
			t.Fatal(err)
		}
		if n := len(e.sb.SMS().List("")); n != 2 {
			t.Errorf("all sms = %d", n)
		}
	})
	t.Run("faults", func(t *testing.T) {
		e.apiCall(t, "POST", "/api/faults", `{"endpoint":"/sns/oauth2/access_token","errcode":-1,"latency_ms":10}`, http.StatusCreated)
		e.apiCall(t, "POST", "/api/faults", `{"endpoint":"/nope","errcode":-1}`, http.StatusBadRequest)
		e.apiCall(t, "POST", "/api/faults/push", `{"drop":1}`, 200)
		f := e.apiCall(t, "GET", "/api/faults", "", 200)
		if len(f["faults"].([]any)) != 1 || f["push"].(map[string]any)["drop"] != float64(1) {
			t.Errorf("faults %v", f)
		}
		e.apiCall(t, "DELETE", "/api/faults", "", http.StatusNoContent)
	})
	t.Run("messages and clock", func(t *testing.T) {
		e.apiCall(t, "GET", "/api/messages?user="+uid, "", 200)
		e.apiCall(t, "GET", "/api/messages?user=nobody", "", http.StatusNotFound)
		before := e.sb.now()
		e.apiCall(t, "POST", "/api/clock/advance", `{"seconds":600}`, 200)
		if e.sb.now().Sub(before).Seconds() != 600 {
			t.Error("clock did not move")
		}
		e.apiCall(t, "POST", "/api/clock/advance", `{"seconds":-1}`, http.StatusBadRequest)
	})
	t.Run("config and verify", func(t *testing.T) {
		c := e.apiCall(t, "GET", "/api/config", "", 200)
		if c["oa_appid"] != e.cfg.OA.AppID || strings.Contains(c["oa_push_url"].(string), "secret") {
			t.Errorf("config %v", c)
		}
		for k := range c {
			if strings.Contains(k, "secret") || strings.Contains(k, "token") || strings.Contains(k, "aes") {
				t.Errorf("config exposes %s", k)
			}
		}
		e.apiCall(t, "POST", "/api/verify-url", "", 200)
	})
}
