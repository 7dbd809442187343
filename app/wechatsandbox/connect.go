package wechatsandbox

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	views "scanboard/views/sandbox"
)

// Status codes of WeChat's QR page long-poll (window.wx_errcode).
const (
	qrWaiting   = 408
	qrScanned   = 404
	qrDenied    = 403
	qrExpired   = 402
	qrConfirmed = 405
)

// loginAttempt is one open website QR (qrconnect) or WeCom login page.
type loginAttempt struct {
	uuid         string
	wecom        bool
	appid        string
	redirectURI  string
	state        string
	compact      bool
	selfRedirect bool
	style        string
	status       int
	personID     string
	code         string
	created      time.Time
	expires      time.Time
}

func (a *loginAttempt) statusAt(now time.Time) int {
	if (a.status == qrWaiting || a.status == qrScanned) && !now.Before(a.expires) {
		return qrExpired
	}
	return a.status
}

func slogErr(err error) slog.Attr { return slog.String("err", err.Error()) }

// redirectHostOK applies a registered callback domain ("" accepts any host).
func redirectHostOK(redirectURI, domain string) bool {
	u, err := url.Parse(redirectURI)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return false
	}
	return domain == "" || strings.EqualFold(u.Hostname(), domain)
}

// handleQRConnect serves GET /connect/qrconnect: the website-login QR page (full page, or the
// inline panel when login_type=jssdk as wxLogin.js builds it).
func (s *Sandbox) handleQRConnect(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	appid, redirect := q.Get("appid"), q.Get("redirect_uri")
	scopes := strings.Split(q.Get("scope"), ",")
	switch {
	case appid == "" || appid != s.cfg.Website.AppID:
		s.errorPage(w, r, 0, "该链接无法访问 (appid 参数错误)")
		return
	case !slices.Contains(scopes, "snsapi_login"):
		s.errorPage(w, r, 0, "scope 参数错误")
		return
	case !redirectHostOK(redirect, s.cfg.Website.RedirectDomain):
		s.errorPage(w, r, 0, "redirect_uri 参数错误")
		return
	case q.Get("response_type") != "" && q.Get("response_type") != "code":
		s.errorPage(w, r, 0, "response_type 参数错误")
		return
	}
	a := &loginAttempt{
		uuid: randAlnum(16), appid: appid, redirectURI: redirect, state: q.Get("state"),
		compact: q.Get("login_type") == "jssdk", selfRedirect: q.Get("self_redirect") == "true",
		style: q.Get("style"), status: qrWaiting,
	}
	s.openAttempt(a)
	p := s.page(w, r, "web_login")
	p.Title = s.cfg.Website.Name
	s.render(w, r, http.StatusOK, views.QRLoginPage(views.QRLoginView{
		Page: p, Compact: a.compact, Style: a.style, AppName: s.cfg.Website.Name,
		QRImage: s.cfg.BasePath + "/connect/qrcode/" + a.uuid, UUID: a.uuid,
		PollURL: s.cfg.BasePath + "/connect/l/qrconnect", RedirectURI: a.redirectURI, State: a.state,
		SelfRedirect: a.selfRedirect, DenyRedirect: *s.set.WebsiteDenyRedirect,
	}))
}

func (s *Sandbox) openAttempt(a *loginAttempt) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a.created = s.nowLocked()
	a.expires = a.created.Add(s.set.LoginQRTTL)
	s.attempts.put(a.uuid, a)
	s.notifyLocked()
}

// confirmURL is what the QR of a login attempt encodes: a sandbox page the phone opens.
func (s *Sandbox) confirmURL(a *loginAttempt) string {
	return s.public + "/connect/confirm?uuid=" + a.uuid
}

// handleQRImage serves GET /connect/qrcode/{uuid}.
func (s *Sandbox) handleQRImage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	a, ok := s.attempts.get(r.PathValue("uuid"))
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	s.writeQR(w, s.confirmURL(a))
}

// handleLongPoll serves GET /connect/l/qrconnect?uuid=&last=: it answers as soon as the status
// differs from last, or 408 after Settings.LongPollTimeout.
func (s *Sandbox) handleLongPoll(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	uuid, last := q.Get("uuid"), q.Get("last")
	deadline := time.NewTimer(s.set.LongPollTimeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		a, ok := s.attempts.get(uuid)
		status, code := qrExpired, ""
		if ok {
			status = a.statusAt(s.nowLocked())
			code = a.code
		}
		changed := s.changed
		s.mu.Unlock()
		if itoa(int64(status)) != last || status == qrConfirmed || status == qrExpired {
			writeLongPoll(w, status, code)
			return
		}
		select {
		case <-changed:
		case <-deadline.C:
			writeLongPoll(w, qrWaiting, "")
			return
		case <-r.Context().Done():
			return
		}
	}
}

