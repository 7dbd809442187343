package auth

import (
	"context"
	"strconv"
	"time"

	"scanboard/app/apperr"
	"scanboard/ent"
	"scanboard/ent/phonebinding"
	"scanboard/ent/user"
	"scanboard/ent/wechatidentity"
)

// Waiting is what the sign-in flow calls when a user is left pending: after a first scan
// created the account, or after a phone binding joined it. When the auto-approval policy
// covers the user (a verified, pre-registered phone; a WeCom member of our corp) they are
// approved by the system, audited; otherwise every admin is notified. It returns the
// user's status afterwards.
func (u *Users) Waiting(ctx context.Context, userID int, ip string) (user.Status, error) {
	const op = "auth.Users.Waiting"
	w, err := u.db.User.Get(ctx, userID)
	if ent.IsNotFound(err) {
		return "", apperr.E(op, apperr.NotFound, errNoUser, err)
	}
	if err != nil {
		return "", apperr.E(op, apperr.Unavailable, err)
	}
	if w.Status != user.StatusPending {
		return w.Status, nil
	}
	why, err := u.autoApprovable(ctx, userID)
	if err != nil {
		return "", err
	}
	if why == "" {
		// Once a day per user at most: every re-scan of a waiting user signs in again.
		first := true
		if u.kv != nil {
			if first, err = u.kv.SetNX(ctx, "admin:waiting-notified:"+strconv.Itoa(userID), []byte("1"), 24*time.Hour); err != nil {
				u.log.Warn("notification dedupe unavailable; notifying anyway", "err", err.Error())
				first = true
			}
		}
		if first {
			u.NotifyWaiting(ctx, userID)
		}
		return user.StatusPending, nil
	}
	err = u.decide(ctx, Actor{Label: "system", IP: ip}, userID, true, w.Role, why, ActionAutoApprove)
	if apperr.KindOf(err) == apperr.Conflict { // an admin decided meanwhile
		w, err = u.db.User.Get(ctx, userID)
		if err != nil {
			return "", apperr.E(op, apperr.Unavailable, err)
		}
		return w.Status, nil
	}
	if err != nil {
		return "", err
	}
	return user.StatusActive, nil
}

// autoApprovable names the policy that approves userID, or "" when none does.
func (u *Users) autoApprovable(ctx context.Context, userID int) (string, error) {
	const op = "auth.Users.autoApprovable"
	if u.auto.PreregisteredPhones {
		ok, err := u.db.PhoneBinding.Query().Where(
			phonebinding.HasUserWith(user.ID(userID)), phonebinding.SourceEQ(phonebinding.SourcePreregistered),
			phonebinding.VerifiedAtNotNil(),
		).Exist(ctx)
		if err != nil {
			return "", apperr.E(op, apperr.Unavailable, err)
		}
		if ok {
			return "pre-registered phone verified at sign-in", nil
		}
	}
	if u.auto.WeComMembers {
		ok, err := u.db.WeChatIdentity.Query().Where(
			wechatidentity.HasUserWith(user.ID(userID)), wechatidentity.KindEQ(wechatidentity.KindWecom),
		).Exist(ctx)
		if err != nil {
			return "", apperr.E(op, apperr.Unavailable, err)
		}
		if ok {
			return "member of the WeCom corp", nil
		}
	}
	return "", nil
}

// BulkResult is the outcome of one user in a bulk decision.
type BulkResult struct {
	UserID int
	Err    error // nil: done
}

// BulkApprove approves each user with role; each decision stands alone (its own
// transaction and audit row), so one failure does not undo the others.
func (u *Users) BulkApprove(ctx context.Context, a Actor, userIDs []int, role user.Role, reason string) []BulkResult {
	out := make([]BulkResult, 0, len(userIDs))
	for _, id := range userIDs {
		out = append(out, BulkResult{UserID: id, Err: u.Approve(ctx, a, id, role, reason)})
	}
	return out
}

// BulkReject rejects each user with the same reason (required).
func (u *Users) BulkReject(ctx context.Context, a Actor, userIDs []int, reason string) ([]BulkResult, error) {
	if err := requireReason("auth.Users.BulkReject", reason); err != nil {
		return nil, err
	}
	out := make([]BulkResult, 0, len(userIDs))
	for _, id := range userIDs {
		out = append(out, BulkResult{UserID: id, Err: u.Reject(ctx, a, id, reason)})
	}
	return out, nil
}

// ActorLabel is how an admin appears in the audit log when they have no display name.
func ActorLabel(name string, id int) string {
	if name == "" {
		return "#" + strconv.Itoa(id)
	}
	return name
}
