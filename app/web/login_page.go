package web

import (
	"encoding/json"
	"time"

	"github.com/gofiber/fiber/v2"

	"scanboard/app/auth"
	"scanboard/views/login"
)

// preLoginCookie binds QR attempts and OAuth states to the browser that started them
// (WX-09, OAUTH-01). It carries 130 random bits; the server keeps only its hash.
func (s *Server) preLoginCookie() string {
	if s.secure() {
		return "__Host-mis_login"
	}
	return "mis_login"
}

// browserKey returns this browser's pre-login key, issuing one when it has none.
func (s *Server) browserKey(c *fiber.Ctx) string {
	if k := c.Cookies(s.preLoginCookie()); len(k) >= 26 && len(k) <= 64 {
		return k
	}
	k := auth.NewSecret()
	c.Cookie(&fiber.Cookie{
		Name: s.preLoginCookie(), Value: k, Path: "/", HTTPOnly: true, Secure: s.secure(),
		SameSite: fiber.CookieSameSiteLaxMode, Expires: s.Now().Add(time.Hour),
	})
	return k
}

// existingBrowserKey is the pre-login key without issuing one: completing needs the key
// that started the attempt.
func (s *Server) existingBrowserKey(c *fiber.Ctx) string { return c.Cookies(s.preLoginCookie()) }

// loginPage picks the channel by device: a QR on a desktop, OA web OAuth inside WeChat, a
// hint and phone-code sign-in on other phones.
func (s *Server) loginPage(c *fiber.Ctx) error {
	if p := principal(c); p != nil {
		return c.Redirect(landing(p), fiber.StatusSeeOther)
	}
	info := auth.ParseUserAgent(c.Get(fiber.HeaderUserAgent))
	if info.Device == auth.DeviceWeChat && c.Query("qr") == "" {
		return c.Redirect("/login/wechat", fiber.StatusSeeOther)
	}
	m := login.Model{
		Device:     string(info.Device),
		OwnQR:      s.Login.OwnQR,
		PhoneLogin: s.Login.Phones != nil,
		Password:   s.Login.Channels.Passwords != nil,
		WeCom:      s.Login.Channels.WeCom != nil,
	}
	if m.Device == string(auth.DeviceWeChat) {
		m.Device = string(auth.DeviceDesktop) // ?qr=1: show the QR inside WeChat too
	}
	// The QR channel is configuration (MIS_LOGIN_QR): the Open Platform's inline QR when
	// chosen and configured, the OA QR otherwise.
	if s.Login.Channels.InlineWebsite && s.Login.Channels.Website != nil && m.Device != string(auth.DeviceMobile) {
		in, err := s.websiteInline(c)
		if err != nil {
			return err
		}
		opts, _ := json.Marshal(in.Options)
		m.Website = &login.WebsiteQR{ScriptURL: in.ScriptURL, Options: string(opts)}
	}
	pg := s.page(c, "login.title")
	pg.Asset = s.Assets.Path
	return s.render(c, login.Page(pg, m))
}

// landing is where a signed-in user belongs: pending and refused accounts see the pending
// page, everyone else the home page.
func landing(p *auth.Principal) string {
	if p.Status != "active" {
		return "/pending"
	}
	return "/"
}
