package main

import (
	"fmt"

	"scanboard/app/auth"
	"scanboard/app/sms"
	"scanboard/app/web"
	"scanboard/app/wechat"
	"scanboard/app/wechatsandbox"
	"scanboard/views/i18n"
)

// loginServices builds the sign-in services: the OA client and push receiver (the
// built-in sandbox's credentials in development), the attempt store, the identity graph,
// the login log and phone binding with its SMS sender.
func loginServices(d *deps, sb *wechatsandbox.Sandbox, sc wechatsandbox.Config, bundle *i18n.Bundle) (web.Login, error) {
	cfg := d.cfg
	wc := wechat.Config{AppID: cfg.WeChat.OAAppID, Secret: cfg.WeChat.OASecret, Cache: d.kv,
		Logger: d.log.With("component", "wechat")}
	pc := wechat.PushConfig{AppID: cfg.WeChat.OAAppID, Token: cfg.WeChat.OAToken, EncodingAESKey: cfg.WeChat.OAAESKey,
		RequireSafeMode: cfg.Production()}
	if cfg.WeChat.APIBase != "" {
		wc.Endpoints = wechat.SingleHost(cfg.WeChat.APIBase)
	}
	if sb != nil {
		wc.AppID, wc.Secret = sc.OA.AppID, sc.OA.Secret
		wc.Endpoints = wechat.SingleHost(sc.PublicURL)
		pc = wechat.PushConfig{AppID: sc.OA.AppID, Token: sc.OA.Token, EncodingAESKey: sc.OA.EncodingAESKey,
			OriginalID: sc.OA.OriginalID, RequireSafeMode: true}
	}
	client, err := wechat.New(wc)
	if err != nil {
		return web.Login{}, fmt.Errorf("WeChat client: %w", err)
	}
	push, err := wechat.NewPushReceiver(pc)
	if err != nil {
		return web.Login{}, fmt.Errorf("MIS_WECHAT_OA_TOKEN / MIS_WECHAT_OA_AES_KEY: %w", err)
	}
	l := web.Login{
		WeChat:       client,
		Push:         push,
		Attempts:     auth.NewAttempts(d.kv, cfg.Login.AttemptTTL, nil),
		Identities:   auth.NewIdentities(d.store, nil),
		Log:          auth.NewLoginLog(d.store, nil),
		OwnQR:        cfg.Login.OwnQR,
		AutoConfirm:  cfg.Login.AutoConfirm,
		OAuthProfile: cfg.Login.OAuthProfile,
		Unsubscribe:  auth.UnsubscribePolicy(cfg.Login.Unsubscribe),
		PhonePolicy:  web.PhonePolicy(cfg.Login.PhonePolicy),
	}
	if cfg.Login.PhonePolicy == "off" {
		return l, nil
	}
	var sender sms.Sender
	switch {
	case cfg.Login.SMSProvider == "sandbox" && sb != nil:
		sender = sms.InboxSender{Inbox: sb.SMS()}
	default:
		sender = sms.HTTPSender{URL: cfg.Login.SMSURL, Token: cfg.Login.SMSToken, Sign: cfg.Login.SMSSign}
	}
	text := func(lang, code string) string {
		return bundle.Localizer(lang).T("phone.sms", map[string]any{"Code": code})
	}
	l.Phones = auth.NewPhones(d.store, d.kv, sender, text, nil)
	return l, nil
}
