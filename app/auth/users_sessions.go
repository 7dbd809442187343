package auth

import (
	"context"
	"strconv"
	"time"

	"scanboard/app/apperr"
	"scanboard/ent"
	"scanboard/ent/session"
	"scanboard/ent/user"
)

// SessionInfo is one live session as the online-sessions and "my devices" screens show it.
type SessionInfo struct {
	ID        int
	UserID    int
	UserName  string
	Method    string
	IP        string
	Browser   string
	OS        string
	Created   time.Time
	LastSeen  time.Time
	ExpiresAt time.Time
}

// SessionFilter narrows the online-sessions list.
type SessionFilter struct {
	UserID int // 0: everyone
	Page   Page
}

// OnlineSessions lists live sessions (not revoked, not past their absolute end), most
// recently active first.
func (u *Users) OnlineSessions(ctx context.Context, f SessionFilter) ([]SessionInfo, int, error) {
	const op = "auth.Users.OnlineSessions"
	q := u.db.Session.Query().Where(session.RevokedAtIsNil(), session.ExpiresAtGT(u.now().UTC()))
	if f.UserID != 0 {
		q.Where(session.HasUserWith(user.ID(f.UserID)))
	}
	total, err := q.Clone().Count(ctx)
	if err != nil {
		return nil, 0, apperr.E(op, apperr.Unavailable, err)
	}
	rows, err := q.WithUser().Order(ent.Desc(session.FieldLastSeenAt), ent.Desc(session.FieldID)).
		Offset(f.Page.Offset()).Limit(f.Page.Limit()).All(ctx)
	if err != nil {
		return nil, 0, apperr.E(op, apperr.Unavailable, err)
	}
	out := make([]SessionInfo, len(rows))
	for i, r := range rows {
		out[i] = sessionInfo(r)
	}
	return out, total, nil
}

func sessionInfo(r *ent.Session) SessionInfo {
	ci := ParseUserAgent(r.UserAgent)
	si := SessionInfo{ID: r.ID, Method: r.Method, IP: r.IP, Browser: ci.Browser, OS: ci.OS,
		Created: r.CreatedAt, LastSeen: r.LastSeenAt, ExpiresAt: r.ExpiresAt}
	if u := r.Edges.User; u != nil {
		si.UserID, si.UserName = u.ID, u.DisplayName
	}
	return si
}

// ForceLogout ends one session (an admin's "force logout").
func (u *Users) ForceLogout(ctx context.Context, a Actor, sessionID int, reason string) error {
	const op = "auth.Users.ForceLogout"
	now := u.now().UTC()
	return u.retryTx(ctx, func(tx *ent.Tx) error {
		row, err := tx.Session.Query().Where(session.ID(sessionID)).WithUser().Only(ctx)
		if ent.IsNotFound(err) {
			return apperr.E(op, apperr.NotFound, err)
		}
		if err != nil {
			return apperr.E(op, apperr.Unavailable, err)
		}
		if row.RevokedAt != nil {
			return apperr.E(op, apperr.Conflict, apperr.Key("admin.error.session_ended"), "session already ended")
		}
		upd := tx.Session.UpdateOneID(sessionID).SetRevokedAt(now).SetRevokedReason(truncate("admin: "+reason, 256))
		if a.UserID != 0 {
			upd.SetRevokedBy(a.UserID)
		}
		if err := upd.Exec(ctx); err != nil {
			return apperr.E(op, apperr.Unavailable, err)
		}
		_, err = appendAudit(ctx, tx, now, AuditEntry{
			Actor: a, Action: ActionForceLogout, TargetType: "user", TargetID: strconv.Itoa(row.Edges.User.ID), Reason: reason,
			Detail: map[string]any{"session": sessionID, "method": row.Method, "ip": row.IP},
		})
		return err
	})
}

// ForceLogoutUser ends every live session of a user and reports how many.
func (u *Users) ForceLogoutUser(ctx context.Context, a Actor, userID int, reason string) (int, error) {
	const op = "auth.Users.ForceLogoutUser"
	now := u.now().UTC()
	var n int
	err := u.retryTx(ctx, func(tx *ent.Tx) error {
		ok, err := tx.User.Query().Where(user.ID(userID)).Exist(ctx)
		if err != nil {
			return apperr.E(op, apperr.Unavailable, err)
		}
		if !ok {
			return apperr.E(op, apperr.NotFound, errNoUser)
		}
		if n, err = revokeUserTx(ctx, tx, userID, a, now, "admin: "+reason); err != nil {
			return apperr.E(op, apperr.Unavailable, err)
		}
		_, err = appendAudit(ctx, tx, now, AuditEntry{
			Actor: a, Action: ActionForceLogoutUser, TargetType: "user", TargetID: strconv.Itoa(userID), Reason: reason,
			Detail: map[string]any{"sessions_ended": n},
		})
		return err
	})
	return n, err
}

