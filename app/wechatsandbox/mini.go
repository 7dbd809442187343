package wechatsandbox

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// newSessionKey draws a Mini Program session_key: base64 of 16 random bytes.
func newSessionKey() string { return base64.StdEncoding.EncodeToString(randBytes(16)) }

// handleJSCode2Session serves GET /sns/jscode2session.
func (s *Sandbox) handleJSCode2Session(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	appid, secret, code := q.Get("appid"), q.Get("secret"), q.Get("js_code")
	switch {
	case appid == "":
		fail(w, 41002)
		return
	case secret == "":
		fail(w, 41004)
		return
	case code == "":
		fail(w, 41008)
		return
	case q.Get("grant_type") != "authorization_code":
		fail(w, 40002)
		return
	case s.cfg.Mini.AppID == "" || appid != s.cfg.Mini.AppID:
		fail(w, 40013)
		return
	case !equalSig(secret, s.cfg.Mini.Secret):
		fail(w, 40125)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, p, errc := s.redeemLocked(code, codeJS, appid)
	if errc != 0 {
		fail(w, errc)
		return
	}
	body := map[string]any{"openid": s.openidLocked(p, appid), "session_key": p.sessionKey}
	if s.cfg.Mini.UnionID {
		body["unionid"] = p.unionid
	}
	writeJSON(w, body)
}

// phoneNumberRequest is the JSON body of POST /wxa/business/getuserphonenumber.
type phoneNumberRequest struct {
	Code   string `json:"code"`
	OpenID string `json:"openid"`
}

// handlePhoneNumber serves POST /wxa/business/getuserphonenumber. Every code problem
// (unknown, used, expired, another app's) is 40029, as the doc lists.
func (s *Sandbox) handlePhoneNumber(w http.ResponseWriter, r *http.Request) {
	t, ok := s.tokenFromQuery(w, r, "token", "stable")
	if !ok {
		return
	}
	if t.appid != s.cfg.Mini.AppID {
		fail(w, 48001)
		return
	}
	var req phoneNumberRequest
	if err := readJSON(r, &req); err != nil {
		fail(w, 47001)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, p, errc := s.redeemLocked(req.Code, codePhone, t.appid)
	if errc != 0 {
		fail(w, 40029)
		return
	}
	if req.OpenID != "" && req.OpenID != s.openidLocked(p, t.appid) {
		fail(w, 40029)
		return
	}
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "phone_info": s.phoneInfoLocked(p, t.appid)})
}

func (s *Sandbox) phoneInfoLocked(p *person, appid string) map[string]any {
	return map[string]any{
		"phoneNumber": "+86" + p.phone, "purePhoneNumber": p.phone, "countryCode": "86",
		"watermark": map[string]any{"timestamp": s.nowLocked().Unix(), "appid": appid},
	}
}

// handleCheckSession serves GET /wxa/checksession: 87009 unless signature is
// HMAC-SHA256(session_key, "") for the user's current session key.
func (s *Sandbox) handleCheckSession(w http.ResponseWriter, r *http.Request) {
	t, ok := s.tokenFromQuery(w, r, "token", "stable")
	if !ok {
		return
	}
	if t.appid != s.cfg.Mini.AppID {
		fail(w, 48001)
		return
	}
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	p, _, ok := s.byOpenidLocked(t.appid, q.Get("openid"))
	if !ok {
		fail(w, 40003)
		return
	}
	if q.Get("sig_method") != "hmac_sha256" || p.sessionKey == "" ||
		!equalSig(q.Get("signature"), sessionSignature(p.sessionKey, "")) {
		fail(w, 87009)
		return
	}
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok"})
}

// MiniLogin simulates wx.login for userID and returns a js_code. The first login (and every
// login with RotateSessionKeyOnLogin) gives the user a new session_key.
func (s *Sandbox) MiniLogin(userID string) (string, error) {
	if s.cfg.Mini.AppID == "" {
		return "", errors.New("no Mini Program configured")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.users.get(userID)
	if !ok {
		return "", fmt.Errorf("user %q: %w", userID, ErrNotFound)
	}
	if p.sessionKey == "" || s.set.RotateSessionKeyOnLogin {
		p.sessionKey = newSessionKey()
	}
	return s.issueCodeLocked(codeJS, s.cfg.Mini.AppID, p, "", false), nil
}

// MiniPhoneCode simulates the getPhoneNumber button and returns a phone code.
func (s *Sandbox) MiniPhoneCode(userID string) (string, error) {
	if s.cfg.Mini.AppID == "" {
		return "", errors.New("no Mini Program configured")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.users.get(userID)
	if !ok {
		return "", fmt.Errorf("user %q: %w", userID, ErrNotFound)
	}
	return s.issueCodeLocked(codePhone, s.cfg.Mini.AppID, p, "", false), nil
}

// RotateSessionKey gives userID a new session_key, as another wx.login may do; data encrypted
// afterwards no longer decrypts with the old key.
func (s *Sandbox) RotateSessionKey(userID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.users.get(userID)
	if !ok {
		return fmt.Errorf("user %q: %w", userID, ErrNotFound)
	}
	p.sessionKey = newSessionKey()
	return nil
}

// EncryptedData is what wx.getUserInfo / the legacy getPhoneNumber button hand the Mini Program.
type EncryptedData struct {
	EncryptedData string `json:"encrypted_data"`
	IV            string `json:"iv"`
	RawData       string `json:"raw_data,omitempty"`
	Signature     string `json:"signature,omitempty"` // sha1(rawData + session_key)
	Plaintext     string `json:"plaintext"`
}

// MiniEncryptedData encrypts the user's profile (kind "userinfo") or phone number (kind
// "phone") with their current session_key. It fails before the first MiniLogin, because the
// app could not know any key yet.
func (s *Sandbox) MiniEncryptedData(userID, kind string) (EncryptedData, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.users.get(userID)
	if !ok {
		return EncryptedData{}, fmt.Errorf("user %q: %w", userID, ErrNotFound)
	}
	if p.sessionKey == "" {
		return EncryptedData{}, errors.New("the user has no Mini Program session yet: produce a login code and exchange it first")
	}
	appid := s.cfg.Mini.AppID
	wm := map[string]any{"timestamp": s.nowLocked().Unix(), "appid": appid}
	var plain map[string]any
	var raw []byte
	switch kind {
	case "", "userinfo":
		profile := map[string]any{"nickName": p.nickname, "gender": 0, "language": "zh_CN", "city": "",
			"province": "", "country": "", "avatarUrl": s.public + "/avatar/" + p.id + "/132"}
		raw, _ = json.Marshal(profile)
		plain = map[string]any{"openId": s.openidLocked(p, appid), "watermark": wm}
		for k, v := range profile {
			plain[k] = v
		}
		if s.cfg.Mini.UnionID {
			plain["unionId"] = p.unionid
		}
	case "phone":
		plain = s.phoneInfoLocked(p, appid)
	default:
		return EncryptedData{}, fmt.Errorf("kind %q: want userinfo or phone", kind)
	}
	pt, _ := json.Marshal(plain)
	iv := randBytes(16)
	ct, err := encryptMini(p.sessionKey, iv, pt)
	if err != nil {
		return EncryptedData{}, err
	}
	out := EncryptedData{EncryptedData: ct, IV: base64.StdEncoding.EncodeToString(iv), Plaintext: string(pt)}
	if raw != nil {
		sum := sha1.Sum(append(raw, p.sessionKey...))
		out.RawData, out.Signature = string(raw), hex.EncodeToString(sum[:])
	}
	return out, nil
}
