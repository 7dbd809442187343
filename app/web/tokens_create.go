package web

import (
	"slices"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"scanboard/app/apperr"
	"scanboard/app/reports"
	"scanboard/views/profile"
)

// tokenCreate is POST /profile/tokens: a new upload token, shown in clear on the page this
// answer draws and never again (only its hash is stored). The answer is not a redirect so
// the secret never passes through the session store.
func (s *Server) tokenCreate(c *fiber.Ctx) error {
	const op = "web.tokenCreate"
	p := principal(c)
	days, err := strconv.Atoi(c.FormValue("expires_days", "90"))
	if err != nil || !slices.Contains(tokenExpiryChoices, days) {
		return apperr.E(op, apperr.Invalid, apperr.Key("error.token_expiry"), "expiry is not one of the offered choices")
	}
	var expires *time.Time
	if days > 0 {
		at := s.Now().Add(time.Duration(days) * 24 * time.Hour)
		expires = &at
	}
	raw, t, err := s.Reports.CreateToken(c.UserContext(), p.UserID, c.FormValue("name"), []string{reports.ScopeUpload}, expires)
	if err != nil {
		return err
	}
	s.Log.Info("API token created", "request_id", requestID(c), "user_id", p.UserID, "token_id", t.ID, "prefix", t.Prefix)
	return s.renderProfile(c, &profile.NewToken{Name: t.Name, Secret: raw})
}

// tokenRevoke is POST /profile/tokens/{id}/revoke; another user's token is NotFound.
func (s *Server) tokenRevoke(c *fiber.Ctx) error {
	const op = "web.tokenRevoke"
	p := principal(c)
	id, err := c.ParamsInt("id")
	if err != nil || id <= 0 {
		return apperr.E(op, apperr.NotFound, apperr.Key("error.token_not_found"), "token id is not a number")
	}
	if err := s.Reports.RevokeToken(c.UserContext(), p.UserID, id); err != nil {
		return err
	}
	s.Log.Info("API token revoked", "request_id", requestID(c), "user_id", p.UserID, "token_id", id)
	return c.Redirect("/profile", fiber.StatusSeeOther)
}