// revokeUserTx ends every live session of a user inside tx.
func revokeUserTx(ctx context.Context, tx *ent.Tx, userID int, a Actor, now time.Time, reason string) (int, error) {
	upd := tx.Session.Update().Where(session.HasUserWith(user.ID(userID)), session.RevokedAtIsNil()).
		SetRevokedAt(now).SetRevokedReason(truncate(reason, 256))
	if a.UserID != 0 {
		upd.SetRevokedBy(a.UserID)
	}
	return upd.Save(ctx)
}

// MySessions lists a user's own live sessions ("my devices"), newest activity first.
func (u *Users) MySessions(ctx context.Context, userID int) ([]SessionInfo, error) {
	rows, _, err := u.OnlineSessions(ctx, SessionFilter{UserID: userID, Page: Page{Size: MaxPageSize}})
	return rows, err
}

// SignOutMine ends one of the user's own sessions. Another user's session id reads as not
// found, so ids in the URL give nothing away (AC-03).
func (u *Users) SignOutMine(ctx context.Context, userID, sessionID int) error {
	const op = "auth.Users.SignOutMine"
	n, err := u.db.Session.Update().
		Where(session.ID(sessionID), session.HasUserWith(user.ID(userID)), session.RevokedAtIsNil()).
		SetRevokedAt(u.now().UTC()).SetRevokedReason("signed out from another device").Save(ctx)
	if err != nil {
		return apperr.E(op, apperr.Unavailable, err)
	}
	if n == 0 {
		return apperr.E(op, apperr.NotFound, "no such session of this user")
	}
	return nil
}

// SignOutOthers ends every session of the user except keep (the current one).
func (u *Users) SignOutOthers(ctx context.Context, userID, keep int) (int, error) {
	n, err := u.db.Session.Update().
		Where(session.HasUserWith(user.ID(userID)), session.RevokedAtIsNil(), session.IDNEQ(keep)).
		SetRevokedAt(u.now().UTC()).SetRevokedReason("signed out from another device").Save(ctx)
	if err != nil {
		return 0, apperr.E("auth.Users.SignOutOthers", apperr.Unavailable, err)
	}
	return n, nil
}

// SessionCapMode is what happens when a user at the cap signs in once more.
type SessionCapMode string

// The cap modes (MIS_SESSION_CAP_POLICY).
const (
	CapEvictOldest SessionCapMode = "evict_oldest" // the oldest session ends
	CapRefuseNew   SessionCapMode = "refuse_new"   // the new sign-in is refused
)

// SessionCap limits concurrent sessions per user (SESS-12). Max 0 means no limit.
type SessionCap struct {
	Max  int
	Mode SessionCapMode
}

// Admit makes room for one more session of userID under the cap: with evict_oldest it ends
// the oldest live sessions, with refuse_new it refuses with TooMany. Call it right before
// the new session is created.
func (c SessionCap) Admit(ctx context.Context, u *Users, userID int) error {
	const op = "auth.SessionCap.Admit"
	if c.Max <= 0 {
		return nil
	}
	now := u.now().UTC()
	live, err := u.db.Session.Query().
		Where(session.HasUserWith(user.ID(userID)), session.RevokedAtIsNil(), session.ExpiresAtGT(now)).
		Order(ent.Asc(session.FieldCreatedAt), ent.Asc(session.FieldID)).IDs(ctx)
	if err != nil {
		return apperr.E(op, apperr.Unavailable, err)
	}
	extra := len(live) - c.Max + 1
	if extra <= 0 {
		return nil
	}
	if c.Mode == CapRefuseNew {
		return apperr.E(op, apperr.TooMany, apperr.Key("admin.error.session_cap"),
			"user "+strconv.Itoa(userID)+" already has "+strconv.Itoa(len(live))+" sessions")
	}
	err = u.db.Session.Update().Where(session.IDIn(live[:extra]...), session.RevokedAtIsNil()).
		SetRevokedAt(now).SetRevokedReason("session cap: oldest session ended").Exec(ctx)
	if err != nil {
		return apperr.E(op, apperr.Unavailable, err)
	}
	return nil
}
