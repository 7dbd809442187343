package config

import "time"

// Channels are the sign-in ways beyond the OA QR: the Open Platform website app, the Mini
// Program, WeCom. With the built-in sandbox every one of them is available (the sandbox
// plays each app); otherwise a channel is on when its credentials are set.
type Channels struct {
	// QR is which QR /login shows on a desktop: "oa" (the OA's parameterized QR) or
	// "website" (the Open Platform's inline QR). MIS_LOGIN_QR=auto picks website when its
	// app is configured (not in the sandbox, where the OA QR stays the default).
	QR                          string
	WebsiteAppID, WebsiteSecret string
	MiniAppID, MiniSecret       string
	MiniKeyTTL                  time.Duration
	WeComCorpID, WeComSecret    string
	WeComAgentID                string
}

func (l *loader) channels(sandbox bool) Channels {
	ch := Channels{
		WebsiteAppID:  l.str("MIS_WECHAT_WEBSITE_APPID", ""),
		WebsiteSecret: l.str("MIS_WECHAT_WEBSITE_SECRET", ""),
		MiniAppID:     l.str("MIS_WECHAT_MP_APPID", ""),
		MiniSecret:    l.str("MIS_WECHAT_MP_SECRET", ""),
		MiniKeyTTL:    l.duration("MIS_MP_LOGIN_KEY_TTL", 7*24*time.Hour),
		WeComCorpID:   l.str("MIS_WECOM_CORPID", ""),
		WeComSecret:   l.str("MIS_WECOM_SECRET", ""),
		WeComAgentID:  l.str("MIS_WECOM_AGENTID", ""),
	}
	qr := l.oneOf("MIS_LOGIN_QR", "auto", "auto", "oa", "website")
	switch {
	case ch.WebsiteAppID != "" && ch.WebsiteSecret == "":
		l.fail("MIS_WECHAT_WEBSITE_SECRET", "", "is required when MIS_WECHAT_WEBSITE_APPID is set")
	case ch.MiniAppID != "" && ch.MiniSecret == "":
		l.fail("MIS_WECHAT_MP_SECRET", "", "is required when MIS_WECHAT_MP_APPID is set")
	case ch.WeComCorpID != "" && (ch.WeComSecret == "" || ch.WeComAgentID == ""):
		l.fail("MIS_WECOM_SECRET", "", "MIS_WECOM_SECRET and MIS_WECOM_AGENTID are required when MIS_WECOM_CORPID is set")
	case ch.MiniKeyTTL < time.Minute || ch.MiniKeyTTL > 90*24*time.Hour:
		l.fail("MIS_MP_LOGIN_KEY_TTL", l.getenv("MIS_MP_LOGIN_KEY_TTL"), "must be from 1m to 2160h (90 days)")
	case qr == "website" && ch.WebsiteAppID == "" && !sandbox:
		l.fail("MIS_LOGIN_QR", qr, "website needs MIS_WECHAT_WEBSITE_APPID (the Open Platform website app)")
	}
	switch {
	case qr == "auto" && ch.WebsiteAppID != "":
		ch.QR = "website"
	case qr == "auto":
		ch.QR = "oa"
	default:
		ch.QR = qr
	}
	return ch
}
