package web

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"scanboard/app/apperr"
	"scanboard/app/auth"
	"scanboard/views/login"
)

// phoneGate is a browser that passed a QR sign-in but must bind a phone before it gets a
// session (MIS_PHONE_POLICY=signin). It is keyed by the pre-login cookie's hash.
type phoneGate struct {
	UserID int    `json:"u"`
	Method string `json:"m"`
}

const phoneGateTTL = 10 * time.Minute

func phoneGateKey(browserKey string) string { return "login:phonegate:" + auth.HashID(browserKey) }

func (s *Server) holdForPhone(c *fiber.Ctx, browserKey string, userID int, method string) error {
	b, _ := json.Marshal(phoneGate{UserID: userID, Method: method})
	if err := s.KV.Set(c.UserContext(), phoneGateKey(browserKey), b, phoneGateTTL); err != nil {
		return apperr.E("web.holdForPhone", apperr.Unavailable, err)
	}
	return nil
}

func (s *Server) gate(c *fiber.Ctx) (*phoneGate, error) {
	k := s.existingBrowserKey(c)
	if k == "" {
		return nil, nil
	}
	b, err := s.KV.Get(c.UserContext(), phoneGateKey(k))
	if err != nil {
		return nil, apperr.E("web.gate", apperr.Unavailable, err)
	}
	if b == nil {
		return nil, nil
	}
	var g phoneGate
	if err := json.Unmarshal(b, &g); err != nil {
		return nil, apperr.E("web.gate", apperr.Internal, err)
	}
	return &g, nil
}

// phoneMode: a signed-in (pending) user or a gated browser binds a number; anybody else
// signs in with a bound one.
func (s *Server) phoneMode(c *fiber.Ctx) (mode string, userID int, g *phoneGate, err error) {
	if p := principal(c); p != nil {
		return "bind", p.UserID, nil, nil
	}
	if g, err = s.gate(c); err != nil || g != nil {
		if g != nil {
			return "bind", g.UserID, g, nil
		}
		return "", 0, nil, err
	}
	return "signin", 0, nil, nil
}

// phonePage shows the phone form: bind a number, or sign in with a bound one.
func (s *Server) phonePage(c *fiber.Ctx) error {
	if s.Login.Phones == nil {
		return apperr.E("web.phonePage", apperr.NotFound, "phone sign-in is off")
	}
	mode, _, _, err := s.phoneMode(c)
	if err != nil {
		return err
	}
	return s.renderPhone(c, login.PhoneModel{Mode: mode})
}

func (s *Server) renderPhone(c *fiber.Ctx, m login.PhoneModel) error {
	return s.render(c, login.Phone(s.page(c, "phone.title"), m))
}

// phoneSendCode sends an SMS code. Errors the person can act on (invalid number, already
// bound, too many requests) are shown on the form itself.
func (s *Server) phoneSendCode(c *fiber.Ctx) error {
	if s.Login.Phones == nil {
		return apperr.E("web.phoneSendCode", apperr.NotFound, "phone sign-in is off")
	}
	mode, uid, _, err := s.phoneMode(c)
	if err != nil {
		return err
	}
	purpose := auth.PurposeBind
	if mode == "signin" {
		purpose = auth.PurposeSignIn
	}
	raw := c.FormValue("phone")
	phone, err := s.Login.Phones.SendCode(c.UserContext(), purpose, uid, raw, c.IP(), lang(c))
	m := login.PhoneModel{Mode: mode, Phone: raw}
	if err != nil {
		if key := apperr.KeyOf(err); key != "" && apperr.KindOf(err) != apperr.Unavailable {
			if apperr.KindOf(err) == apperr.TooMany {
				c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(auth.CodeResendGap/time.Second)))
			}
			c.Status(statusOf(err))
			m.ErrorKey = string(key)
			return s.renderPhone(c, m)
		}
		return err
	}
	m.Phone, m.Sent = phone, true
	return s.renderPhone(c, m)
}

// phoneVerify checks the code and binds the number or signs in with it.
func (s *Server) phoneVerify(c *fiber.Ctx) error {
	if s.Login.Phones == nil {
		return apperr.E("web.phoneVerify", apperr.NotFound, "phone sign-in is off")
	}
	ctx := c.UserContext()
	mode, uid, g, err := s.phoneMode(c)
	if err != nil {
		return err
	}
	raw, code := c.FormValue("phone"), c.FormValue("code")
	m := login.PhoneModel{Mode: mode, Phone: raw, Sent: true}
	fail := func(err error, method string, userID int) error {
		key := apperr.KeyOf(err)
		if key == "" || apperr.KindOf(err) == apperr.Unavailable {
			return err
		}
		s.logLogin(c, auth.LoginEvent{Method: method, UserID: userID, Reason: phoneReason(string(key)), Subject: maskedPhone(raw)})
		c.Status(statusOf(err))
		m.ErrorKey = string(key)
		return s.renderPhone(c, m)
	}
	if mode == "signin" {
		u, _, err := s.Login.Phones.VerifySignIn(ctx, raw, code)
		if err != nil {
			return fail(err, auth.MethodPhoneCode, 0)
		}
		dest, err := s.signIn(c, u.ID, auth.MethodPhoneCode)
		if err != nil {
			return err
		}
		return c.Redirect(dest, fiber.StatusSeeOther)
	}
	method := auth.MethodPhoneCode
	if g != nil {
		method = g.Method
	}
	res, err := s.Login.Phones.VerifyBind(ctx, uid, raw, code)
	if err != nil {
		return fail(err, method, uid)
	}
	if g == nil && !res.Joined {
		return c.Redirect("/pending", fiber.StatusSeeOther)
	}
	if g != nil {
		_ = s.KV.Delete(ctx, phoneGateKey(s.existingBrowserKey(c)))
	}
	if g == nil {
		method = principal(c).Method
	}
	// A gated browser gets its first session; a joined account a new one as its new self.
	dest, err := s.signIn(c, res.UserID, method)
	if err != nil {
		return err
	}
	return c.Redirect(dest, fiber.StatusSeeOther)
}

func maskedPhone(raw string) string {
	if p, err := auth.NormalizePhone(raw); err == nil {
		return auth.MaskPhone(p)
	}
	return ""
}

func phoneReason(key string) string {
	switch key {
	case "phone.error.wrong":
		return auth.ReasonCodeWrong
	case "phone.error.expired":
		return auth.ReasonCodeExpired
	case "phone.error.too_many":
		return auth.ReasonCodeTooMany
	case "phone.error.already_bound":
		return auth.ReasonPhoneBound
	case "phone.error.unknown":
		return auth.ReasonPhoneUnknown
	}
	return "phone_invalid"
}
