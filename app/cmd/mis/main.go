// Command mis is Scanboard: the one composition root. It reads the configuration, builds
// the logger, store, shared storage, services and web app, and runs a subcommand:
//
//	mis [serve]   run the web app (default)
//	mis migrate   apply pending database migrations and exit
//	mis sandbox   run the WeChat sandbox alone
//	mis user      grant a role (the first admin), list users, create the break-glass admin
//	mis audit     verify the audit log's hash chain
//	mis help      list subcommands and configuration variables
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is main without the process: tests call it with their own arguments and
// environment. It returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, getenv, stdout, stderr)
	case "migrate":
		return migrate(ctx, args, getenv, stdout, stderr)
	case "project":
		return projectCmd(ctx, args, getenv, stdout, stderr)
	case "sandbox":
		return sandboxCmd(ctx, args, getenv, stdout, stderr)
	case "upload":
		return uploadCmd(ctx, args, getenv, stdout, stderr)
	case "report":
		return reportCmd(ctx, args, stdout, stderr)
	case "user":
		return userCmd(ctx, args, getenv, stdout, stderr)
	case "audit":
		return auditCmd(ctx, args, getenv, stdout, stderr)
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	default:
		fmt.Fprintf(stderr, "mis: unknown command %q (try: mis help)\n", cmd)
		return 2
	}
}

// fail prints one readable line and returns the exit code for start-up failures.
func fail(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "mis: %v\n", err)
	return 1
}
