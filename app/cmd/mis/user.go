package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"
	"text/tabwriter"

	"scanboard/app/apperr"
	"scanboard/app/auth"
	entuser "scanboard/ent/user"
)

// userCmd is `mis user grant|list|create-admin`: the bootstrap of the first admin and a look at who
// exists, from the server's shell.
func userCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "mis user: say grant, list or create-admin (mis user grant --role admin <phone|user id>)")
		return 2
	}
	switch args[0] {
	case "grant":
		return userGrant(ctx, args[1:], getenv, stdout, stderr)
	case "list":
		return userList(ctx, args[1:], getenv, stdout, stderr)
	case "create-admin":
		return userCreateAdmin(ctx, args[1:], getenv, os.Stdin, stdout, stderr)
	default:
		fmt.Fprintf(stderr, "mis user: unknown subcommand %q (grant, list or create-admin)\n", args[0])
		return 2
	}
}

func userGrant(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("user grant", flag.ContinueOnError)
	fs.SetOutput(stderr)
	role := fs.String("role", "", "employee, manager or admin (required)")
	reason := fs.String("reason", "bootstrap from the command line", "why, for the audit log")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 || *role == "" {
		fmt.Fprintln(stderr, "usage: mis user grant --role admin <phone|user id> [--reason TEXT]")
		return 2
	}
	r, err := auth.ParseRole(*role)
	if err != nil {
		fmt.Fprintf(stderr, "mis user grant: --role must be employee, manager or admin, not %q\n", *role)
		return 2
	}
	d, err := open(ctx, getenv, stderr, true)
	if err != nil {
		return fail(stderr, err)
	}
	defer d.Close()
	if _, err := d.store.Migrate(ctx); err != nil {
		return fail(stderr, fmt.Errorf("migrations: %w", err))
	}
	users := auth.NewUsers(auth.UsersDeps{Store: d.store, KV: d.kv, Log: d.log})
	u, err := users.Grant(ctx, auth.Actor{Label: cliActor()}, fs.Arg(0), r, *reason)
	if apperr.KindOf(err) == apperr.NotFound {
		fmt.Fprintf(stderr, "mis user grant: no user with phone or id %q; sign in once first, then grant (mis user list shows ids)\n", fs.Arg(0))
		return 1
	}
	if err != nil {
		return fail(stderr, err)
	}
	fmt.Fprintf(stdout, "user %d (%s) is now an active %s; it applies on their next request\n", u.ID, nameOrID(u.DisplayName, u.ID), u.Role)
	return 0
}

func userList(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("user list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	status := fs.String("status", "", "pending, active, disabled or rejected (empty: all)")
	query := fs.String("q", "", "search name, phone, openid or unionid")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	f := auth.UserFilter{Query: *query, Page: auth.Page{Size: auth.MaxPageSize}}
	if *status != "" {
		if entuser.StatusValidator(entuser.Status(*status)) != nil {
			fmt.Fprintf(stderr, "mis user list: --status must be pending, active, disabled or rejected, not %q\n", *status)
			return 2
		}
		f.Status = entuser.Status(*status)
	}
	d, err := open(ctx, getenv, stderr, false)
	if err != nil {
		return fail(stderr, err)
	}
	defer d.Close()
	users := auth.NewUsers(auth.UsersDeps{Store: d.store, Log: d.log})
	rows, total, err := users.List(ctx, f)
	if err != nil {
		return fail(stderr, err)
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tROLE\tNAME\tPHONES\tCREATED (UTC)")
	for _, r := range rows {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Status, r.Role, nameOrID(r.Name, r.ID),
			strings.Join(r.Phones, ","), r.Created.UTC().Format("2006-01-02 15:04"))
	}
	tw.Flush()
	if total > len(rows) {
		fmt.Fprintf(stdout, "(%d of %d shown; narrow with --status or -q)\n", len(rows), total)
	}
	return 0
}

// cliActor names the operator in the audit log: the OS account that ran the command.
func cliActor() string {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	return "cli:" + name
}

func nameOrID(name string, id int) string {
	if name == "" {
		return fmt.Sprintf("#%d", id)
	}
	return name
}
