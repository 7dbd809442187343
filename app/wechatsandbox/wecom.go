package wechatsandbox

import (
	"net/http"

	views "scanboard/views/sandbox"
)

// handleWeComLogin serves the WeCom web-login QR pages: the new /wwlogin/sso/login and the old
// /wwopen/sso/qrConnect.
func (s *Sandbox) handleWeComLogin(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	corp := s.cfg.WeCom
	switch {
	case corp.CorpID == "" || q.Get("appid") != corp.CorpID:
		s.errorPage(w, r, 0, "appid 参数错误")
		return
	case corp.AgentID != "" && q.Get("agentid") != corp.AgentID:
		s.errorPage(w, r, 0, "agentid 参数错误")
		return
	case !redirectHostOK(q.Get("redirect_uri"), corp.RedirectDomain):
		s.errorPage(w, r, 0, "redirect_uri 与配置的授权完成回跳域名不一致")
		return
	case r.URL.Path == "/wwlogin/sso/login" && q.Get("login_type") != "" && q.Get("login_type") != "CorpApp":
		s.errorPage(w, r, 0, "login_type 参数错误 (the sandbox emulates CorpApp)")
		return
	}
	a := &loginAttempt{uuid: randAlnum(16), wecom: true, appid: corp.CorpID,
		redirectURI: q.Get("redirect_uri"), state: q.Get("state"), status: qrWaiting}
	s.openAttempt(a)
	p := s.page(w, r, "wecom_login")
	if q.Get("lang") == "en" {
		p.Lang = "en"
	}
	p.Title = corp.Name
	s.render(w, r, http.StatusOK, views.QRLoginPage(views.QRLoginView{
		Page: p, WeCom: true, AppName: corp.Name, QRImage: s.cfg.BasePath + "/connect/qrcode/" + a.uuid,
		UUID: a.uuid, PollURL: s.cfg.BasePath + "/connect/l/qrconnect", RedirectURI: a.redirectURI, State: a.state,
	}))
}

// weComToken validates a WeCom access_token and writes WeCom-style errors itself.
func (s *Sandbox) weComToken(w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	_, code := s.checkAppTokenLocked(r.URL.Query().Get("access_token"), "wecom")
	s.mu.Unlock()
	if code == 40001 {
		code = 40014 // WeCom answers an unknown token with "invalid access_token"
	}
	if code != 0 {
		weComError(w, r, code, errText(code))
		return false
	}
	return true
}

// handleWeComGetToken serves GET /cgi-bin/gettoken. Unlike the OA, WeCom hands back the same
// token while it is valid.
func (s *Sandbox) handleWeComGetToken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	corp := s.cfg.WeCom
	switch {
	case q.Get("corpid") == "":
		weComError(w, r, 41002, "corpid missing")
		return
	case corp.CorpID == "" || q.Get("corpid") != corp.CorpID:
		weComError(w, r, 40013, "invalid corpid")
		return
	case q.Get("corpsecret") == "":
		weComError(w, r, 41004, "corpsecret missing")
		return
	case !equalSig(q.Get("corpsecret"), corp.Secret):
		weComError(w, r, 40001, "invalid credential")
		return
	}
	s.mu.Lock()
	now := s.nowLocked()
	t, ok := s.appTok.get(s.latest["wecom:"+corp.CorpID])
	if !ok || !now.Before(t.expires) {
		t = s.mintAppTokenLocked(corp.CorpID, "wecom")
		s.latest["wecom:"+corp.CorpID] = t.token
	}
	expiresIn := int(t.expires.Sub(now).Seconds())
	s.mu.Unlock()
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "access_token": t.token, "expires_in": expiresIn})
}

// handleWeComUserInfo serves GET /cgi-bin/auth/getuserinfo (and the legacy
// /cgi-bin/user/getuserinfo with capitalized keys): code → member userid, or openid for a
// non-member.
func (s *Sandbox) handleWeComUserInfo(w http.ResponseWriter, r *http.Request) {
	if !s.weComToken(w, r) {
		return
	}
	legacy := r.URL.Path == "/cgi-bin/user/getuserinfo"
	s.mu.Lock()
	defer s.mu.Unlock()
	_, p, errc := s.redeemLocked(r.URL.Query().Get("code"), codeWeCom, s.cfg.WeCom.CorpID)
	if errc != 0 {
		weComError(w, r, 40029, "invalid code")
		return
	}
	body := map[string]any{"errcode": 0, "errmsg": "ok"}
	switch {
	case p.weComUserID != "" && legacy:
		body["UserId"], body["DeviceId"] = p.weComUserID, ""
	case p.weComUserID != "":
		body["userid"] = p.weComUserID
	case legacy:
		body["OpenId"], body["DeviceId"] = s.openidLocked(p, s.cfg.WeCom.CorpID), ""
	default:
		body["openid"] = s.openidLocked(p, s.cfg.WeCom.CorpID)
		body["external_userid"] = "wm" + p.unionid[1:]
	}
	writeJSON(w, body)
}

// handleWeComUserGet serves GET /cgi-bin/user/get. Like apps created after 2022-06-20 it
// leaves mobile, gender, email and avatar empty.
func (s *Sandbox) handleWeComUserGet(w http.ResponseWriter, r *http.Request) {
	if !s.weComToken(w, r) {
		return
	}
	userid := r.URL.Query().Get("userid")
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.byWeComUserIDLocked(userid)
	if !ok {
		weComError(w, r, 60111, "userid not found")
		return
	}
	dept := p.department
	if dept == "" {
		dept = "1"
	}
	writeJSON(w, map[string]any{
		"errcode": 0, "errmsg": "ok", "userid": p.weComUserID, "name": p.weComName,
		"department": []int{1}, "order": []int{0}, "position": dept, "mobile": "", "gender": "0",
		"email": "", "biz_mail": "", "is_leader_in_dept": []int{0}, "direct_leader": []string{},
		"avatar": "", "thumb_avatar": "", "telephone": "", "alias": "", "status": 1,
		"main_department": 1, "open_userid": "wo" + p.unionid[1:],
	})
}
