package wechatsandbox

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func (e *env) createQR(t *testing.T, body string) map[string]any {
	t.Helper()
	return e.post(t, "/cgi-bin/qrcode/create", url.Values{"access_token": {e.oaToken(t)}}, body)
}

func TestQRCodeCreate(t *testing.T) {
	e := newEnv(t, nil)
	tests := []struct {
		name    string
		body    string
		want    int
		expires float64 // expected expire_seconds, 0 = absent
	}{
		{"str scene", `{"expire_seconds":600,"action_name":"QR_STR_SCENE","action_info":{"scene":{"scene_str":"login:abc"}}}`, 0, 600},
		{"int scene default expiry", `{"action_name":"QR_SCENE","action_info":{"scene":{"scene_id":7}}}`, 0, 60},
		{"clamped to 30 days", `{"expire_seconds":9999999,"action_name":"QR_SCENE","action_info":{"scene":{"scene_id":7}}}`, 0, 2592000},
		{"permanent int", `{"action_name":"QR_LIMIT_SCENE","action_info":{"scene":{"scene_id":100000}}}`, 0, 0},
		{"permanent str", `{"action_name":"QR_LIMIT_STR_SCENE","action_info":{"scene":{"scene_str":"x"}}}`, 0, 0},
		{"scene too long", `{"action_name":"QR_STR_SCENE","action_info":{"scene":{"scene_str":"` + strings.Repeat("a", 65) + `"}}}`, 40053, 0},
		{"empty scene", `{"action_name":"QR_STR_SCENE","action_info":{"scene":{"scene_str":""}}}`, 40053, 0},
		{"zero scene id", `{"action_name":"QR_SCENE","action_info":{"scene":{"scene_id":0}}}`, 40053, 0},
		{"permanent id too large", `{"action_name":"QR_LIMIT_SCENE","action_info":{"scene":{"scene_id":100001}}}`, 40053, 0},
		{"bad action", `{"action_name":"QR_NOPE","action_info":{"scene":{"scene_id":1}}}`, 40052, 0},
		{"not json", `{`, 47001, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := e.createQR(t, tc.body)
			if tc.want != 0 {
				wantErr(t, m, tc.want)
				return
			}
			ticket, _ := m["ticket"].(string)
			if ticket == "" || !strings.HasPrefix(m["url"].(string), e.sb.URL("/q/")) {
				t.Fatalf("body %v", m)
			}
			if got, _ := m["expire_seconds"].(float64); got != tc.expires {
				t.Errorf("expire_seconds = %v, want %v", got, tc.expires)
			}
		})
	}
	t.Run("needs an OA token", func(t *testing.T) {
		wantErr(t, e.post(t, "/cgi-bin/qrcode/create", url.Values{"access_token": {"x"}}, `{}`), 40001)
		mp := e.appToken(t, e.cfg.Mini.AppID, e.cfg.Mini.Secret)
		wantErr(t, e.post(t, "/cgi-bin/qrcode/create", url.Values{"access_token": {mp}}, `{}`), 48001)
	})
}

func TestShowQRCode(t *testing.T) {
	e := newEnv(t, nil)
	m := e.createQR(t, `{"expire_seconds":60,"action_name":"QR_STR_SCENE","action_info":{"scene":{"scene_str":"s"}}}`)
	ticket := m["ticket"].(string)
	ok := e.raw(t, http.MethodGet, "/cgi-bin/showqrcode?ticket="+url.QueryEscape(ticket), "")
	if ok.Code != http.StatusOK || !strings.HasPrefix(ok.Body.String(), "\x89PNG") {
		t.Fatalf("showqrcode: %d", ok.Code)
	}
	if strings.Contains(ticket, "+") {
		// A client that forgets to URL-encode the ticket turns '+' into a space: not found.
		if bad := e.raw(t, http.MethodGet, "/cgi-bin/showqrcode?ticket="+ticket, ""); bad.Code != http.StatusNotFound {
			t.Errorf("unencoded ticket: %d", bad.Code)
		}
	}
	e.clock.Add(time.Minute)
	if rec := e.raw(t, http.MethodGet, "/cgi-bin/showqrcode?ticket="+url.QueryEscape(ticket), ""); rec.Code != http.StatusNotFound {
		t.Errorf("expired ticket: %d", rec.Code)
	}
}

// sandboxPushConfig points the OA at a push sink.
func withPush(srvURL string, mode PushMode) func(*Config) {
	return func(c *Config) {
		c.OA.PushURL = srvURL + "/wechat/push"
		c.OA.Mode = mode
		c.Settings.PushTimeout = 2 * time.Second // generous: only a sink that hangs waits it out
	}
}

