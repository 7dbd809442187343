package main

import (
	"context"
	"fmt"
	"io"

	"scanboard/app/reports/stats"
)

// reportCmd is `mis report stats FILE… [--json] [--sla EXPR…]`, offline statistics.
func reportCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "stats" {
		fmt.Fprintln(stderr, "usage: mis report stats FILE… [--json] [--sla EXPR]…")
		return stats.ExitBadInput
	}
	return stats.Main(ctx, args[1:], stdout, stderr)
}
