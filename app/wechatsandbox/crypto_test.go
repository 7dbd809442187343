package wechatsandbox

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

type vectors struct {
	MessageSignature struct {
		Cases []struct {
			Token, Timestamp, Nonce, Echostr, Encrypt string
			MsgSignature                              string `json:"msg_signature"`
		} `json:"cases"`
	} `json:"message_signature"`
	SafeMode struct {
		EncodingAESKey string `json:"encoding_aes_key"`
		AppID          string `json:"appid"`
		DecryptCases   []struct {
			Encrypt string `json:"encrypt"`
		} `json:"decrypt_cases"`
		EncryptCase struct {
			Random, Timestamp, Nonce, Token, Plaintext, Encrypt string
			MsgSignature                                        string `json:"msg_signature"`
		} `json:"encrypt_case"`
	} `json:"safe_mode"`
	Mini struct {
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

func loadVectors(t *testing.T) vectors {
	t.Helper()
	b, err := os.ReadFile("testdata/wechat-vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestVectorSignatures(t *testing.T) {
	v := loadVectors(t)
	for i, c := range v.MessageSignature.Cases {
		t.Run(c.Timestamp, func(t *testing.T) {
			payload := c.Echostr + c.Encrypt
			if got := signature(c.Token, c.Timestamp, c.Nonce, payload); got != c.MsgSignature {
				t.Errorf("case %d: signature = %s, want %s", i, got, c.MsgSignature)
			}
		})
	}
}

func TestVectorSafeModeDecrypt(t *testing.T) {
	v := loadVectors(t)
	key, err := aesKey(v.SafeMode.EncodingAESKey)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range v.SafeMode.DecryptCases {
		msg, appid, err := decryptMsg(key, c.Encrypt)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if appid != v.SafeMode.AppID {
			t.Errorf("case %d: appid = %q, want %q", i, appid, v.SafeMode.AppID)
		}
		if i == 0 && strings.Trim(msg, "0123456789") != "" {
			t.Errorf("echostr should decrypt to digits, got %q", msg)
		}
		if i == 1 && !strings.HasPrefix(msg, "<xml>") {
			t.Errorf("message should decrypt to XML, got %q", msg)
		}
	}
}

func TestVectorSafeModeEncrypt(t *testing.T) {
	v := loadVectors(t)
	c := v.SafeMode.EncryptCase
	key, _ := aesKey(v.SafeMode.EncodingAESKey)
	got, err := encryptMsg(key, []byte(c.Random), c.Plaintext, v.SafeMode.AppID)
	if err != nil {
		t.Fatal(err)
	}
	if got != c.Encrypt {
		t.Errorf("Encrypt = %s\nwant      %s", got, c.Encrypt)
	}
	if sig := signature(c.Token, c.Timestamp, c.Nonce, got); sig != c.MsgSignature {
		t.Errorf("msg_signature = %s, want %s", sig, c.MsgSignature)
	}
	back, appid, err := decryptMsg(key, got)
	if err != nil || back != c.Plaintext || appid != v.SafeMode.AppID {
		t.Errorf("round trip: %q %q %v", back, appid, err)
	}
}

func TestVectorMiniProgram(t *testing.T) {
	v := loadVectors(t)
	plain, err := decryptMini(v.Mini.SessionKey, v.Mini.IV, v.Mini.EncryptedData)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		OpenID    string `json:"openId"`
		NickName  string `json:"nickName"`
		Watermark struct {
			AppID string `json:"appid"`
		} `json:"watermark"`
	}
	if err := json.Unmarshal(plain, &m); err != nil {
		t.Fatal(err)
	}
	if m.Watermark.AppID != v.Mini.AppID || m.OpenID == "" || m.NickName == "" {
		t.Errorf("decrypted %+v", m)
	}
	// Our encryption with the vector's key and iv must give the vector's ciphertext back.
	iv := mustB64(t, v.Mini.IV)
	again, err := encryptMini(v.Mini.SessionKey, iv, plain)
	if err != nil || again != v.Mini.EncryptedData {
		t.Errorf("re-encrypt differs: %v", err)
	}
}

func TestVectorCheckSession(t *testing.T) {
	v := loadVectors(t)
	if got := sessionSignature(v.CheckSession.SessionKey, v.CheckSession.Message); got != v.CheckSession.Signature {
		t.Errorf("signature = %s, want %s", got, v.CheckSession.Signature)
	}
}

func TestDecryptRejectsTampering(t *testing.T) {
	key, _ := aesKey("kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR")
	good, _ := encryptMsg(key, nil, "<xml/>", "wxapp")
	tests := []struct{ name, in string }{
		{"not base64", "%%%"},
		{"empty", ""},
		{"short block", "AAAA"},
		{"flipped last byte", good[:len(good)-4] + "AAA="},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := decryptMsg(key, tc.in); err == nil {
				t.Error("want an error")
			}
		})
	}
	if _, err := aesKey("short"); err == nil {
		t.Error("a short EncodingAESKey must be refused")
	}
}

func FuzzDecryptMsg(f *testing.F) {
	key, _ := aesKey("kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR")
	good, _ := encryptMsg(key, nil, "<xml/>", "wxapp")
	f.Add(good)
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		msg, appid, err := decryptMsg(key, in)
		if err == nil && len(msg)+len(appid) > len(in) {
			t.Fatalf("plaintext longer than ciphertext")
		}
	})
}
