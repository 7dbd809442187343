package wechatsandbox

import (
	"net/http"
	"slices"
	"strconv"
	"time"
)

// appToken is a server-side access token: /cgi-bin/token, /cgi-bin/stable_token or WeCom gettoken.
type appToken struct {
	token   string
	appid   string // appid or corpid
	kind    string // token | stable | wecom
	expires time.Time
	// invalidAt is set when a newer token superseded this one (after the overlap, or at once
	// for a forced stable refresh).
	invalidAt time.Time
}

type dayCount struct {
	day string
	n   int
}

type stableState struct {
	token      string
	lastForce  time.Time
	forceDay   string
	forceCount int
}

// beijing is the time zone WeChat's daily quotas reset in.
var beijing = time.FixedZone("CST", 8*3600)

func dayKey(t time.Time) string { return t.In(beijing).Format("2006-01-02") }

// mintAppTokenLocked creates a token of kind for appid.
func (s *Sandbox) mintAppTokenLocked(appid, kind string) *appToken {
	// Real tokens are long opaque strings; 136 chars keeps clients honest about the 512 reserve.
	t := &appToken{token: randAlnum(136), appid: appid, kind: kind, expires: s.nowLocked().Add(s.set.AppTokenTTL)}
	s.appTok.put(t.token, t)
	return t
}

// checkAppTokenLocked validates an access_token query parameter for an API of the given kinds:
// 41001 missing, 40001 unknown or superseded, 42001 expired.
func (s *Sandbox) checkAppTokenLocked(token string, kinds ...string) (*appToken, int) {
	if token == "" {
		return nil, 41001
	}
	t, ok := s.appTok.get(token)
	if !ok || !slices.Contains(kinds, t.kind) {
		return nil, 40001
	}
	now := s.nowLocked()
	if !t.invalidAt.IsZero() && !now.Before(t.invalidAt) {
		return nil, 40001
	}
	if !now.Before(t.expires) {
		return nil, 42001
	}
	return t, 0
}

// appSecret returns the secret of an appid that may fetch app tokens, or false.
func (s *Sandbox) appSecret(appid string) (string, bool) {
	switch appid {
	case s.cfg.OA.AppID:
		return s.cfg.OA.Secret, true
	case s.cfg.Mini.AppID:
		if appid != "" {
			return s.cfg.Mini.Secret, true
		}
	}
	return "", false
}

// whitelisted applies the optional API IP whitelist.
func (s *Sandbox) whitelisted(r *http.Request) bool {
	return len(s.set.IPWhitelist) == 0 || slices.Contains(s.set.IPWhitelist, clientIP(r))
}

// credentialCheck runs the checks /cgi-bin/token and stable_token share; 0 means fine.
func (s *Sandbox) credentialCheck(r *http.Request, grant, appid, secret string) int {
	switch {
	case grant != "client_credential":
		return 40002
	case appid == "":
		return 41002
	case secret == "":
		return 41004
	}
	want, ok := s.appSecret(appid)
	if !ok {
		return 40013
	}
	if !equalSig(secret, want) {
		return 40125
	}
	if !s.whitelisted(r) {
		return 40164
	}
	return 0
}

// handleToken serves GET /cgi-bin/token: every call mints a new token and the previous one
// keeps working only for Settings.TokenOverlap.
func (s *Sandbox) handleToken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	appid := q.Get("appid")
	if code := s.credentialCheck(r, q.Get("grant_type"), appid, q.Get("secret")); code != 0 {
		if code == 40164 {
			apiError(w, code, "invalid ip "+clientIP(r)+" ipv6 ::ffff:"+clientIP(r)+", not in whitelist")
			return
		}
		fail(w, code)
		return
	}
	s.mu.Lock()
	now := s.nowLocked()
	dc := s.quota[appid]
	if dc == nil || dc.day != dayKey(now) {
		dc = &dayCount{day: dayKey(now)}
		s.quota[appid] = dc
	}
	if s.set.TokenDailyQuota > 0 && dc.n >= s.set.TokenDailyQuota {
		s.mu.Unlock()
		fail(w, 45009)
		return
	}
	dc.n++
	if prev, ok := s.appTok.get(s.latest[appid]); ok && prev.invalidAt.IsZero() {
		prev.invalidAt = now.Add(s.set.TokenOverlap)
	}
	t := s.mintAppTokenLocked(appid, "token")
	s.latest[appid] = t.token
	s.mu.Unlock()
	writeJSON(w, map[string]any{"access_token": t.token, "expires_in": int(s.set.AppTokenTTL / time.Second)})
}

// stableTokenRequest is the JSON body of POST /cgi-bin/stable_token.
type stableTokenRequest struct {
	GrantType    string `json:"grant_type"`
	AppID        string `json:"appid"`
	Secret       string `json:"secret"`
	ForceRefresh bool   `json:"force_refresh"`
}

// handleStableToken serves POST /cgi-bin/stable_token: the same token until shortly before
// expiry; force_refresh replaces it at once, at most StableForcePerDay times and
// StableForceMinGap apart (otherwise the current token is returned unchanged).
func (s *Sandbox) handleStableToken(w http.ResponseWriter, r *http.Request) {
	var req stableTokenRequest
	if err := readJSON(r, &req); err != nil {
		fail(w, 47001)
		return
	}
	if code := s.credentialCheck(r, req.GrantType, req.AppID, req.Secret); code != 0 {
		fail(w, code)
		return
	}
	s.mu.Lock()
	now := s.nowLocked()
	st := s.stable[req.AppID]
	if st == nil {
		st = &stableState{}
		s.stable[req.AppID] = st
	}
	cur, ok := s.appTok.get(st.token)
	usable := ok && cur.invalidAt.IsZero() && now.Before(cur.expires.Add(-s.set.StableRotateBefore))
	if req.ForceRefresh && usable {
		if st.forceDay != dayKey(now) {
			st.forceDay, st.forceCount = dayKey(now), 0
		}
		if st.forceCount < s.set.StableForcePerDay && (st.lastForce.IsZero() || now.Sub(st.lastForce) >= s.set.StableForceMinGap) {
			st.forceCount++
			st.lastForce = now
			cur.invalidAt = now
			usable = false
		}
	}
	if !usable {
		cur = s.mintAppTokenLocked(req.AppID, "stable")
		st.token = cur.token
	}
	expiresIn := int(cur.expires.Sub(now) / time.Second)
	s.mu.Unlock()
	writeJSON(w, map[string]any{"access_token": cur.token, "expires_in": expiresIn})
}

// tokenFromQuery validates the access_token query parameter of an OA/MP API and writes the
// error itself; ok is false when it did.
func (s *Sandbox) tokenFromQuery(w http.ResponseWriter, r *http.Request, kinds ...string) (*appToken, bool) {
	s.mu.Lock()
	t, code := s.checkAppTokenLocked(r.URL.Query().Get("access_token"), kinds...)
	s.mu.Unlock()
	if code != 0 {
		fail(w, code)
		return nil, false
	}
	return t, true
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
