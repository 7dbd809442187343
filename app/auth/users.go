package auth

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"scanboard/app/apperr"
	"scanboard/app/kv"
	"scanboard/app/store"
	"scanboard/ent"
	"scanboard/ent/phonebinding"
	"scanboard/ent/user"
	"scanboard/ent/wechatidentity"
)

// Users is the administration of accounts: approval, activation, roles, unbinding and
// forced sign-out. Every action writes its audit row in the same transaction as the change,
// announces status changes on the user's channel (the pending page moves on) and notifies
// by WeChat after the commit, where a failure is logged and never undoes the action.
type Users struct {
	st       *store.Store
	db       *ent.Client
	kv       kv.Store
	sessions *Sessions
	notify   Notifier
	log      *slog.Logger
	now      func() time.Time
	auto     AutoApprove
}

// AutoApprove says which waiting users are approved without an admin (MIS_AUTO_APPROVE_*).
type AutoApprove struct {
	PreregisteredPhones bool // a verified sign-in joined a phone an admin pre-registered
	WeComMembers        bool // the user signed in as a member of our WeCom corp
}

// UsersDeps is what NewUsers needs. Notify and Log may be nil; Now may be nil (time.Now).
type UsersDeps struct {
	Store       *store.Store
	KV          kv.Store
	Sessions    *Sessions
	Notify      Notifier
	Log         *slog.Logger
	Now         func() time.Time
	AutoApprove AutoApprove
}

// NewUsers returns the user administration service.
func NewUsers(d UsersDeps) *Users {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Notify == nil {
		d.Notify = NopNotifier{}
	}
	return &Users{st: d.Store, db: d.Store.Client, kv: d.KV, sessions: d.Sessions, notify: d.Notify,
		log: d.Log, now: d.Now, auto: d.AutoApprove}
}

// Errors users see, keyed for translation.
var (
	errReasonRequired = apperr.Key("admin.error.reason_required")
	errSelf           = apperr.Key("admin.error.self")
	errNotPending     = apperr.Key("admin.error.not_pending")
	errBadRole        = apperr.Key("admin.error.bad_role")
	errNoUser         = apperr.Key("admin.error.no_user")
)

// ParseRole checks a role name from a form or the command line.
func ParseRole(s string) (user.Role, error) {
	r := user.Role(strings.TrimSpace(s))
	if err := user.RoleValidator(r); err != nil {
		return "", apperr.E("auth.ParseRole", apperr.Invalid, errBadRole, "unknown role "+strconv.Quote(s))
	}
	return r, nil
}

func requireReason(op, reason string) error {
	if strings.TrimSpace(reason) == "" {
		return apperr.E(op, apperr.Invalid, errReasonRequired, "a reason is required")
	}
	return nil
}

// retryTx runs fn in a transaction, again when a concurrent audit append took the same
// position in the chain (a unique-index conflict).
func (u *Users) retryTx(ctx context.Context, fn func(tx *ent.Tx) error) error {
	var err error
	for range 5 {
		if err = u.st.Tx(ctx, fn); err == nil || !ent.IsConstraintError(err) {
			return err
		}
	}
	return err
}

// Approve activates a pending user with role. The actor may not approve themself (AC-09).
func (u *Users) Approve(ctx context.Context, a Actor, userID int, role user.Role, reason string) error {
	return u.decide(ctx, a, userID, true, role, reason, ActionApprove)
}

// Reject closes a pending user's request; the reason is required and shown to them.
func (u *Users) Reject(ctx context.Context, a Actor, userID int, reason string) error {
	if err := requireReason("auth.Users.Reject", reason); err != nil {
		return err
	}
	return u.decide(ctx, a, userID, false, "", reason, ActionReject)
}

