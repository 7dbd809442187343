package main

import (
	"context"
	"flag"
	"fmt"
	"io"
)

func migrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dry := fs.Bool("status", false, "only list the pending migrations")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	d, err := open(ctx, getenv, stderr, false)
	if err != nil {
		return fail(stderr, err)
	}
	defer d.Close()
	if *dry {
		pending, err := d.store.Pending(ctx)
		if err != nil {
			return fail(stderr, err)
		}
		for _, m := range pending {
			fmt.Fprintf(stdout, "pending %d %s\n", m.Version, m.Source)
		}
		fmt.Fprintf(stdout, "%d pending\n", len(pending))
		return 0
	}
	applied, err := d.store.Migrate(ctx)
	if err != nil {
		return fail(stderr, err)
	}
	for _, m := range applied {
		fmt.Fprintf(stdout, "applied %d %s\n", m.Version, m.Source)
	}
	fmt.Fprintf(stdout, "%d applied; the %s database is up to date\n", len(applied), d.store.Dialect)
	return 0
}
