// Package auth knows who is signed in: users, their WeChat identities and phones, sessions,
// approval, and the login and audit logs. It speaks to the database through the store and
// knows nothing of HTTP.
package auth

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"scanboard/app/apperr"
	"scanboard/app/store"
	"scanboard/ent"
	"scanboard/ent/session"
	"scanboard/ent/user"
)

// Principal is the signed-in user of one request, re-read on every request so a role or
// status change applies to the very next one.
type Principal struct {
	UserID    int
	Name      string
	AvatarURL string
	Role      user.Role
	Status    user.Status
	Method    string    // how this session signed in
	SignedIn  time.Time // when the session was created
	SessionID int       // the Session row
}

// Sessions keeps the Session rows that mirror server-side sessions.
type Sessions struct {
	db        *ent.Client
	lookupSQL string // see Lookup; its one argument is the id hash
	now       func() time.Time
}

// NewSessions returns the session service. now may be nil (time.Now).
func NewSessions(st *store.Store, now func() time.Time) *Sessions {
	if now == nil {
		now = time.Now
	}
	return &Sessions{db: st.Client, lookupSQL: lookupQuery(st.Dialect.Ent()), now: now}
}

// HashID is how a session id is stored: hex SHA-256. The id has ≥128 random bits, so a
// plain hash is enough; a leaked table hands out no usable session.
func HashID(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// NewSession describes a session being started.
type NewSession struct {
	ID        string // the raw session id (hashed here)
	UserID    int
	Method    string
	IP        string
	UserAgent string
	Expires   time.Time // absolute end
}

// Create records a new session and the user's last sign-in.
func (s *Sessions) Create(ctx context.Context, in NewSession) error {
	const op = "auth.Sessions.Create"
	now := s.now().UTC()
	_, err := s.db.Session.Create().
		SetIDHash(HashID(in.ID)).
		SetUserID(in.UserID).
		SetMethod(in.Method).
		SetIP(truncate(in.IP, 64)).
		SetUserAgent(truncate(in.UserAgent, 512)).
		SetCreatedAt(now).
		SetLastSeenAt(now).
		SetExpiresAt(in.Expires.UTC()).
		Save(ctx)
	if err != nil {
		return apperr.E(op, apperr.Unavailable, err)
	}
	if err := s.db.User.UpdateOneID(in.UserID).SetLastLoginAt(now).Exec(ctx); err != nil {
		return apperr.E(op, apperr.Unavailable, err)
	}
	return nil
}

// Lookup returns the principal of a live session: present, not revoked, not past its
// absolute end. A dead or unknown session is (nil, nil); a database failure is an error,
// and callers must then deny (fail closed).
//
// It runs on every signed-in request, so the session and its user come in one joined
// query (ent's eager loading would take two).
func (s *Sessions) Lookup(ctx context.Context, id string) (*Principal, error) {
	const op = "auth.Sessions.Lookup"
	rows, err := s.db.QueryContext(ctx, s.lookupSQL, HashID(id))
	if err != nil {
		return nil, apperr.E(op, apperr.Unavailable, err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, apperr.E(op, apperr.Unavailable, err)
		}
		return nil, nil
	}
	var (
		p       Principal
		expires time.Time
		revoked sql.NullTime
	)
	if err := rows.Scan(&p.SessionID, &p.Method, &p.SignedIn, &expires, &revoked,
		&p.UserID, &p.Name, &p.AvatarURL, &p.Role, &p.Status); err != nil {
		return nil, apperr.E(op, apperr.Unavailable, err)
	}
	if revoked.Valid || !s.now().Before(expires) {
		return nil, nil
	}
	return &p, nil
}

// lookupQuery is Lookup's query, built once: the session by id hash, joined with its user.
func lookupQuery(dialect string) string {
	st, ut := entsql.Table(session.Table).As("s"), entsql.Table(user.Table).As("u")
	query, _ := entsql.Dialect(dialect).
		Select(st.C(session.FieldID), st.C(session.FieldMethod), st.C(session.FieldCreatedAt),
			st.C(session.FieldExpiresAt), st.C(session.FieldRevokedAt),
			ut.C(user.FieldID), ut.C(user.FieldDisplayName), ut.C(user.FieldAvatarURL),
			ut.C(user.FieldRole), ut.C(user.FieldStatus)).
		From(st).Join(ut).On(st.C(session.UserColumn), ut.C(user.FieldID)).
		Where(entsql.EQ(st.C(session.FieldIDHash), "")).
		Query()
	return query
}

// Touch records activity on a session.
func (s *Sessions) Touch(ctx context.Context, id string) error {
	err := s.db.Session.Update().Where(session.IDHash(HashID(id))).SetLastSeenAt(s.now().UTC()).Exec(ctx)
	if err != nil {
		return apperr.E("auth.Sessions.Touch", apperr.Unavailable, err)
	}
	return nil
}

// Rotate moves the row of a session whose id changed (privilege change) to the new id.
func (s *Sessions) Rotate(ctx context.Context, oldID, newID string) error {
	n, err := s.db.Session.Update().Where(session.IDHash(HashID(oldID)), session.RevokedAtIsNil()).
		SetIDHash(HashID(newID)).SetLastSeenAt(s.now().UTC()).Save(ctx)
	if err != nil {
		return apperr.E("auth.Sessions.Rotate", apperr.Unavailable, err)
	}
	if n == 0 {
		return apperr.E("auth.Sessions.Rotate", apperr.NotFound, "no live session to rotate")
	}
	return nil
}

// Revoke ends one session. by is the acting user (nil for the user themself or the system).
func (s *Sessions) Revoke(ctx context.Context, id string, by *int, reason string) error {
	return s.revoke(ctx, s.db.Session.Update().Where(session.IDHash(HashID(id)), session.RevokedAtIsNil()), by, reason)
}

// RevokeUser ends every live session of a user (deactivation, force logout) and reports
// how many it ended. Every node checks the row on each request, so this takes effect on the
// next request everywhere.
func (s *Sessions) RevokeUser(ctx context.Context, userID int, by *int, reason string) (int, error) {
	n, err := s.db.Session.Update().
		Where(session.HasUserWith(user.ID(userID)), session.RevokedAtIsNil()).
		SetRevokedAt(s.now().UTC()).SetNillableRevokedBy(by).SetRevokedReason(truncate(reason, 256)).
		Save(ctx)
	if err != nil {
		return 0, apperr.E("auth.Sessions.RevokeUser", apperr.Unavailable, err)
	}
	return n, nil
}

func (s *Sessions) revoke(ctx context.Context, u *ent.SessionUpdate, by *int, reason string) error {
	err := u.SetRevokedAt(s.now().UTC()).SetNillableRevokedBy(by).SetRevokedReason(truncate(reason, 256)).Exec(ctx)
	if err != nil {
		return apperr.E("auth.Sessions.Revoke", apperr.Unavailable, err)
	}
	return nil
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
