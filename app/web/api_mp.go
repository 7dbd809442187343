package web

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"scanboard/app/apperr"
	"scanboard/app/auth"
	"scanboard/app/wechat"
	"scanboard/ent/phonebinding"
	"scanboard/ent/user"
	"scanboard/ent/wechatidentity"
)

// The Mini Program's JSON API (/api/mp/…). It authenticates with its own bearer login key
// (never the session cookie), hence NoCSRF. Errors come back as {"error", "code"}.

func (s *Server) miniProgram() (*wechat.Client, error) {
	if s.Login.Channels.MiniProgram == nil {
		return nil, apperr.E("web.miniProgram", apperr.NotFound, "the Mini Program is not configured")
	}
	return s.Login.Channels.MiniProgram, nil
}

func (s *Server) miniKeys() *auth.MiniKeys {
	return auth.NewMiniKeys(s.KV, s.Login.Channels.miniKeyTTL(), s.Now)
}

// mpCaller is the signed-in Mini Program user of a request.
type mpCaller struct {
	key     string
	session *auth.MiniSession
	client  *wechat.Client
}

// mpAuth checks the bearer login key and the account behind it: a disabled or rejected
// account's key is revoked on the spot.
func (s *Server) mpAuth(c *fiber.Ctx) (*mpCaller, error) {
	const op = "web.mpAuth"
	mp, err := s.miniProgram()
	if err != nil {
		return nil, err
	}
	h := c.Get(fiber.HeaderAuthorization)
	key, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		return nil, apperr.E(op, apperr.Unauthorized, apperr.Key("signin.mp.error.key"), "no bearer login key")
	}
	key = strings.TrimSpace(key)
	sess, err := s.miniKeys().Get(c.UserContext(), key)
	if err != nil {
		return nil, err
	}
	u, err := s.Store.Client.User.Get(c.UserContext(), sess.UserID)
	if err != nil {
		return nil, apperr.E(op, apperr.Unauthorized, apperr.Key("signin.mp.error.key"), err)
	}
	if u.Status == user.StatusDisabled || u.Status == user.StatusRejected {
		_ = s.miniKeys().Revoke(c.UserContext(), key)
		return nil, apperr.E(op, apperr.Forbidden, apperr.Key("login.denied."+string(u.Status)), "account is "+string(u.Status))
	}
	return &mpCaller{key: key, session: sess, client: mp}, nil
}

type mpLoginJSON struct {
	Key       string `json:"key"`
	ExpiresIn int    `json:"expires_in"`
	Status    string `json:"status"`
	NewUser   bool   `json:"new_user"`
}

