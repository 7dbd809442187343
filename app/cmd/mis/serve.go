package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"

	"scanboard/app/auth"
	"scanboard/app/reports"
	"scanboard/app/web"
	"scanboard/app/wechatsandbox"
	"scanboard/static"
	"scanboard/views/i18n"
)

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	d, err := open(ctx, getenv, stderr, true)
	if err != nil {
		return fail(stderr, err)
	}
	defer d.Close()
	applied, err := d.store.Migrate(ctx)
	if err != nil {
		return fail(stderr, fmt.Errorf("migrations: %w", err))
	}
	for _, m := range applied {
		d.log.Info("migration applied", "version", m.Version, "file", m.Source)
	}
	assets, err := static.Load()
	if err != nil {
		return fail(stderr, err)
	}
	bundle, err := i18n.NewBundle()
	if err != nil {
		return fail(stderr, err)
	}
	var sandbox *wechatsandbox.Sandbox
	var sandboxCfg wechatsandbox.Config
	if d.cfg.Sandbox() {
		base := d.cfg.BaseURL.String()
		sc := wechatsandbox.DevConfig(base+web.SandboxPath, base+"/wechat/push")
		sc.Logger = d.log.With("component", "sandbox")
		sc.Nonce = web.NonceFromRequest
		sandboxCfg = sc
		if sandbox, err = wechatsandbox.New(sc); err != nil {
			return fail(stderr, fmt.Errorf("WeChat sandbox: %w", err))
		}
		d.log.Warn("no WeChat credentials configured: the built-in WeChat sandbox is mounted (development only)",
			"phone", base+web.SandboxPath+"/phone")
	}
	login, err := loginServices(d, sandbox, sandboxCfg, bundle)
	if err != nil {
		return fail(stderr, err)
	}
	if login.Channels, err = loginChannels(d, sandbox, sandboxCfg); err != nil {
		return fail(stderr, err)
	}
	rep, err := reports.New(d.store, reports.Config{
		DataDir:    d.cfg.DataDir,
		MaxBytes:   d.cfg.UploadMaxBytes,
		Workers:    d.cfg.Workers,
		JobTimeout: d.cfg.JobTimeout,
		QuotaFiles: d.cfg.UploadQuotaFiles,
		QuotaBytes: d.cfg.UploadQuotaBytes,
		Logger:     d.log.With("component", "reports"),
	})
	if err != nil {
		return fail(stderr, fmt.Errorf("MIS_DATA_DIR: %w", err))
	}
	defer rep.Close()
	// The worker pool outlives the HTTP server's drain (uploads finishing then still get
	// queued) and stops before the store closes. A run cut off mid-way keeps its claim until
	// the lease runs out and is processed again, here or on another node.
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	workDone := make(chan struct{})
	go func() { defer close(workDone); rep.Work(workCtx) }()
	defer func() {
		stopWork()
		<-workDone
		d.log.Info("report workers stopped")
	}()
	sessions := auth.NewSessions(d.store, nil)
	users := auth.NewUsers(auth.UsersDeps{
		Store: d.store, KV: d.kv, Sessions: sessions, Log: d.log.With("component", "admin"),
		Notify:      adminNotifier(d, login),
		AutoApprove: auth.AutoApprove{PreregisteredPhones: d.cfg.Admin.AutoApprovePrereg, WeComMembers: d.cfg.Admin.AutoApproveWeCom},
	})
	srv := web.New(web.Deps{
		Log:             d.log,
		Store:           d.store,
		KV:              d.kv,
		Sessions:        sessions,
		Assets:          assets,
		I18n:            bundle,
		BaseURL:         d.cfg.BaseURL,
		DefaultLocale:   d.cfg.DefaultLocale,
		SessionIdle:     d.cfg.SessionIdle,
		SessionAbsolute: d.cfg.SessionAbsolute,
		TrustedProxies:  prefixStrings(d.cfg.TrustedProxies),
		Sandbox:         handlerOrNil(sandbox),
		Login:           login,
		Reports:         rep,
		UploadMaxBytes:  d.cfg.UploadMaxBytes,
		Admin: web.AdminDeps{
			Users:        users,
			SessionCap:   auth.SessionCap{Max: d.cfg.Admin.SessionMax, Mode: auth.SessionCapMode(d.cfg.Admin.SessionCapPolicy)},
			RecentSignIn: d.cfg.Admin.RecentSignIn,
		},
	})
	ln, err := net.Listen("tcp", d.cfg.Addr)
	if err != nil {
		return fail(stderr, fmt.Errorf("MIS_ADDR: cannot listen on %s: %w", d.cfg.Addr, err))
	}
	storage := "memory"
	if d.cfg.RedisURL != "" {
		storage = "redis"
	}
	d.log.Info("Scanboard is listening", "addr", ln.Addr().String(), "url", d.cfg.BaseURL.String(),
		"database", string(d.store.Dialect), "storage", storage, "env", d.cfg.Env)
	if err := srv.Serve(ctx, ln, d.cfg.ShutdownTimeout); err != nil {
		return fail(stderr, err)
	}
	d.log.Info("stopped")
	return 0
}

// adminNotifier sends approval notifications as OA template messages through the same
// client sign-in uses (the sandbox records them in development).
func adminNotifier(d *deps, login web.Login) auth.Notifier {
	if login.WeChat == nil {
		return auth.NopNotifier{}
	}
	return &auth.WeChatNotifier{
		Client:  login.WeChat,
		BaseURL: d.cfg.BaseURL.String(),
		Templates: map[auth.NoticeKind]string{
			auth.NoticeWaiting:  d.cfg.Admin.TemplateWaiting,
			auth.NoticeApproved: d.cfg.Admin.TemplateApproved,
			auth.NoticeRejected: d.cfg.Admin.TemplateRejected,
		},
	}
}

// handlerOrNil keeps a nil *Sandbox from becoming a non-nil http.Handler.
func handlerOrNil(sb *wechatsandbox.Sandbox) http.Handler {
	if sb == nil {
		return nil
	}
	return sb
}

func prefixStrings(ps []netip.Prefix) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}
