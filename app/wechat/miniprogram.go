package wechat

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
)

// Session is a Mini Program login session from sns/jscode2session. The
// session key must stay on the server; it decrypts the user's data.
type Session struct {
	OpenID     string `json:"openid"`
	SessionKey string `json:"session_key"`
	UnionID    string `json:"unionid,omitempty"`
}

// LogValue keeps the session key out of logs.
func (s *Session) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("openid", s.OpenID),
		slog.String("unionid", s.UnionID),
		slog.String("session_key", redact(s.SessionKey)),
	)
}

// String keeps the session key out of printed values.
func (s *Session) String() string {
	return fmt.Sprintf("wechat.Session{OpenID:%s UnionID:%s SessionKey:%s}", s.OpenID, s.UnionID, redact(s.SessionKey))
}

func decodeSession(op string, status int, body []byte) (*Session, error) {
	var s Session
	if err := decodeResponse(op, status, body, &s); err != nil {
		return nil, err
	}
	if s.OpenID == "" || s.SessionKey == "" {
		return nil, &Error{Op: op, HTTPStatus: status, Err: fmt.Errorf("%w: openid or session_key missing", ErrMalformedResponse)}
	}
	return &s, nil
}

// Code2Session trades a wx.login code for the session (sns/jscode2session).
// Errors: CodeInvalidCode (40029), CodeCodeUsed (40163), CodeCodeBlocked
// (40226, a risk-control block), CodeMinuteQuota (45011).
func (c *Client) Code2Session(ctx context.Context, jsCode string) (*Session, error) {
	const op = "sns/jscode2session"
	if jsCode == "" {
		return nil, fmt.Errorf("%w: js_code is empty", ErrInvalidArgument)
	}
	q := url.Values{"appid": {c.appID}, "secret": {c.secret}, "js_code": {jsCode}, "grant_type": {"authorization_code"}}
	return getJSON(ctx, &c.t, op, c.t.ep.API, "/sns/jscode2session", q, decodeSession)
}

// Watermark is stamped by WeChat on decrypted Mini Program data.
type Watermark struct {
	AppID     string `json:"appid"`
	Timestamp int64  `json:"timestamp"`
}

// MiniProgramUser is the decrypted wx.getUserInfo payload. WeChat anonymizes
// most of it nowadays; the unionid is the useful part.
type MiniProgramUser struct {
	OpenID    string    `json:"openId"`
	NickName  string    `json:"nickName"`
	Gender    int       `json:"gender"`
	Language  string    `json:"language"`
	City      string    `json:"city"`
	Province  string    `json:"province"`
	Country   string    `json:"country"`
	AvatarURL string    `json:"avatarUrl"`
	UnionID   string    `json:"unionId,omitempty"`
	Watermark Watermark `json:"watermark"`
}

// PhoneInfo is a user's phone number, from getuserphonenumber or the legacy
// encrypted getPhoneNumber payload.
type PhoneInfo struct {
	PhoneNumber     string    `json:"phoneNumber"`
	PurePhoneNumber string    `json:"purePhoneNumber"`
	CountryCode     string    `json:"countryCode"`
	Watermark       Watermark `json:"watermark"`
}

