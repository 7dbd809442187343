package web

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"scanboard/app/apperr"
	"scanboard/app/auth"
	"scanboard/app/wechat"
	"scanboard/ent/wechatidentity"
)

// The website QR's callback path: its own path and its own state namespace, so a state
// issued for OA OAuth or WeCom can never complete here (OAUTH-09).
const (
	websiteCallbackPath = "/login/website/callback"
	websiteInlineID     = "login-website"
)

// providerState is the server-side record of one website-QR or WeCom round trip: ≥128
// random bits in the URL, this record in kv under its hash, bound to the pre-login cookie,
// taken once, and no older than oauthStateTTL by the app's own clock (OAUTH-01…03).
type providerState struct {
	CookieHash string `json:"c"`
	Created    int64  `json:"t"`
}

func providerStateKey(provider, state string) string {
	return "login:" + provider + ":state:" + auth.HashID(state)
}

// newProviderState stores a fresh state for this browser and returns it.
func (s *Server) newProviderState(c *fiber.Ctx, provider string) (string, error) {
	st := providerState{CookieHash: auth.HashID(s.browserKey(c)), Created: s.Now().Unix()}
	b, _ := json.Marshal(st)
	state := auth.NewSecret()
	if err := s.KV.Set(c.UserContext(), providerStateKey(provider, state), b, oauthStateTTL); err != nil {
		return "", apperr.E("web.newProviderState", apperr.Unavailable, err)
	}
	return state, nil
}

// takeProviderState checks a callback's state: present once, known, unused, fresh and
// issued to this browser. Each failure writes a login-log row with method.
func (s *Server) takeProviderState(c *fiber.Ctx, provider, method string) (url.Values, error) {
	const op = "web.takeProviderState"
	q := queryValues(c)
	bad := func(why string) (url.Values, error) {
		s.logLogin(c, auth.LoginEvent{Method: method, Reason: auth.ReasonStateMismatch})
		return nil, apperr.E(op, apperr.Invalid, apperr.Key("login.error.state"), why)
	}
	if len(q["state"]) != 1 || len(q["code"]) > 1 {
		return bad("state missing or repeated")
	}
	b, err := s.KV.Take(c.UserContext(), providerStateKey(provider, q.Get("state")))
	if err != nil {
		return nil, apperr.E(op, apperr.Unavailable, err)
	}
	var st providerState
	if b == nil || json.Unmarshal(b, &st) != nil {
		return bad("state unknown, used or expired")
	}
	if age := s.Now().Sub(time.Unix(st.Created, 0)); age < 0 || age > oauthStateTTL {
		return bad("state expired")
	}
	if subtle.ConstantTimeCompare([]byte(auth.HashID(s.existingBrowserKey(c))), []byte(st.CookieHash)) != 1 {
		return bad("state issued to another browser")
	}
	return q, nil
}

// codeFailure names a failed code exchange for the log and the page: a reused code, an
// expired or unknown one, or WeChat itself failing.
func codeFailure(err error) (reason string, key apperr.Key) {
	switch {
	case errors.Is(err, wechat.CodeCodeUsed):
		return auth.ReasonCodeUsed, "signin.error.code_used"
	case errors.Is(err, wechat.CodeInvalidCode), errors.Is(err, wechat.CodeCodeExpired):
		return auth.ReasonCodeInvalid, "signin.error.code_invalid"
	}
	if c := wechat.ErrCodeOf(err); c != 0 {
		return "wechat_" + strconv.Itoa(c), "login.error.wechat"
	}
	return auth.ReasonWeChatError, "login.error.wechat"
}

func (s *Server) website() (*wechat.Client, error) {
	if s.Login.Channels.Website == nil {
		return nil, apperr.E("web.website", apperr.NotFound, "the Open Platform website app is not configured")
	}
	return s.Login.Channels.Website, nil
}

// loginWebsite is GET /login/website: the full-page variant, a redirect to WeChat's QR page.
func (s *Server) loginWebsite(c *fiber.Ctx) error {
	w, err := s.website()
	if err != nil {
		return err
	}
	state, err := s.newProviderState(c, "website")
	if err != nil {
		return err
	}
	u, err := w.QRConnectURL(s.absURL(websiteCallbackPath), state)
	if err != nil {
		return apperr.E("web.loginWebsite", apperr.Internal, err)
	}
	return c.Redirect(u, fiber.StatusFound)
}

