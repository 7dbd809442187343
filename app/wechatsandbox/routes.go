package wechatsandbox

import (
	"io/fs"
	"net/http"
)

// routes is the one list of everything the sandbox serves (paths after BasePath).
func (s *Sandbox) routes() *http.ServeMux {
	mux := http.NewServeMux()

	// open.weixin.qq.com / long.open.weixin.qq.com / res.wx.qq.com
	mux.HandleFunc("GET /connect/qrconnect", s.handleQRConnect)
	mux.HandleFunc("GET /connect/qrcode/{uuid}", s.handleQRImage)
	mux.HandleFunc("GET /connect/l/qrconnect", s.handleLongPoll)
	mux.HandleFunc("GET /connect/oauth2/authorize", s.handleAuthorize)
	mux.HandleFunc("POST /connect/oauth2/authorize", s.handleAuthorize)
	mux.HandleFunc("GET /connect/zh_CN/htmledition/js/wxLogin.js", s.handleWxLoginJS)

	// api.weixin.qq.com
	mux.HandleFunc("GET /sns/oauth2/access_token", s.handleSNSAccessToken)
	mux.HandleFunc("GET /sns/oauth2/refresh_token", s.handleSNSRefresh)
	mux.HandleFunc("GET /sns/auth", s.handleSNSAuth)
	mux.HandleFunc("GET /sns/userinfo", s.handleSNSUserinfo)
	mux.HandleFunc("GET /sns/jscode2session", s.handleJSCode2Session)
	mux.HandleFunc("GET /cgi-bin/token", s.handleToken)
	mux.HandleFunc("POST /cgi-bin/stable_token", s.handleStableToken)
	mux.HandleFunc("POST /cgi-bin/qrcode/create", s.handleQRCreate)
	mux.HandleFunc("GET /cgi-bin/user/info", s.handleUserInfo)
	mux.HandleFunc("POST /cgi-bin/message/template/send", s.handleTemplateSend)
	mux.HandleFunc("POST /wxa/business/getuserphonenumber", s.handlePhoneNumber)
	mux.HandleFunc("GET /wxa/checksession", s.handleCheckSession)

	// mp.weixin.qq.com
	mux.HandleFunc("GET /cgi-bin/showqrcode", s.handleShowQRCode)

	// qyapi.weixin.qq.com, login.work.weixin.qq.com, open.work.weixin.qq.com
	mux.HandleFunc("GET /cgi-bin/gettoken", s.handleWeComGetToken)
	mux.HandleFunc("GET /cgi-bin/auth/getuserinfo", s.handleWeComUserInfo)
	mux.HandleFunc("GET /cgi-bin/user/getuserinfo", s.handleWeComUserInfo)
	mux.HandleFunc("GET /cgi-bin/user/get", s.handleWeComUserGet)
	mux.HandleFunc("GET /wwlogin/sso/login", s.handleWeComLogin)
	mux.HandleFunc("GET /wwopen/sso/qrConnect", s.handleWeComLogin)

	// the simulated phone, the control API and the sandbox's own assets
	s.phoneRoutes(mux)
	s.apiRoutes(mux)
	sub, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(sub)))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, s.cfg.BasePath+"/phone", http.StatusFound)
	})
	return mux
}
