package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"scanboard/app/apperr"
	"scanboard/ent"
	"scanboard/ent/auditlog"
	"scanboard/ent/user"
)

// Audit actions: stable codes stored in the log and translated on the audit screen.
const (
	ActionApprove         = "user.approve"
	ActionReject          = "user.reject"
	ActionActivate        = "user.activate"
	ActionDeactivate      = "user.deactivate"
	ActionRoleChange      = "user.role"
	ActionUnbindIdentity  = "user.unbind_identity"
	ActionUnbindPhone     = "user.unbind_phone"
	ActionForceLogout     = "session.revoke"
	ActionForceLogoutUser = "session.revoke_user"
	ActionPreregister     = "user.preregister"
	ActionAutoApprove     = "user.auto_approve"
	ActionGrant           = "user.grant" // the CLI bootstrap
)

// Actor is who performs an administrative action: a signed-in admin (UserID ≠ 0) or the
// CLI or the system (UserID 0, Label says which), and the client IP for the log.
type Actor struct {
	UserID int
	Label  string
	IP     string
}

// AuditEntry is one administrative action as the audit log keeps it.
type AuditEntry struct {
	Actor      Actor
	Action     string
	TargetType string // "user", "session", "identity", "phone"
	TargetID   string
	Reason     string
	// Detail is the before/after state or other specifics; it is stored as JSON.
	Detail map[string]any
}

// auditRecord is the exact content a row's hash covers, in a fixed order. Changing this
// encoding invalidates every stored chain, so it is versioned by its first element.
type auditRecord struct {
	Seq        int64
	CreatedAt  time.Time
	ActorID    int
	ActorLabel string
	Action     string
	TargetType string
	TargetID   string
	Reason     string
	Detail     string
	IP         string
}

// canonical encodes the record as a JSON array: field order is fixed, strings are escaped
// unambiguously, and the time is UTC with microseconds (what both databases keep).
func (r auditRecord) canonical() []byte {
	b, _ := json.Marshal([]any{
		"v1", r.Seq, r.CreatedAt.UTC().Format("2006-01-02T15:04:05.000000Z"), r.ActorID, r.ActorLabel,
		r.Action, r.TargetType, r.TargetID, r.Reason, r.Detail, r.IP,
	})
	return b
}

// auditHash is the chain link: SHA-256 over the previous hash and the canonical record.
func auditHash(prev string, r auditRecord) string {
	h := sha256.New()
	h.Write([]byte(prev))
	h.Write([]byte{0})
	h.Write(r.canonical())
	return hex.EncodeToString(h.Sum(nil))
}

// appendAudit adds one row at the head of the chain inside tx, so the row exists exactly
// when the change it records does. Two transactions racing for the same seq meet on its
// unique index; the loser's transaction fails and the caller retries (see retryTx).
func appendAudit(ctx context.Context, tx *ent.Tx, now time.Time, e AuditEntry) (*ent.AuditLog, error) {
	const op = "auth.appendAudit"
	head, err := tx.AuditLog.Query().Order(ent.Desc(auditlog.FieldSeq)).First(ctx)
	var prev string
	var seq int64 = 1
	switch {
	case ent.IsNotFound(err):
	case err != nil:
		return nil, apperr.E(op, apperr.Unavailable, err)
	default:
		prev, seq = head.Hash, head.Seq+1
	}
	detail := ""
	if len(e.Detail) > 0 {
		b, err := json.Marshal(e.Detail)
		if err != nil {
			return nil, apperr.E(op, apperr.Internal, err)
		}
		detail = string(b)
	}
	label := e.Actor.Label
	if label == "" && e.Actor.UserID != 0 {
		label = "#" + strconv.Itoa(e.Actor.UserID)
	}
	rec := auditRecord{
		Seq: seq, CreatedAt: now.UTC().Truncate(time.Microsecond), ActorID: e.Actor.UserID,
		ActorLabel: truncate(label, 128), Action: e.Action, TargetType: truncate(e.TargetType, 32),
		TargetID: truncate(e.TargetID, 64), Reason: truncate(e.Reason, 1024), Detail: detail,
		IP: truncate(e.Actor.IP, 64),
	}
	c := tx.AuditLog.Create().
		SetSeq(rec.Seq).SetCreatedAt(rec.CreatedAt).SetActorLabel(rec.ActorLabel).
		SetAction(rec.Action).SetTargetType(rec.TargetType).SetTargetID(rec.TargetID).
		SetReason(rec.Reason).SetDetail(rec.Detail).SetIP(rec.IP).
		SetPrevHash(prev).SetHash(auditHash(prev, rec))
	if e.Actor.UserID != 0 {
		c.SetActorID(e.Actor.UserID)
	}
	row, err := c.Save(ctx)
	if err != nil {
		return nil, apperr.E(op, apperr.Unavailable, err)
	}
	return row, nil
}