func writeLongPoll(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/javascript")
	w.Header().Set("Cache-Control", "no-store")
	if status != qrConfirmed {
		code = ""
	}
	fmt.Fprintf(w, "window.wx_errcode=%d;window.wx_code='%s';", status, code)
}

// LoginDecision is the outcome of confirming or denying a QR login on the phone.
type LoginDecision struct {
	UUID string `json:"uuid"`
	// Redirect is where WeChat sends the browser: redirect_uri?code=…&state=… on confirm,
	// redirect_uri?state=… on deny (when WebsiteDenyRedirect), "" otherwise.
	Redirect string `json:"redirect,omitempty"`
	Code     string `json:"code,omitempty"`
	Status   int    `json:"wx_errcode"`
}

// ScanLogin marks a website/WeCom QR as scanned by userID.
func (s *Sandbox) ScanLogin(userID, uuid string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, p, err := s.attemptForLocked(userID, uuid)
	if err != nil {
		return err
	}
	if a.status == qrWaiting || a.status == qrScanned {
		a.status, a.personID = qrScanned, p.id
		s.notifyLocked()
	}
	return nil
}

func (s *Sandbox) attemptForLocked(userID, uuid string) (*loginAttempt, *person, error) {
	p, ok := s.users.get(userID)
	if !ok {
		return nil, nil, fmt.Errorf("user %q: %w", userID, ErrNotFound)
	}
	a, ok := s.attempts.get(uuid)
	if !ok {
		return nil, nil, fmt.Errorf("QR login %q: %w", uuid, ErrNotFound)
	}
	switch a.statusAt(s.nowLocked()) {
	case qrExpired:
		return nil, nil, fmt.Errorf("QR login: %w", ErrExpired)
	case qrConfirmed, qrDenied:
		return nil, nil, fmt.Errorf("QR login %q was already answered", uuid)
	}
	return a, p, nil
}

// ConfirmLogin has userID allow a website/WeCom QR login: a code is issued and the page's
// long-poll answers 405.
func (s *Sandbox) ConfirmLogin(userID, uuid string) (LoginDecision, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, p, err := s.attemptForLocked(userID, uuid)
	if err != nil {
		return LoginDecision{}, err
	}
	kind := codeWebsite
	if a.wecom {
		kind = codeWeCom
	}
	a.status, a.personID = qrConfirmed, p.id
	a.code = s.issueCodeLocked(kind, a.appid, p, "snsapi_login", false)
	s.notifyLocked()
	v := url.Values{"code": {a.code}, "state": {a.state}}
	if a.wecom {
		v.Set("appid", a.appid)
	}
	return LoginDecision{UUID: uuid, Code: a.code, Status: qrConfirmed, Redirect: withQuery(a.redirectURI, v)}, nil
}

// DenyLogin has userID refuse a website/WeCom QR login.
func (s *Sandbox) DenyLogin(userID, uuid string) (LoginDecision, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, p, err := s.attemptForLocked(userID, uuid)
	if err != nil {
		return LoginDecision{}, err
	}
	a.status, a.personID = qrDenied, p.id
	s.notifyLocked()
	d := LoginDecision{UUID: uuid, Status: qrDenied}
	if *s.set.WebsiteDenyRedirect && !a.wecom {
		d.Redirect = withQuery(a.redirectURI, url.Values{"state": {a.state}})
	}
	return d, nil
}

// LoginAttempt is an open QR login page as the control API lists it.
type LoginAttempt struct {
	UUID        string    `json:"uuid"`
	Kind        string    `json:"kind"` // website | wecom
	AppID       string    `json:"appid"`
	RedirectURI string    `json:"redirect_uri"`
	State       string    `json:"state"`
	Status      int       `json:"wx_errcode"`
	QRContent   string    `json:"qr_content"`
	ExpiresAt   time.Time `json:"expires_at"`
}

// LiveLogins lists QR login pages still waiting for a scan or a confirmation, newest first.
func (s *Sandbox) LiveLogins(limit int) []LoginAttempt {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.nowLocked()
	var out []LoginAttempt
	for _, a := range s.attempts.newestFirst(s.attempts.len()) {
		if len(out) >= limit {
			break
		}
		st := a.statusAt(now)
		if st != qrWaiting && st != qrScanned {
			continue
		}
		kind := "website"
		if a.wecom {
			kind = "wecom"
		}
		out = append(out, LoginAttempt{UUID: a.uuid, Kind: kind, AppID: a.appid, RedirectURI: a.redirectURI,
			State: a.state, Status: st, QRContent: s.confirmURL(a), ExpiresAt: a.expires})
	}
	return out
}

