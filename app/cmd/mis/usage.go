package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"scanboard/app/config"
)

func usage(w io.Writer) {
	fmt.Fprint(w, `Scanboard: test results behind a WeChat scan.

Usage:
  mis [serve]    run the web app (SQLite, in-memory storage and the WeChat sandbox by default)
  mis migrate    apply pending database migrations and exit
  mis project    create --key KEY [--name N] [--restricted] [--sla RULE]… | list
  mis sandbox    run the WeChat sandbox alone (--addr, --public-url, --push-url)
  mis upload     upload result files to a project (--project KEY [--url] [--token] FILE…)
  mis report stats FILE… [--json] [--sla EXPR]…   offline statistics and SLA gate, no server
  mis user grant --role admin <phone|user id>   make the first admin (audited)
  mis user list [--status S] [-q TEXT]          list users with their ids
  mis user create-admin --email E [--name N]    the break-glass admin (password + TOTP, audited)
  mis audit verify   check the audit log's hash chain; exit 1 naming the first bad row
  mis help       this text

Configuration (environment variables):
`)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, v := range config.Vars {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", v.Name, v.Default, v.Help)
	}
	tw.Flush()
}
