package auth

import (
	"context"
	"strconv"
	"time"

	"scanboard/app/apperr"
	"scanboard/ent"
	"scanboard/ent/auditlog"
	"scanboard/ent/predicate"
	"scanboard/ent/user"
)

// AuditFilter narrows the audit log.
type AuditFilter struct {
	ActorID  int
	Action   string
	TargetID string // a user id: every action on that user
	From, To time.Time
	Page     Page
}

// AuditRow is one line of the audit log.
type AuditRow struct {
	ID         int
	Seq        int64
	Time       time.Time
	ActorID    int
	ActorLabel string
	Action     string
	TargetType string
	TargetID   string
	Reason     string
	Detail     string
	IP         string
}

func (f AuditFilter) predicates() []predicate.AuditLog {
	var ps []predicate.AuditLog
	if f.ActorID != 0 {
		ps = append(ps, auditlog.HasActorWith(user.ID(f.ActorID)))
	}
	if f.Action != "" {
		ps = append(ps, auditlog.Action(f.Action))
	}
	if f.TargetID != "" {
		ps = append(ps, auditlog.TargetID(f.TargetID))
	}
	if !f.From.IsZero() {
		ps = append(ps, auditlog.CreatedAtGTE(f.From.UTC()))
	}
	if !f.To.IsZero() {
		ps = append(ps, auditlog.CreatedAtLT(f.To.UTC()))
	}
	return ps
}

// AuditLog returns a page of the audit log, newest first, and the total count.
func (u *Users) AuditLog(ctx context.Context, f AuditFilter) ([]AuditRow, int, error) {
	const op = "auth.Users.AuditLog"
	q := u.db.AuditLog.Query().Where(f.predicates()...)
	total, err := q.Clone().Count(ctx)
	if err != nil {
		return nil, 0, apperr.E(op, apperr.Unavailable, err)
	}
	rows, err := q.WithActor().Order(ent.Desc(auditlog.FieldSeq)).Offset(f.Page.Offset()).Limit(f.Page.Limit()).All(ctx)
	if err != nil {
		return nil, 0, apperr.E(op, apperr.Unavailable, err)
	}
	out := make([]AuditRow, len(rows))
	for i, r := range rows {
		out[i] = auditRow(r)
	}
	return out, total, nil
}

func auditRow(r *ent.AuditLog) AuditRow {
	ar := AuditRow{ID: r.ID, Seq: r.Seq, Time: r.CreatedAt, ActorLabel: r.ActorLabel, Action: r.Action,
		TargetType: r.TargetType, TargetID: r.TargetID, Reason: r.Reason, Detail: r.Detail, IP: r.IP}
	if a := r.Edges.Actor; a != nil {
		ar.ActorID = a.ID
		if a.DisplayName != "" {
			ar.ActorLabel = a.DisplayName + " (#" + strconv.Itoa(a.ID) + ")"
		}
	}
	return ar
}

// EachAudit calls fn for every audit row matching f (paging ignored), newest first, in
// constant memory.
func (u *Users) EachAudit(ctx context.Context, f AuditFilter, fn func(AuditRow) error) error {
	const op = "auth.Users.EachAudit"
	var before int64
	for {
		q := u.db.AuditLog.Query().Where(f.predicates()...)
		if before != 0 {
			q.Where(auditlog.SeqLT(before))
		}
		rows, err := q.WithActor().Order(ent.Desc(auditlog.FieldSeq)).Limit(exportBatch).All(ctx)
		if err != nil {
			return apperr.E(op, apperr.Unavailable, err)
		}
		for _, r := range rows {
			if err := fn(auditRow(r)); err != nil {
				return err
			}
		}
		if len(rows) < exportBatch {
			return nil
		}
		before = rows[len(rows)-1].Seq
	}
}
