package wechatsandbox

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// fuzzWeChatBody posts arbitrary bodies to a WeChat JSON endpoint: the answer must always be
// HTTP 200 with a JSON body, as WeChat's are, and never a panic.
func fuzzWeChatBody(f *testing.F, path string, needsToken bool, seeds ...string) {
	e := newEnvF(f, nil)
	tok := ""
	if needsToken {
		tok = e.appTokenF(f, e.cfg.OA.AppID, e.cfg.OA.Secret)
	}
	for _, s := range append(seeds, "", "{", "null", "[]", `{"a":`+strings.Repeat("[", 500)+`}`) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, "/_sandbox"+path+"?access_token="+url.QueryEscape(tok), strings.NewReader(body))
		rec := httptest.NewRecorder()
		e.sb.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("body %q: HTTP %d %s", body, rec.Code, rec.Body)
		}
	})
}

func FuzzStableTokenBody(f *testing.F) {
	fuzzWeChatBody(f, "/cgi-bin/stable_token", false, `{"grant_type":"client_credential","appid":"wx5a0d5b0c0a0e0001","secret":"sandbox-oa-secret-0000000000000001","force_refresh":true}`)
}

func FuzzQRCreateBody(f *testing.F) {
	fuzzWeChatBody(f, "/cgi-bin/qrcode/create", true, `{"expire_seconds":600,"action_name":"QR_STR_SCENE","action_info":{"scene":{"scene_str":"x"}}}`,
		`{"action_name":"QR_SCENE","action_info":{"scene":{"scene_id":-9223372036854775808}}}`)
}

func FuzzTemplateSendBody(f *testing.F) {
	fuzzWeChatBody(f, "/cgi-bin/message/template/send", true, `{"touser":"o1","template_id":"t","data":{"first":{"value":"x"}}}`)
}

func FuzzPhoneNumberBody(f *testing.F) {
	fuzzWeChatBody(f, "/wxa/business/getuserphonenumber", true, `{"code":"abc","openid":"o"}`)
}

// FuzzControlAPIBodies posts arbitrary bodies to every JSON control endpoint: the answer is a
// 2xx or 4xx with a JSON body, never a 5xx or a panic.
func FuzzControlAPIBodies(f *testing.F) {
	e := newEnvF(f, nil)
	paths := []string{"/api/users", "/api/scan", "/api/confirm", "/api/deny", "/api/follow", "/api/unfollow",
		"/api/authorize", "/api/miniprogram/code", "/api/miniprogram/phone-code", "/api/miniprogram/encrypted-data",
		"/api/miniprogram/rotate-session-key", "/api/sms", "/api/faults", "/api/faults/push", "/api/clock/advance"}
	u, _ := e.sb.CreateUser(NewUser{Nickname: "fuzz"})
	for i := range paths {
		f.Add(uint8(i), `{"user":"`+u.ID+`","content":"https://x/q/1"}`)
		f.Add(uint8(i), `{"nickname":"a","phone":"13800000000"}`)
		f.Add(uint8(i), `{"endpoint":"/cgi-bin/token","errcode":1,"times":-1}`)
	}
	f.Fuzz(func(t *testing.T, which uint8, body string) {
		path := paths[int(which)%len(paths)]
		req := httptest.NewRequest(http.MethodPost, "/_sandbox"+path, strings.NewReader(body))
		rec := httptest.NewRecorder()
		e.sb.ServeHTTP(rec, req)
		if rec.Code >= 500 || !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s %q: HTTP %d %s", path, body, rec.Code, rec.Body)
		}
		e.sb.ClearFaults() // keep a fuzzed fault from slowing later inputs
	})
}

// FuzzPushReply feeds arbitrary passive replies to the reply interpreter in safe and plain mode.
func FuzzPushReply(f *testing.F) {
	plain := newEnvF(f, func(c *Config) { c.OA.Mode = PushPlain })
	safe := newEnvF(f, nil)
	f.Add("success", true)
	f.Add("<xml><ToUserName>o</ToUserName><MsgType>text</MsgType><Content>x</Content></xml>", false)
	f.Add("<xml><Encrypt>AAAA</Encrypt><MsgSignature>x</MsgSignature></xml>", true)
	f.Add(`<!DOCTYPE x [<!ENTITY a "b">]><xml>&a;</xml>`, false)
	f.Fuzz(func(t *testing.T, body string, isSafe bool) {
		sb := plain.sb
		if isSafe {
			sb = safe.sb
		}
		msg, outcome, problem := sb.interpretReply(&Push{OpenID: "o"}, []byte(body))
		switch outcome {
		case "acknowledged":
		case "replied":
			if msg == nil {
				t.Fatal("replied without a message")
			}
		case "service_error":
			if problem == "" {
				t.Fatal("a service error must say why")
			}
		default:
			t.Fatalf("outcome %q", outcome)
		}
	})
}

// newEnvF is newEnv for fuzz targets.
func newEnvF(f *testing.F, mod func(*Config)) *env {
	f.Helper()
	e := &env{clock: &fakeClock{}}
	cfg := DevConfig("http://sandbox.test/_sandbox", "")
	cfg.Now = e.clock.Now
	if mod != nil {
		mod(&cfg)
	}
	sb, err := New(cfg)
	if err != nil {
		f.Fatal(err)
	}
	e.sb, e.cfg = sb, sb.cfg
	return e
}

func (e *env) appTokenF(f *testing.F, appid, secret string) string {
	f.Helper()
	req := httptest.NewRequest(http.MethodGet, "/_sandbox/cgi-bin/token?"+url.Values{"grant_type": {"client_credential"}, "appid": {appid}, "secret": {secret}}.Encode(), nil)
	rec := httptest.NewRecorder()
	e.sb.ServeHTTP(rec, req)
	var m struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil || m.AccessToken == "" {
		f.Fatalf("token: %s", rec.Body)
	}
	return m.AccessToken
}