func (u *Users) decide(ctx context.Context, a Actor, userID int, approve bool, role user.Role, reason, action string) error {
	op := "auth.Users." + action
	if a.UserID == userID {
		return apperr.E(op, apperr.Forbidden, errSelf, "an admin cannot decide on their own account")
	}
	if approve {
		if err := user.RoleValidator(role); err != nil {
			return apperr.E(op, apperr.Invalid, errBadRole, err)
		}
	}
	now := u.now().UTC()
	status := user.StatusRejected
	if approve {
		status = user.StatusActive
	}
	var target *ent.User
	err := u.retryTx(ctx, func(tx *ent.Tx) error {
		before, err := tx.User.Get(ctx, userID)
		if ent.IsNotFound(err) {
			return apperr.E(op, apperr.NotFound, errNoUser, err)
		}
		if err != nil {
			return apperr.E(op, apperr.Unavailable, err)
		}
		if before.Status != user.StatusPending {
			return apperr.E(op, apperr.Conflict, errNotPending, "user is "+string(before.Status))
		}
		upd := tx.User.UpdateOneID(userID).SetStatus(status).SetDecidedAt(now).SetDecisionReason(truncate(reason, 1024))
		if a.UserID != 0 {
			upd.SetDecidedBy(a.UserID)
		}
		if approve {
			upd.SetRole(role)
		}
		if target, err = upd.Save(ctx); err != nil {
			return apperr.E(op, apperr.Unavailable, err)
		}
		_, err = appendAudit(ctx, tx, now, AuditEntry{
			Actor: a, Action: action, TargetType: "user", TargetID: strconv.Itoa(userID), Reason: reason,
			Detail: map[string]any{
				"before": map[string]any{"status": before.Status, "role": before.Role},
				"after":  map[string]any{"status": target.Status, "role": target.Role},
			},
		})
		return err
	})
	if err != nil {
		return err
	}
	u.announce(ctx, target)
	kind := NoticeRejected
	if approve {
		kind = NoticeApproved
	}
	u.notifyUser(ctx, target, Notice{Kind: kind, UserID: target.ID, Name: target.DisplayName, Role: string(target.Role), Reason: reason})
	return nil
}

// Activate re-enables a disabled or rejected user (reason required).
func (u *Users) Activate(ctx context.Context, a Actor, userID int, reason string) error {
	return u.setStatus(ctx, a, userID, user.StatusActive, reason, ActionActivate)
}

// Deactivate disables a user and ends every one of their sessions in the same transaction:
// every node re-reads the Session row on each request, so they are out on the next one.
func (u *Users) Deactivate(ctx context.Context, a Actor, userID int, reason string) error {
	return u.setStatus(ctx, a, userID, user.StatusDisabled, reason, ActionDeactivate)
}

func (u *Users) setStatus(ctx context.Context, a Actor, userID int, status user.Status, reason, action string) error {
	op := "auth.Users." + action
	if err := requireReason(op, reason); err != nil {
		return err
	}
	if a.UserID == userID {
		return apperr.E(op, apperr.Forbidden, errSelf, "an admin cannot change their own status")
	}
	now := u.now().UTC()
	var target *ent.User
	err := u.retryTx(ctx, func(tx *ent.Tx) error {
		before, err := tx.User.Get(ctx, userID)
		if ent.IsNotFound(err) {
			return apperr.E(op, apperr.NotFound, errNoUser, err)
		}
		if err != nil {
			return apperr.E(op, apperr.Unavailable, err)
		}
		if before.Status == status {
			return apperr.E(op, apperr.Conflict, apperr.Key("admin.error.unchanged"), "status is already "+string(status))
		}
		if target, err = tx.User.UpdateOneID(userID).SetStatus(status).Save(ctx); err != nil {
			return apperr.E(op, apperr.Unavailable, err)
		}
		detail := map[string]any{"before": map[string]any{"status": before.Status}, "after": map[string]any{"status": status}}
		if status == user.StatusDisabled {
			n, err := revokeUserTx(ctx, tx, userID, a, now, "deactivated")
			if err != nil {
				return apperr.E(op, apperr.Unavailable, err)
			}
			detail["sessions_ended"] = n
		}
		_, err = appendAudit(ctx, tx, now, AuditEntry{
			Actor: a, Action: action, TargetType: "user", TargetID: strconv.Itoa(userID), Reason: reason, Detail: detail,
		})
		return err
	})
	if err != nil {
		return err
	}
	u.announce(ctx, target)
	return nil
}

