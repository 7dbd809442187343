package web_test

import (
	"context"
	"testing"
	"time"

	"scanboard/app/auth"
	"scanboard/app/web"
	"scanboard/app/wechatsandbox"
	"scanboard/ent/auditlog"
	"scanboard/ent/phonebinding"
	"scanboard/ent/user"
	"scanboard/ent/wechatidentity"
)

// TestWX15_UnsubscribePolicies: unfollowing the OA either flags the identity for review or
// removes what came from the OA (the openid link and the phone proved through it), while
// the employee record, the login log and the audit trail stay.
func TestWX15_UnsubscribePolicies(t *testing.T) {
	type setup struct {
		le     *loginEnv
		sbID   string
		userID int
	}
	// A person signs in by scanning (which follows the OA), binds a number by SMS, and an
	// admin had also pre-registered a second number of theirs.
	prepare := func(t *testing.T, policy auth.UnsubscribePolicy) setup {
		le := newLoginEnv(t, func(l *web.Login) { l.Unsubscribe = policy })
		pc := le.browser()
		sbID := le.sbUser("a")
		if done := le.qrSignIn(pc, sbID); done.Redirect != "/pending" {
			t.Fatalf("sign-in: %+v", done)
		}
		uid := le.store.Client.User.Query().OnlyIDX(context.Background())
		sendCode(pc, "13800001234")
		if r, _ := verifyCode(pc, "13800001234", le.smsCode("13800001234")); r.StatusCode != 303 {
			t.Fatalf("bind: %d", r.StatusCode)
		}
		le.store.Client.PhoneBinding.Create().SetPhone("+8613900005678").SetSource(phonebinding.SourcePreregistered).
			SetVerifiedAt(time.Now()).SetUserID(uid).ExecX(context.Background())
		return setup{le, sbID, uid}
	}
	unfollow := func(t *testing.T, s setup) {
		t.Helper()
		// Delivered twice, as a WeChat retry would: the outcome is the same.
		if err := s.le.sb.SetPushFaults(wechatsandbox.PushFaults{Duplicate: 1}); err != nil {
			t.Fatal(err)
		}
		p, err := s.le.sb.Unfollow(context.Background(), s.sbID)
		if err != nil || p.Outcome != "acknowledged" {
			t.Fatalf("unfollow: %v %+v", err, p)
		}
	}
	ctx := context.Background()

	t.Run("flag", func(t *testing.T) {
		s := prepare(t, auth.UnsubscribeFlag)
		unfollow(t, s)
		id := s.le.store.Client.WeChatIdentity.Query().OnlyX(ctx)
		if id.Subscribed || !id.Flagged || id.UnsubscribedAt == nil {
			t.Fatalf("identity after unfollow: subscribed %v flagged %v", id.Subscribed, id.Flagged)
		}
		if n := s.le.store.Client.PhoneBinding.Query().Where(phonebinding.VerifiedAtNotNil()).CountX(ctx); n != 2 {
			t.Fatalf("%d verified numbers after unfollow under flag, want 2", n)
		}
	})

	t.Run("unbind", func(t *testing.T) {
		s := prepare(t, auth.UnsubscribeUnbind)
		logRows := s.le.store.Client.LoginLog.Query().CountX(ctx)
		unfollow(t, s)
		if n := s.le.store.Client.WeChatIdentity.Query().CountX(ctx); n != 0 {
			t.Fatalf("%d OA identities left after unfollow, want 0", n)
		}
		u := s.le.store.Client.User.GetX(ctx, s.userID)
		if u.Status != user.StatusPending {
			t.Fatalf("employee record changed: %s", u.Status)
		}
		phones := s.le.store.Client.PhoneBinding.Query().AllX(ctx)
		if len(phones) != 1 || phones[0].Source != phonebinding.SourcePreregistered || phones[0].VerifiedAt != nil {
			t.Fatalf("numbers after unfollow: %+v, want only the pre-registered one, unverified", phones)
		}
		if n := s.le.store.Client.LoginLog.Query().CountX(ctx); n != logRows {
			t.Fatalf("login log went from %d to %d rows", logRows, n)
		}
		audits := s.le.store.Client.AuditLog.Query().Where(auditlog.ActorLabel("wechat:unsubscribe")).AllX(ctx)
		actions := map[string]int{}
		for _, a := range audits {
			actions[a.Action]++
		}
		if actions[auth.ActionUnbindIdentity] != 1 || actions[auth.ActionUnbindPhone] != 2 {
			t.Fatalf("audit rows %v, want one identity and two phone entries", actions)
		}
		if v, err := auth.VerifyAudit(ctx, s.le.store.Client); err != nil || v.Bad != nil || v.Rows != len(audits) {
			t.Fatalf("audit chain after unfollow: %+v %v", v, err)
		}
		// Scanning again starts over (seed 002: unfollowing counts as unbinding).
		s.le.clock.Add(time.Second)
		if done := s.le.qrSignIn(s.le.browser(), s.sbID); done.Redirect != "/pending" {
			t.Fatalf("sign-in after unfollow: %+v", done)
		}
		if n := s.le.store.Client.WeChatIdentity.Query().Where(wechatidentity.HasUserWith(user.ID(s.userID))).CountX(ctx); n != 0 {
			t.Fatal("the identity came back to the old account without any proof")
		}
	})
}
