package wechat

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	testToken  = "pushtoken"
	testAESKey = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
	testAppID  = "wx49f0ab532d5d035a"
	testGhID   = "gh_0123456789ab"
)

var testNow = time.Unix(1718000000, 0)

func newReceiver(t testing.TB, mod ...func(*PushConfig)) *PushReceiver {
	t.Helper()
	cfg := PushConfig{Token: testToken, EncodingAESKey: testAESKey, AppID: testAppID, Now: func() time.Time { return testNow }}
	for _, m := range mod {
		m(&cfg)
	}
	p, err := NewPushReceiver(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// signedQuery is the query WeChat puts on a plaintext push.
func signedQuery(ts time.Time, nonce string) url.Values {
	s := strconv.FormatInt(ts.Unix(), 10)
	return url.Values{"signature": {Signature(testToken, s, nonce)}, "timestamp": {s}, "nonce": {nonce}, "openid": {"oQ9x05Zc"}}
}

// safePush encrypts plain for appID and returns the query and envelope WeChat would send.
func safePush(t testing.TB, plain, appID string) (url.Values, []byte) {
	t.Helper()
	key, _ := ParseEncodingAESKey(testAESKey)
	enc, err := EncryptMessage(key, appID, []byte(plain), nil)
	if err != nil {
		t.Fatal(err)
	}
	q := signedQuery(testNow, "1234567")
	q.Set("encrypt_type", "aes")
	q.Set("msg_signature", Signature(testToken, q.Get("timestamp"), q.Get("nonce"), enc))
	body := fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><Encrypt><![CDATA[%s]]></Encrypt></xml>", testGhID, enc)
	return q, []byte(body)
}

func eventXML(event, key, ticket string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<xml>\n  <ToUserName><![CDATA[%s]]></ToUserName>\n  <FromUserName><![CDATA[oQ9x05Zc]]></FromUserName>\n", testGhID)
	fmt.Fprintf(&b, "  <CreateTime>1718000000</CreateTime>\n  <MsgType><![CDATA[event]]></MsgType>\n  <Event><![CDATA[%s]]></Event>\n", event)
	fmt.Fprintf(&b, "  <EventKey><![CDATA[%s]]></EventKey>\n", key)
	if ticket != "" {
		fmt.Fprintf(&b, "  <Ticket><![CDATA[%s]]></Ticket>\n", ticket)
	}
	b.WriteString("</xml>")
	return b.String()
}

func TestVerifyURL(t *testing.T) {
	p := newReceiver(t)
	good := signedQuery(testNow, "n1")
	good.Set("echostr", "5927782489442352469")
	cases := []struct {
		name string
		q    func() url.Values
		want error
	}{
		{"valid", func() url.Values { return good }, nil},
		{"upper-case hex accepted", func() url.Values {
			q := cloneQuery(good)
			q.Set("signature", strings.ToUpper(q.Get("signature")))
			return q
		}, nil},
		{"bad signature", func() url.Values {
			q := cloneQuery(good)
			q.Set("signature", Signature("othertoken", q.Get("timestamp"), q.Get("nonce")))
			return q
		}, ErrBadSignature},
		{"signature missing", func() url.Values { q := cloneQuery(good); q.Del("signature"); return q }, ErrBadSignature},
		{"stale timestamp", func() url.Values {
			q := signedQuery(testNow.Add(-6*time.Minute), "n1")
			q.Set("echostr", "e")
			return q
		}, ErrStaleTimestamp},
		{"echostr missing", func() url.Values { q := cloneQuery(good); q.Del("echostr"); return q }, ErrInvalidArgument},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			echo, err := p.VerifyURL(c.q())
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if err == nil && echo != "5927782489442352469" {
				t.Fatalf("echo = %q", echo)
			}
		})
	}
	t.Run("skew check can be disabled", func(t *testing.T) {
		p := newReceiver(t, func(c *PushConfig) { c.MaxClockSkew = -1 })
		q := signedQuery(testNow.Add(-24*time.Hour), "n1")
		q.Set("echostr", "e")
		if _, err := p.VerifyURL(q); err != nil {
			t.Fatal(err)
		}
	})
}