// UnmarshalJSON accepts countryCode as a string or a number (the docs' table
// says string, their example sends 86).
func (p *PhoneInfo) UnmarshalJSON(b []byte) error {
	type plain PhoneInfo
	var w struct {
		plain
		CountryCode flexString `json:"countryCode"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*p = PhoneInfo(w.plain)
	p.CountryCode = string(w.CountryCode)
	return nil
}

// DecryptMiniProgramData decrypts Mini Program encryptedData (AES-128-CBC,
// key = session key, PKCS#7) and checks watermark.appid against appID. It
// returns the JSON plaintext. A wrong or rotated session key yields
// ErrSessionKey; a watermark for another app ErrAppIDMismatch; malformed
// inputs ErrDecrypt.
func DecryptMiniProgramData(appID, sessionKey, encryptedData, iv string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(sessionKey)
	if err != nil || len(key) != 16 {
		return nil, fmt.Errorf("%w: session key is not base64 of 16 bytes", ErrDecrypt)
	}
	ivb, err := base64.StdEncoding.DecodeString(iv)
	if err != nil || len(ivb) != 16 {
		return nil, fmt.Errorf("%w: iv is not base64 of 16 bytes", ErrDecrypt)
	}
	// A '+' that travelled through a form or query arrives as a space.
	ct, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(encryptedData, " ", "+"))
	if err != nil {
		return nil, fmt.Errorf("%w: encryptedData is not base64 (was it URL-decoded twice?)", ErrDecrypt)
	}
	if len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("%w: encryptedData length %d is not a positive multiple of 16", ErrDecrypt, len(ct))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	plain := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, ivb).CryptBlocks(plain, ct)
	plain, err = unpad(plain, aes.BlockSize)
	// With a wrong key the padding is almost always invalid; when it passes by
	// chance, the JSON check below catches it. Both mean the same to the caller.
	if err != nil {
		return nil, ErrSessionKey
	}
	var wm struct {
		Watermark *Watermark `json:"watermark"`
	}
	if err := json.Unmarshal(plain, &wm); err != nil {
		return nil, ErrSessionKey
	}
	if wm.Watermark == nil {
		return nil, fmt.Errorf("%w: decrypted data has no watermark", ErrDecrypt)
	}
	if subtle.ConstantTimeCompare([]byte(wm.Watermark.AppID), []byte(appID)) != 1 {
		return nil, fmt.Errorf("%w: watermark appid %q, expected %q", ErrAppIDMismatch, wm.Watermark.AppID, appID)
	}
	return plain, nil
}

// DecryptUserData decrypts Mini Program encryptedData for this app into v
// (e.g. *MiniProgramUser or *PhoneInfo). See DecryptMiniProgramData for errors.
func (c *Client) DecryptUserData(sessionKey, encryptedData, iv string, v any) error {
	plain, err := DecryptMiniProgramData(c.appID, sessionKey, encryptedData, iv)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(plain, v); err != nil {
		return fmt.Errorf("%w: decrypted data does not fit %T: %v", ErrDecrypt, v, err)
	}
	return nil
}

func decodePhoneNumber(op string, status int, body []byte) (*PhoneInfo, error) {
	var w struct {
		PhoneInfo *PhoneInfo `json:"phone_info"`
	}
	if err := decodeResponse(op, status, body, &w); err != nil {
		return nil, err
	}
	if w.PhoneInfo == nil || w.PhoneInfo.PhoneNumber == "" && w.PhoneInfo.PurePhoneNumber == "" {
		return nil, &Error{Op: op, HTTPStatus: status, Err: fmt.Errorf("%w: phone_info missing", ErrMalformedResponse)}
	}
	return w.PhoneInfo, nil
}

// PhoneNumber trades a phone code from the Mini Program's getPhoneNumber button
// for the number (wxa/business/getuserphonenumber). openID is optional; when
// given, WeChat checks that the code belongs to that user.
func (c *Client) PhoneNumber(ctx context.Context, code, openID string) (*PhoneInfo, error) {
	const op = "wxa/business/getuserphonenumber"
	if code == "" {
		return nil, fmt.Errorf("%w: phone code is empty", ErrInvalidArgument)
	}
	in := struct {
		Code   string `json:"code"`
		OpenID string `json:"openid,omitempty"`
	}{code, openID}
	var info *PhoneInfo
	err := c.withToken(ctx, func(q url.Values) (err error) {
		info, err = postJSON(ctx, &c.t, op, c.t.ep.API, "/wxa/business/getuserphonenumber", q, in, decodePhoneNumber)
		return err
	})
	return info, err
}

// CheckSession asks wxa/checksession whether sessionKey is still the user's
// current key. (false, nil) means it is not (87009: wrong, expired or rotated).
func (c *Client) CheckSession(ctx context.Context, openID, sessionKey string) (bool, error) {
	const op = "wxa/checksession"
	if openID == "" || sessionKey == "" {
		return false, fmt.Errorf("%w: openid and session key are required", ErrInvalidArgument)
	}
	err := c.withToken(ctx, func(q url.Values) error {
		q.Set("openid", openID)
		q.Set("signature", CheckSessionSignature(sessionKey))
		q.Set("sig_method", "hmac_sha256")
		_, err := getJSON(ctx, &c.t, op, c.t.ep.API, "/wxa/checksession", q, decodeOK)
		return err
	})
	switch {
	case err == nil:
		return true, nil
	case ErrCodeOf(err) == int(CodeInvalidSignature):
		return false, nil
	default:
		return false, err
	}
}
