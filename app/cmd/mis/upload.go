package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"scanboard/app/reports"
)

const uploadUsage = `usage: mis upload --project KEY [--url URL] [--token TOKEN] [--build B] [--commit C] [--env E] FILE…

Uploads result files (any supported format, gzip ok) to a Scanboard project for processing
and prints each run's id and status. Exits 1 if any upload was refused.

  --project KEY   project key (required)
  --url URL       server base URL; default $MIS_BASE_URL, else http://127.0.0.1:8080
  --token TOKEN   API token with the upload scope; default $MIS_TOKEN
  --build, --commit, --env   tags stored with the run
`

// uploadCmd is `mis upload`: the CI side of POST /api/v1/projects/{key}/runs.
func uploadCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mis upload", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	project := fs.String("project", "", "")
	base := fs.String("url", "", "")
	token := fs.String("token", "", "")
	var tags reports.Tags
	fs.StringVar(&tags.Build, "build", "", "")
	fs.StringVar(&tags.Commit, "commit", "", "")
	fs.StringVar(&tags.Env, "env", "", "")
	// Flags may come before or after the files.
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(stdout, uploadUsage)
				return 0
			}
			fmt.Fprintf(stderr, "mis upload: %v\n\n%s", err, uploadUsage)
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if *base == "" {
		*base = getenv("MIS_BASE_URL")
	}
	if *base == "" {
		*base = "http://127.0.0.1:8080"
	}
	if *token == "" {
		*token = getenv("MIS_TOKEN")
	}
	switch {
	case *project == "":
		fmt.Fprintf(stderr, "mis upload: --project is required\n\n%s", uploadUsage)
		return 2
	case *token == "":
		fmt.Fprintln(stderr, "mis upload: no API token: pass --token or set MIS_TOKEN (create one on your profile page)")
		return 2
	case len(files) == 0:
		fmt.Fprintf(stderr, "mis upload: no file given\n\n%s", uploadUsage)
		return 2
	}
	c := &reports.Client{BaseURL: *base, Token: strings.TrimSpace(*token)}
	code := 0
	for _, f := range files {
		rc, err := c.Upload(ctx, *project, f, tags)
		if err != nil {
			fmt.Fprintf(stderr, "mis upload: %s: %v\n", f, err)
			code = 1
			continue
		}
		if rc.DuplicateOf != 0 {
			fmt.Fprintf(stdout, "%s: already uploaded as run %d (%s)\n", f, rc.DuplicateOf, rc.Status)
			continue
		}
		fmt.Fprintf(stdout, "%s: run %d %s\n", f, rc.RunID, rc.Status)
	}
	return code
}
