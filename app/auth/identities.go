package auth

import (
	"context"
	"errors"
	"strconv"
	"time"

	"scanboard/app/apperr"
	"scanboard/app/store"
	"scanboard/ent"
	"scanboard/ent/phonebinding"
	"scanboard/ent/predicate"
	"scanboard/ent/user"
	"scanboard/ent/wechatidentity"
)

// WeChatProfile is what WeChat vouched for about one person in one app. Only AppID, OpenID
// and UnionID identify; the nickname and avatar are display data and never link anything.
type WeChatProfile struct {
	Kind      wechatidentity.Kind
	AppID     string
	OpenID    string
	UnionID   string
	Nickname  string
	AvatarURL string
	// Subscribed is true when the profile comes from an OA follower event or lookup.
	Subscribed bool
}

// Resolved is the account a WeChat identity belongs to after Resolve.
type Resolved struct {
	User    *ent.User
	Created bool // a new pending account was made for this first sign-in
}

// UnsubscribePolicy is what an OA unsubscribe does to the identity.
type UnsubscribePolicy string

// The unsubscribe policies (MIS_LOGIN_UNSUBSCRIBE).
const (
	// UnsubscribeFlag keeps the link and flags the identity for an admin to review.
	UnsubscribeFlag UnsubscribePolicy = "flag"
	// UnsubscribeUnbind removes the OA-derived link (the openid) and unbinds the phone
	// number proved through it; the employee record, its other identities and the audit
	// trail stay (WX-15).
	UnsubscribeUnbind UnsubscribePolicy = "unbind"
)

// Identities is the identity graph: (appid, openid) identifies, unionid merges.
type Identities struct {
	st  *store.Store
	now func() time.Time
}

// NewIdentities returns the identity service. now may be nil (time.Now).
func NewIdentities(st *store.Store, now func() time.Time) *Identities {
	if now == nil {
		now = time.Now
	}
	return &Identities{st: st, now: now}
}

// Resolve finds the account of a WeChat identity, or creates a pending one for a first
// sign-in. The order is: the exact (appid, openid); else any identity with the same
// unionid (the same person in another app of ours), to which this identity is added; else
// a new pending user. Two concurrent first sign-ins of one identity meet on the unique
// (appid, openid) index: the loser reads the winner's row.
func (s *Identities) Resolve(ctx context.Context, p WeChatProfile, method, ip string) (Resolved, error) {
	const op = "auth.Identities.Resolve"
	if p.AppID == "" || p.OpenID == "" {
		return Resolved{}, apperr.E(op, apperr.Invalid, "appid and openid are required")
	}
	var out Resolved
	err := s.st.Tx(ctx, func(tx *ent.Tx) error {
		r, err := s.resolve(ctx, tx, p, method, ip)
		out = r
		return err
	})
	if isConstraint(err) {
		// Lost a race with a concurrent first sign-in: the identity exists now.
		err = s.st.Tx(ctx, func(tx *ent.Tx) error {
			r, err := s.resolve(ctx, tx, p, method, ip)
			out = r
			return err
		})
	}
	if err != nil {
		var ae *apperr.Error
		if errors.As(err, &ae) {
			return Resolved{}, err
		}
		return Resolved{}, apperr.E(op, apperr.Unavailable, err)
	}
	return out, nil
}

func (s *Identities) resolve(ctx context.Context, tx *ent.Tx, p WeChatProfile, method, ip string) (Resolved, error) {
	now := s.now().UTC()
	id, err := tx.WeChatIdentity.Query().
		Where(wechatidentity.Appid(p.AppID), wechatidentity.Openid(p.OpenID)).
		WithUser().Only(ctx)
	switch {
	case err == nil:
		upd := id.Update().SetLastSeenAt(now)
		if p.UnionID != "" && id.Unionid == nil {
			upd.SetUnionid(p.UnionID) // learnt later (e.g. the OA got bound to the Open Platform)
		}
		if p.Nickname != "" {
			upd.SetNickname(truncate(p.Nickname, 128))
		}
		if p.AvatarURL != "" {
			upd.SetAvatarURL(truncate(p.AvatarURL, 1024))
		}
		if p.Subscribed && !id.Subscribed {
			upd.SetSubscribed(true).SetSubscribedAt(now).SetFlagged(false)
		}
		if err := upd.Exec(ctx); err != nil {
			return Resolved{}, err
		}
		return Resolved{User: id.Edges.User}, nil
	case !ent.IsNotFound(err):
		return Resolved{}, err
	}
	var u *ent.User
	if p.UnionID != "" {
		sib, err := tx.WeChatIdentity.Query().Where(wechatidentity.Unionid(p.UnionID)).WithUser().First(ctx)
		if err != nil && !ent.IsNotFound(err) {
			return Resolved{}, err
		}
		if sib != nil {
			u = sib.Edges.User
		}
	}
	created := false
	if u == nil {
		u, err = tx.User.Create().
			SetStatus(user.StatusPending).
			SetDisplayName(truncate(p.Nickname, 128)).
			SetAvatarURL(truncate(p.AvatarURL, 1024)).
			SetRegisteredMethod(truncate(method, 32)).
			SetRegisteredIP(truncate(ip, 64)).
			Save(ctx)
		if err != nil {
			return Resolved{}, err
		}
		created = true
	}
	c := tx.WeChatIdentity.Create().
		SetKind(p.Kind).SetAppid(p.AppID).SetOpenid(p.OpenID).
		SetNickname(truncate(p.Nickname, 128)).SetAvatarURL(truncate(p.AvatarURL, 1024)).
		SetLastSeenAt(now).SetUserID(u.ID)
	if p.UnionID != "" {
		c.SetUnionid(p.UnionID)
	}
	if p.Subscribed {
		c.SetSubscribed(true).SetSubscribedAt(now)
	}
	if err := c.Exec(ctx); err != nil {
		return Resolved{}, err
	}
	return Resolved{User: u, Created: created}, nil
}

