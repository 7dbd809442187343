package auth

import (
	"context"
	"strconv"

	"scanboard/ent"
	"scanboard/ent/user"
	"scanboard/ent/wechatidentity"
)

// NoticeKind says what a notification is about.
type NoticeKind string

// The notifications the admin flow sends.
const (
	NoticeWaiting  NoticeKind = "waiting"  // to admins: a new user waits for approval
	NoticeApproved NoticeKind = "approved" // to the user
	NoticeRejected NoticeKind = "rejected" // to the user, with the reason
)

// Notice is one notification: what happened to which user.
type Notice struct {
	Kind   NoticeKind
	UserID int
	Name   string
	Role   string
	Reason string
	Method string // how a waiting user signed in
}

// Recipient is someone a notice goes to, through their Official Account identity.
type Recipient struct {
	UserID int
	AppID  string
	OpenID string
}

// Notifier delivers notices. Implementations return an error for the log; callers never
// let it undo or block the action the notice is about.
type Notifier interface {
	Notify(ctx context.Context, to Recipient, n Notice) error
}

// NopNotifier drops every notice (no WeChat configured for notifications).
type NopNotifier struct{}

// Notify does nothing.
func (NopNotifier) Notify(context.Context, Recipient, Notice) error { return nil }

// oaRecipients lists the Official Account identities of the given users: template
// messages can only reach followers of the OA.
func (u *Users) oaRecipients(ctx context.Context, userIDs ...int) ([]Recipient, error) {
	ids, err := u.db.WeChatIdentity.Query().
		Where(wechatidentity.KindEQ(wechatidentity.KindOa), wechatidentity.HasUserWith(user.IDIn(userIDs...))).
		WithUser(func(q *ent.UserQuery) { q.Select(user.FieldID) }).All(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Recipient, 0, len(ids))
	for _, i := range ids {
		out = append(out, Recipient{UserID: i.Edges.User.ID, AppID: i.Appid, OpenID: i.Openid})
	}
	return out, nil
}

// notifyUser tells the user of a decision; failures are logged only.
func (u *Users) notifyUser(ctx context.Context, target *ent.User, n Notice) {
	to, err := u.oaRecipients(ctx, target.ID)
	if err != nil {
		u.log.Warn("notification skipped: cannot read the user's identities", "user_id", target.ID, "err", err.Error())
		return
	}
	if len(to) == 0 {
		u.log.Info("notification skipped: the user has no Official Account identity", "user_id", target.ID, "notice", string(n.Kind))
	}
	u.send(ctx, to, n)
}

// NotifyWaiting tells every active admin that userID waits for approval. The sign-in flow
// calls it (through Waiting) when a first sign-in leaves a user pending.
func (u *Users) NotifyWaiting(ctx context.Context, userID int) {
	w, err := u.db.User.Get(ctx, userID)
	if err != nil {
		u.log.Warn("notification skipped: cannot read the waiting user", "user_id", userID, "err", err.Error())
		return
	}
	admins, err := u.db.User.Query().Where(user.RoleEQ(user.RoleAdmin), user.StatusEQ(user.StatusActive)).IDs(ctx)
	if err != nil || len(admins) == 0 {
		if err != nil {
			u.log.Warn("notification skipped: cannot list admins", "err", err.Error())
		}
		return
	}
	to, err := u.oaRecipients(ctx, admins...)
	if err != nil {
		u.log.Warn("notification skipped: cannot read admin identities", "err", err.Error())
		return
	}
	name := w.DisplayName
	if name == "" {
		name = "#" + strconv.Itoa(w.ID)
	}
	u.send(ctx, to, Notice{Kind: NoticeWaiting, UserID: w.ID, Name: name, Method: w.RegisteredMethod})
}

func (u *Users) send(ctx context.Context, to []Recipient, n Notice) {
	for _, r := range to {
		if err := u.notify.Notify(ctx, r, n); err != nil {
			u.log.Warn("notification failed", "notice", string(n.Kind), "user_id", n.UserID, "to_user_id", r.UserID, "err", err.Error())
		}
	}
}