func cloneQuery(q url.Values) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}

func TestParsePlainEvents(t *testing.T) {
	cases := []struct {
		name      string
		xml       string
		event     string
		key       string
		ticket    string
		isQRScan  bool
		wantScene string
	}{
		{"subscribe via QR strips qrscene_", eventXML("subscribe", "qrscene_login:7f3a9c2e", "gQH97zw=="), "subscribe", "login:7f3a9c2e", "gQH97zw==", true, "login:7f3a9c2e"},
		{"subscribe via integer scene", eventXML("subscribe", "qrscene_42", "tk"), "subscribe", "42", "tk", true, "42"},
		{"plain subscribe", eventXML("subscribe", "", ""), "subscribe", "", "", false, ""},
		{"SCAN keeps bare scene", eventXML("SCAN", "login:7f3a9c2e", "gQH97zw=="), "SCAN", "login:7f3a9c2e", "gQH97zw==", true, "login:7f3a9c2e"},
		{"unsubscribe", eventXML("unsubscribe", "", ""), "unsubscribe", "", "", false, ""},
		{"unknown event passed through", eventXML("TEMPLATESENDJOBFINISH", "", ""), "TEMPLATESENDJOBFINISH", "", "", false, ""},
		{"SCAN key not stripped", eventXML("SCAN", "qrscene_x", "t"), "SCAN", "qrscene_x", "t", true, "qrscene_x"},
	}
	p := newReceiver(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := p.Parse(signedQuery(testNow, "n1"), strings.NewReader(c.xml))
			if err != nil {
				t.Fatal(err)
			}
			if m.MsgType != MsgTypeEvent || m.Event != c.event || m.EventKey != c.key || m.Ticket != c.ticket ||
				m.FromUserName != "oQ9x05Zc" || m.ToUserName != testGhID || m.CreateTime != 1718000000 || m.Encrypted {
				t.Fatalf("message = %+v", m)
			}
			scene, ticket, ok := m.QRScan()
			if ok != c.isQRScan || scene != c.wantScene || (ok && ticket != c.ticket) {
				t.Fatalf("QRScan = %q %q %t", scene, ticket, ok)
			}
			if m.OpenID != "oQ9x05Zc" || m.Nonce != "n1" {
				t.Fatalf("query fields not kept: %+v", m)
			}
		})
	}
}

