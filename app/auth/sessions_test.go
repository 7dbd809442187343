package auth_test

import (
	"context"
	"testing"
	"time"

	"scanboard/app/auth"
	"scanboard/ent/session"
	"scanboard/ent/user"
)

// TestSessionLookup covers the joined session-and-user query every signed-in request
// makes: the principal's fields, and each way a session is dead.
func TestSessionLookup(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, auth.AutoApprove{})
	now := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	clock := now
	sess := auth.NewSessions(f.st, func() time.Time { return clock })
	u, err := f.st.Client.User.Create().SetStatus(user.StatusActive).SetRole(user.RoleManager).
		SetDisplayName("李雷").SetAvatarURL("https://example.test/a.png").Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	other := f.user(user.StatusPending, user.RoleEmployee, "other")
	if err := sess.Create(ctx, auth.NewSession{ID: "live", UserID: u.ID, Method: "wechat-oa", Expires: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := sess.Create(ctx, auth.NewSession{ID: "theirs", UserID: other.ID, Method: "password", Expires: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := sess.Create(ctx, auth.NewSession{ID: "revoked", UserID: u.ID, Method: "wechat-oa", Expires: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := sess.Revoke(ctx, "revoked", nil, "test"); err != nil {
		t.Fatal(err)
	}

	p, err := sess.Lookup(ctx, "live")
	if err != nil || p == nil {
		t.Fatalf("live session: %v, %v", p, err)
	}
	row := f.st.Client.Session.Query().Where(session.IDHash(auth.HashID("live"))).OnlyX(ctx)
	want := auth.Principal{UserID: u.ID, Name: "李雷", AvatarURL: "https://example.test/a.png", Role: user.RoleManager,
		Status: user.StatusActive, Method: "wechat-oa", SignedIn: now, SessionID: row.ID}
	if !p.SignedIn.Equal(now) {
		t.Errorf("signed in %v, want %v", p.SignedIn, now)
	}
	p.SignedIn = now
	if *p != want {
		t.Errorf("principal %+v\nwant      %+v", *p, want)
	}
	if p, err := sess.Lookup(ctx, "theirs"); err != nil || p == nil || p.UserID != other.ID || p.Status != user.StatusPending {
		t.Errorf("second user's session: %+v, %v", p, err)
	}
	for _, id := range []string{"revoked", "unknown", ""} {
		if p, err := sess.Lookup(ctx, id); err != nil || p != nil {
			t.Errorf("session %q: %+v, %v; want none", id, p, err)
		}
	}
	clock = now.Add(time.Hour) // the absolute end
	if p, err := sess.Lookup(ctx, "live"); err != nil || p != nil {
		t.Errorf("expired session: %+v, %v; want none", p, err)
	}
}