// mpLogin is POST /api/mp/login {"code"}: wx.login's code → jscode2session → the identity
// graph → a fresh opaque login key.
func (s *Server) mpLogin(c *fiber.Ctx) error {
	const op = "web.mpLogin"
	mp, err := s.miniProgram()
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	n, err := s.KV.Incr(ctx, "rate:mp_login:"+c.IP()+":"+s.Now().UTC().Format("200601021504"), 2*time.Minute)
	if err != nil {
		return apperr.E(op, apperr.Unavailable, err)
	}
	if n > 30 {
		c.Set(fiber.HeaderRetryAfter, "60")
		return apperr.E(op, apperr.TooMany, apperr.Key("error.429"), "Mini Program logins per minute exceeded")
	}
	var in struct {
		Code string `json:"code"`
	}
	if err := c.BodyParser(&in); err != nil || in.Code == "" || len(in.Code) > 128 {
		return apperr.E(op, apperr.Invalid, apperr.Key("signin.mp.error.body"), "body must be {\"code\": \"…\"} from wx.login")
	}
	sess, err := mp.Code2Session(ctx, in.Code)
	if err != nil {
		reason, key := codeFailure(err)
		s.logLogin(c, auth.LoginEvent{Method: auth.MethodMiniProgram, Reason: reason})
		kind := apperr.Invalid
		if key == "login.error.wechat" {
			kind = apperr.Unavailable
		}
		return apperr.E(op, kind, key, err)
	}
	res, err := s.Login.Identities.Resolve(ctx, auth.WeChatProfile{
		Kind: wechatidentity.KindMiniprogram, AppID: mp.AppID(), OpenID: sess.OpenID, UnionID: sess.UnionID,
	}, auth.MethodMiniProgram, c.IP())
	if err != nil {
		return err
	}
	u := res.User
	if u.Status == user.StatusDisabled || u.Status == user.StatusRejected {
		s.logLogin(c, auth.LoginEvent{Method: auth.MethodMiniProgram, UserID: u.ID, Reason: string(u.Status)})
		return apperr.E(op, apperr.Forbidden, apperr.Key("login.denied."+string(u.Status)), "account is "+string(u.Status))
	}
	keys := s.miniKeys()
	key, err := keys.Issue(ctx, auth.MiniSession{UserID: u.ID, AppID: mp.AppID(), OpenID: sess.OpenID, UnionID: sess.UnionID, SessionKey: sess.SessionKey})
	if err != nil {
		return err
	}
	reason := ""
	if u.Status == user.StatusPending {
		reason = auth.ReasonPendingApproval
		if s.Admin.Users != nil {
			if _, err := s.Admin.Users.Waiting(ctx, u.ID, c.IP()); err != nil {
				s.Log.Warn("approval policy or admin notification failed", "user_id", u.ID, "err", err.Error())
			}
		}
	}
	s.logLogin(c, auth.LoginEvent{Method: auth.MethodMiniProgram, Success: true, UserID: u.ID, Reason: reason})
	return c.JSON(mpLoginJSON{Key: key, ExpiresIn: int(keys.TTL() / time.Second), Status: string(u.Status), NewUser: res.Created})
}

// mpLogout is POST /api/mp/logout: the key ends now.
func (s *Server) mpLogout(c *fiber.Ctx) error {
	who, err := s.mpAuth(c)
	if err != nil {
		return err
	}
	if err := s.miniKeys().Revoke(c.UserContext(), who.key); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"ok": true})
}

// decryptFailure names a decryption failure: a rotated session key (log in again), data
// for another app, or malformed input.
func decryptFailure(op string, err error) error {
	switch {
	case errors.Is(err, wechat.ErrSessionKey):
		return apperr.E(op, apperr.Conflict, apperr.Key("signin.mp.error.session_key"), err)
	case errors.Is(err, wechat.ErrAppIDMismatch):
		return apperr.E(op, apperr.Invalid, apperr.Key("signin.mp.error.watermark"), err)
	}
	return apperr.E(op, apperr.Invalid, apperr.Key("signin.mp.error.encrypted"), err)
}

// mpProfile is POST /api/mp/profile {"encrypted_data", "iv"}: wx.getUserInfo's data,
// decrypted with the session key and checked against our appid, names the identity (and
// may bring its unionid). Display data only: it never links accounts.
func (s *Server) mpProfile(c *fiber.Ctx) error {
	const op = "web.mpProfile"
	who, err := s.mpAuth(c)
	if err != nil {
		return err
	}
	var in struct {
		EncryptedData string `json:"encrypted_data"`
		IV            string `json:"iv"`
	}
	if err := c.BodyParser(&in); err != nil || in.EncryptedData == "" || in.IV == "" {
		return apperr.E(op, apperr.Invalid, apperr.Key("signin.mp.error.body"), "body must be {\"encrypted_data\", \"iv\"}")
	}
	var mu wechat.MiniProgramUser
	// The watermark must name the app the key's session was made for.
	plain, err := wechat.DecryptMiniProgramData(who.session.AppID, who.session.SessionKey, in.EncryptedData, in.IV)
	if err != nil {
		return decryptFailure(op, err)
	}
	if err := json.Unmarshal(plain, &mu); err != nil {
		return apperr.E(op, apperr.Invalid, apperr.Key("signin.mp.error.encrypted"), err)
	}
	if mu.OpenID != "" && mu.OpenID != who.session.OpenID {
		return apperr.E(op, apperr.Invalid, apperr.Key("signin.mp.error.encrypted"), "decrypted data is about another user")
	}
	res, err := s.Login.Identities.Resolve(c.UserContext(), auth.WeChatProfile{
		Kind: wechatidentity.KindMiniprogram, AppID: who.session.AppID, OpenID: who.session.OpenID,
		UnionID: firstNonEmpty(who.session.UnionID, mu.UnionID), Nickname: mu.NickName, AvatarURL: mu.AvatarURL,
	}, auth.MethodMiniProgram, c.IP())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"user_id": res.User.ID, "nickname": mu.NickName, "avatar_url": mu.AvatarURL})
}

