package wechatsandbox

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// scanOnce creates a QR and scans it, returning the push record.
func (e *env) scanOnce(t *testing.T, userID string) *Push {
	t.Helper()
	m := e.createQR(t, `{"expire_seconds":300,"action_name":"QR_STR_SCENE","action_info":{"scene":{"scene_str":"s"}}}`)
	res, err := e.sb.ScanTicket(t.Context(), userID, m["ticket"].(string))
	if err != nil {
		t.Fatal(err)
	}
	return res.Push
}

func TestPushRetries(t *testing.T) {
	tests := []struct {
		name         string
		failFirst    int32 // attempts that hang past the timeout
		status       int   // status of answering attempts
		wantOutcome  string
		wantAttempts int
	}{
		{"answers at once", 0, 200, "acknowledged", 1},
		{"first attempt times out", 1, 200, "acknowledged", 2},
		{"every attempt times out", 3, 200, "failed", 3},
		{"server error is retried", 0, 500, "failed", 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sink, srv := newPushSink(t)
			release := make(chan struct{})
			t.Cleanup(func() { close(release) })
			var n atomic.Int32
			sink.set(func(w http.ResponseWriter, r *http.Request) {
				if n.Add(1) <= tc.failFirst {
					select { // hang until the sandbox gives up on this attempt
					case <-r.Context().Done():
					case <-release:
					}
					return
				}
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, "success")
			})
			e := newEnv(t, func(c *Config) {
				withPush(srv.URL, PushSafe)(c)
				// Long enough that an answering attempt never runs out on a loaded CI machine
				// (50 ms did, under -race); a hanging one is cut off at it.
				c.Settings.PushTimeout = time.Second
			})
			u := e.user(t, NewUser{})
			p := e.scanOnce(t, u.ID)
			if p.Outcome != tc.wantOutcome || len(p.Attempts) != tc.wantAttempts {
				t.Fatalf("outcome %s with %d attempts, want %s with %d: %+v", p.Outcome, len(p.Attempts), tc.wantOutcome, tc.wantAttempts, p.Attempts)
			}
			reqs := sink.requests()
			for i := 1; i < len(reqs); i++ {
				if reqs[i].body == "" || !strings.Contains(p.Plaintext, fmt.Sprint(p.CreateTime)) {
					t.Errorf("retry %d lost the event", i)
				}
			}
			if tc.failFirst > 0 && !strings.Contains(p.Attempts[0].Error, "no answer within") {
				t.Errorf("attempt error %q", p.Attempts[0].Error)
			}
			if tc.wantOutcome == "failed" {
				msgs, _ := e.sb.Messages(u.ID)
				if len(msgs) == 0 || !strings.Contains(msgs[0].Text, "该公众号提供的服务出现故障") {
					t.Errorf("the user should see the service-failure notice: %+v", msgs)
				}
			}
		})
	}
}

func TestPushNoRetryOnHTTPErrorSetting(t *testing.T) {
	sink, srv := newPushSink(t)
	sink.set(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) })
	no := false
	e := newEnv(t, func(c *Config) { withPush(srv.URL, PushPlain)(c); c.Settings.RetryOnHTTPError = &no })
	p := e.scanOnce(t, e.user(t, NewUser{}).ID)
	if p.Outcome != "service_error" || len(p.Attempts) != 1 {
		t.Errorf("got %s after %d attempts", p.Outcome, len(p.Attempts))
	}
}

