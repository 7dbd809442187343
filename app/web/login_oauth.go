package web

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"scanboard/app/apperr"
	"scanboard/app/auth"
	"scanboard/app/wechat"
	"scanboard/ent/wechatidentity"
)

// oauthState is the server-side record of one OA web OAuth round trip: single use, short
// lived, bound to the browser that started it; the return target lives here, never in the
// callback's query (OAUTH-01, -02, -03, -08).
type oauthState struct {
	Purpose    string `json:"p"` // own_qr or oa_oauth
	Scene      string `json:"s,omitempty"`
	CookieHash string `json:"c"`
	ReturnTo   string `json:"r,omitempty"`
	Profile    bool   `json:"u,omitempty"` // snsapi_userinfo was asked for
	// Created (unix seconds, server clock) bounds the state's life by our own clock too, not
	// only by the kv TTL: a state older than oauthStateTTL fails even if kv kept it (OAUTH-03).
	Created int64 `json:"t"`
}

const oauthStateTTL = 10 * time.Minute

// oauthCallbackPath is the OA web OAuth redirect_uri path; its own path, so a state issued
// for another provider can never be replayed here (OAUTH-09).
const oauthCallbackPath = "/login/oauth/callback"

func oauthStateKey(state string) string { return "login:oauth:" + auth.HashID(state) }

func (s *Server) startOAuth(c *fiber.Ctx, st oauthState) error {
	const op = "web.startOAuth"
	if s.Login.WeChat == nil {
		return apperr.E(op, apperr.Unavailable, apperr.Key("login.error.unavailable"), "WeChat not configured")
	}
	st.CookieHash = auth.HashID(s.browserKey(c))
	st.Created = s.Now().Unix()
	state := auth.NewSecret()
	b, _ := json.Marshal(st)
	if err := s.KV.Set(c.UserContext(), oauthStateKey(state), b, oauthStateTTL); err != nil {
		return apperr.E(op, apperr.Unavailable, err)
	}
	scope := wechat.ScopeBase
	if st.Profile {
		scope = wechat.ScopeUserInfo
	}
	u, err := s.Login.WeChat.AuthorizeURL(s.absURL(oauthCallbackPath), scope, state)
	if err != nil {
		return apperr.E(op, apperr.Internal, err)
	}
	return c.Redirect(u, fiber.StatusFound)
}

// loginWeChat starts sign-in inside WeChat's browser: silent snsapi_base OA OAuth.
func (s *Server) loginWeChat(c *fiber.Ctx) error {
	return s.startOAuth(c, oauthState{Purpose: auth.MethodOAOAuth, ReturnTo: SafeReturn(c.Query("next")), Profile: s.Login.OAuthProfile})
}

// loginOwnQR is what our own QR opens on the phone (inside WeChat): OA OAuth identifies the
// scanner, then the phone confirms on the same page as the OA QR flow.
func (s *Server) loginOwnQR(c *fiber.Ctx) error {
	scene := c.Params("scene")
	if _, err := s.Login.Attempts.ByScene(c.UserContext(), scene); err != nil {
		return err
	}
	return s.startOAuth(c, oauthState{Purpose: auth.MethodOwnQR, Scene: scene})
}

