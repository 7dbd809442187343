package auth_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"scanboard/app/apperr"
	"scanboard/app/auth"
	"scanboard/ent"
	"scanboard/ent/phonebinding"
	"scanboard/ent/user"
	"scanboard/ent/wechatidentity"
)

func (f *fixture) oaIdentity(u *ent.User, openid string) {
	f.t.Helper()
	err := f.st.Client.WeChatIdentity.Create().SetUser(u).SetKind(wechatidentity.KindOa).SetAppid("wxoa").SetOpenid(openid).Exec(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) session(u *ent.User, id string, created time.Time) {
	f.t.Helper()
	err := f.st.Client.Session.Create().SetUser(u).SetIDHash(auth.HashID(id)).SetMethod("test").
		SetCreatedAt(created).SetExpiresAt(time.Now().Add(time.Hour)).Exec(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
}

func TestDecisions(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		act      func(f *fixture, a auth.Actor, target *ent.User) error
		self     bool // the admin acts on themself
		start    user.Status
		wantKind apperr.Kind // 0: success
		want     user.Status
		wantRole user.Role
	}{
		{"approve as manager", func(f *fixture, a auth.Actor, x *ent.User) error {
			return f.users.Approve(ctx, a, x.ID, user.RoleManager, "")
		}, false, user.StatusPending, 0, user.StatusActive, user.RoleManager},
		{"reject with reason", func(f *fixture, a auth.Actor, x *ent.User) error { return f.users.Reject(ctx, a, x.ID, "not staff") },
			false, user.StatusPending, 0, user.StatusRejected, user.RoleEmployee},
		{"reject without reason", func(f *fixture, a auth.Actor, x *ent.User) error { return f.users.Reject(ctx, a, x.ID, "  ") },
			false, user.StatusPending, apperr.Invalid, user.StatusPending, user.RoleEmployee},
		{"approve twice", func(f *fixture, a auth.Actor, x *ent.User) error {
			return f.users.Approve(ctx, a, x.ID, user.RoleEmployee, "")
		}, false, user.StatusActive, apperr.Conflict, user.StatusActive, user.RoleEmployee},
		{"approve with unknown role", func(f *fixture, a auth.Actor, x *ent.User) error {
			return f.users.Approve(ctx, a, x.ID, "root", "")
		}, false, user.StatusPending, apperr.Invalid, user.StatusPending, user.RoleEmployee},
		{"deactivate without reason", func(f *fixture, a auth.Actor, x *ent.User) error { return f.users.Deactivate(ctx, a, x.ID, "") },
			false, user.StatusActive, apperr.Invalid, user.StatusActive, user.RoleEmployee},
		{"activate a rejected user", func(f *fixture, a auth.Actor, x *ent.User) error { return f.users.Activate(ctx, a, x.ID, "mistake") },
			false, user.StatusRejected, 0, user.StatusActive, user.RoleEmployee},
		{"own role", func(f *fixture, a auth.Actor, x *ent.User) error {
			return f.users.SetRole(ctx, a, x.ID, user.RoleEmployee, "")
		},
			true, user.StatusActive, apperr.Forbidden, user.StatusActive, user.RoleAdmin},
		{"own deactivation", func(f *fixture, a auth.Actor, x *ent.User) error { return f.users.Deactivate(ctx, a, x.ID, "bye") },
			true, user.StatusActive, apperr.Forbidden, user.StatusActive, user.RoleAdmin},
		{"unknown user", func(f *fixture, a auth.Actor, x *ent.User) error {
			return f.users.Approve(ctx, a, x.ID+100, user.RoleEmployee, "")
		},
			false, user.StatusPending, apperr.NotFound, user.StatusPending, user.RoleEmployee},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, auth.AutoApprove{})
			admin := f.user(user.StatusActive, user.RoleAdmin, "admin")
			target := admin
			if !tc.self {
				target = f.user(tc.start, user.RoleEmployee, "x")
			}
			err := tc.act(f, auth.Actor{UserID: admin.ID, IP: "10.0.0.9"}, target)
			if got := apperr.KindOf(err); (tc.wantKind == 0) != (err == nil) || (err != nil && got != tc.wantKind) {
				t.Fatalf("err = %v (kind %v), want kind %v", err, got, tc.wantKind)
			}
			after, _ := f.st.Client.User.Get(ctx, target.ID)
			if after.Status != tc.want || after.Role != tc.wantRole {
				t.Fatalf("user is %s/%s, want %s/%s", after.Status, after.Role, tc.want, tc.wantRole)
			}
			n, _ := f.st.Client.AuditLog.Query().Count(ctx)
			if (err == nil) != (n == 1) {
				t.Fatalf("%d audit rows after err=%v", n, err)
			}
		})
	}
}

