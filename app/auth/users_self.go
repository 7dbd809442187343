package auth

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"scanboard/app/apperr"
	"scanboard/ent/user"
)

// MaxNameRunes bounds a display name a user gives themself.
const MaxNameRunes = 64

// SetOwnName lets a waiting user say who they are, so the approval queue shows a name:
// WeChat no longer hands out nicknames to Official Accounts. Only pending accounts may, and
// a name an admin or a pre-registration gave is not overwritten.
func (u *Users) SetOwnName(ctx context.Context, userID int, name string) error {
	const op = "auth.Users.SetOwnName"
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > MaxNameRunes || strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return apperr.E(op, apperr.Invalid, apperr.Key("pending.name.invalid"), "name must be 1–64 characters without control characters")
	}
	n, err := u.db.User.Update().
		Where(user.ID(userID), user.StatusEQ(user.StatusPending)).
		SetDisplayName(name).Save(ctx)
	if err != nil {
		return apperr.E(op, apperr.Unavailable, err)
	}
	if n == 0 {
		return apperr.E(op, apperr.Forbidden, "only a pending account names itself")
	}
	return nil
}
