package web

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

const langCookie = "mis_lang"

// setLang stores the user's language choice and goes back to the page they were on.
func (s *Server) setLang(c *fiber.Ctx) error {
	lang := c.FormValue("lang")
	if lang != "en" && lang != "zh-CN" {
		return fiber.NewError(fiber.StatusBadRequest, "unsupported language")
	}
	c.Cookie(&fiber.Cookie{
		Name: langCookie, Value: lang, Path: "/", MaxAge: int((365 * 24 * time.Hour).Seconds()),
		HTTPOnly: true, SameSite: "Lax", Secure: s.secure(),
	})
	return c.Redirect(localPath(c.FormValue("return")), fiber.StatusSeeOther)
}

// localPath accepts only a path on this site; anything else (another host, a scheme,
// backslashes, control characters) becomes "/" so no input turns into an open redirect.
func localPath(p string) string {
	if p == "" || p[0] != '/' || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") {
		return "/"
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return "/"
		}
	}
	return p
}