// SetRole changes a user's role. Their sessions keep working, but each rotates its id on
// the next request (SESS-06), and the new role applies at once (AC-05). An admin cannot
// change their own role (AC-09).
func (u *Users) SetRole(ctx context.Context, a Actor, userID int, role user.Role, reason string) error {
	const op = "auth.Users.SetRole"
	if a.UserID == userID {
		return apperr.E(op, apperr.Forbidden, errSelf, "an admin cannot change their own role")
	}
	if err := user.RoleValidator(role); err != nil {
		return apperr.E(op, apperr.Invalid, errBadRole, err)
	}
	now := u.now().UTC()
	return u.retryTx(ctx, func(tx *ent.Tx) error {
		before, err := tx.User.Get(ctx, userID)
		if ent.IsNotFound(err) {
			return apperr.E(op, apperr.NotFound, errNoUser, err)
		}
		if err != nil {
			return apperr.E(op, apperr.Unavailable, err)
		}
		if before.Role == role {
			return apperr.E(op, apperr.Conflict, apperr.Key("admin.error.unchanged"), "role is already "+string(role))
		}
		if err := tx.User.UpdateOneID(userID).SetRole(role).Exec(ctx); err != nil {
			return apperr.E(op, apperr.Unavailable, err)
		}
		_, err = appendAudit(ctx, tx, now, AuditEntry{
			Actor: a, Action: ActionRoleChange, TargetType: "user", TargetID: strconv.Itoa(userID), Reason: reason,
			Detail: map[string]any{"before": map[string]any{"role": before.Role}, "after": map[string]any{"role": role}},
		})
		return err
	})
}

// UnbindIdentity removes one WeChat identity from its user (reason required). The person
// can no longer sign in with it; scanning again would make a new pending account.
func (u *Users) UnbindIdentity(ctx context.Context, a Actor, identityID int, reason string) (int, error) {
	var owner int
	const op = "auth.Users.UnbindIdentity"
	if err := requireReason(op, reason); err != nil {
		return 0, err
	}
	now := u.now().UTC()
	err := u.retryTx(ctx, func(tx *ent.Tx) error {
		idn, err := tx.WeChatIdentity.Query().Where(wechatidentity.ID(identityID)).WithUser().Only(ctx)
		if ent.IsNotFound(err) {
			return apperr.E(op, apperr.NotFound, err)
		}
		if err != nil {
			return apperr.E(op, apperr.Unavailable, err)
		}
		owner = idn.Edges.User.ID
		if err := tx.WeChatIdentity.DeleteOneID(identityID).Exec(ctx); err != nil {
			return apperr.E(op, apperr.Unavailable, err)
		}
		_, err = appendAudit(ctx, tx, now, AuditEntry{
			Actor: a, Action: ActionUnbindIdentity, TargetType: "user", TargetID: strconv.Itoa(idn.Edges.User.ID), Reason: reason,
			Detail: map[string]any{"before": map[string]any{"kind": idn.Kind, "appid": idn.Appid, "openid": idn.Openid, "unionid": idn.Unionid}},
		})
		return err
	})
	return owner, err
}