func TestDeactivateEndsEverySession(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, auth.AutoApprove{})
	admin := f.user(user.StatusActive, user.RoleAdmin, "admin")
	x := f.user(user.StatusActive, user.RoleEmployee, "x")
	f.session(x, "s1", time.Now())
	f.session(x, "s2", time.Now())
	f.session(admin, "s3", time.Now())
	if err := f.users.Deactivate(ctx, auth.Actor{UserID: admin.ID}, x.ID, "left"); err != nil {
		t.Fatal(err)
	}
	sess := auth.NewSessions(f.st, nil)
	for id, alive := range map[string]bool{"s1": false, "s2": false, "s3": true} {
		p, err := sess.Lookup(ctx, id)
		if err != nil || (p != nil) != alive {
			t.Errorf("session %s: principal %v err %v, want alive=%v", id, p, err, alive)
		}
	}
}

func TestNotifications(t *testing.T) {
	ctx := context.Background()
	for _, failing := range []bool{false, true} {
		t.Run(map[bool]string{false: "delivered", true: "failing sends do not block"}[failing], func(t *testing.T) {
			f := newFixture(t, auth.AutoApprove{})
			f.note.fail = failing
			admin := f.user(user.StatusActive, user.RoleAdmin, "admin")
			f.oaIdentity(admin, "o-admin")
			off := f.user(user.StatusDisabled, user.RoleAdmin, "old admin")
			f.oaIdentity(off, "o-off")
			p := f.user(user.StatusPending, user.RoleEmployee, "p")
			f.oaIdentity(p, "o-p")
			q := f.user(user.StatusPending, user.RoleEmployee, "q")
			f.oaIdentity(q, "o-q")
			st, err := f.users.Waiting(ctx, p.ID, "10.1.1.1")
			if err != nil || st != user.StatusPending {
				t.Fatalf("Waiting = %s, %v", st, err)
			}
			a := auth.Actor{UserID: admin.ID}
			if err := f.users.Approve(ctx, a, p.ID, user.RoleEmployee, ""); err != nil {
				t.Fatal(err)
			}
			if err := f.users.Reject(ctx, a, q.ID, "unknown person"); err != nil {
				t.Fatal(err)
			}
			want := "waiting→o-admin approved→o-p rejected→o-q"
			if got := strings.Join(f.note.sent, " "); got != want {
				t.Fatalf("sent %q, want %q", got, want)
			}
		})
	}
}

func TestPreregisterAndAutoApprove(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, auth.AutoApprove{PreregisteredPhones: true, WeComMembers: true})
	admin := f.user(user.StatusActive, user.RoleAdmin, "admin")
	a := auth.Actor{UserID: admin.ID, IP: "10.0.0.1"}
	u, err := f.users.Preregister(ctx, a, auth.Preregistration{Phone: "138 0013 8000", Name: "Li Lei", Role: user.RoleManager}, "new hire")
	if err != nil {
		t.Fatal(err)
	}
	pb, err := f.st.Client.PhoneBinding.Query().Where(phonebinding.HasUserWith(user.ID(u.ID))).Only(ctx)
	if err != nil || pb.Phone != "+8613800138000" || pb.Source != phonebinding.SourcePreregistered || u.Status != user.StatusPending {
		t.Fatalf("binding %+v, status %s, err %v", pb, u.Status, err)
	}
	// Not verified yet: still waits.
	if st, err := f.users.Waiting(ctx, u.ID, ""); err != nil || st != user.StatusPending {
		t.Fatalf("unverified: %s %v", st, err)
	}
	// The sign-in flow verifies the phone: now the policy approves, with the pre-set role.
	if err := pb.Update().SetVerifiedAt(time.Now()).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if st, err := f.users.Waiting(ctx, u.ID, ""); err != nil || st != user.StatusActive {
		t.Fatalf("verified: %s %v", st, err)
	}
	got, _ := f.st.Client.User.Get(ctx, u.ID)
	if got.Role != user.RoleManager {
		t.Fatalf("role %s", got.Role)
	}
	// A WeCom member is approved too.
	w := f.user(user.StatusPending, user.RoleEmployee, "w")
	if err := f.st.Client.WeChatIdentity.Create().SetUser(w).SetKind(wechatidentity.KindWecom).SetAppid("corp").SetOpenid("zhangsan").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if st, err := f.users.Waiting(ctx, w.ID, ""); err != nil || st != user.StatusActive {
		t.Fatalf("wecom: %s %v", st, err)
	}
	if n, _ := f.st.Client.AuditLog.Query().Count(ctx); n != 3 {
		t.Fatalf("%d audit rows, want 3 (preregister, two auto-approvals)", n)
	}
}

