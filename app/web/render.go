package web

import (
	"strings"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"scanboard/app/auth"
	"scanboard/views/i18n"
	"scanboard/views/layout"
)

// render writes a templ component as the HTML response.
func (s *Server) render(c *fiber.Ctx, comp templ.Component) error {
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return comp.Render(c.UserContext(), c.Response().BodyWriter())
}

// page builds the frame's view model for the current request.
func (s *Server) page(c *fiber.Ctx, titleKey string) layout.Page {
	p := layout.Page{
		Title: i18n.T(c.UserContext(), titleKey),
		Lang:  i18n.Lang(c.UserContext()),
		Path:  c.Path(),
		Asset: s.Assets.Path,
	}
	if tok, ok := c.Locals(localCSRF).(string); ok {
		p.CSRF = tok
	}
	if pr := principal(c); pr != nil {
		p.User = &layout.UserChip{Name: displayName(pr), AvatarURL: pr.AvatarURL, RoleKey: "role." + string(pr.Role)}
		if pr.Status == "active" {
			p.Nav = s.nav(c, pr)
		}
	}
	return p
}

// nav lists what the user's role may open; the current page is marked. It is drawn from
// the route table's policies, so a link is shown exactly when allow would let it through.
func (s *Server) nav(c *fiber.Ctx, p *auth.Principal) []layout.NavItem {
	all := []struct {
		key, href string
		pol       Policy
	}{
		{"nav.home", "/", Active},
		{"nav.projects", "/projects", Active},
		{"nav.overview", "/overview", Manager},
		{"nav.upload", "/upload", Active},
		{"nav.admin.approvals", "/admin/approvals", Admin},
		{"nav.admin.users", "/admin/users", Admin},
		{"nav.admin.preregister", "/admin/preregister", Admin},
		{"nav.admin.sessions", "/admin/sessions", Admin},
		{"nav.admin.logins", "/admin/logins", Admin},
		{"nav.admin.audit", "/admin/audit", Admin},
		{"nav.devices", "/devices", Active},
		{"nav.profile", "/profile", Active},
	}
	var items []layout.NavItem
	for _, it := range all {
		if allow(it.pol, p) != nil || (p.Method == auth.MethodBreakGlass && it.pol != Admin) {
			continue
		}
		if s.Reports == nil && (it.href == "/projects" || it.href == "/overview" || it.href == "/upload") {
			continue // reports are not wired (tests of other areas)
		}
		active := c.Path() == it.href || (it.href != "/" && strings.HasPrefix(c.Path(), it.href+"/"))
		items = append(items, layout.NavItem{Key: it.key, Href: it.href, Active: active})
	}
	return items
}

func displayName(p *auth.Principal) string {
	if p.Name != "" {
		return p.Name
	}
	return "#" + itoa(p.UserID)
}
