package wechat

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// knownPushError reports whether err is one of the documented push failures;
// anything else (or a panic) is a bug the fuzzer should surface.
func knownPushError(err error) bool {
	for _, s := range []error{ErrMalformedXML, ErrBodyTooLarge, ErrBadSignature, ErrDecrypt, ErrAppIDMismatch, ErrStaleTimestamp} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

func pushSeeds(f *testing.F) {
	f.Add([]byte(eventXML("subscribe", "qrscene_login:1", "tk")))
	f.Add([]byte(eventXML("SCAN", "login:1", "tk")))
	f.Add([]byte(eventXML("unsubscribe", "", "")))
	f.Add([]byte(`<?xml version="1.0" encoding="UTF-8"?><xml><ToUserName>a</ToUserName></xml>`))
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY a "b">]><xml>&a;</xml>`))
	f.Add([]byte("<xml><a><b><c><d><e><f>deep</f></e></d></c></b></a></xml>"))
	f.Add([]byte("<xml><Content><![CDATA[]]]]><![CDATA[>]]></Content></xml>"))
}

func FuzzDecodeMessage(f *testing.F) {
	pushSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeMessage(data)
		if err != nil {
			if !knownPushError(err) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if m.ToUserName == "" || m.FromUserName == "" || m.MsgType == "" {
			t.Fatalf("accepted a message without required fields: %+v", m)
		}
		if m.Event == EventSubscribe && m.EventKey != strings.TrimPrefix(m.RawEventKey, SceneKeyPrefix) {
			t.Fatalf("subscribe EventKey %q not stripped from %q", m.EventKey, m.RawEventKey)
		}
	})
}

func FuzzParsePlain(f *testing.F) {
	pushSeeds(f)
	p := newReceiver(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := p.Parse(signedQuery(testNow, "n"), bytes.NewReader(body))
		if err != nil {
			if !knownPushError(err) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if m.Encrypted {
			t.Fatal("plaintext push marked encrypted")
		}
	})
}

// FuzzParseSafeInner encrypts arbitrary plaintext correctly: the decoder
// behind the crypto must be as robust as the plaintext one.
func FuzzParseSafeInner(f *testing.F) {
	pushSeeds(f)
	p := newReceiver(f)
	f.Fuzz(func(t *testing.T, plain []byte) {
		q, body := safePush(t, string(plain), testAppID)
		m, err := p.Parse(q, bytes.NewReader(body))
		if err != nil {
			if !knownPushError(err) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if !m.Encrypted {
			t.Fatal("safe-mode push not marked encrypted")
		}
	})
}

// FuzzParseSafeCiphertext signs arbitrary Encrypt text correctly, so the
// fuzzer reaches base64, AES, padding and length-prefix handling.
func FuzzParseSafeCiphertext(f *testing.F) {
	v := loadVectors(f)
	for _, c := range v.SafeMode.DecryptCases {
		f.Add(c.Encrypt)
	}
	f.Add("")
	f.Add("AAAAAAAAAAAAAAAAAAAAAA==")
	f.Add(strings.Repeat("A", 64))
	p := newReceiver(f, func(c *PushConfig) { c.MaxClockSkew = -1 })
	f.Fuzz(func(t *testing.T, enc string) {
		if strings.Contains(enc, "]]>") {
			return // cannot be carried in CDATA; WeChat never sends it
		}
		q := signedQuery(testNow, "n")
		q.Set("encrypt_type", "aes")
		q.Set("msg_signature", Signature(testToken, q.Get("timestamp"), q.Get("nonce"), enc))
		body := "<xml><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>"
		_, err := p.Parse(q, strings.NewReader(body))
		if err != nil && !knownPushError(err) {
			t.Fatalf("unexpected error kind: %v", err)
		}
	})
}

// checkDecoded is the invariant of every JSON decoder: a value and no error,
// or no value and a *Error.
func checkDecoded[T any](t *testing.T, v *T, err error) {
	t.Helper()
	if err != nil {
		var we *Error
		if !errors.As(err, &we) {
			t.Fatalf("error %v is not a *Error", err)
		}
		if v != nil {
			t.Fatal("value returned alongside an error")
		}
		return
	}
	if v == nil {
		t.Fatal("no value and no error")
	}
}

func jsonSeeds(f *testing.F, extra ...string) {
	for _, s := range append(extra,
		`{}`, `null`, `[]`, `"x"`, `{"errcode":40029,"errmsg":"invalid code"}`, `{"errcode":"0"}`,
		`{"errcode":1e99}`, `{"errcode":null}`, `{"errcode":-1}`, `not json`, ``) {
		f.Add([]byte(s))
	}
}

func FuzzDecodeUserToken(f *testing.F) {
	jsonSeeds(f, `{"access_token":"a","expires_in":7200,"refresh_token":"r","openid":"o","scope":"snsapi_base,","unionid":"u","is_snapshotuser":1}`,
		`{"access_token":"a","openid":"o","is_snapshotuser":"1"}`)
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := decodeUserToken("op", 200, b)
		checkDecoded(t, v, err)
		if v != nil && (v.AccessToken == "" || v.OpenID == "") {
			t.Fatalf("accepted a token without access_token or openid: %+v", v)
		}
	})
}

func FuzzDecodeUserInfo(f *testing.F) {
	jsonSeeds(f, `{"openid":"o","nickname":"n","sex":"2","privilege":["x"],"unionid":"u"}`)
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := decodeUserInfo("op", 200, b)
		checkDecoded(t, v, err)
	})
}

func FuzzDecodeAppToken(f *testing.F) {
	jsonSeeds(f, `{"access_token":"ACCESS","expires_in":7200}`)
	f.Fuzz(func(t *testing.T, b []byte) {
		var tok AppToken
		err := decodeResponse("op", 200, b, &tok)
		var we *Error
		if err != nil && !errors.As(err, &we) {
			t.Fatalf("error %v is not a *Error", err)
		}
	})
}

func FuzzDecodeQRCode(f *testing.F) {
	jsonSeeds(f, `{"ticket":"gQ+/=","expire_seconds":"60","url":"http://weixin.qq.com/q/x"}`)
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := decodeQRCode("op", 200, b)
		checkDecoded(t, v, err)
	})
}

func FuzzDecodeFollower(f *testing.F) {
	jsonSeeds(f, `{"subscribe":1,"openid":"o","subscribe_time":1,"unionid":"u","tagid_list":[1],"qr_scene":"3","qr_scene_str":"s"}`)
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := decodeFollower("op", 200, b)
		checkDecoded(t, v, err)
	})
}

func FuzzDecodeTemplateSend(f *testing.F) {
	jsonSeeds(f, `{"errcode":0,"errmsg":"ok","msgid":200228332}`)
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := decodeTemplateSend("op", 200, b)
		var we *Error
		if err != nil && !errors.As(err, &we) {
			t.Fatalf("error %v is not a *Error", err)
		}
	})
}

func FuzzDecodeSession(f *testing.F) {
	jsonSeeds(f, `{"openid":"o","session_key":"k","unionid":"u"}`)
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := decodeSession("op", 200, b)
		checkDecoded(t, v, err)
	})
}

func FuzzDecodePhoneNumber(f *testing.F) {
	jsonSeeds(f, `{"errcode":0,"phone_info":{"phoneNumber":"+86 1","purePhoneNumber":"1","countryCode":86,"watermark":{"appid":"wx","timestamp":1}}}`)
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := decodePhoneNumber("op", 200, b)
		checkDecoded(t, v, err)
	})
}

func FuzzDecodeWorkIdentity(f *testing.F) {
	jsonSeeds(f, `{"errcode":0,"userid":"u"}`, `{"UserId":"u","DeviceId":"d"}`, `{"openid":"o","external_userid":"e"}`)
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := decodeWorkIdentity("op", 200, b)
		checkDecoded(t, v, err)
	})
}

func FuzzDecodeWorkUser(f *testing.F) {
	jsonSeeds(f, `{"errcode":0,"userid":"u","name":"n","department":[1],"gender":"1","status":1,"main_department":"1"}`)
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := decodeWorkUser("op", 200, b)
		checkDecoded(t, v, err)
	})
}

func FuzzDecryptMiniProgramData(f *testing.F) {
	v := loadVectors(f).MiniProgram
	f.Add(v.EncryptedData, v.IV)
	f.Add("", "")
	f.Add("AAAAAAAAAAAAAAAAAAAAAA==", v.IV)
	f.Fuzz(func(t *testing.T, data, iv string) {
		plain, err := DecryptMiniProgramData(v.AppID, v.SessionKey, data, iv)
		if err != nil {
			if !errors.Is(err, ErrDecrypt) && !errors.Is(err, ErrSessionKey) && !errors.Is(err, ErrAppIDMismatch) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if len(plain) == 0 {
			t.Fatal("empty plaintext accepted")
		}
	})
}
