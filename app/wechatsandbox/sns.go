package wechatsandbox

import (
	"net/http"
	"time"
)

// userToken is an OAuth user access token with its refresh token.
type userToken struct {
	access, refresh string
	appid           string
	personID        string
	openid          string
	scope           string
	snapshot        bool
	expires         time.Time
	refreshExpires  time.Time
}

// snsApp resolves an appid usable with /sns/oauth2/*: the website app or the OA.
func (s *Sandbox) snsApp(appid string) (secret string, kind codeKind, unionid bool, ok bool) {
	switch {
	case appid != "" && appid == s.cfg.Website.AppID:
		return s.cfg.Website.Secret, codeWebsite, true, true
	case appid != "" && appid == s.cfg.OA.AppID:
		return s.cfg.OA.Secret, codeOAuth, s.cfg.OA.UnionID, true
	}
	return "", "", false, false
}

// tokenBody is the shared success body of access_token and refresh_token.
func (s *Sandbox) tokenBodyLocked(t *userToken, unionid bool) map[string]any {
	body := map[string]any{
		"access_token":  t.access,
		"expires_in":    int(t.expires.Sub(s.nowLocked()) / time.Second),
		"refresh_token": t.refresh,
		"openid":        t.openid,
		"scope":         t.scope,
	}
	if p, ok := s.users.get(t.personID); ok && unionid && !t.snapshot {
		body["unionid"] = p.unionid
	}
	if t.snapshot {
		body["is_snapshotuser"] = 1
	}
	return body
}

// handleSNSAccessToken serves GET /sns/oauth2/access_token (code → user token).
func (s *Sandbox) handleSNSAccessToken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	appid, secret, code := q.Get("appid"), q.Get("secret"), q.Get("code")
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
	}
	want, kind, unionid, ok := s.snsApp(appid)
	if !ok {
		fail(w, 40013)
		return
	}
	if !equalSig(secret, want) {
		fail(w, 40125)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, p, errc := s.redeemLocked(code, kind, appid)
	if errc != 0 {
		fail(w, errc)
		return
	}
	now := s.nowLocked()
	t := &userToken{
		access: randAlnum(107), refresh: randAlnum(107), appid: appid, personID: p.id,
		scope: c.scope, snapshot: c.snapshot,
		expires: now.Add(s.set.UserTokenTTL), refreshExpires: now.Add(s.set.RefreshTTL),
	}
	if c.snapshot {
		t.openid = s.snapshotOpenidLocked(p, appid)
	} else {
		t.openid = s.openidLocked(p, appid)
	}
	s.userTok.put(t.access, t)
	s.refresh.put(t.refresh, t)
	writeJSON(w, s.tokenBodyLocked(t, unionid))
}

// handleSNSRefresh serves GET /sns/oauth2/refresh_token: a live access token gets a new
// expiry, an expired one is replaced; the refresh token itself is never extended.
func (s *Sandbox) handleSNSRefresh(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	appid, rt := q.Get("appid"), q.Get("refresh_token")
	switch {
	case appid == "":
		fail(w, 41002)
		return
	case q.Get("grant_type") != "refresh_token":
		fail(w, 40002)
		return
	}
	_, _, unionid, ok := s.snsApp(appid)
	if !ok {
		fail(w, 40013)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.refresh.get(rt)
	if !ok || t.appid != appid {
		fail(w, 40030)
		return
	}
	now := s.nowLocked()
	if !now.Before(t.refreshExpires) {
		fail(w, 42002)
		return
	}
	if !now.Before(t.expires) {
		s.userTok.del(t.access)
		t.access = randAlnum(107)
		s.userTok.put(t.access, t)
	}
	t.expires = now.Add(s.set.UserTokenTTL)
	writeJSON(w, s.tokenBodyLocked(t, unionid))
}

// userTokenLocked checks a user access token and the openid it must belong to.
func (s *Sandbox) userTokenLocked(access, openid string) (*userToken, int) {
	if access == "" {
		return nil, 41001
	}
	t, ok := s.userTok.get(access)
	if !ok {
		return nil, 40001
	}
	if !s.nowLocked().Before(t.expires) {
		return nil, 42001
	}
	if openid != t.openid {
		return nil, 40003
	}
	return t, 0
}

// handleSNSAuth serves GET /sns/auth (token validation).
func (s *Sandbox) handleSNSAuth(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	_, code := s.userTokenLocked(q.Get("access_token"), q.Get("openid"))
	s.mu.Unlock()
	if code != 0 {
		fail(w, code)
		return
	}
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok"})
}

// handleSNSUserinfo serves GET /sns/userinfo. Gender and region come back blank, as they have
// since 2021; a snsapi_base token (and by default a snapshot user's) gets 48001.
func (s *Sandbox) handleSNSUserinfo(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	t, code := s.userTokenLocked(q.Get("access_token"), q.Get("openid"))
	if code != 0 {
		fail(w, code)
		return
	}
	if t.scope == "snsapi_base" || (t.snapshot && *s.set.SnapshotUserinfo48001) {
		fail(w, 48001)
		return
	}
	p, ok := s.users.get(t.personID)
	if !ok {
		fail(w, 40003)
		return
	}
	_, _, unionid, _ := s.snsApp(t.appid)
	body := map[string]any{
		"openid": t.openid, "nickname": p.nickname, "sex": 0, "province": "", "city": "",
		"country": "", "headimgurl": s.public + "/avatar/" + p.id + "/132", "privilege": []string{},
		"language": "",
	}
	if unionid && !t.snapshot {
		body["unionid"] = p.unionid
	}
	writeJSON(w, body)
}