// loginOAuthCallback finishes OA web OAuth for both purposes.
func (s *Server) loginOAuthCallback(c *fiber.Ctx) error {
	const op = "web.loginOAuthCallback"
	ctx := c.UserContext()
	q := queryValues(c)
	// Duplicated security parameters make the request fail (API-03).
	if len(q["state"]) != 1 || len(q["code"]) > 1 {
		s.logLogin(c, auth.LoginEvent{Method: auth.MethodOAOAuth, Reason: auth.ReasonStateMismatch})
		return apperr.E(op, apperr.Invalid, apperr.Key("login.error.state"), "state missing or repeated")
	}
	b, err := s.KV.Take(ctx, oauthStateKey(q.Get("state")))
	if err != nil {
		return apperr.E(op, apperr.Unavailable, err)
	}
	var st oauthState
	if b == nil || json.Unmarshal(b, &st) != nil {
		s.logLogin(c, auth.LoginEvent{Method: auth.MethodOAOAuth, Reason: auth.ReasonStateMismatch})
		return apperr.E(op, apperr.Invalid, apperr.Key("login.error.state"), "state unknown, used or expired")
	}
	if age := s.Now().Sub(time.Unix(st.Created, 0)); age < 0 || age > oauthStateTTL {
		s.logLogin(c, auth.LoginEvent{Method: st.Purpose, Reason: auth.ReasonStateMismatch})
		return apperr.E(op, apperr.Invalid, apperr.Key("login.error.state"), "state expired")
	}
	if subtle.ConstantTimeCompare([]byte(auth.HashID(s.existingBrowserKey(c))), []byte(st.CookieHash)) != 1 {
		s.logLogin(c, auth.LoginEvent{Method: st.Purpose, Reason: auth.ReasonStateMismatch})
		return apperr.E(op, apperr.Invalid, apperr.Key("login.error.state"), "state issued to another browser")
	}
	code := q.Get("code")
	if code == "" {
		s.logLogin(c, auth.LoginEvent{Method: st.Purpose, Reason: auth.ReasonOAuthRefused})
		return apperr.E(op, apperr.Forbidden, apperr.Key("login.error.refused"), "user refused authorization")
	}
	tok, err := s.Login.WeChat.ExchangeCode(ctx, code)
	if err != nil {
		reason := auth.ReasonWeChatError
		var we *wechat.Error
		if errors.As(err, &we) {
			reason = "wechat_" + strconv.Itoa(we.ErrCode)
		}
		s.logLogin(c, auth.LoginEvent{Method: st.Purpose, Reason: reason})
		return apperr.E(op, apperr.Unavailable, apperr.Key("login.error.wechat"), err)
	}
	appID := s.Login.WeChat.AppID()
	if err := tok.RequireRealUser(); err != nil {
		s.logLogin(c, auth.LoginEvent{Method: st.Purpose, Reason: auth.ReasonSnapshotUser})
		return apperr.E(op, apperr.Forbidden, apperr.Key("login.error.snapshot"), err)
	}
	if st.Purpose == auth.MethodOwnQR {
		at, err := s.Login.Attempts.ByScene(ctx, st.Scene)
		if err != nil {
			return err
		}
		token, err := s.Login.Attempts.Scanned(ctx, at, auth.Scanner{AppID: appID, OpenID: tok.OpenID, UnionID: tok.UnionID})
		if err != nil {
			if errors.Is(err, auth.ErrScannedByOther) {
				s.logPushLogin(ctx, at, auth.LoginEvent{Method: at.Method, Reason: auth.ReasonScannedByOther, Subject: auth.SubjectOpenID(appID, tok.OpenID)})
			}
			return err
		}
		return c.Redirect("/login/confirm?t="+url.QueryEscape(token), fiber.StatusSeeOther)
	}
	prof := auth.WeChatProfile{Kind: wechatidentity.KindOa, AppID: appID, OpenID: tok.OpenID, UnionID: tok.UnionID}
	if st.Profile {
		// Display data only; a failure costs the nickname, not the sign-in.
		if ui, err := s.Login.WeChat.UserInfo(ctx, tok.AccessToken, tok.OpenID, wechat.LangZhCN); err != nil {
			s.Log.Warn("wechat userinfo failed; signing in without the profile", "err", err.Error())
		} else {
			prof.Nickname, prof.AvatarURL = ui.Nickname, ui.HeadImgURL
		}
	}
	res, err := s.Login.Identities.Resolve(ctx, prof, auth.MethodOAOAuth, c.IP())
	if err != nil {
		return err
	}
	dest, err := s.signIn(c, res.User.ID, auth.MethodOAOAuth)
	if err != nil {
		return err
	}
	if dest == "/" && st.ReturnTo != "" {
		dest = st.ReturnTo
	}
	return c.Redirect(dest, fiber.StatusSeeOther)
}

// SafeReturn accepts only a local absolute path and returns "/" for anything else:
// scheme-relative (//host), backslash tricks (/\host, \/host), schemes (https:, javascript:,
// data:), encoded slashes or backslashes, and control characters (OAUTH-07).
func SafeReturn(raw string) string {
	if raw == "" || len(raw) > 512 || raw[0] != '/' {
		return "/"
	}
	if len(raw) > 1 && (raw[1] == '/' || raw[1] == '\\') {
		return "/"
	}
	for _, r := range raw {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return "/"
		}
	}
	lower := strings.ToLower(raw)
	if strings.Contains(lower, "%2f") || strings.Contains(lower, "%5c") || strings.Contains(lower, "%09") ||
		strings.Contains(lower, "%0a") || strings.Contains(lower, "%0d") || strings.Contains(lower, "%00") {
		return "/"
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return raw
}
