package web

import (
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

// nav lists what the user's role may open; the current page is marked.
func (s *Server) nav(c *fiber.Ctx, _ *auth.Principal) []layout.NavItem {
	items := []layout.NavItem{{Key: "nav.home", Href: "/"}}
	for i := range items {
		items[i].Active = items[i].Href == c.Path()
	}
	return items
}

func displayName(p *auth.Principal) string {
	if p.Name != "" {
		return p.Name
	}
	return "#" + itoa(p.UserID)
}