// mpPhone is POST /api/mp/phone {"code"}: the getPhoneNumber button's code → the number
// WeChat verified → bound to the caller's account (unique; a pre-registered number joins
// the admin's account, as with an SMS code).
func (s *Server) mpPhone(c *fiber.Ctx) error {
	const op = "web.mpPhone"
	who, err := s.mpAuth(c)
	if err != nil {
		return err
	}
	var in struct {
		Code string `json:"code"`
	}
	if err := c.BodyParser(&in); err != nil || in.Code == "" || len(in.Code) > 256 {
		return apperr.E(op, apperr.Invalid, apperr.Key("signin.mp.error.body"), "body must be {\"code\": \"…\"} from getPhoneNumber")
	}
	info, err := who.client.PhoneNumber(c.UserContext(), in.Code, who.session.OpenID)
	if err != nil {
		_, key := codeFailure(err)
		return apperr.E(op, apperr.Invalid, key, err)
	}
	raw := info.PhoneNumber
	if info.CountryCode != "" && info.PurePhoneNumber != "" {
		raw = "+" + info.CountryCode + info.PurePhoneNumber
	}
	res, err := auth.BindVerifiedPhone(c.UserContext(), s.Store, s.Now(), who.session.UserID, raw, phonebinding.SourceMiniprogram)
	if err != nil {
		return err
	}
	if res.Joined {
		// The key now belongs to the account the number was pre-registered on.
		who.session.UserID = res.UserID
		if _, err := s.miniKeys().Issue(c.UserContext(), *who.session); err != nil {
			return err
		}
		_ = s.miniKeys().Revoke(c.UserContext(), who.key)
	}
	return c.JSON(fiber.Map{"phone": auth.MaskPhone(res.Phone), "user_id": res.UserID, "joined": res.Joined})
}

// mpScan is POST /api/mp/scan {"qr"}: the Mini Program scanned the PC's sign-in QR (own-QR
// mode: it encodes our /login/own/<scene> URL). The attempt now belongs to this WeChat
// user; the answer says what is being confirmed and carries a one-time token for it.
func (s *Server) mpScan(c *fiber.Ctx) error {
	const op = "web.mpScan"
	who, err := s.mpAuth(c)
	if err != nil {
		return err
	}
	var in struct {
		QR string `json:"qr"`
	}
	if err := c.BodyParser(&in); err != nil || in.QR == "" {
		return apperr.E(op, apperr.Invalid, apperr.Key("signin.mp.error.body"), "body must be {\"qr\": \"…\"}")
	}
	scene := sceneOfQR(in.QR, s.absURL("/login/own/"))
	if scene == "" {
		return apperr.E(op, apperr.Invalid, apperr.Key("signin.mp.error.qr"), "not a Scanboard sign-in QR")
	}
	ctx := c.UserContext()
	at, err := s.Login.Attempts.ByScene(ctx, scene)
	if err != nil {
		return err
	}
	sc := auth.Scanner{AppID: who.session.AppID, OpenID: who.session.OpenID, UnionID: who.session.UnionID}
	token, err := s.Login.Attempts.Scanned(ctx, at, sc)
	if err != nil {
		if errors.Is(err, auth.ErrScannedByOther) {
			s.logPushLogin(ctx, at, auth.LoginEvent{Method: auth.MethodMPConfirm, Reason: auth.ReasonScannedByOther, Subject: auth.SubjectOpenID(sc.AppID, sc.OpenID)})
		}
		return err
	}
	info := at.Client()
	return c.JSON(fiber.Map{"token": token, "browser": info.Browser, "os": info.OS, "ip": at.IP,
		"requested_at": at.CreatedAt.UTC().Format(time.RFC3339)})
}

