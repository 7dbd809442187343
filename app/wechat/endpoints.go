package wechat

import "strings"

// Endpoints holds the base URL of each WeChat host; tests and the sandbox replace them.
// A base URL has no trailing slash; paths such as "/sns/oauth2/access_token" are appended.
type Endpoints struct {
	// Open serves the browser-facing authorize and QR pages (open.weixin.qq.com).
	Open string
	// API serves server-to-server calls for OA, Open Platform and Mini Program (api.weixin.qq.com).
	API string
	// MP serves the OA QR image, showqrcode (mp.weixin.qq.com).
	MP string
	// QYAPI serves WeCom server-to-server calls (qyapi.weixin.qq.com).
	QYAPI string
	// WorkLogin serves the new WeCom web login page (login.work.weixin.qq.com).
	WorkLogin string
	// WorkOpen serves the old WeCom QR login page (open.work.weixin.qq.com).
	WorkOpen string
	// Res serves static resources such as wxLogin.js (res.wx.qq.com).
	Res string
}

// DefaultEndpoints returns the real WeChat hosts.
func DefaultEndpoints() Endpoints {
	return Endpoints{
		Open:      "https://open.weixin.qq.com",
		API:       "https://api.weixin.qq.com",
		MP:        "https://mp.weixin.qq.com",
		QYAPI:     "https://qyapi.weixin.qq.com",
		WorkLogin: "https://login.work.weixin.qq.com",
		WorkOpen:  "https://open.work.weixin.qq.com",
		Res:       "https://res.wx.qq.com",
	}
}

// SingleHost returns Endpoints that put every host at one base URL, the way
// the sandbox serves them (e.g. "http://127.0.0.1:8080/_sandbox").
func SingleHost(base string) Endpoints {
	base = strings.TrimRight(base, "/")
	return Endpoints{Open: base, API: base, MP: base, QYAPI: base, WorkLogin: base, WorkOpen: base, Res: base}
}

// orDefault fills every empty base URL from the real hosts and trims trailing slashes.
func (e Endpoints) orDefault() Endpoints {
	d := DefaultEndpoints()
	pick := func(v, def string) string {
		if v == "" {
			return def
		}
		return strings.TrimRight(v, "/")
	}
	return Endpoints{
		Open:      pick(e.Open, d.Open),
		API:       pick(e.API, d.API),
		MP:        pick(e.MP, d.MP),
		QYAPI:     pick(e.QYAPI, d.QYAPI),
		WorkLogin: pick(e.WorkLogin, d.WorkLogin),
		WorkOpen:  pick(e.WorkOpen, d.WorkOpen),
		Res:       pick(e.Res, d.Res),
	}
}
