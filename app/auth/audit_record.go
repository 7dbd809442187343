package auth

import (
	"context"

	"scanboard/app/apperr"
	"scanboard/ent"
)

// Record appends an audit entry for a change made outside this package (project settings,
// baselines), in its own transaction on the same hash chain. Callers record after the
// change succeeded; a failure here is returned so the request reports it.
func (u *Users) Record(ctx context.Context, e AuditEntry) error {
	err := u.retryTx(ctx, func(tx *ent.Tx) error {
		_, err := appendAudit(ctx, tx, u.now(), e)
		return err
	})
	if err != nil {
		return apperr.E("auth.Users.Record", apperr.Unavailable, err)
	}
	return nil
}
