package reports

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"scanboard/app/apperr"
	"scanboard/ent"
	"scanboard/ent/apitoken"
	"scanboard/ent/user"
)

// ScopeUpload lets a token upload result files.
const ScopeUpload = "upload"

// tokenPrefix starts every token, so leaked tokens are easy to find with secret scanners.
const tokenPrefix = "mis_"

// lastUseGranularity limits last-use writes to one per token per minute.
const lastUseGranularity = time.Minute

// TokenPrincipal is who a valid API token acts for.
type TokenPrincipal struct {
	TokenID int
	UserID  int
	Role    string
	Scopes  []string
}

// HasScope reports whether the token grants scope.
func (p *TokenPrincipal) HasScope(scope string) bool { return slices.Contains(p.Scopes, scope) }

// Viewer is the token owner as a viewer of projects.
func (p *TokenPrincipal) Viewer() Viewer { return Viewer{UserID: p.UserID, Role: p.Role} }

func hashToken(raw string) string {
	sum := sha256.Sum256([]byte(raw))
	return hex.EncodeToString(sum[:])
}

// CreateToken makes a token for userID and returns it in clear once; only its hash is kept.
// A nil expiresAt means it does not expire.
func (s *Service) CreateToken(ctx context.Context, userID int, name string, scopes []string, expiresAt *time.Time) (string, *ent.APIToken, error) {
	const op = "reports.CreateToken"
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return "", nil, apperr.E(op, apperr.Invalid, apperr.Key("error.token_name"), "a token needs a name of 1–100 characters")
	}
	if len(scopes) == 0 {
		scopes = []string{ScopeUpload}
	}
	for _, sc := range scopes {
		if sc != ScopeUpload {
			return "", nil, apperr.E(op, apperr.Invalid, apperr.Key("error.token_scope"), fmt.Sprintf("unknown token scope %q", sc))
		}
	}
	if expiresAt != nil && !expiresAt.After(s.now()) {
		return "", nil, apperr.E(op, apperr.Invalid, apperr.Key("error.token_expiry"), "the expiry date is in the past")
	}
	raw := tokenPrefix + rand.Text() + rand.Text() // 2 × 128 bits
	t, err := s.db.APIToken.Create().SetUserID(userID).SetName(name).SetPrefix(raw[:12]).
		SetTokenHash(hashToken(raw)).SetScopes(scopes).SetCreatedAt(s.now()).SetNillableExpiresAt(expiresAt).Save(ctx)
	if err != nil {
		return "", nil, apperr.E(op, apperr.Unavailable, err)
	}
	return raw, t, nil
}

// ListTokens returns userID's tokens, newest first, revoked ones included.
func (s *Service) ListTokens(ctx context.Context, userID int) ([]*ent.APIToken, error) {
	ts, err := s.db.APIToken.Query().Where(apitoken.UserID(userID)).Order(ent.Desc(apitoken.FieldID)).All(ctx)
	if err != nil {
		return nil, apperr.E("reports.ListTokens", apperr.Unavailable, err)
	}
	return ts, nil
}

// RevokeToken revokes one of userID's tokens; another user's token is NotFound.
func (s *Service) RevokeToken(ctx context.Context, userID, tokenID int) error {
	const op = "reports.RevokeToken"
	n, err := s.db.APIToken.Update().Where(apitoken.ID(tokenID), apitoken.UserID(userID), apitoken.RevokedAtIsNil()).
		SetRevokedAt(s.now()).Save(ctx)
	if err != nil {
		return apperr.E(op, apperr.Unavailable, err)
	}
	if n == 0 {
		exists, err := s.db.APIToken.Query().Where(apitoken.ID(tokenID), apitoken.UserID(userID)).Exist(ctx)
		if err != nil {
			return apperr.E(op, apperr.Unavailable, err)
		}
		if !exists {
			return apperr.E(op, apperr.NotFound, apperr.Key("error.token_not_found"), "no such token")
		}
	}
	return nil
}

// AuthenticateToken checks a token from an Authorization header. Unknown, revoked and
// expired tokens, and tokens of users who are not active, are Unauthorized.
func (s *Service) AuthenticateToken(ctx context.Context, raw string) (*TokenPrincipal, error) {
	const op = "reports.AuthenticateToken"
	deny := func(why string) error {
		return apperr.E(op, apperr.Unauthorized, apperr.Key("error.token_invalid"), why)
	}
	if !strings.HasPrefix(raw, tokenPrefix) || len(raw) > 200 {
		return nil, deny("not a Scanboard API token")
	}
	t, err := s.db.APIToken.Query().Where(apitoken.TokenHash(hashToken(raw))).WithUser().Only(ctx)
	if ent.IsNotFound(err) {
		return nil, deny("unknown API token")
	}
	if err != nil {
		return nil, apperr.E(op, apperr.Unavailable, err)
	}
	now := s.now()
	switch {
	case t.RevokedAt != nil:
		return nil, deny("the API token was revoked")
	case t.ExpiresAt != nil && !now.Before(*t.ExpiresAt):
		return nil, deny("the API token has expired")
	case t.Edges.User == nil || t.Edges.User.Status != user.StatusActive:
		return nil, deny("the API token's owner is not an active user")
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= lastUseGranularity {
		if err := s.db.APIToken.UpdateOneID(t.ID).SetLastUsedAt(now).Exec(ctx); err != nil {
			return nil, apperr.E(op, apperr.Unavailable, err)
		}
	}
	return &TokenPrincipal{TokenID: t.ID, UserID: t.UserID, Role: string(t.Edges.User.Role), Scopes: t.Scopes}, nil
}
