package web

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"scanboard/ent"
	"scanboard/views/i18n"
	"scanboard/views/profile"
)

// profilePage is GET /profile: who the user is and, for active users, their API tokens.
func (s *Server) profilePage(c *fiber.Ctx) error {
	return s.renderProfile(c, nil)
}

// renderProfile draws the profile page; created, when set, is a token just made, shown in
// clear this once.
func (s *Server) renderProfile(c *fiber.Ctx, created *profile.NewToken) error {
	p := principal(c)
	lang := i18n.Lang(c.UserContext())
	m := profile.Model{
		Name:       displayName(p),
		RoleKey:    "role." + string(p.Role),
		Active:     p.Status == "active",
		Created:    created,
		ExpiryDays: tokenExpiryChoices,
		BaseURL:    s.publicBase(),
	}
	if m.Active {
		ts, err := s.Reports.ListTokens(c.UserContext(), p.UserID)
		if err != nil {
			return err
		}
		now := s.Now()
		for _, t := range ts {
			m.Tokens = append(m.Tokens, tokenRow(lang, now, t))
		}
	}
	return s.render(c, profile.Page(s.page(c, "profile.title"), m))
}

// tokenExpiryChoices are the lifetimes offered, in days; 0 is "never".
var tokenExpiryChoices = []int{30, 90, 365, 0}

func tokenRow(lang string, now time.Time, t *ent.APIToken) profile.Token {
	row := profile.Token{
		ID: t.ID, Name: t.Name, Prefix: t.Prefix, Scopes: t.Scopes,
		Created: formatTime(lang, t.CreatedAt),
		State:   "active",
	}
	if t.LastUsedAt != nil {
		row.LastUsed = formatTime(lang, *t.LastUsedAt)
	}
	if t.ExpiresAt != nil {
		row.Expires = formatTime(lang, *t.ExpiresAt)
		if !now.Before(*t.ExpiresAt) {
			row.State = "expired"
		}
	}
	if t.RevokedAt != nil {
		row.State = "revoked"
	}
	return row
}