// handleWxLoginJS serves the wxLogin.js replacement: WxLogin(options) builds the qrconnect
// iframe exactly as the real script does, pointing at this sandbox.
func (s *Sandbox) handleWxLoginJS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	fmt.Fprintf(w, wxLoginJS, jsString(s.public+"/connect/qrconnect"))
}

// jsString quotes s as a JavaScript string literal safe inside a script.
func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "<", `\u003c`, ">", `\u003e`, "\n", `\n`, "\r", `\r`, "\u2028", `\u2028`, "\u2029", `\u2029`)
	return `"` + r.Replace(s) + `"`
}

const wxLoginJS = `/* WeChat sandbox wxLogin.js: builds the inline QR iframe like the real script. */
(function (window, document) {
  "use strict";
  var base = %s;
  function WxLogin(a) {
    var self = "default";
    if (a.self_redirect === true) { self = "true"; } else if (a.self_redirect === false) { self = "false"; }
    var src = base + "?appid=" + encodeURIComponent(a.appid || "") + "&scope=" + encodeURIComponent(a.scope || "") +
      "&redirect_uri=" + (a.redirect_uri || "") + "&state=" + encodeURIComponent(a.state || "") +
      "&login_type=jssdk&self_redirect=" + self + "&styletype=" + encodeURIComponent(a.styletype || "") +
      "&sizetype=" + encodeURIComponent(a.sizetype || "") + "&bgcolor=" + encodeURIComponent(a.bgcolor || "") +
      "&rst=" + encodeURIComponent(a.rst || "") + "&style=" + encodeURIComponent(a.style || "black") +
      "&href=" + encodeURIComponent(a.href || "");
    var f = document.createElement("iframe");
    f.src = src;
    f.frameBorder = "0";
    f.allowTransparency = "true";
    f.scrolling = "no";
    f.width = "300px";
    f.height = "400px";
    f.setAttribute("allow", "local-network-access");
    var el = document.getElementById(a.id);
    if (!el) { return; }
    el.innerHTML = "";
    el.appendChild(f);
  }
  window.WxLogin = WxLogin;
})(window, document);
`

// ---- OA (and WeCom in-app) web OAuth ----

// authzResult is what opening an authorize URL inside WeChat leads to.
type authzResult struct {
	errCode  int    // WeChat error page code (10003…), 0 if none
	errText  string // error page text
	consent  bool   // the consent page must be shown
	redirect string
	code     string
	snapshot bool
}

// authorizeLocked runs the checks and decisions of /connect/oauth2/authorize for person p.
// decision is "" (just opened), "allow" or "deny".
func (s *Sandbox) authorizeLocked(p *person, q url.Values, decision string) authzResult {
	appid, redirect, scope, state := q.Get("appid"), q.Get("redirect_uri"), q.Get("scope"), q.Get("state")
	wecom := appid != "" && appid == s.cfg.WeCom.CorpID
	switch {
	case appid == "":
		return authzResult{errCode: 10012, errText: "appid 不能为空"}
	case appid == s.cfg.Website.AppID:
		return authzResult{errCode: 10016, errText: "不支持开放平台 appid，请使用公众号 appid"}
	case appid != s.cfg.OA.AppID && !wecom:
		return authzResult{errCode: 10016, errText: "appid 无效"}
	case redirect == "":
		return authzResult{errCode: 10011, errText: "redirect_uri 不能为空"}
	case scope == "":
		return authzResult{errCode: 10010, errText: "scope 不能为空"}
	case len(state) > 128:
		return authzResult{errText: "state 参数过长"}
	}
	domain := s.cfg.OA.OAuthDomain
	okScopes := []string{"snsapi_base", "snsapi_userinfo"}
	if wecom {
		domain, okScopes = s.cfg.WeCom.RedirectDomain, []string{"snsapi_base", "snsapi_privateinfo"}
	}
	if !slices.Contains(okScopes, scope) {
		return authzResult{errCode: 10005, errText: "scope 参数错误或没有 scope 权限"}
	}
	if !redirectHostOK(redirect, domain) {
		return authzResult{errCode: 10003, errText: "redirect_uri 域名与后台配置不一致"}
	}
	if decision == "deny" {
		return authzResult{redirect: withQuery(redirect, url.Values{"state": {state}})}
	}
	snapshot := !wecom && scope == "snsapi_userinfo" && p.snapshot
	needConsent := !wecom && scope == "snsapi_userinfo" && !snapshot &&
		!(p.following && s.set.SilentUserinfoForFollowers)
	if needConsent && decision != "allow" {
		return authzResult{consent: true}
	}
	kind, codeAppid := codeOAuth, appid
	if wecom {
		kind = codeWeCom
	}
	code := s.issueCodeLocked(kind, codeAppid, p, scope, snapshot)
	return authzResult{code: code, snapshot: snapshot, redirect: withQuery(redirect, url.Values{"code": {code}, "state": {state}})}
}

