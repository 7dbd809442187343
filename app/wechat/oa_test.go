package wechat

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// oaFake is a fake with a working cgi-bin/token.
func oaFake(t *testing.T) *fake {
	t.Helper()
	f := newFake(t)
	f.reply("/_sandbox/cgi-bin/token", map[string]any{"access_token": "APPTOKEN", "expires_in": 7200})
	return f
}

func TestQRCodeRequestValidate(t *testing.T) {
	cases := []struct {
		name string
		req  QRCodeRequest
		ok   bool
		msg  string // part of the error message that must name the problem
	}{
		{"temp int", QRCodeRequest{Action: QRScene, SceneID: 42, ExpireIn: time.Minute}, true, ""},
		{"temp int max 32-bit", QRCodeRequest{Action: QRScene, SceneID: 1<<32 - 1}, true, ""},
		{"temp int zero", QRCodeRequest{Action: QRScene, SceneID: 0}, false, "non-zero"},
		{"temp int over 32 bits", QRCodeRequest{Action: QRScene, SceneID: 1 << 32}, false, "32-bit"},
		{"temp str", QRCodeRequest{Action: QRStrScene, SceneStr: "login:7f3a", ExpireIn: 5 * time.Minute}, true, ""},
		{"temp str 64 bytes", QRCodeRequest{Action: QRStrScene, SceneStr: strings.Repeat("s", 64)}, true, ""},
		{"temp str 65 bytes", QRCodeRequest{Action: QRStrScene, SceneStr: strings.Repeat("s", 65)}, false, "1..64"},
		{"temp str empty", QRCodeRequest{Action: QRStrScene}, false, "1..64"},
		{"perm int", QRCodeRequest{Action: QRLimitScene, SceneID: 100000}, true, ""},
		{"perm int over cap", QRCodeRequest{Action: QRLimitScene, SceneID: 100001}, false, "1..100000"},
		{"perm str", QRCodeRequest{Action: QRLimitStrScene, SceneStr: "dept-7"}, true, ""},
		{"perm with expiry", QRCodeRequest{Action: QRLimitStrScene, SceneStr: "x", ExpireIn: time.Minute}, false, "permanent"},
		{"expiry at max", QRCodeRequest{Action: QRStrScene, SceneStr: "x", ExpireIn: MaxQRExpire}, true, ""},
		{"expiry over max", QRCodeRequest{Action: QRStrScene, SceneStr: "x", ExpireIn: MaxQRExpire + time.Second}, false, "2592000"},
		{"negative expiry", QRCodeRequest{Action: QRScene, SceneID: 1, ExpireIn: -time.Second}, false, "negative"},
		{"int action with string scene", QRCodeRequest{Action: QRScene, SceneID: 1, SceneStr: "x"}, false, "scene_id"},
		{"string action with int scene", QRCodeRequest{Action: QRStrScene, SceneStr: "x", SceneID: 3}, false, "scene_str"},
		{"unknown action", QRCodeRequest{Action: "QR_FOO", SceneID: 1}, false, "QR_FOO"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.req.Validate()
			if (err == nil) != c.ok {
				t.Fatalf("err = %v, want ok=%t", err, c.ok)
			}
			if err != nil && (!errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), c.msg)) {
				t.Fatalf("err = %v, want ErrInvalidArgument mentioning %q", err, c.msg)
			}
		})
	}
}

