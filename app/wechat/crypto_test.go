package wechat

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
)

// vectors mirrors testdata/wechat-vectors.json, a copy of the published
// vectors in shared/testdata (wechatpy's tests and the official MP demo).
type vectors struct {
	MessageSignature struct {
		Cases []struct {
			Token, Timestamp, Nonce, Echostr, Encrypt string
			MsgSignature                              string `json:"msg_signature"`
		}
	} `json:"message_signature"`
	SafeMode struct {
		EncodingAESKey string `json:"encoding_aes_key"`
		AppID          string `json:"appid"`
		DecryptCases   []struct {
			Encrypt string
		} `json:"decrypt_cases"`
		EncryptCase struct {
			Random, Timestamp, Nonce, Token, Plaintext, Encrypt string
			MsgSignature                                        string `json:"msg_signature"`
		} `json:"encrypt_case"`
	} `json:"safe_mode"`
	MiniProgram struct {
		AppID         string `json:"appid"`
		SessionKey    string `json:"session_key"`
		IV            string `json:"iv"`
		EncryptedData string `json:"encrypted_data"`
	} `json:"mini_program_decrypt"`
	CheckSession struct {
		SessionKey string `json:"session_key"`
		Message    string `json:"message"`
		Signature  string `json:"signature"`
	} `json:"checksession_signature"`
}

func loadVectors(t testing.TB) vectors {
	t.Helper()
	raw, err := os.ReadFile("testdata/wechat-vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.MessageSignature.Cases) == 0 || v.SafeMode.EncryptCase.Encrypt == "" {
		t.Fatal("vectors file decoded to nothing; field names drifted")
	}
	return v
}

func TestVectorMessageSignature(t *testing.T) {
	v := loadVectors(t)
	for i, c := range v.MessageSignature.Cases {
		body := c.Encrypt + c.Echostr
		t.Run(c.Timestamp, func(t *testing.T) {
			if got := Signature(c.Token, c.Timestamp, c.Nonce, body); got != c.MsgSignature {
				t.Fatalf("case %d: Signature = %s, want %s", i, got, c.MsgSignature)
			}
			// The order of the parts must not matter: they are sorted.
			if got := Signature(body, c.Nonce, c.Timestamp, c.Token); got != c.MsgSignature {
				t.Fatalf("case %d: signature depends on argument order", i)
			}
		})
	}
}

func TestVectorSafeModeDecrypt(t *testing.T) {
	v := loadVectors(t)
	key, err := ParseEncodingAESKey(v.SafeMode.EncodingAESKey)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("echostr", func(t *testing.T) {
		msg, err := DecryptMessage(key, v.SafeMode.AppID, v.SafeMode.DecryptCases[0].Encrypt)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range string(msg) {
			if r < '0' || r > '9' {
				t.Fatalf("echostr decrypted to %q, want digits", msg)
			}
		}
	})
	t.Run("message", func(t *testing.T) {
		msg, err := DecryptMessage(key, v.SafeMode.AppID, v.SafeMode.DecryptCases[1].Encrypt)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(msg, []byte("<xml>")) || !bytes.HasSuffix(bytes.TrimSpace(msg), []byte("</xml>")) {
			t.Fatalf("decrypted message is not an XML document: %q", msg)
		}
		if _, err := DecodeMessage(msg); err != nil {
			t.Fatalf("decrypted message does not decode: %v", err)
		}
	})
	t.Run("wrong appid", func(t *testing.T) {
		_, err := DecryptMessage(key, "wx0000000000000000", v.SafeMode.DecryptCases[1].Encrypt)
		if !errors.Is(err, ErrAppIDMismatch) {
			t.Fatalf("err = %v, want ErrAppIDMismatch", err)
		}
	})
	t.Run("wrong key", func(t *testing.T) {
		other := bytes.Clone(key)
		other[0] ^= 1
		_, err := DecryptMessage(other, v.SafeMode.AppID, v.SafeMode.DecryptCases[1].Encrypt)
		if err == nil {
			t.Fatal("decrypting with another key succeeded")
		}
		if !errors.Is(err, ErrDecrypt) && !errors.Is(err, ErrAppIDMismatch) {
			t.Fatalf("err = %v, want ErrDecrypt or ErrAppIDMismatch", err)
		}
	})
}

