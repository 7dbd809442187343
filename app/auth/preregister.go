package auth

import (
	"context"
	"encoding/csv"
	"errors"
	"io"
	"strconv"
	"strings"

	"scanboard/app/apperr"
	"scanboard/ent"
	"scanboard/ent/phonebinding"
	"scanboard/ent/user"
)

// Preregistration adds an employee before their first sign-in: a user with a
// "preregistered" phone binding. The first verified sign-in with that phone joins the
// account (the sign-in flow does the join).
type Preregistration struct {
	Phone  string // E.164, or an 11-digit mainland mobile number
	Name   string
	Role   user.Role
	Active bool // approved at once; otherwise pending until an admin decides
}

// errBadPhone is what a malformed number gets.
var errBadPhone = apperr.Key("admin.error.bad_phone")

// parseAdminPhone accepts E.164 (+8613800138000) or a mainland mobile (13800138000,
// 138-0013-8000) and returns E.164.
func parseAdminPhone(s string) (string, error) {
	var b strings.Builder
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '-':
		default:
			return "", errors.New("not a phone number")
		}
	}
	p := b.String()
	if !strings.HasPrefix(p, "+") {
		if len(p) != 11 || p[0] != '1' {
			return "", errors.New("not an 11-digit mainland mobile number; use +<country code><number>")
		}
		p = "+86" + p
	}
	if n := len(p) - 1; n < 8 || n > 15 || p[1] == '0' {
		return "", errors.New("not an E.164 number")
	}
	return p, nil
}

// Preregister creates one pre-registered user, audited.
func (u *Users) Preregister(ctx context.Context, a Actor, in Preregistration, reason string) (*ent.User, error) {
	const op = "auth.Users.Preregister"
	phone, err := parseAdminPhone(in.Phone)
	if err != nil {
		return nil, apperr.E(op, apperr.Invalid, errBadPhone, err)
	}
	if in.Role == "" {
		in.Role = user.RoleEmployee
	}
	if err := user.RoleValidator(in.Role); err != nil {
		return nil, apperr.E(op, apperr.Invalid, errBadRole, err)
	}
	name := strings.TrimSpace(in.Name)
	if name == "" || len(name) > 128 {
		return nil, apperr.E(op, apperr.Invalid, apperr.Key("admin.error.bad_name"), "a name of 1–128 bytes is required")
	}
	status := user.StatusPending
	if in.Active {
		status = user.StatusActive
	}
	now := u.now().UTC()
	var created *ent.User
	err = u.retryTx(ctx, func(tx *ent.Tx) error {
		taken, err := tx.PhoneBinding.Query().Where(phonebinding.Phone(phone)).Exist(ctx)
		if err != nil {
			return apperr.E(op, apperr.Unavailable, err)
		}
		if taken {
			return apperr.E(op, apperr.Conflict, apperr.Key("admin.error.phone_taken"), "phone already bound")
		}
		c := tx.User.Create().SetDisplayName(name).SetRole(in.Role).SetStatus(status).
			SetRegisteredMethod("preregistered").SetRegisteredIP(truncate(a.IP, 64))
		if in.Active {
			c.SetDecidedAt(now)
			if a.UserID != 0 {
				c.SetDecidedBy(a.UserID)
			}
		}
		if created, err = c.Save(ctx); err != nil {
			return apperr.E(op, apperr.Unavailable, err)
		}
		if err := tx.PhoneBinding.Create().SetPhone(phone).SetSource(phonebinding.SourcePreregistered).SetUser(created).Exec(ctx); err != nil {
			return err // a constraint error (the phone raced in) is retried, then seen as taken
		}
		_, err = appendAudit(ctx, tx, now, AuditEntry{
			Actor: a, Action: ActionPreregister, TargetType: "user", TargetID: strconv.Itoa(created.ID), Reason: reason,
			Detail: map[string]any{"after": map[string]any{"phone": MaskPhone(phone), "name": name, "role": in.Role, "status": status}},
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return created, nil
}

// ImportRow is the outcome of one CSV line.
type ImportRow struct {
	Line   int    // 1-based line in the file
	Phone  string // as given
	Name   string
	Added  bool
	UserID int
	// Reason is a message key saying why the row was skipped.
	Reason string
}

// MaxImportRows bounds one import so a request cannot run for ever.
const MaxImportRows = 5000

// ImportCSV pre-registers one user per line of "phone,name[,role]" (a header line naming
// "phone" is skipped). Each row stands alone: a bad row is reported and skipped, the rest
// go in. active says whether the new users are approved at once.
func (u *Users) ImportCSV(ctx context.Context, a Actor, r io.Reader, active bool, reason string) ([]ImportRow, error) {
	const op = "auth.Users.ImportCSV"
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	var out []ImportRow
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, apperr.E(op, apperr.Invalid, apperr.Key("admin.import.bad_csv"), err)
		}
		if len(out) >= MaxImportRows {
			return out, apperr.E(op, apperr.TooLarge, apperr.Key("admin.import.too_many"), "more than "+strconv.Itoa(MaxImportRows)+" rows")
		}
		if line == 1 && len(rec) > 0 && strings.EqualFold(strings.TrimPrefix(strings.TrimSpace(rec[0]), "\ufeff"), "phone") {
			continue
		}
		row := ImportRow{Line: line}
		if len(rec) > 0 {
			row.Phone = strings.TrimPrefix(strings.TrimSpace(rec[0]), "\ufeff")
		}
		if len(rec) > 1 {
			row.Name = strings.TrimSpace(rec[1])
		}
		role := user.RoleEmployee
		if len(rec) > 2 && strings.TrimSpace(rec[2]) != "" {
			role = user.Role(strings.ToLower(strings.TrimSpace(rec[2])))
		}
		created, err := u.Preregister(ctx, a, Preregistration{Phone: row.Phone, Name: row.Name, Role: role, Active: active}, reason)
		switch {
		case err == nil:
			row.Added, row.UserID = true, created.ID
		case apperr.KindOf(err) == apperr.Unavailable || ctx.Err() != nil:
			return out, err
		default:
			row.Reason = string(apperr.KeyOf(err))
			if row.Reason == "" {
				row.Reason = "admin.import.failed"
			}
		}
		out = append(out, row)
	}
}
