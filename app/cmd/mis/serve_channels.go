package main

import (
	"fmt"

	"scanboard/app/auth"
	"scanboard/app/web"
	"scanboard/app/wechat"
	"scanboard/app/wechatsandbox"
)

// loginChannels builds the ways in beyond the OA QR: the password fallback and the
// break-glass admin (always on; they only serve accounts that have a password), and the
// Open Platform website app, the Mini Program and WeCom when configured — in development
// the sandbox plays all three.
func loginChannels(d *deps, sb *wechatsandbox.Sandbox, sc wechatsandbox.Config) (web.Channels, error) {
	cfg := d.cfg.Channels
	ch := web.Channels{MiniKeyTTL: cfg.MiniKeyTTL, InlineWebsite: cfg.QR == "website"}
	pw, err := auth.NewPasswords(auth.PasswordsDeps{Store: d.store, KV: d.kv})
	if err != nil {
		return ch, fmt.Errorf("password service: %w", err)
	}
	ch.Passwords = pw
	ep := wechat.Endpoints{}
	if d.cfg.WeChat.APIBase != "" {
		ep = wechat.SingleHost(d.cfg.WeChat.APIBase)
	}
	if sb != nil {
		ep = wechat.SingleHost(sc.PublicURL)
		cfg.WebsiteAppID, cfg.WebsiteSecret = sc.Website.AppID, sc.Website.Secret
		cfg.MiniAppID, cfg.MiniSecret = sc.Mini.AppID, sc.Mini.Secret
		cfg.WeComCorpID, cfg.WeComSecret, cfg.WeComAgentID = sc.WeCom.CorpID, sc.WeCom.Secret, sc.WeCom.AgentID
	}
	client := func(appID, secret, what string) (*wechat.Client, error) {
		if appID == "" {
			return nil, nil
		}
		c, err := wechat.New(wechat.Config{AppID: appID, Secret: secret, Endpoints: ep, Cache: d.kv,
			Logger: d.log.With("component", "wechat", "app", what)})
		if err != nil {
			return nil, fmt.Errorf("%s client: %w", what, err)
		}
		return c, nil
	}
	if ch.Website, err = client(cfg.WebsiteAppID, cfg.WebsiteSecret, "website"); err != nil {
		return ch, err
	}
	if ch.MiniProgram, err = client(cfg.MiniAppID, cfg.MiniSecret, "miniprogram"); err != nil {
		return ch, err
	}
	if cfg.WeComCorpID != "" {
		ch.WeCom, err = wechat.NewWork(wechat.WorkConfig{CorpID: cfg.WeComCorpID, CorpSecret: cfg.WeComSecret,
			AgentID: cfg.WeComAgentID, Endpoints: ep, Cache: d.kv, Logger: d.log.With("component", "wecom")})
		if err != nil {
			return ch, fmt.Errorf("WeCom client: %w", err)
		}
	}
	return ch, nil
}