func TestVectorSafeModeEncrypt(t *testing.T) {
	v := loadVectors(t)
	c := v.SafeMode.EncryptCase
	key, err := ParseEncodingAESKey(v.SafeMode.EncodingAESKey)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := EncryptMessage(key, v.SafeMode.AppID, []byte(c.Plaintext), strings.NewReader(c.Random))
	if err != nil {
		t.Fatal(err)
	}
	if enc != c.Encrypt {
		t.Fatalf("Encrypt =\n%s\nwant\n%s", enc, c.Encrypt)
	}
	if got := Signature(c.Token, c.Timestamp, c.Nonce, enc); got != c.MsgSignature {
		t.Fatalf("msg_signature = %s, want %s", got, c.MsgSignature)
	}
	back, err := DecryptMessage(key, v.SafeMode.AppID, enc)
	if err != nil || string(back) != c.Plaintext {
		t.Fatalf("round trip = %q, %v", back, err)
	}
}

func TestVectorMiniProgramDecrypt(t *testing.T) {
	v := loadVectors(t).MiniProgram
	t.Run("decrypts with watermark", func(t *testing.T) {
		c, err := New(Config{AppID: v.AppID})
		if err != nil {
			t.Fatal(err)
		}
		var u MiniProgramUser
		if err := c.DecryptUserData(v.SessionKey, v.EncryptedData, v.IV, &u); err != nil {
			t.Fatal(err)
		}
		if u.OpenID == "" || u.NickName == "" || u.Watermark.AppID != v.AppID {
			t.Fatalf("decoded user %+v lacks openId, nickName or watermark", u)
		}
	})
	t.Run("watermark of another app", func(t *testing.T) {
		_, err := DecryptMiniProgramData("wx0000000000000000", v.SessionKey, v.EncryptedData, v.IV)
		if !errors.Is(err, ErrAppIDMismatch) {
			t.Fatalf("err = %v, want ErrAppIDMismatch", err)
		}
	})
	t.Run("rotated session key", func(t *testing.T) {
		_, err := DecryptMiniProgramData(v.AppID, "AAAAAAAAAAAAAAAAAAAAAA==", v.EncryptedData, v.IV)
		if !errors.Is(err, ErrSessionKey) {
			t.Fatalf("err = %v, want ErrSessionKey", err)
		}
	})
	t.Run("plus signs turned into spaces in transit", func(t *testing.T) {
		mangled := strings.ReplaceAll(v.EncryptedData, "+", " ")
		if _, err := DecryptMiniProgramData(v.AppID, v.SessionKey, mangled, v.IV); err != nil {
			t.Fatalf("err = %v, want the space-for-plus repair to work", err)
		}
	})
	bad := []struct{ name, key, data, iv string }{
		{"key not base64", "!!!", v.EncryptedData, v.IV},
		{"key wrong size", "AAAA", v.EncryptedData, v.IV},
		{"iv wrong size", v.SessionKey, v.EncryptedData, "AAAA"},
		{"data not base64", v.SessionKey, "%%%", v.IV},
		{"data not block aligned", v.SessionKey, "AAAA", v.IV},
		{"data empty", v.SessionKey, "", v.IV},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			_, err := DecryptMiniProgramData(v.AppID, b.key, b.data, b.iv)
			if !errors.Is(err, ErrDecrypt) {
				t.Fatalf("err = %v, want ErrDecrypt", err)
			}
		})
	}
}

func TestVectorCheckSessionHMAC(t *testing.T) {
	v := loadVectors(t).CheckSession
	if got := HMACSHA256Hex(v.SessionKey, v.Message); got != v.Signature {
		t.Fatalf("HMAC = %s, want %s", got, v.Signature)
	}
	// checksession signs the empty string with the same key semantics.
	if CheckSessionSignature(v.SessionKey) != HMACSHA256Hex(v.SessionKey, "") {
		t.Fatal("CheckSessionSignature is not the HMAC of the empty string")
	}
	if CheckSessionSignature(v.SessionKey) == CheckSessionSignature("tiihtNczf5v6AKRyjwEUhQ==") {
		t.Fatal("different session keys gave the same signature")
	}
}

func TestEncryptMessagePadding(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	// Lengths around the 32-byte block exercise pads of 32 (aligned) and 1..31.
	for n := range 70 {
		msg := bytes.Repeat([]byte{'a'}, n)
		enc, err := EncryptMessage(key, "wxapp", msg, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecryptMessage(key, "wxapp", enc)
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("len %d: round trip = %q, %v", n, got, err)
		}
	}
}

func TestParseEncodingAESKey(t *testing.T) {
	cases := []struct {
		name, in string
		ok       bool
	}{
		{"valid", "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR", true},
		{"too short", "kWxPEV2UEDyxWpmPdKC3F4dg", false},
		{"not base64", "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1a!", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseEncodingAESKey(c.in)
			if (err == nil) != c.ok {
				t.Fatalf("err = %v, want ok=%t", err, c.ok)
			}
		})
	}
}
