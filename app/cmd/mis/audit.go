package main

import (
	"context"
	"fmt"
	"io"

	"scanboard/app/auth"
)

// auditCmd is `mis audit verify`: it walks the audit log's hash chain and exits 1 naming
// the first row that was edited, deleted or reordered.
func auditCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) != 1 || args[0] != "verify" {
		fmt.Fprintln(stderr, "usage: mis audit verify")
		return 2
	}
	d, err := open(ctx, getenv, stderr, false)
	if err != nil {
		return fail(stderr, err)
	}
	defer d.Close()
	v, err := auth.VerifyAudit(ctx, d.store.Client)
	if err != nil {
		return fail(stderr, err)
	}
	if v.Bad != nil {
		fmt.Fprintf(stdout, "audit log BROKEN after %d good rows: %s\n", v.Rows, v.Bad.Error())
		return 1
	}
	fmt.Fprintf(stdout, "audit log intact: %d rows, hash chain verified; head %s\n", v.Rows, v.Head)
	return 0
}