// sceneOfQR takes the scene out of our own QR's URL (prefix …/login/own/).
func sceneOfQR(qr, prefix string) string {
	rest, ok := strings.CutPrefix(strings.TrimSpace(qr), prefix)
	if !ok {
		return ""
	}
	if u, err := url.PathUnescape(rest); err == nil {
		rest = u
	}
	if rest == "" || len(rest) > 64 || strings.ContainsAny(rest, "/?#") {
		return ""
	}
	return rest
}

// mpConfirm is POST /api/mp/confirm {"token", "decision"}: the Mini Program user confirms
// or refuses the PC sign-in; the PC completes with its own cookie, as in the own-QR flow.
func (s *Server) mpConfirm(c *fiber.Ctx) error {
	const op = "web.mpConfirm"
	who, err := s.mpAuth(c)
	if err != nil {
		return err
	}
	var in struct {
		Token    string `json:"token"`
		Decision string `json:"decision"`
	}
	if err := c.BodyParser(&in); err != nil || in.Token == "" || (in.Decision != "confirm" && in.Decision != "deny") {
		return apperr.E(op, apperr.Invalid, apperr.Key("signin.mp.error.body"), "body must be {\"token\", \"decision\": \"confirm\"|\"deny\"}")
	}
	ctx := c.UserContext()
	at, err := s.Login.Attempts.PeekConfirm(ctx, in.Token)
	if err != nil {
		return err
	}
	// The token is bound to the scanner; a different Mini Program user cannot use it.
	if at.AppID != who.session.AppID || at.OpenID != who.session.OpenID {
		return apperr.E(op, apperr.Forbidden, apperr.Key("login.error.confirm_link"), "token issued to another WeChat user")
	}
	if at, err = s.Login.Attempts.TakeConfirm(ctx, in.Token); err != nil {
		return err
	}
	at.Method = auth.MethodMPConfirm
	if in.Decision == "deny" {
		s.logPushLogin(ctx, at, auth.LoginEvent{Method: at.Method, Reason: auth.ReasonUserDenied, Subject: auth.SubjectOpenID(at.AppID, at.OpenID)})
		if err := s.Login.Attempts.Decide(ctx, at, auth.AttemptDenied, auth.ReasonUserDenied, 0); err != nil {
			return err
		}
		return c.JSON(fiber.Map{"status": string(auth.AttemptDenied)})
	}
	status, err := s.decideMiniAttempt(c, at, who.session.UserID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"status": string(status)})
}

// decideMiniAttempt moves an attempt scanned from the Mini Program to its outcome for the
// key's account. It mirrors decideAttempt (the OA scan) with the Mini Program's identity,
// which Resolve already placed in the graph when the key was issued.
func (s *Server) decideMiniAttempt(c *fiber.Ctx, at *auth.Attempt, userID int) (auth.AttemptStatus, error) {
	ctx := c.UserContext()
	u, err := s.Store.Client.User.Get(ctx, userID)
	if err != nil {
		return "", apperr.E("web.decideMiniAttempt", apperr.Unavailable, err)
	}
	switch u.Status {
	case user.StatusDisabled, user.StatusRejected:
		s.logPushLogin(ctx, at, auth.LoginEvent{Method: at.Method, UserID: u.ID, Reason: string(u.Status)})
		return auth.AttemptDenied, s.Login.Attempts.Decide(ctx, at, auth.AttemptDenied, string(u.Status), u.ID)
	}
	if s.Login.PhonePolicy == PhoneSignIn && s.Login.Phones != nil {
		ok, err := s.Login.Phones.HasVerified(ctx, u.ID)
		if err != nil {
			return "", err
		}
		if !ok {
			return auth.AttemptNeedPhone, s.Login.Attempts.Decide(ctx, at, auth.AttemptNeedPhone, auth.ReasonNeedPhone, u.ID)
		}
	}
	return auth.AttemptConfirmed, s.Login.Attempts.Decide(ctx, at, auth.AttemptConfirmed, "", u.ID)
}