func TestScanFollowUserInfoAndPushes(t *testing.T) {
	for _, mode := range []PushMode{PushPlain, PushCompatible, PushSafe} {
		t.Run(string(mode), func(t *testing.T) {
			sink, srv := newPushSink(t)
			e := newEnv(t, withPush(srv.URL, mode))
			u := e.user(t, NewUser{})
			m := e.createQR(t, `{"expire_seconds":300,"action_name":"QR_STR_SCENE","action_info":{"scene":{"scene_str":"login:1"}}}`)
			res, err := e.sb.Scan(t.Context(), u.ID, m["url"].(string))
			if err != nil {
				t.Fatal(err)
			}
			if res.Event != "subscribe" || res.Push.Outcome != "acknowledged" || len(res.Push.Attempts) != 1 {
				t.Fatalf("first scan: %+v", res.Push)
			}
			if !strings.Contains(res.Push.Plaintext, "<EventKey><![CDATA[qrscene_login:1]]></EventKey>") ||
				!strings.Contains(res.Push.Plaintext, "<Ticket><![CDATA["+m["ticket"].(string)+"]]></Ticket>") {
				t.Errorf("plaintext %s", res.Push.Plaintext)
			}
			req := sink.requests()[0]
			q := req.query
			if q.Get("signature") != signature(e.cfg.OA.Token, q.Get("timestamp"), q.Get("nonce")) || q.Get("openid") != u.OpenIDs[e.cfg.OA.AppID] {
				t.Errorf("query %v", q)
			}
			switch mode {
			case PushPlain:
				if q.Get("encrypt_type") != "" || req.body != res.Push.Plaintext {
					t.Errorf("plain push %v %s", q, req.body)
				}
			default:
				var env struct{ Encrypt string }
				if err := parseXMLInto(req.body, &env); err != nil || env.Encrypt == "" {
					t.Fatalf("envelope %s: %v", req.body, err)
				}
				if q.Get("encrypt_type") != "aes" || q.Get("msg_signature") != signature(e.cfg.OA.Token, q.Get("timestamp"), q.Get("nonce"), env.Encrypt) {
					t.Errorf("safe query %v", q)
				}
				key, _ := aesKey(e.cfg.OA.EncodingAESKey)
				plain, appid, err := decryptMsg(key, env.Encrypt)
				if err != nil || plain != res.Push.Plaintext || appid != e.cfg.OA.AppID {
					t.Errorf("decrypt: %v %q", err, appid)
				}
				if mode == PushSafe && strings.Contains(req.body, "FromUserName") {
					t.Error("safe mode must not carry plaintext fields")
				}
			}

			// user/info for a follower
			info := e.get(t, "/cgi-bin/user/info", url.Values{"access_token": {e.oaToken(t)}, "openid": {u.OpenIDs[e.cfg.OA.AppID]}})
			if info["subscribe"] != float64(1) || info["qr_scene_str"] != "login:1" || info["subscribe_scene"] != "ADD_SCENE_QR_CODE" || info["unionid"] != u.UnionID || info["nickname"] != nil {
				t.Errorf("user/info %v", info)
			}
			// a second scan is SCAN with the bare scene
			res2, _ := e.sb.ScanTicket(t.Context(), u.ID, m["ticket"].(string))
			if res2.Event != "SCAN" || !strings.Contains(res2.Push.Plaintext, "<EventKey><![CDATA[login:1]]></EventKey>") {
				t.Errorf("second scan %+v", res2)
			}
			p, err := e.sb.Unfollow(t.Context(), u.ID)
			if err != nil || p.Event != "unsubscribe" {
				t.Fatalf("unfollow %v %v", p, err)
			}
			info = e.get(t, "/cgi-bin/user/info", url.Values{"access_token": {e.oaToken(t)}, "openid": {u.OpenIDs[e.cfg.OA.AppID]}})
			if info["subscribe"] != float64(0) || info["unionid"] != nil {
				t.Errorf("non-follower user/info %v", info)
			}
			if _, err := e.sb.Unfollow(t.Context(), u.ID); err == nil {
				t.Error("unfollowing twice must fail")
			}
			if p, err := e.sb.Follow(t.Context(), u.ID); err != nil || strings.Contains(p.Plaintext, "<Ticket>") {
				t.Errorf("plain follow %v %v", p, err)
			}
			if n := len(e.sb.Pushes(10)); n != 4 {
				t.Errorf("recorded pushes = %d, want 4", n)
			}
		})
	}
}

func TestScanExpiredTicket(t *testing.T) {
	e := newEnv(t, nil)
	u := e.user(t, NewUser{})
	m := e.createQR(t, `{"expire_seconds":60,"action_name":"QR_SCENE","action_info":{"scene":{"scene_id":5}}}`)
	e.clock.Add(61 * time.Second)
	if _, err := e.sb.ScanTicket(t.Context(), u.ID, m["ticket"].(string)); err == nil {
		t.Error("an expired ticket cannot be scanned")
	}
	if _, err := e.sb.Scan(t.Context(), u.ID, "hello"); err == nil {
		t.Error("unrecognised content must fail")
	}
}

func TestTemplateSend(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Templates = []string{"tpl-ok"} })
	u := e.user(t, NewUser{})
	openid := u.OpenIDs[e.cfg.OA.AppID]
	send := func(to, tpl string) map[string]any {
		b, _ := json.Marshal(map[string]any{"touser": to, "template_id": tpl, "url": "https://app.example/x",
			"data": map[string]any{"first": map[string]string{"value": "Hello"}, "keyword1": map[string]string{"value": "v1"}, "remark": map[string]string{"value": "bye"}}})
		return e.post(t, "/cgi-bin/message/template/send", url.Values{"access_token": {e.oaToken(t)}}, string(b))
	}
	wantErr(t, send(openid, "tpl-ok"), 43004)
	if _, err := e.sb.Follow(t.Context(), u.ID); err != nil {
		t.Fatal(err)
	}
	wantErr(t, send(openid, "nope"), 40037)
	wantErr(t, send("ounknown", "tpl-ok"), 40003)
	m := send(openid, "tpl-ok")
	if errcode(m) != 0 || m["msgid"] == nil {
		t.Fatalf("send %v", m)
	}
	msgs, _ := e.sb.Messages(u.ID)
	if len(msgs) == 0 || msgs[0].Kind != "template" || msgs[0].Text != "Hello\nkeyword1: v1\nbye" {
		t.Errorf("inbox %+v", msgs)
	}
}
