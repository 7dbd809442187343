package auth

import (
	"context"
	"strconv"

	"scanboard/app/apperr"
	"scanboard/app/kv"
)

// UserStatusChannel is the kv pub/sub channel on which a user's status changes are
// announced. The pending page listens on it (on whichever node serves it) and moves on by
// itself when an admin approves or rejects.
func UserStatusChannel(userID int) string { return "user:status:" + strconv.Itoa(userID) }

// PublishUserStatus announces that userID's status is now status. Callers publish after the
// change is committed; listeners re-read the database, so a lost message only delays them
// until their next re-check.
func PublishUserStatus(ctx context.Context, store kv.Store, userID int, status string) error {
	if err := store.Publish(ctx, UserStatusChannel(userID), []byte(status)); err != nil {
		return apperr.E("auth.PublishUserStatus", apperr.Unavailable, err)
	}
	return nil
}
