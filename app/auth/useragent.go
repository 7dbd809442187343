package auth

import (
	"strings"

	"github.com/mssola/useragent"
)

// Device is the kind of browser a request comes from; /login picks its channel by it.
type Device string

// The devices /login tells apart.
const (
	DeviceDesktop Device = "desktop" // show a QR to scan
	DeviceWeChat  Device = "wechat"  // WeChat's own browser: OA web OAuth directly
	DeviceMobile  Device = "mobile"  // a phone browser outside WeChat: hint and phone code
)

// ClientInfo is what the login log and the phone confirmation show about a browser.
type ClientInfo struct {
	Browser string // e.g. "Chrome 126"
	OS      string // e.g. "Windows 10"
	Device  Device
}

// ParseUserAgent reads browser, OS and device kind from a User-Agent header. The parsing is
// mssola/useragent's (a maintained parser with its own corpus); WeChat's in-app browser is
// recognised here because the library reports it as the underlying WebView.
func ParseUserAgent(ua string) ClientInfo {
	ua = strings.TrimSpace(ua)
	if ua == "" {
		return ClientInfo{Device: DeviceDesktop}
	}
	p := useragent.New(ua)
	name, version := p.Browser()
	info := ClientInfo{Browser: clip(join(name, majorVersion(version)), 64), OS: clip(p.OS(), 64)}
	switch {
	case strings.Contains(ua, "MicroMessenger"):
		info.Device = DeviceWeChat
		info.Browser = clip(join("WeChat", majorVersion(afterToken(ua, "MicroMessenger/"))), 64)
	case p.Mobile():
		info.Device = DeviceMobile
	default:
		info.Device = DeviceDesktop
	}
	return info
}

func join(a, b string) string {
	if b == "" {
		return a
	}
	return a + " " + b
}

// majorVersion keeps "126" of "126.0.6478.126": enough to recognise a browser, not a
// fingerprint.
func majorVersion(v string) string {
	if i := strings.IndexByte(v, '.'); i >= 0 {
		return v[:i]
	}
	return v
}

func afterToken(ua, tok string) string {
	i := strings.Index(ua, tok)
	if i < 0 {
		return ""
	}
	rest := ua[i+len(tok):]
	if j := strings.IndexAny(rest, " ()"); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

func clip(s string, n int) string { return truncate(strings.TrimSpace(s), n) }