func TestPushReplies(t *testing.T) {
	textReply := func(to, content string) string {
		return fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[gh]]></FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[%s]]></Content></xml>", to, content)
	}
	tests := []struct {
		name    string
		mode    PushMode
		reply   func(e *env, openid string, q map[string][]string) string
		outcome string
		text    string
	}{
		{"empty body", PushPlain, func(*env, string, map[string][]string) string { return "" }, "acknowledged", ""},
		{"plain text reply", PushPlain, func(_ *env, o string, _ map[string][]string) string { return textReply(o, "请确认登录") }, "replied", "请确认登录"},
		{"news reply", PushPlain, func(_ *env, o string, _ map[string][]string) string {
			return "<xml><ToUserName><![CDATA[" + o + "]]></ToUserName><MsgType><![CDATA[news]]></MsgType><ArticleCount>1</ArticleCount><Articles><item><Title><![CDATA[Sign in]]></Title><Description><![CDATA[Chrome]]></Description><Url><![CDATA[https://app.example/ok]]></Url></item></Articles></xml>"
		}, "replied", "Chrome"},
		{"json is a failure", PushPlain, func(*env, string, map[string][]string) string { return `{"ok":true}` }, "service_error", ""},
		{"reply to someone else", PushPlain, func(_ *env, _ string, _ map[string][]string) string { return textReply("oother", "x") }, "service_error", ""},
		{"empty text content", PushPlain, func(_ *env, o string, _ map[string][]string) string { return textReply(o, "") }, "service_error", ""},
		{"entity expansion refused", PushPlain, func(_ *env, o string, _ map[string][]string) string {
			return `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><xml><ToUserName>` + o + `</ToUserName><MsgType>text</MsgType><Content>&b;</Content></xml>`
		}, "service_error", ""},
		{"deep nesting refused", PushPlain, func(_ *env, o string, _ map[string][]string) string {
			return "<xml>" + strings.Repeat("<a>", 20000) + "</xml>"
		}, "service_error", ""},
		{"safe encrypted reply", PushSafe, func(e *env, o string, _ map[string][]string) string {
			key, _ := aesKey(e.cfg.OA.EncodingAESKey)
			enc, _ := encryptMsg(key, nil, textReply(o, "安全模式回复"), e.cfg.OA.AppID)
			return fmt.Sprintf("<xml><Encrypt><![CDATA[%s]]></Encrypt><MsgSignature><![CDATA[%s]]></MsgSignature><TimeStamp>123</TimeStamp><Nonce><![CDATA[n1]]></Nonce></xml>",
				enc, signature(e.cfg.OA.Token, "123", "n1", enc))
		}, "replied", "安全模式回复"},
		{"safe reply with bad signature", PushSafe, func(e *env, o string, _ map[string][]string) string {
			key, _ := aesKey(e.cfg.OA.EncodingAESKey)
			enc, _ := encryptMsg(key, nil, textReply(o, "x"), e.cfg.OA.AppID)
			return fmt.Sprintf("<xml><Encrypt><![CDATA[%s]]></Encrypt><MsgSignature><![CDATA[bad]]></MsgSignature><TimeStamp>123</TimeStamp><Nonce><![CDATA[n1]]></Nonce></xml>", enc)
		}, "service_error", ""},
		{"safe reply for another appid", PushSafe, func(e *env, o string, _ map[string][]string) string {
			key, _ := aesKey(e.cfg.OA.EncodingAESKey)
			enc, _ := encryptMsg(key, nil, textReply(o, "x"), "wxother")
			return fmt.Sprintf("<xml><Encrypt><![CDATA[%s]]></Encrypt><MsgSignature><![CDATA[%s]]></MsgSignature><TimeStamp>1</TimeStamp><Nonce><![CDATA[n]]></Nonce></xml>", enc, signature(e.cfg.OA.Token, "1", "n", enc))
		}, "service_error", ""},
		{"plain reply in safe mode", PushSafe, func(_ *env, o string, _ map[string][]string) string { return textReply(o, "x") }, "service_error", ""},
		{"success in safe mode", PushSafe, func(*env, string, map[string][]string) string { return "success" }, "acknowledged", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sink, srv := newPushSink(t)
			var e *env
			sink.set(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, tc.reply(e, r.URL.Query().Get("openid"), r.URL.Query()))
			})
			e = newEnv(t, withPush(srv.URL, tc.mode))
			u := e.user(t, NewUser{})
			p := e.scanOnce(t, u.ID)
			if p.Outcome != tc.outcome {
				t.Fatalf("outcome %s (%s), want %s", p.Outcome, p.Problem, tc.outcome)
			}
			msgs, _ := e.sb.Messages(u.ID)
			switch {
			case tc.text != "":
				if len(msgs) != 1 || msgs[0].Text != tc.text || msgs[0].Kind != "reply" {
					t.Errorf("inbox %+v", msgs)
				}
			case tc.outcome == "service_error":
				if len(msgs) != 1 || msgs[0].Kind != "system" {
					t.Errorf("inbox %+v", msgs)
				}
			default:
				if len(msgs) != 0 {
					t.Errorf("inbox %+v", msgs)
				}
			}
		})
	}
}

func TestPushFaultsDropAndDuplicate(t *testing.T) {
	sink, srv := newPushSink(t)
	e := newEnv(t, withPush(srv.URL, PushPlain))
	u := e.user(t, NewUser{})
	if err := e.sb.SetPushFaults(PushFaults{Drop: 1, Duplicate: 1}); err != nil {
		t.Fatal(err)
	}
	if p := e.scanOnce(t, u.ID); p.Outcome != "dropped" || len(sink.requests()) != 0 {
		t.Fatalf("dropped push: %+v", p)
	}
	e.scanOnce(t, u.ID)
	reqs := sink.requests()
	if len(reqs) != 2 || reqs[0].body != reqs[1].body {
		t.Fatalf("a duplicated push sends the identical event twice: %d requests", len(reqs))
	}
	ps := e.sb.Pushes(10)
	if len(ps) != 3 || !ps[0].Duplicate {
		t.Errorf("records %+v", ps)
	}
	if err := e.sb.SetPushFaults(PushFaults{Drop: -1}); err == nil {
		t.Error("negative counts must be refused")
	}
}

func TestPushNotConfigured(t *testing.T) {
	e := newEnv(t, nil)
	if p := e.scanOnce(t, e.user(t, NewUser{}).ID); p.Outcome != "not_configured" {
		t.Errorf("outcome %s", p.Outcome)
	}
}

func TestVerifyPushURL(t *testing.T) {
	sink, srv := newPushSink(t)
	var e *env
	sink.set(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("signature") == signature(e.cfg.OA.Token, q.Get("timestamp"), q.Get("nonce")) {
			_, _ = io.WriteString(w, q.Get("echostr"))
		}
	})
	e = newEnv(t, withPush(srv.URL, PushSafe))
	if _, ok, err := e.sb.VerifyPushURL(t.Context()); !ok || err != nil {
		t.Errorf("verification failed: %v", err)
	}
	sink.set(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "nope") })
	if _, ok, _ := e.sb.VerifyPushURL(t.Context()); ok {
		t.Error("a wrong echo must not verify")
	}
}