func TestCreateQRCode(t *testing.T) {
	t.Run("string scene", func(t *testing.T) {
		f := oaFake(t)
		f.reply("/_sandbox/cgi-bin/qrcode/create", map[string]any{
			"ticket": "gQH97zwAAAAAAAAAAS5odHRwOi8v+/=", "expire_seconds": 300, "url": "http://weixin.qq.com/q/02_bcdefghi"})
		qr, err := f.client().CreateQRCode(context.Background(), QRCodeRequest{Action: QRStrScene, SceneStr: "login:7f3a", ExpireIn: 300 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if qr.Ticket != "gQH97zwAAAAAAAAAAS5odHRwOi8v+/=" || qr.ExpireSeconds != 300 || qr.URL == "" {
			t.Fatalf("qr = %+v", qr)
		}
		call := f.last("/_sandbox/cgi-bin/qrcode/create")
		if call.Query.Get("access_token") != "APPTOKEN" {
			t.Fatalf("query = %v", call.Query)
		}
		var body map[string]any
		if err := json.Unmarshal([]byte(call.Body), &body); err != nil {
			t.Fatal(err)
		}
		want := `{"action_info":{"scene":{"scene_str":"login:7f3a"}},"action_name":"QR_STR_SCENE","expire_seconds":300}`
		if got, _ := json.Marshal(body); string(got) != want {
			t.Fatalf("body = %s\nwant   %s", got, want)
		}
	})
	t.Run("permanent int scene sends no expiry", func(t *testing.T) {
		f := oaFake(t)
		f.reply("/_sandbox/cgi-bin/qrcode/create", map[string]any{"ticket": "T", "url": "u"})
		if _, err := f.client().CreateQRCode(context.Background(), QRCodeRequest{Action: QRLimitScene, SceneID: 7}); err != nil {
			t.Fatal(err)
		}
		body := f.last("/_sandbox/cgi-bin/qrcode/create").Body
		if strings.Contains(body, "expire_seconds") || !strings.Contains(body, `"scene_id":7`) || !strings.Contains(body, `"QR_LIMIT_SCENE"`) {
			t.Fatalf("body = %s", body)
		}
	})
	t.Run("scene too long never reaches WeChat", func(t *testing.T) {
		f := oaFake(t)
		_, err := f.client().CreateQRCode(context.Background(), QRCodeRequest{Action: QRStrScene, SceneStr: strings.Repeat("x", 65)})
		if !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("err = %v", err)
		}
		if f.count("/_sandbox/cgi-bin/qrcode/create")+f.count("/_sandbox/cgi-bin/token") != 0 {
			t.Fatal("an invalid request reached the fake")
		}
	})
	t.Run("WeChat rejects the action", func(t *testing.T) {
		f := oaFake(t)
		f.reply("/_sandbox/cgi-bin/qrcode/create", errBody(40053, "invalid action info"))
		_, err := f.client().CreateQRCode(context.Background(), QRCodeRequest{Action: QRScene, SceneID: 1})
		if !errors.Is(err, CodeInvalidActionInfo) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestShowQRCodeURL(t *testing.T) {
	c := testClient(t)
	got := c.ShowQRCodeURL("gQH9+7z/w==")
	if got != "http://127.0.0.1:8080/_sandbox/cgi-bin/showqrcode?ticket=gQH9%2B7z%2Fw%3D%3D" {
		t.Fatalf("url = %s", got)
	}
}

func TestFollowerInfo(t *testing.T) {
	t.Run("follower", func(t *testing.T) {
		f := oaFake(t)
		f.reply("/_sandbox/cgi-bin/user/info", `{"subscribe":1,"openid":"o1","language":"zh_CN","subscribe_time":1718000000,
			"unionid":"u1","remark":"","groupid":0,"tagid_list":[2,5],"subscribe_scene":"ADD_SCENE_QR_CODE","qr_scene":0,"qr_scene_str":"login:7f3a"}`)
		fl, err := f.client().FollowerInfo(context.Background(), "o1", LangEN)
		if err != nil {
			t.Fatal(err)
		}
		if !fl.Subscribed || fl.UnionID != "u1" || fl.SubscribeTime != 1718000000 || fl.QRSceneStr != "login:7f3a" ||
			fl.SubscribeScene != "ADD_SCENE_QR_CODE" || len(fl.TagIDs) != 2 {
			t.Fatalf("follower = %+v", fl)
		}
		q := f.last("/_sandbox/cgi-bin/user/info").Query
		if q.Get("openid") != "o1" || q.Get("lang") != "en" || q.Get("access_token") != "APPTOKEN" {
			t.Fatalf("query = %v", q)
		}
	})
	t.Run("not following", func(t *testing.T) {
		f := oaFake(t)
		f.reply("/_sandbox/cgi-bin/user/info", `{"subscribe":0,"openid":"o1"}`)
		fl, err := f.client().FollowerInfo(context.Background(), "o1", "")
		if err != nil || fl.Subscribed || fl.UnionID != "" {
			t.Fatalf("follower = %+v, %v", fl, err)
		}
	})
	t.Run("openid of another OA", func(t *testing.T) {
		f := oaFake(t)
		f.reply("/_sandbox/cgi-bin/user/info", errBody(40003, "invalid openid"))
		if _, err := f.client().FollowerInfo(context.Background(), "ox", ""); !errors.Is(err, CodeInvalidOpenID) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestSendTemplateMessage(t *testing.T) {
	t.Run("success", func(t *testing.T) {
		f := oaFake(t)
		f.reply("/_sandbox/cgi-bin/message/template/send", `{"errcode":0,"errmsg":"ok","msgid":200228332}`)
		id, err := f.client().SendTemplateMessage(context.Background(), TemplateMessage{
			ToUser: "o1", TemplateID: "tpl", URL: "https://mis.example.com/pending",
			Data: map[string]TemplateValue{"thing1": {Value: "已通过"}},
		})
		if err != nil || id != 200228332 {
			t.Fatalf("id = %d, err = %v", id, err)
		}
		var body TemplateMessage
		if err := json.Unmarshal([]byte(f.last("/_sandbox/cgi-bin/message/template/send").Body), &body); err != nil {
			t.Fatal(err)
		}
		if body.ToUser != "o1" || body.TemplateID != "tpl" || body.Data["thing1"].Value != "已通过" {
			t.Fatalf("body = %+v", body)
		}
	})
	t.Run("missing recipient", func(t *testing.T) {
		f := oaFake(t)
		if _, err := f.client().SendTemplateMessage(context.Background(), TemplateMessage{TemplateID: "tpl"}); !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("user blocked messages", func(t *testing.T) {
		f := oaFake(t)
		f.reply("/_sandbox/cgi-bin/message/template/send", errBody(43101, "user refuse to accept the msg"))
		_, err := f.client().SendTemplateMessage(context.Background(), TemplateMessage{ToUser: "o1", TemplateID: "tpl"})
		if ErrCodeOf(err) != 43101 {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestAppTokenEndpoints(t *testing.T) {
	f := newFake(t)
	f.handle("/_sandbox/cgi-bin/token", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("grant_type") != "client_credential" || q.Get("appid") != "wxtest" || q.Get("secret") != "s3cret" {
			writeJSON(w, errBody(40002, "invalid grant_type"))
			return
		}
		writeJSON(w, map[string]any{"access_token": "ACCESS", "expires_in": 7200})
	})
	tok, err := f.client().FetchAccessToken(context.Background())
	if err != nil || tok.AccessToken != "ACCESS" || tok.ExpiresIn != 7200 {
		t.Fatalf("tok = %+v, %v", tok, err)
	}
}