// UnbindPhone removes a phone binding from its user (reason required).
func (u *Users) UnbindPhone(ctx context.Context, a Actor, bindingID int, reason string) (int, error) {
	var owner int
	const op = "auth.Users.UnbindPhone"
	if err := requireReason(op, reason); err != nil {
		return 0, err
	}
	now := u.now().UTC()
	err := u.retryTx(ctx, func(tx *ent.Tx) error {
		pb, err := tx.PhoneBinding.Query().Where(phonebinding.ID(bindingID)).WithUser().Only(ctx)
		if ent.IsNotFound(err) {
			return apperr.E(op, apperr.NotFound, err)
		}
		if err != nil {
			return apperr.E(op, apperr.Unavailable, err)
		}
		owner = pb.Edges.User.ID
		if err := tx.PhoneBinding.DeleteOneID(bindingID).Exec(ctx); err != nil {
			return apperr.E(op, apperr.Unavailable, err)
		}
		_, err = appendAudit(ctx, tx, now, AuditEntry{
			Actor: a, Action: ActionUnbindPhone, TargetType: "user", TargetID: strconv.Itoa(pb.Edges.User.ID), Reason: reason,
			Detail: map[string]any{"before": map[string]any{"phone": MaskPhone(pb.Phone), "source": pb.Source}},
		})
		return err
	})
	return owner, err
}

// Grant makes the user named by ref (a user id or a phone number) an active user with role,
// for the first admin (`mis user grant`). It is audited with the CLI as the actor.
func (u *Users) Grant(ctx context.Context, a Actor, ref string, role user.Role, reason string) (*ent.User, error) {
	const op = "auth.Users.Grant"
	if err := user.RoleValidator(role); err != nil {
		return nil, apperr.E(op, apperr.Invalid, errBadRole, err)
	}
	id, err := u.resolveRef(ctx, ref)
	if err != nil {
		return nil, err
	}
	now := u.now().UTC()
	var target *ent.User
	err = u.retryTx(ctx, func(tx *ent.Tx) error {
		before, err := tx.User.Get(ctx, id)
		if err != nil {
			return apperr.E(op, apperr.Unavailable, err)
		}
		upd := tx.User.UpdateOneID(id).SetRole(role).SetStatus(user.StatusActive)
		if before.Status == user.StatusPending {
			upd.SetDecidedAt(now).SetDecisionReason(truncate(reason, 1024))
		}
		if target, err = upd.Save(ctx); err != nil {
			return apperr.E(op, apperr.Unavailable, err)
		}
		_, err = appendAudit(ctx, tx, now, AuditEntry{
			Actor: a, Action: ActionGrant, TargetType: "user", TargetID: strconv.Itoa(id), Reason: reason,
			Detail: map[string]any{
				"before": map[string]any{"status": before.Status, "role": before.Role},
				"after":  map[string]any{"status": target.Status, "role": target.Role},
			},
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	u.announce(ctx, target)
	return target, nil
}

// resolveRef finds a user by id ("42") or phone ("+8613800138000", "13800138000").
func (u *Users) resolveRef(ctx context.Context, ref string) (int, error) {
	const op = "auth.Users.resolveRef"
	ref = strings.TrimSpace(ref)
	if phone, err := parseAdminPhone(ref); err == nil {
		pb, err := u.db.PhoneBinding.Query().Where(phonebinding.Phone(phone)).WithUser().Only(ctx)
		if err == nil {
			return pb.Edges.User.ID, nil
		}
		if !ent.IsNotFound(err) {
			return 0, apperr.E(op, apperr.Unavailable, err)
		}
	}
	id, err := strconv.Atoi(ref)
	if err != nil {
		return 0, apperr.E(op, apperr.NotFound, errNoUser, "no user with phone "+ref)
	}
	ok, err := u.db.User.Query().Where(user.ID(id)).Exist(ctx)
	if err != nil {
		return 0, apperr.E(op, apperr.Unavailable, err)
	}
	if !ok {
		return 0, apperr.E(op, apperr.NotFound, errNoUser, "no user with id "+ref)
	}
	return id, nil
}

// announce publishes a user's new status so their waiting page moves on. A lost message is
// not fatal (the page re-checks), so a failure is only logged.
func (u *Users) announce(ctx context.Context, target *ent.User) {
	if u.kv == nil {
		return
	}
	if err := PublishUserStatus(ctx, u.kv, target.ID, string(target.Status)); err != nil {
		u.log.Warn("could not announce a status change", "user_id", target.ID, "err", err.Error())
	}
}
