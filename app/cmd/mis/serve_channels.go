package main

import (
	"fmt"

	"scanboard/app/auth"
	"scanboard/app/web"
	"scanboard/app/wechatsandbox"
)

// loginChannels builds the ways in beyond the OA QR: the password fallback (always on;
// it only serves accounts that set a password) and the break-glass admin.
func loginChannels(d *deps, sb *wechatsandbox.Sandbox, sc wechatsandbox.Config) (web.Channels, error) {
	var ch web.Channels
	pw, err := auth.NewPasswords(auth.PasswordsDeps{Store: d.store, KV: d.kv})
	if err != nil {
		return ch, fmt.Errorf("password service: %w", err)
	}
	ch.Passwords = pw
	return ch, nil
}
