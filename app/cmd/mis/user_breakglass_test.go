package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"scanboard/app/auth"
	"scanboard/ent/auditlog"
	entuser "scanboard/ent/user"
)

func TestUserCreateAdmin(t *testing.T) {
	env, st := cliEnv(t)
	ctx := context.Background()
	create := func(stdin string, args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := userCreateAdmin(ctx, args, envFunc(env), strings.NewReader(stdin), &out, &errb)
		return code, out.String(), errb.String()
	}
	tests := []struct {
		name, stdin string
		args        []string
		code        int
		want        string
	}{
		{"no email", "emergency passphrase\n", nil, 2, "usage:"},
		{"empty stdin", "", []string{"--email", "root@example.com"}, 1, "no password on stdin"},
		{"short password", "short\n", []string{"--email", "root@example.com"}, 1, "at least 12 characters"},
		{"bad email", "emergency passphrase\n", []string{"--email", "root"}, 1, "is not an email address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := create(tt.stdin, tt.args...)
			if code != tt.code || !strings.Contains(out+errs, tt.want) {
				t.Fatalf("exit %d, want %d; output %q, want %q", code, tt.code, out+errs, tt.want)
			}
		})
	}
	code, out, errs := create("emergency passphrase\n", "--email", "Root@Example.com", "--name", "Ops")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	secret := regexp.MustCompile(`secret: ([A-Z2-7]+)`).FindStringSubmatch(out)
	if secret == nil || !strings.Contains(out, "otpauth://totp/Scanboard:root@example.com?") || !strings.Contains(out, "/breakglass") {
		t.Fatalf("output lacks the enrolment or the sign-in path:\n%s", out)
	}
	u := st.Client.User.Query().Where(entuser.EmailEQ("root@example.com")).OnlyX(ctx)
	if u.Role != entuser.RoleAdmin || u.Status != entuser.StatusActive || u.TotpSecret == nil || *u.TotpSecret != secret[1] {
		t.Fatalf("user %+v", u)
	}
	if ok, err := auth.VerifyPassword(u.PasswordHash, "emergency passphrase"); !ok || err != nil {
		t.Fatalf("stored hash does not verify: %v", err)
	}
	if _, err := auth.TOTPCode(secret[1], time.Now()); err != nil {
		t.Fatalf("printed secret unusable: %v", err)
	}
	if n := st.Client.AuditLog.Query().Where(auditlog.Action(auth.ActionBreakGlassCreate)).CountX(ctx); n != 1 {
		t.Fatalf("%d audit rows", n)
	}
	if code, _, errs := create("emergency passphrase\n", "--email", "root@example.com"); code != 1 || !strings.Contains(errs, "exists already") {
		t.Fatalf("second create: %d %s", code, errs)
	}
	if code, out := runCLI(t, env, "user", "create-admin"); code != 2 || !strings.Contains(out, "usage:") {
		t.Fatalf("through run: %d %s", code, out)
	}
}