// websiteInline is what /login needs to embed WeChat's QR panel: the script and the
// WxLogin options, with a fresh state for this browser.
func (s *Server) websiteInline(c *fiber.Ctx) (*wechat.InlineQR, error) {
	w, err := s.website()
	if err != nil {
		return nil, err
	}
	state, err := s.newProviderState(c, "website")
	if err != nil {
		return nil, err
	}
	// self_redirect false: the confirmed panel navigates the top window to our callback,
	// where the pre-login cookie is sent (SameSite=Lax allows a top-level GET).
	in, err := w.InlineQR(websiteInlineID, s.absURL(websiteCallbackPath), state, wechat.InlineQRStyle{Style: "black"})
	if err != nil {
		return nil, apperr.E("web.websiteInline", apperr.Internal, err)
	}
	return in, nil
}

// loginWebsiteCallback is where WeChat sends the browser after the website QR (both
// variants): state, code → user token → user info → the identity graph (unionid merges
// with the OA and Mini Program identities of the same person) → session.
func (s *Server) loginWebsiteCallback(c *fiber.Ctx) error {
	const op = "web.loginWebsiteCallback"
	w, err := s.website()
	if err != nil {
		return err
	}
	q, err := s.takeProviderState(c, "website", auth.MethodWebsiteQR)
	if err != nil {
		return err
	}
	code := q.Get("code")
	if code == "" {
		s.logLogin(c, auth.LoginEvent{Method: auth.MethodWebsiteQR, Reason: auth.ReasonOAuthRefused})
		return apperr.E(op, apperr.Forbidden, apperr.Key("login.error.refused"), "user refused authorization")
	}
	ctx := c.UserContext()
	tok, err := w.ExchangeCode(ctx, code)
	if err != nil {
		reason, key := codeFailure(err)
		s.logLogin(c, auth.LoginEvent{Method: auth.MethodWebsiteQR, Reason: reason})
		kind := apperr.Invalid
		if key == "login.error.wechat" {
			kind = apperr.Unavailable
		}
		return apperr.E(op, kind, key, err)
	}
	prof := auth.WeChatProfile{Kind: wechatidentity.KindWebsite, AppID: w.AppID(), OpenID: tok.OpenID, UnionID: tok.UnionID}
	// snsapi_login grants userinfo; it is display data, so a failure costs the nickname only.
	if ui, err := w.UserInfo(ctx, tok.AccessToken, tok.OpenID, wechat.LangZhCN); err != nil {
		s.Log.Warn("website userinfo failed; signing in without the profile", "err", err.Error())
	} else {
		prof.Nickname, prof.AvatarURL = ui.Nickname, ui.HeadImgURL
		if prof.UnionID == "" {
			prof.UnionID = ui.UnionID
		}
	}
	res, err := s.Login.Identities.Resolve(ctx, prof, auth.MethodWebsiteQR, c.IP())
	if err != nil {
		return err
	}
	dest, err := s.signIn(c, res.User.ID, auth.MethodWebsiteQR)
	if err != nil {
		return err
	}
	return c.Redirect(dest, fiber.StatusSeeOther)
}

// frameSrc is the CSP frame-src: our own origin, plus the origin of WeChat's QR page when
// an Open Platform website app is configured on another host (the inline QR's iframe).
// Nothing else may be framed.
func (s *Server) frameSrc() string {
	src := "'self'"
	if w := s.Login.Channels.Website; w != nil && s.Login.Channels.InlineWebsite {
		if o := originOf(w.Endpoints().Open); o != "" && o != originOf(s.absURL("/")) {
			src += " " + o
		}
	}
	return src
}

// frameAncestors is 'none' for every page but the sandbox's QR panel, which stands in
// for WeChat's and is framed by our /login in development.
func (s *Server) frameAncestors(c *fiber.Ctx) string {
	if s.Sandbox != nil && c.Path() == SandboxPath+"/connect/qrconnect" {
		return "'self'"
	}
	return "'none'"
}

// originOf is scheme://host[:port] of an absolute URL, or "".
func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
