package web

import (
	"github.com/gofiber/fiber/v2"

	"scanboard/app/apperr"
	"scanboard/app/auth"
	"scanboard/app/wechat"
	"scanboard/ent/wechatidentity"
)

// WeCom web login: the WeCom QR page (scanned with the WeCom app), code → member userid →
// member details → a "wecom" identity (appid = corp id, openid = userid). Members of the
// corp may skip the approval queue (MIS_AUTO_APPROVE_WECOM, applied by Users.Waiting).

const wecomCallbackPath = "/login/wecom/callback"

func (s *Server) wecom() (*wechat.WorkClient, error) {
	if s.Login.Channels.WeCom == nil {
		return nil, apperr.E("web.wecom", apperr.NotFound, "WeCom login is not configured")
	}
	return s.Login.Channels.WeCom, nil
}

// loginWeCom is GET /login/wecom: a redirect to WeCom's QR login page.
func (s *Server) loginWeCom(c *fiber.Ctx) error {
	w, err := s.wecom()
	if err != nil {
		return err
	}
	state, err := s.newProviderState(c, "wecom")
	if err != nil {
		return err
	}
	page := "zh"
	if lang(c) == "en" {
		page = "en"
	}
	u, err := w.LoginURL(s.absURL(wecomCallbackPath), state, page)
	if err != nil {
		return apperr.E("web.loginWeCom", apperr.Internal, err)
	}
	return c.Redirect(u, fiber.StatusFound)
}

// loginWeComCallback finishes WeCom web login.
func (s *Server) loginWeComCallback(c *fiber.Ctx) error {
	const op = "web.loginWeComCallback"
	w, err := s.wecom()
	if err != nil {
		return err
	}
	q, err := s.takeProviderState(c, "wecom", auth.MethodWeCom)
	if err != nil {
		return err
	}
	code := q.Get("code")
	if code == "" {
		s.logLogin(c, auth.LoginEvent{Method: auth.MethodWeCom, Reason: auth.ReasonOAuthRefused})
		return apperr.E(op, apperr.Forbidden, apperr.Key("login.error.refused"), "user refused authorization")
	}
	ctx := c.UserContext()
	id, err := w.UserIdentity(ctx, code)
	if err != nil {
		reason, key := codeFailure(err)
		s.logLogin(c, auth.LoginEvent{Method: auth.MethodWeCom, Reason: reason})
		kind := apperr.Invalid
		if key == "login.error.wechat" {
			kind = apperr.Unavailable
		}
		return apperr.E(op, kind, key, err)
	}
	if !id.IsMember() {
		s.logLogin(c, auth.LoginEvent{Method: auth.MethodWeCom, Reason: auth.ReasonWeComNotMember, Subject: auth.SubjectOpenID(w.CorpID(), id.OpenID)})
		return apperr.E(op, apperr.Forbidden, apperr.Key("signin.wecom.error.not_member"), "not a member of the corp")
	}
	prof := auth.WeChatProfile{Kind: wechatidentity.KindWecom, AppID: w.CorpID(), OpenID: id.UserID}
	// Member details are display data: a failure costs the name, not the sign-in.
	member, err := w.User(ctx, id.UserID)
	if err != nil {
		s.Log.Warn("wecom user/get failed; signing in without the member's name", "err", err.Error())
	} else {
		prof.Nickname, prof.AvatarURL = member.Name, member.Avatar
	}
	res, err := s.Login.Identities.Resolve(ctx, prof, auth.MethodWeCom, c.IP())
	if err != nil {
		return err
	}
	dest, err := s.signIn(c, res.User.ID, auth.MethodWeCom)
	if err != nil {
		return err
	}
	return c.Redirect(dest, fiber.StatusSeeOther)
}
