package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"scanboard/app/wechatsandbox"
)

// sandboxCmd runs the WeChat sandbox alone, for a staging deployment or another app:
//
//	mis sandbox --addr 0.0.0.0:9000 --public-url http://10.0.0.5:9000 --push-url http://10.0.0.6:8080/wechat/push
func sandboxCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:9000", "listen address")
	public := fs.String("public-url", "", "URL phones and browsers reach the sandbox at (default http://ADDR)")
	push := fs.String("push-url", "http://127.0.0.1:8080/wechat/push", "the app's WeChat push endpoint")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if getenv("MIS_ENV") == "production" {
		return fail(stderr, errors.New("MIS_ENV=production: the WeChat sandbox is for development and staging only"))
	}
	if *public == "" {
		*public = "http://" + *addr
	}
	cfg := wechatsandbox.DevConfig(strings.TrimRight(*public, "/"), *push)
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, nil))
	sb, err := wechatsandbox.New(cfg)
	if err != nil {
		return fail(stderr, fmt.Errorf("sandbox: %w", err))
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fail(stderr, fmt.Errorf("--addr: cannot listen on %s: %w", *addr, err))
	}
	srv := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: time.Minute}
	fmt.Fprintf(stdout, "WeChat sandbox on %s (phone: %s/phone)\n", ln.Addr(), cfg.PublicURL)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fail(stderr, err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	return 0
}
