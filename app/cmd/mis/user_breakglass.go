package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
	"golang.org/x/term"

	"scanboard/app/apperr"
	"scanboard/app/auth"
)

// userCreateAdmin is `mis user create-admin --email E`: the break-glass admin, for the
// day WeChat is unreachable. The password is typed twice without echo on a terminal, or
// read as the first line of stdin otherwise (scripts, `docker exec -i`). It prints the
// TOTP enrolment once; the secret is not shown again.
func userCreateAdmin(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("user create-admin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	email := fs.String("email", "", "the address the admin signs in with (required)")
	name := fs.String("name", "break-glass admin", "display name")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *email == "" || fs.NArg() != 0 {
		fmt.Fprintln(stderr, "usage: mis user create-admin --email ADDRESS [--name NAME]   (password from the terminal or stdin)")
		return 2
	}
	pw, confirm, err := readNewPassword(stdin, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "mis user create-admin: %v\n", err)
		return 1
	}
	if err := auth.CheckPasswordPolicy(pw, confirm); err != nil {
		msg := map[apperr.Key]string{
			"signin.password.error.short":    fmt.Sprintf("the password needs at least %d characters", auth.MinPasswordLen),
			"signin.password.error.long":     fmt.Sprintf("the password may have at most %d characters", auth.MaxPasswordLen),
			"signin.password.error.mismatch": "the two passwords differ",
		}[apperr.KeyOf(err)]
		fmt.Fprintf(stderr, "mis user create-admin: %s\n", msg)
		return 1
	}
	d, err := open(ctx, getenv, stderr, true)
	if err != nil {
		return fail(stderr, err)
	}
	defer d.Close()
	if _, err := d.store.Migrate(ctx); err != nil {
		return fail(stderr, fmt.Errorf("migrations: %w", err))
	}
	pws, err := auth.NewPasswords(auth.PasswordsDeps{Store: d.store, KV: d.kv})
	if err != nil {
		return fail(stderr, err)
	}
	u, enr, err := pws.CreateBreakGlass(ctx, auth.Actor{Label: cliActor()}, *email, *name, pw, confirm)
	switch apperr.KindOf(err) {
	case apperr.Other:
	case apperr.Conflict:
		fmt.Fprintf(stderr, "mis user create-admin: an account with the email %q exists already\n", strings.ToLower(*email))
		return 1
	case apperr.Invalid:
		fmt.Fprintf(stderr, "mis user create-admin: %q is not an email address\n", *email)
		return 1
	default:
		return fail(stderr, err)
	}
	fmt.Fprintf(stdout, "Break-glass admin %d (%s) created; the audit log records it.\n\n", u.ID, *u.Email)
	fmt.Fprintf(stdout, "Add it to an authenticator app now (the secret is not shown again):\n\n  secret: %s\n  uri:    %s\n\n", enr.Secret, enr.URI)
	if q, err := qrcode.New(enr.URI, qrcode.Low); err == nil {
		fmt.Fprintln(stdout, q.ToSmallString(false))
	}
	fmt.Fprintf(stdout, "Sign in at %s/breakglass with the email, the password and the app's 6-digit code.\n", strings.TrimRight(d.cfg.BaseURL.String(), "/"))
	fmt.Fprintln(stdout, "That session reaches the admin pages only, and every request it makes is audited.")
	return 0
}

// readNewPassword reads the password twice without echo from a terminal, or once (the
// first line) from anything else.
func readNewPassword(stdin io.Reader, prompt io.Writer) (string, string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(prompt, "Password: ")
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(prompt)
		if err != nil {
			return "", "", err
		}
		fmt.Fprint(prompt, "Password again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(prompt)
		if err != nil {
			return "", "", err
		}
		return string(a), string(b), nil
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", "", errors.New("no password on stdin (type it on a terminal, or pipe it as the first line)")
	}
	return line, line, nil
}