func TestImportCSV(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, auth.AutoApprove{})
	admin := f.user(user.StatusActive, user.RoleAdmin, "admin")
	in := "\ufeffphone,name,role\n" +
		"13800138001,张三,\n" +
		"+8613800138002,Li Si,manager\n" +
		"13800138001,Dup,\n" + // taken by line 2
		"12345,Short,\n" +
		"13800138003,,\n" +
		"13800138004,Boss,root\n" +
		"\"13800138005\",\"=cmd|' /C calc'!A0\",employee\n"
	rows, err := f.users.ImportCSV(ctx, auth.Actor{UserID: admin.ID}, strings.NewReader(in), true, "batch")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		line   int
		added  bool
		reason string
	}{
		{2, true, ""}, {3, true, ""}, {4, false, "admin.error.phone_taken"}, {5, false, "admin.error.bad_phone"},
		{6, false, "admin.error.bad_name"}, {7, false, "admin.error.bad_role"}, {8, true, ""},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows: %+v", len(rows), rows)
	}
	for i, w := range want {
		if r := rows[i]; r.Line != w.line || r.Added != w.added || r.Reason != w.reason {
			t.Errorf("row %d = %+v, want %+v", i, r, w)
		}
	}
	if n, _ := f.st.Client.User.Query().Where(user.StatusEQ(user.StatusActive)).Count(ctx); n != 4 {
		t.Fatalf("%d active users, want 4", n)
	}
}

func TestSessionCap(t *testing.T) {
	ctx := context.Background()
	for _, mode := range []auth.SessionCapMode{auth.CapEvictOldest, auth.CapRefuseNew} {
		t.Run(string(mode), func(t *testing.T) {
			f := newFixture(t, auth.AutoApprove{})
			x := f.user(user.StatusActive, user.RoleEmployee, "x")
			base := time.Now().Add(-time.Hour)
			f.session(x, "old", base)
			f.session(x, "mid", base.Add(time.Minute))
			c := auth.SessionCap{Max: 2, Mode: mode}
			err := c.Admit(ctx, f.users, x.ID)
			sess := auth.NewSessions(f.st, nil)
			old, _ := sess.Lookup(ctx, "old")
			mid, _ := sess.Lookup(ctx, "mid")
			switch mode {
			case auth.CapEvictOldest:
				if err != nil || old != nil || mid == nil {
					t.Fatalf("err %v, old alive %v, mid alive %v", err, old != nil, mid != nil)
				}
			case auth.CapRefuseNew:
				if apperr.KindOf(err) != apperr.TooMany || old == nil || mid == nil {
					t.Fatalf("err %v, old alive %v, mid alive %v", err, old != nil, mid != nil)
				}
			}
			if err := (auth.SessionCap{}).Admit(ctx, f.users, x.ID); err != nil {
				t.Fatalf("no cap: %v", err)
			}
		})
	}
}

func TestUserSearch(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, auth.AutoApprove{})
	admin := f.user(user.StatusActive, user.RoleAdmin, "Admin Wang")
	a := auth.Actor{UserID: admin.ID}
	if _, err := f.users.Preregister(ctx, a, auth.Preregistration{Phone: "13900139000", Name: "Zhao Liu"}, ""); err != nil {
		t.Fatal(err)
	}
	p := f.user(user.StatusPending, user.RoleEmployee, "")
	f.oaIdentity(p, "oOPENID123")
	tests := []struct {
		name string
		f    auth.UserFilter
		want int
	}{
		{"everyone", auth.UserFilter{}, 3},
		{"name, any case", auth.UserFilter{Query: "admin wang"}, 1},
		{"phone as typed", auth.UserFilter{Query: "13900139000"}, 1},
		{"phone tail", auth.UserFilter{Query: "139000"}, 1},
		{"openid", auth.UserFilter{Query: "oOPENID123"}, 1},
		{"status", auth.UserFilter{Status: user.StatusPending}, 2},
		{"role", auth.UserFilter{Role: user.RoleAdmin}, 1},
		{"page 2 of size 2", auth.UserFilter{Page: auth.Page{Number: 2, Size: 2}}, 1},
		{"nobody", auth.UserFilter{Query: "nobody"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows, _, err := f.users.List(ctx, tc.f)
			if err != nil || len(rows) != tc.want {
				t.Fatalf("%d rows (%v), want %d", len(rows), err, tc.want)
			}
		})
	}
}