// phoneUser is the sandbox user chosen on this browser's simulated phone.
func (s *Sandbox) phoneUser(r *http.Request) (*person, bool) {
	c, err := r.Cookie("sbx_uid")
	if err != nil {
		return nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.users.get(c.Value)
}

// handleAuthorize serves GET /connect/oauth2/authorize and POST …/decide (consent answers).
func (s *Sandbox) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	decision := ""
	if r.Method == http.MethodPost {
		if err := r.ParseForm(); err != nil {
			s.errorPage(w, r, 0, "bad form: "+err.Error())
			return
		}
		q, _ = url.ParseQuery(r.PostForm.Get("query"))
		decision = r.PostForm.Get("decision")
	}
	p, ok := s.phoneUser(r)
	inWeChat := strings.Contains(r.UserAgent(), "MicroMessenger")
	if *s.set.RequireWeChatBrowser && !inWeChat {
		s.errorPage(w, r, 0, "请在微信客户端打开链接")
		return
	}
	if !ok {
		s.openInWeChat(w, r, q)
		return
	}
	s.mu.Lock()
	res := s.authorizeLocked(p, q, decision)
	card := cardOf(p)
	s.mu.Unlock()
	switch {
	case res.errCode != 0 || res.errText != "":
		s.errorPage(w, r, res.errCode, res.errText)
	case res.consent:
		pg := s.page(w, r, "consent_title")
		enc := q.Encode()
		s.render(w, r, http.StatusOK, views.ActionPage(views.ActionView{
			Page: pg, Heading: pg.L("consent_title"), Text: fmt.Sprintf(pg.L("consent_text"), s.cfg.OA.Name), User: &card,
			Actions: []views.Action{
				{Label: pg.L("allow"), URL: s.cfg.BasePath + "/connect/oauth2/authorize", Fields: []views.Field{{Name: "query", Value: enc}, {Name: "decision", Value: "allow"}}},
				{Label: pg.L("deny"), URL: s.cfg.BasePath + "/connect/oauth2/authorize", Fields: []views.Field{{Name: "query", Value: enc}, {Name: "decision", Value: "deny"}}, Kind: "secondary"},
			},
		}))
	default:
		http.Redirect(w, r, res.redirect, http.StatusFound)
	}
}

// openInWeChat is WeChat's "please open in WeChat" page, plus a way to continue as a sandbox user.
func (s *Sandbox) openInWeChat(w http.ResponseWriter, r *http.Request, q url.Values) {
	pg := s.page(w, r, "open_in_wechat")
	v := views.ActionView{Page: pg, Heading: pg.L("open_in_wechat"), Error: true}
	target := s.cfg.BasePath + "/connect/oauth2/authorize?" + q.Encode()
	for _, u := range s.Users() {
		v.Actions = append(v.Actions, views.Action{
			Label: pg.L("open_as") + ": " + u.Nickname, URL: s.cfg.BasePath + "/phone/select", Kind: "secondary",
			Fields: []views.Field{{Name: "user", Value: u.ID}, {Name: "next", Value: target}},
		})
	}
	v.Links = []views.Link{{Label: pg.L("back"), URL: s.cfg.BasePath + "/phone"}}
	s.render(w, r, http.StatusOK, views.ActionPage(v))
}

// AuthorizeResult is the control API's view of opening an authorize URL inside WeChat.
type AuthorizeResult struct {
	Redirect string `json:"redirect,omitempty"`
	Code     string `json:"code,omitempty"`
	Snapshot bool   `json:"is_snapshotuser,omitempty"`
	Errcode  int    `json:"errcode,omitempty"`
	Error    string `json:"error,omitempty"`
}

// Authorize opens an OA (or WeCom in-app) web-OAuth URL as userID inside WeChat. allow answers
// the consent page that snsapi_userinfo shows; false refuses (redirect without code).
func (s *Sandbox) Authorize(userID, rawURL string, allow bool) (AuthorizeResult, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return AuthorizeResult{}, fmt.Errorf("authorize url: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.users.get(userID)
	if !ok {
		return AuthorizeResult{}, fmt.Errorf("user %q: %w", userID, ErrNotFound)
	}
	decision := "allow"
	if !allow {
		decision = "deny"
	}
	res := s.authorizeLocked(p, u.Query(), decision)
	if res.errCode != 0 || res.errText != "" {
		return AuthorizeResult{Errcode: res.errCode, Error: res.errText}, nil
	}
	return AuthorizeResult{Redirect: res.redirect, Code: res.code, Snapshot: res.snapshot}, nil
}

func cardOf(p *person) views.UserCard {
	return views.UserCard{ID: p.id, Nickname: p.nickname, Color: p.avatarColor, Snapshot: p.snapshot,
		Phone: p.phone, WeComID: p.weComUserID, Following: p.following}
}