func TestParseTextMessage(t *testing.T) {
	p := newReceiver(t)
	body := `<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[o1]]></FromUserName>` +
		`<CreateTime>1718000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好 <b>&amp;</b>]]></Content>` +
		`<MsgId>23637352235060880</MsgId></xml>`
	m, err := p.Parse(signedQuery(testNow, "n"), strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if m.Content != "你好 <b>&amp;</b>" || m.MsgID != 23637352235060880 || m.DedupKey() != "msg:23637352235060880" {
		t.Fatalf("message = %+v", m)
	}
}

func TestDedupKeyStableAcrossRetries(t *testing.T) {
	a, _ := DecodeMessage([]byte(eventXML("SCAN", "s", "t")))
	b, _ := DecodeMessage([]byte(eventXML("SCAN", "s", "t")))
	c, _ := DecodeMessage([]byte(eventXML("subscribe", "qrscene_s", "t")))
	if a.DedupKey() != b.DedupKey() || a.DedupKey() == c.DedupKey() {
		t.Fatalf("keys: %s %s %s", a.DedupKey(), b.DedupKey(), c.DedupKey())
	}
}

func TestParseSafeMode(t *testing.T) {
	plain := eventXML("subscribe", "qrscene_login:1", "tk1")
	t.Run("valid", func(t *testing.T) {
		q, body := safePush(t, plain, testAppID)
		m, err := newReceiver(t).Parse(q, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if !m.Encrypted || m.Event != "subscribe" || m.EventKey != "login:1" || m.Ticket != "tk1" {
			t.Fatalf("message = %+v", m)
		}
	})
	cases := []struct {
		name   string
		mangle func(q url.Values, body []byte) (url.Values, []byte)
		mod    func(*PushConfig)
		want   error
	}{
		{"bad msg_signature", func(q url.Values, b []byte) (url.Values, []byte) {
			q.Set("msg_signature", strings.Repeat("0", 40))
			return q, b
		}, nil, ErrBadSignature},
		{"signature given as msg_signature", func(q url.Values, b []byte) (url.Values, []byte) {
			q.Set("msg_signature", q.Get("signature"))
			return q, b
		}, nil, ErrBadSignature},
		{"bad source signature", func(q url.Values, b []byte) (url.Values, []byte) {
			q.Set("signature", strings.Repeat("0", 40))
			return q, b
		}, nil, ErrBadSignature},
		{"ciphertext altered", func(q url.Values, b []byte) (url.Values, []byte) {
			return q, bytes.Replace(b, []byte("<Encrypt><![CDATA["), []byte("<Encrypt><![CDATA[AAAA"), 1)
		}, nil, ErrBadSignature},
		{"no Encrypt element", func(q url.Values, _ []byte) (url.Values, []byte) {
			return q, []byte("<xml><ToUserName>gh</ToUserName></xml>")
		}, nil, ErrMalformedXML},
		{"plaintext refused in safe-only mode", func(q url.Values, _ []byte) (url.Values, []byte) {
			q.Del("encrypt_type")
			return q, []byte(plain)
		}, func(c *PushConfig) { c.RequireSafeMode = true }, ErrPlaintextRefused},
		{"other OA's original id", func(q url.Values, b []byte) (url.Values, []byte) { return q, b },
			func(c *PushConfig) { c.OriginalID = "gh_ffffffffffff" }, ErrAppIDMismatch},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q, body := safePush(t, plain, testAppID)
			q, body = c.mangle(q, body)
			var mods []func(*PushConfig)
			if c.mod != nil {
				mods = append(mods, c.mod)
			}
			_, err := newReceiver(t, mods...).Parse(q, bytes.NewReader(body))
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
	t.Run("wrong appid", func(t *testing.T) {
		q, body := safePush(t, plain, "wx1111111111111111")
		_, err := newReceiver(t).Parse(q, bytes.NewReader(body))
		if !errors.Is(err, ErrAppIDMismatch) {
			t.Fatalf("err = %v, want ErrAppIDMismatch", err)
		}
	})
	t.Run("decryption failure", func(t *testing.T) {
		// Correctly signed, but encrypted under another key.
		other := "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
		k2, _ := ParseEncodingAESKey(other)
		enc, _ := EncryptMessage(k2, testAppID, []byte(plain), nil)
		q := signedQuery(testNow, "n")
		q.Set("encrypt_type", "aes")
		q.Set("msg_signature", Signature(testToken, q.Get("timestamp"), q.Get("nonce"), enc))
		body := "<xml><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>"
		_, err := newReceiver(t).Parse(q, strings.NewReader(body))
		if !errors.Is(err, ErrDecrypt) && !errors.Is(err, ErrAppIDMismatch) {
			t.Fatalf("err = %v, want a decryption failure", err)
		}
	})
	t.Run("safe push without a configured key", func(t *testing.T) {
		q, body := safePush(t, plain, testAppID)
		p := newReceiver(t, func(c *PushConfig) { c.EncodingAESKey = "" })
		if _, err := p.Parse(q, bytes.NewReader(body)); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestParseSafeModeVector runs the published encrypted message through the
// whole receiver: signature, msg_signature, decryption and appid check.
func TestParseSafeModeVector(t *testing.T) {
	v := loadVectors(t)
	c := v.MessageSignature.Cases[1]
	p, err := NewPushReceiver(PushConfig{Token: c.Token, EncodingAESKey: v.SafeMode.EncodingAESKey, AppID: v.SafeMode.AppID,
		Now: func() time.Time { ts, _ := strconv.ParseInt(c.Timestamp, 10, 64); return time.Unix(ts, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	q := url.Values{"signature": {Signature(c.Token, c.Timestamp, c.Nonce)}, "timestamp": {c.Timestamp}, "nonce": {c.Nonce},
		"encrypt_type": {"aes"}, "msg_signature": {c.MsgSignature}}
	m, err := p.Parse(q, strings.NewReader("<xml><Encrypt><![CDATA["+c.Encrypt+"]]></Encrypt></xml>"))
	if err != nil {
		t.Fatal(err)
	}
	if !m.Encrypted || m.MsgType == "" {
		t.Fatalf("message = %+v", m)
	}
}

func TestHostileXMLRejected(t *testing.T) {
	laughs := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">` +
		`<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><xml><ToUserName>&lol3;</ToUserName></xml>`
	xxe := `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><Content>&xxe;</Content></xml>`
	deep := "<xml>" + strings.Repeat("<a>", 2000) + strings.Repeat("</a>", 2000) + "</xml>"
	valid := eventXML("SCAN", "k", "t")
	cases := []struct {
		name string
		body string
		want error
		msg  string
	}{
		{"billion laughs", laughs, ErrMalformedXML, "DOCTYPE"},
		{"external entity", xxe, ErrMalformedXML, "DOCTYPE"},
		{"undeclared entity", `<xml><ToUserName>&lol;</ToUserName></xml>`, ErrMalformedXML, "entity"},
		{"deep nesting", deep, ErrMalformedXML, "deeper"},
		{"huge body", "<xml><Content>" + strings.Repeat("A", DefaultMaxPushBytes) + "</Content></xml>", ErrBodyTooLarge, "bytes"},
		{"many tiny elements", "<xml><Articles>" + strings.Repeat("<item/>", 5000) + "</Articles></xml>", ErrMalformedXML, "tokens"},
		{"wrong root", strings.Replace(strings.Replace(valid, "<xml>", "<root>", 1), "</xml>", "</root>", 1), ErrMalformedXML, "root"},
		{"duplicate field", strings.Replace(valid, "<MsgType>", "<FromUserName>oEvil</FromUserName><MsgType>", 1), ErrMalformedXML, "twice"},
		{"trailing element", valid + "<xml></xml>", ErrMalformedXML, "after the root"},
		{"non-UTF-8 encoding", `<?xml version="1.0" encoding="GB2312"?>` + valid, ErrMalformedXML, "encoding"},
		{"unclosed", "<xml><ToUserName>a", ErrMalformedXML, "unexpected EOF"},
		{"empty", "", ErrMalformedXML, "no <xml>"},
		{"missing CreateTime", strings.Replace(valid, "<CreateTime>1718000000</CreateTime>", "", 1), ErrMalformedXML, "CreateTime"},
		{"CreateTime not a number", strings.Replace(valid, "1718000000", "yesterday", 1), ErrMalformedXML, "CreateTime"},
		{"JSON instead of XML", `{"ToUserName":"gh"}`, ErrMalformedXML, ""},
	}
	p := newReceiver(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := p.Parse(signedQuery(testNow, "n"), strings.NewReader(c.body))
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("err = %v, want %v mentioning %q", err, c.want, c.msg)
			}
		})
	}
	t.Run("signature checked before the body is read", func(t *testing.T) {
		q := signedQuery(testNow, "n")
		q.Set("signature", "bad")
		_, err := p.Parse(q, panicReader{})
		if !errors.Is(err, ErrBadSignature) {
			t.Fatalf("err = %v", err)
		}
	})
}

// panicReader fails the test's process if anything reads it.
type panicReader struct{}

func (panicReader) Read([]byte) (int, error) { panic("body read before the signature was checked") }

func TestReplies(t *testing.T) {
	p := newReceiver(t)
	t.Run("plain text reply", func(t *testing.T) {
		req, _ := DecodeMessage([]byte(eventXML("SCAN", "k", "t")))
		out, err := p.ReplyText(req, "请确认登录 ]]><Evil>x</Evil>")
		if err != nil {
			t.Fatal(err)
		}
		back, err := DecodeMessage(out)
		if err != nil {
			t.Fatalf("reply does not decode: %v\n%s", err, out)
		}
		if back.ToUserName != "oQ9x05Zc" || back.FromUserName != testGhID || back.MsgType != "text" ||
			back.Content != "请确认登录 ]]><Evil>x</Evil>" || back.CreateTime != testNow.Unix() {
			t.Fatalf("reply = %+v", back)
		}
		if _, injected := back.Fields["Evil"]; injected {
			t.Fatal("content escaped its CDATA section")
		}
	})
	t.Run("encrypted reply", func(t *testing.T) {
		q, body := safePush(t, eventXML("SCAN", "k", "t"), testAppID)
		req, err := p.Parse(q, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		out, err := p.ReplyText(req, "ok")
		if err != nil {
			t.Fatal(err)
		}
		env, err := decodeXMLFields(out)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"Encrypt", "MsgSignature", "TimeStamp", "Nonce"} {
			if env[f] == "" {
				t.Fatalf("envelope lacks %s: %s", f, out)
			}
		}
		if env["MsgSignature"] != Signature(testToken, env["TimeStamp"], env["Nonce"], env["Encrypt"]) {
			t.Fatal("envelope msg_signature does not verify")
		}
		if !bytes.Contains(out, []byte("<TimeStamp>"+strconv.FormatInt(testNow.Unix(), 10)+"</TimeStamp>")) {
			t.Fatalf("TimeStamp is not a bare integer: %s", out)
		}
		key, _ := ParseEncodingAESKey(testAESKey)
		plain, err := DecryptMessage(key, testAppID, env["Encrypt"])
		if err != nil {
			t.Fatal(err)
		}
		back, err := DecodeMessage(plain)
		if err != nil || back.Content != "ok" {
			t.Fatalf("decrypted reply = %+v, %v", back, err)
		}
		// A second reply gets a fresh nonce.
		out2, _ := p.ReplyText(req, "ok")
		env2, _ := decodeXMLFields(out2)
		if env2["Nonce"] == env["Nonce"] || env2["Encrypt"] == env["Encrypt"] {
			t.Fatal("nonce or ciphertext reused between replies")
		}
	})
}

func TestNewPushReceiverValidates(t *testing.T) {
	cases := []struct {
		name string
		cfg  PushConfig
	}{
		{"token too short", PushConfig{Token: "ab"}},
		{"token too long", PushConfig{Token: strings.Repeat("a", 33)}},
		{"bad key", PushConfig{Token: "abc", EncodingAESKey: "short", AppID: "wx"}},
		{"key without appid", PushConfig{Token: "abc", EncodingAESKey: testAESKey}},
		{"safe only without key", PushConfig{Token: "abc", RequireSafeMode: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := NewPushReceiver(c.cfg); !errors.Is(err, ErrInvalidArgument) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func TestConfigsRedactSecrets(t *testing.T) {
	for _, s := range []fmt.Stringer{
		Config{AppID: "wx1", Secret: "TOPSECRET"},
		WorkConfig{CorpID: "ww1", CorpSecret: "TOPSECRET"},
		PushConfig{Token: "TOPSECRET", EncodingAESKey: "TOPSECRETKEY"},
		&UserToken{AccessToken: "TOPSECRET", RefreshToken: "TOPSECRET"},
		&Session{SessionKey: "TOPSECRET"},
	} {
		if out := fmt.Sprintf("%v %+v %s", s, s, s); strings.Contains(out, "TOPSECRET") {
			t.Fatalf("%T prints a secret: %s", s, out)
		}
		var buf bytes.Buffer
		slog.New(slog.NewJSONHandler(&buf, nil)).Info("config", "v", s)
		if strings.Contains(buf.String(), "TOPSECRET") {
			t.Fatalf("%T logs a secret: %s", s, buf.String())
		}
	}
}

func TestReplyDropsCharactersXMLCannotCarry(t *testing.T) {
	p := newReceiver(t)
	req, _ := DecodeMessage([]byte(eventXML("SCAN", "k", "t")))
	out, err := p.ReplyText(req, "a\x00b\x1bc\tok\xff")
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeMessage(out)
	if err != nil {
		t.Fatalf("reply is not well-formed XML: %v", err)
	}
	if back.Content != "abc\tok" {
		t.Fatalf("content = %q", back.Content)
	}
}
