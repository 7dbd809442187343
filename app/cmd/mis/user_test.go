package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"scanboard/app/store"
	"scanboard/ent/phonebinding"
	entuser "scanboard/ent/user"
)

// cliEnv is the environment of one CLI test: a fresh SQLite file, migrated by the first
// command that needs it.
func cliEnv(t *testing.T) (map[string]string, *store.Store) {
	t.Helper()
	dir := t.TempDir()
	env := map[string]string{"MIS_DATA_DIR": dir, "MIS_DATABASE_URL": "sqlite:" + filepath.Join(dir, "cli.db")}
	ctx := context.Background()
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"migrate"}, envFunc(env), &out, &errb); code != 0 {
		t.Fatalf("migrate: %d %s", code, errb.String())
	}
	st, err := store.Open(ctx, env["MIS_DATABASE_URL"], 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return env, st
}

func runCLI(t *testing.T, env map[string]string, args ...string) (int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, envFunc(env), &out, &errb)
	return code, out.String() + errb.String()
}

func TestUserGrant(t *testing.T) {
	env, st := cliEnv(t)
	ctx := context.Background()
	first, err := st.Client.User.Create().SetDisplayName("First").Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	second, err := st.Client.User.Create().SetDisplayName("Second").Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Client.PhoneBinding.Create().SetUser(second).SetPhone("+8613800138000").SetSource(phonebinding.SourceSms).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		code     int
		out      string
		userID   int
		wantUser string // status/role afterwards
	}{
		{"by id", []string{"user", "grant", "--role", "admin", itoa(first.ID)}, 0, "is now an active admin", first.ID, "active/admin"},
		{"by phone", []string{"user", "grant", "--role", "manager", "13800138000"}, 0, "is now an active manager", second.ID, "active/manager"},
		{"unknown phone", []string{"user", "grant", "--role", "admin", "13900000000"}, 1, "sign in once first", 0, ""},
		{"unknown role", []string{"user", "grant", "--role", "root", "1"}, 2, "--role must be", 0, ""},
		{"no target", []string{"user", "grant", "--role", "admin"}, 2, "usage:", 0, ""},
		{"list", []string{"user", "list"}, 0, "First", 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out := runCLI(t, env, tc.args...)
			if code != tc.code || !strings.Contains(out, tc.out) {
				t.Fatalf("exit %d, want %d; output:\n%s", code, tc.code, out)
			}
			if tc.userID != 0 {
				u, err := st.Client.User.Get(ctx, tc.userID)
				if err != nil || string(u.Status)+"/"+string(u.Role) != tc.wantUser {
					t.Fatalf("user is %s/%s (%v), want %s", u.Status, u.Role, err, tc.wantUser)
				}
			}
		})
	}
	if n, _ := st.Client.AuditLog.Query().Count(ctx); n != 2 {
		t.Fatalf("%d audit rows, want 2 (one per grant)", n)
	}
	if n, _ := st.Client.User.Query().Where(entuser.RoleEQ(entuser.RoleAdmin)).Count(ctx); n != 1 {
		t.Fatalf("%d admins", n)
	}
}

func TestAuditVerifyCommand(t *testing.T) {
	env, st := cliEnv(t)
	ctx := context.Background()
	for _, name := range []string{"a", "b", "c"} {
		u, err := st.Client.User.Create().SetDisplayName(name).Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if code, out := runCLI(t, env, "user", "grant", "--role", "employee", itoa(u.ID)); code != 0 {
			t.Fatalf("grant: %s", out)
		}
	}
	if code, out := runCLI(t, env, "audit", "verify"); code != 0 || !strings.Contains(out, "intact: 3 rows") {
		t.Fatalf("untouched log: exit %d\n%s", code, out)
	}
	if _, err := st.DB.ExecContext(ctx, "UPDATE audit_logs SET reason = 'quietly changed' WHERE seq = 2"); err != nil {
		t.Fatal(err)
	}
	if code, out := runCLI(t, env, "audit", "verify"); code != 1 || !strings.Contains(out, "seq 2") || !strings.Contains(out, "edited") {
		t.Fatalf("edited row: exit %d\n%s", code, out)
	}
	if _, err := st.DB.ExecContext(ctx, "DELETE FROM audit_logs WHERE seq = 2"); err != nil {
		t.Fatal(err)
	}
	if code, out := runCLI(t, env, "audit", "verify"); code != 1 || !strings.Contains(out, "seq 2") || !strings.Contains(out, "missing") {
		t.Fatalf("deleted row: exit %d\n%s", code, out)
	}
	if code, _ := runCLI(t, env, "audit"); code != 2 {
		t.Fatalf("bare audit: exit %d", code)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
