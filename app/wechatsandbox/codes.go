package wechatsandbox

import "time"

// codeKind tells which endpoint may redeem a code.
type codeKind string

const (
	codeWebsite codeKind = "website" // qrconnect → /sns/oauth2/access_token (website app)
	codeOAuth   codeKind = "oauth"   // OA web auth → /sns/oauth2/access_token (OA)
	codeJS      codeKind = "jscode"  // wx.login → /sns/jscode2session
	codePhone   codeKind = "phone"   // getPhoneNumber button → /wxa/business/getuserphonenumber
	codeWeCom   codeKind = "wecom"   // WeCom login → /cgi-bin/auth/getuserinfo
)

// authCode is a single-use authorization code.
type authCode struct {
	code     string
	kind     codeKind
	appid    string
	personID string
	scope    string
	snapshot bool
	expires  time.Time
	used     bool
}

// issueCodeLocked mints a code for p. Callers hold s.mu.
func (s *Sandbox) issueCodeLocked(kind codeKind, appid string, p *person, scope string, snapshot bool) string {
	ttl := map[codeKind]time.Duration{
		codeWebsite: s.set.WebsiteCodeTTL, codeOAuth: s.set.OAuthCodeTTL, codeJS: s.set.JSCodeTTL,
		codePhone: s.set.PhoneCodeTTL, codeWeCom: s.set.WeComCodeTTL,
	}[kind]
	n := 32
	if kind == codePhone {
		n = 64 // phone codes are longer hex strings in the docs
	}
	var c string
	if kind == codePhone {
		c = randHex(n)
	} else {
		c = randAlnum(n)
	}
	s.codes.put(c, &authCode{
		code: c, kind: kind, appid: appid, personID: p.id, scope: scope, snapshot: snapshot,
		expires: s.nowLocked().Add(ttl),
	})
	return c
}

// redeemLocked consumes a code: 40029 unknown or for another app/kind, 40163 reused,
// Settings.ExpiredCodeErrcode expired. A failed redemption does not burn the code.
func (s *Sandbox) redeemLocked(code string, kind codeKind, appid string) (*authCode, *person, int) {
	c, ok := s.codes.get(code)
	if !ok || c.kind != kind || c.appid != appid {
		return nil, nil, 40029
	}
	if c.used {
		return nil, nil, 40163
	}
	if !s.nowLocked().Before(c.expires) {
		return nil, nil, s.set.ExpiredCodeErrcode
	}
	p, ok := s.users.get(c.personID)
	if !ok {
		return nil, nil, 40029
	}
	c.used = true
	return c, p, 0
}