// recordOf rebuilds the hashed content of a stored row. The actor id comes from the edge
// column; a deleted actor (ON DELETE SET NULL) shows up as a broken link, which is right:
// the trail says who acted.
func recordOf(row *ent.AuditLog) auditRecord {
	actorID := 0
	if row.Edges.Actor != nil {
		actorID = row.Edges.Actor.ID
	}
	return auditRecord{
		Seq: row.Seq, CreatedAt: row.CreatedAt, ActorID: actorID, ActorLabel: row.ActorLabel,
		Action: row.Action, TargetType: row.TargetType, TargetID: row.TargetID, Reason: row.Reason,
		Detail: row.Detail, IP: row.IP,
	}
}

// BadAuditRow names the first row where the chain breaks.
type BadAuditRow struct {
	Seq     int64 // the position the row claims (or, for a gap, the missing one)
	ID      int   // the row's id; 0 when the row is missing
	Problem string
}

func (b *BadAuditRow) Error() string {
	if b.ID == 0 {
		return fmt.Sprintf("audit row seq %d: %s", b.Seq, b.Problem)
	}
	return fmt.Sprintf("audit row seq %d (id %d): %s", b.Seq, b.ID, b.Problem)
}

// AuditVerification is the outcome of VerifyAudit.
type AuditVerification struct {
	Rows int          // rows checked
	Head string       // hash of the last good row: compare with an earlier run to see truncation
	Bad  *BadAuditRow // nil when the whole chain holds
}

// verifyPage is how many rows VerifyAudit reads at a time, so any log size fits in memory.
const verifyPage = 1000

// VerifyAudit walks the whole chain in seq order and reports the first row that was edited
// (its hash no longer matches), deleted (a gap in seq or a broken prev link) or reordered.
// Deleting the newest rows leaves a shorter valid chain; the head seq printed by `mis audit
// verify` lets an operator compare it with an earlier run.
func VerifyAudit(ctx context.Context, db *ent.Client) (AuditVerification, error) {
	const op = "auth.VerifyAudit"
	var out AuditVerification
	var prev string
	var want int64 = 1
	lastID := 0
	for {
		rows, err := db.AuditLog.Query().Where(auditlog.SeqGTE(want)).
			Order(ent.Asc(auditlog.FieldSeq)).Limit(verifyPage).
			WithActor(func(q *ent.UserQuery) { q.Select(user.FieldID) }).All(ctx)
		if err != nil {
			return out, apperr.E(op, apperr.Unavailable, err)
		}
		if len(rows) == 0 {
			return out, nil
		}
		for _, r := range rows {
			switch {
			case r.Seq != want:
				out.Bad = &BadAuditRow{Seq: want, Problem: fmt.Sprintf("missing: the next row has seq %d (a row was deleted or renumbered)", r.Seq)}
			case r.PrevHash != prev:
				out.Bad = &BadAuditRow{Seq: r.Seq, ID: r.ID, Problem: "its link to the previous row is broken (a row before it was deleted, replaced or reordered)"}
			case r.Hash != auditHash(prev, recordOf(r)):
				out.Bad = &BadAuditRow{Seq: r.Seq, ID: r.ID, Problem: "its content does not match its hash (the row was edited)"}
			case r.ID <= lastID:
				out.Bad = &BadAuditRow{Seq: r.Seq, ID: r.ID, Problem: "rows are out of insertion order (reordered)"}
			}
			if out.Bad != nil {
				return out, nil
			}
			out.Rows++
			prev, lastID, out.Head = r.Hash, r.ID, r.Hash
			want++
		}
	}
}
