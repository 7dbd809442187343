package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"scanboard/app/reports"
)

// projectCmd manages projects from the command line:
//
//	mis project create --key checkout --name "Checkout service" [--restricted] [--sla 'p95<500ms']…
//	mis project list
func projectCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: mis project create --key KEY [--name NAME] [--restricted] [--sla RULE]… | mis project list")
		return 2
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("project "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	key := fs.String("key", "", "project key: lower-case letters, digits, '-' or '_' (used in URLs and by `mis upload --project`)")
	name := fs.String("name", "", "display name (default: the key)")
	desc := fs.String("description", "", "one-line description")
	restricted := fs.Bool("restricted", false, "visible only to members, managers and admins")
	var sla multiFlag
	fs.Var(&sla, "sla", "SLA rule checked on every run, e.g. 'p95<500ms' (repeatable)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	d, err := open(ctx, getenv, stderr, false)
	if err != nil {
		return fail(stderr, err)
	}
	defer d.Close()
	if _, err := d.store.Migrate(ctx); err != nil {
		return fail(stderr, fmt.Errorf("migrations: %w", err))
	}
	svc, err := reports.New(d.store, reports.Config{DataDir: d.cfg.DataDir})
	if err != nil {
		return fail(stderr, err)
	}
	defer svc.Close()
	switch sub {
	case "create":
		if *key == "" {
			fmt.Fprintln(stderr, "mis project create: --key is required")
			return 2
		}
		rules := ""
		for _, r := range sla {
			rules += r + "\n"
		}
		p, err := svc.CreateProject(ctx, reports.ProjectInput{Key: *key, Name: *name, Description: *desc, Restricted: *restricted, SLARules: rules})
		if err != nil {
			return fail(stderr, err)
		}
		fmt.Fprintf(stdout, "created project %s (%s)\n", p.Key, p.Name)
		return 0
	case "list":
		ps, err := svc.ListProjects(ctx, reports.Viewer{Role: "admin"})
		if err != nil {
			return fail(stderr, err)
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "KEY\tNAME\tRESTRICTED")
		for _, p := range ps {
			fmt.Fprintf(tw, "%s\t%s\t%v\n", p.Key, p.Name, p.Restricted)
		}
		tw.Flush()
		return 0
	default:
		fmt.Fprintf(stderr, "mis project: unknown subcommand %q (create, list)\n", sub)
		return 2
	}
}

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return fmt.Sprint(*m) }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