// Unsubscribed applies the unsubscribe policy to an OA identity. An unknown openid is not
// an error: people who never signed in may follow and unfollow the account.
//
// UnsubscribeFlag keeps the link, marks it unsubscribed and flagged for an admin.
// UnsubscribeUnbind does what WeChat asks of developers when a user unfollows (WX-15):
// the OA-derived data goes (the (appid, openid) identity row with its nickname and avatar),
// and so does the phone binding the person proved through it (numbers an admin
// pre-registered stay on the account but must be verified again). The employee record, its
// other identities (a unionid sibling from another app), its sessions and login log, and
// the audit trail stay; the removal itself is audited. Both policies are idempotent, so a
// replayed push changes nothing more.
func (s *Identities) Unsubscribed(ctx context.Context, appID, openID string, policy UnsubscribePolicy) error {
	const op = "auth.Identities.Unsubscribed"
	now := s.now().UTC()
	err := s.st.Tx(ctx, func(tx *ent.Tx) error {
		id, err := tx.WeChatIdentity.Query().
			Where(wechatidentity.Appid(appID), wechatidentity.Openid(openID)).WithUser().Only(ctx)
		if ent.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if policy != UnsubscribeUnbind {
			return id.Update().SetSubscribed(false).SetUnsubscribedAt(now).SetFlagged(true).Exec(ctx)
		}
		return unbindOnUnsubscribe(ctx, tx, now, id)
	})
	if err != nil {
		if apperr.KindOf(err) != apperr.Other {
			return err
		}
		return apperr.E(op, apperr.Unavailable, err)
	}
	return nil
}

// unsubscribeActor labels the audit rows of changes WeChat's unsubscribe push caused.
var unsubscribeActor = Actor{Label: "wechat:unsubscribe"}

func unbindOnUnsubscribe(ctx context.Context, tx *ent.Tx, now time.Time, id *ent.WeChatIdentity) error {
	uid := id.Edges.User.ID
	const reason = "unfollowed the Official Account"
	if err := tx.WeChatIdentity.DeleteOne(id).Exec(ctx); err != nil {
		return err
	}
	if _, err := appendAudit(ctx, tx, now, AuditEntry{
		Actor: unsubscribeActor, Action: ActionUnbindIdentity, TargetType: "user", TargetID: strconv.Itoa(uid), Reason: reason,
		Detail: map[string]any{"before": map[string]any{"kind": id.Kind, "appid": id.Appid, "openid": id.Openid, "unionid": id.Unionid}},
	}); err != nil {
		return err
	}
	phones, err := tx.PhoneBinding.Query().Where(phonebinding.HasUserWith(user.ID(uid))).All(ctx)
	if err != nil {
		return err
	}
	for _, pb := range phones {
		detail := map[string]any{"before": map[string]any{"phone": MaskPhone(pb.Phone), "source": pb.Source}}
		if pb.Source == phonebinding.SourcePreregistered {
			if pb.VerifiedAt == nil {
				continue
			}
			err = pb.Update().ClearVerifiedAt().Exec(ctx)
			detail["after"] = "pre-registered number kept, verification cleared"
		} else {
			err = tx.PhoneBinding.DeleteOne(pb).Exec(ctx)
		}
		if err != nil {
			return err
		}
		if _, err := appendAudit(ctx, tx, now, AuditEntry{
			Actor: unsubscribeActor, Action: ActionUnbindPhone, TargetType: "user", TargetID: strconv.Itoa(uid), Reason: reason,
			Detail: detail,
		}); err != nil {
			return err
		}
	}
	return nil
}

// isConstraint sees through the wrapping of store.Tx (errors.Join with a rollback error).
func isConstraint(err error) bool {
	var ce *ent.ConstraintError
	return errors.As(err, &ce)
}

func wechatIdentityOf(userID int) predicate.WeChatIdentity {
	return wechatidentity.HasUserWith(user.ID(userID))
}
