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
	"scanboard/ent/user"
)

// BindVerifiedPhone binds a number WeChat itself verified (the Mini Program's phone-number
// API, a WeCom member record) to userID, with the same rules as an SMS-verified binding
// (Phones.VerifyBind): numbers are unique; a number an admin pre-registered on another
// pending or active account makes the caller's identities join that account.
func BindVerifiedPhone(ctx context.Context, st *store.Store, now time.Time, userID int, raw string, source phonebinding.Source) (BindResult, error) {
	const op = "auth.BindVerifiedPhone"
	phone, err := NormalizePhone(raw)
	if err != nil {
		return BindResult{}, err
	}
	out := BindResult{Phone: phone, UserID: userID}
	now = now.UTC()
	err = st.Tx(ctx, func(tx *ent.Tx) error {
		b, err := tx.PhoneBinding.Query().Where(phonebinding.Phone(phone)).WithUser().Only(ctx)
		if ent.IsNotFound(err) {
			return tx.PhoneBinding.Create().SetPhone(phone).SetSource(source).SetVerifiedAt(now).SetUserID(userID).Exec(ctx)
		}
		if err != nil {
			return err
		}
		owner := b.Edges.User
		switch {
		case owner.ID == userID:
			return b.Update().SetVerifiedAt(now).Exec(ctx)
		case b.VerifiedAt != nil || b.Source != phonebinding.SourcePreregistered:
			return apperr.E(op, apperr.Conflict, apperr.Key("phone.error.already_bound"), "number verified on another account")
		case owner.Status != user.StatusPending && owner.Status != user.StatusActive:
			return apperr.E(op, apperr.Conflict, apperr.Key("phone.error.already_bound"), "pre-registered account is "+string(owner.Status))
		}
		if err := tx.WeChatIdentity.Update().Where(wechatIdentityOf(userID)).SetUserID(owner.ID).Exec(ctx); err != nil {
			return err
		}
		if err := b.Update().SetVerifiedAt(now).Exec(ctx); err != nil {
			return err
		}
		if err := tx.User.UpdateOneID(userID).SetStatus(user.StatusDisabled).
			SetDecisionReason("merged into pre-registered account #" + strconv.Itoa(owner.ID)).Exec(ctx); err != nil {
			return err
		}
		out.UserID, out.Joined = owner.ID, true
		return nil
	})
	if err != nil {
		var ae *apperr.Error
		if errors.As(err, &ae) { // a refusal decided above
			return BindResult{}, err
		}
		return BindResult{}, apperr.E(op, apperr.Unavailable, err) // the database failed
	}
	return out, nil
}
