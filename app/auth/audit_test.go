package auth_test

import (
	"context"
	"strings"
	"testing"

	"scanboard/app/auth"
	"scanboard/app/store"
	"scanboard/app/store/storetest"
	"scanboard/ent"
	"scanboard/ent/user"
)

type fixture struct {
	t     *testing.T
	st    *store.Store
	users *auth.Users
	note  *recordingNotifier
}

// recordingNotifier keeps what would have been sent; fail makes every send fail.
type recordingNotifier struct {
	sent []string
	fail bool
}

func (r *recordingNotifier) Notify(_ context.Context, to auth.Recipient, n auth.Notice) error {
	r.sent = append(r.sent, string(n.Kind)+"→"+to.OpenID)
	if r.fail {
		return context.DeadlineExceeded
	}
	return nil
}

func newFixture(t *testing.T, auto auth.AutoApprove) *fixture {
	t.Helper()
	st := storetest.New(t)
	note := &recordingNotifier{}
	u := auth.NewUsers(auth.UsersDeps{Store: st, Sessions: auth.NewSessions(st, nil), Notify: note, AutoApprove: auto})
	return &fixture{t: t, st: st, users: u, note: note}
}

func (f *fixture) user(status user.Status, role user.Role, name string) *ent.User {
	f.t.Helper()
	u, err := f.st.Client.User.Create().SetStatus(status).SetRole(role).SetDisplayName(name).Save(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return u
}

func (f *fixture) exec(sql string) {
	f.t.Helper()
	if _, err := f.st.DB.ExecContext(context.Background(), sql); err != nil {
		f.t.Fatalf("%s: %v", sql, err)
	}
}

// seedActions writes five audited actions.
func (f *fixture) seedActions() {
	f.t.Helper()
	ctx := context.Background()
	admin := f.user(user.StatusActive, user.RoleAdmin, "admin")
	a := auth.Actor{UserID: admin.ID, IP: "10.0.0.1"}
	for i := range 3 {
		p := f.user(user.StatusPending, user.RoleEmployee, "p"+string(rune('a'+i)))
		if err := f.users.Approve(ctx, a, p.ID, user.RoleEmployee, ""); err != nil {
			f.t.Fatal(err)
		}
	}
	x := f.user(user.StatusActive, user.RoleEmployee, "x")
	if err := f.users.SetRole(ctx, a, x.ID, user.RoleManager, "promoted"); err != nil {
		f.t.Fatal(err)
	}
	if err := f.users.Deactivate(ctx, a, x.ID, "left the company"); err != nil {
		f.t.Fatal(err)
	}
}

func TestVerifyAudit(t *testing.T) {
	tests := []struct {
		name    string
		tamper  string // SQL run after seeding; empty: untouched
		wantSeq int64  // first bad seq; 0: chain holds
		want    string // part of the problem
	}{
		{"untouched", "", 0, ""},
		{"reason edited", "UPDATE audit_logs SET reason = 'nothing to see' WHERE seq = 4", 4, "edited"},
		{"ip edited", "UPDATE audit_logs SET ip = '1.2.3.4' WHERE seq = 2", 2, "edited"},
		{"middle row deleted", "DELETE FROM audit_logs WHERE seq = 3", 3, "missing"},
		{"first row deleted", "DELETE FROM audit_logs WHERE seq = 1", 1, "missing"},
		{"deleted and renumbered", "DELETE FROM audit_logs WHERE seq = 3; UPDATE audit_logs SET seq = seq - 1 WHERE seq > 3", 3, "link"},
		{"actor changed", "UPDATE audit_logs SET user_audit_logs = NULL WHERE seq = 5", 5, "edited"},
		{"reordered", "UPDATE audit_logs SET seq = 100 WHERE seq = 2; UPDATE audit_logs SET seq = 2 WHERE seq = 3; UPDATE audit_logs SET seq = 3 WHERE seq = 100", 2, "link"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, auth.AutoApprove{})
			f.seedActions()
			for _, s := range strings.Split(tc.tamper, "; ") {
				if s != "" {
					f.exec(s)
				}
			}
			got, err := auth.VerifyAudit(context.Background(), f.st.Client)
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantSeq == 0 {
				if got.Bad != nil || got.Rows != 5 {
					t.Fatalf("untouched chain: rows %d, bad %v", got.Rows, got.Bad)
				}
				return
			}
			if got.Bad == nil {
				t.Fatalf("tampering not detected (%d rows)", got.Rows)
			}
			if got.Bad.Seq != tc.wantSeq || !strings.Contains(got.Bad.Problem, tc.want) {
				t.Fatalf("bad row = %v, want seq %d with %q", got.Bad, tc.wantSeq, tc.want)
			}
		})
	}
}

func TestAuditRowsCarryActorTargetAndState(t *testing.T) {
	f := newFixture(t, auth.AutoApprove{})
	f.seedActions()
	rows, total, err := f.users.AuditLog(context.Background(), auth.AuditFilter{Action: auth.ActionDeactivate})
	if err != nil || total != 1 {
		t.Fatalf("rows %d, err %v", total, err)
	}
	r := rows[0]
	if r.ActorID == 0 || r.IP != "10.0.0.1" || r.Reason != "left the company" || r.TargetType != "user" ||
		!strings.Contains(r.Detail, `"before":{"status":"active"}`) || !strings.Contains(r.Detail, `"after":{"status":"disabled"}`) ||
		r.Time.Location().String() != "UTC" && !r.Time.Equal(r.Time.UTC()) {
		t.Fatalf("row = %+v", r)
	}
}

// BenchmarkAuditedAction measures one audited admin action (transaction, chain head read,
// row with hash) on SQLite.
func BenchmarkAuditedAction(b *testing.B) {
	st := storetest.New(b)
	u := auth.NewUsers(auth.UsersDeps{Store: st, Sessions: auth.NewSessions(st, nil)})
	ctx := context.Background()
	x, err := st.Client.User.Create().SetDisplayName("x").Save(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := u.ForceLogoutUser(ctx, auth.Actor{Label: "bench"}, x.ID, "bench"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyAudit measures walking a 5,000-row chain.
func BenchmarkVerifyAudit(b *testing.B) {
	st := storetest.New(b)
	u := auth.NewUsers(auth.UsersDeps{Store: st, Sessions: auth.NewSessions(st, nil)})
	ctx := context.Background()
	x, err := st.Client.User.Create().SetDisplayName("x").Save(ctx)
	if err != nil {
		b.Fatal(err)
	}
	const rows = 5000
	for range rows {
		if _, err := u.ForceLogoutUser(ctx, auth.Actor{Label: "bench"}, x.ID, "bench"); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		v, err := auth.VerifyAudit(ctx, st.Client)
		if err != nil || v.Bad != nil || v.Rows != rows {
			b.Fatalf("%+v %v", v, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/rows, "ns/row")
}
