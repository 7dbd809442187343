package wechatsandbox

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

func BenchmarkEncryptMsg(b *testing.B) {
	key, _ := aesKey("kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR")
	msg := "<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[oQ9x05Zc3kH1pA2bV8nL0mTqR4sE]]></FromUserName><CreateTime>1718000000</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event></xml>"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := encryptMsg(key, nil, msg, "wx49f0ab532d5d035a"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSNSExchange measures one code exchange through the handler (issue + redeem).
func BenchmarkSNSExchange(b *testing.B) {
	cfg := DevConfig("http://sandbox.test/_sandbox", "")
	sb, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	u, _ := sb.CreateUser(NewUser{Nickname: "bench"})
	au := "http://sandbox.test/_sandbox/connect/oauth2/authorize?" + url.Values{"appid": {cfg.OA.AppID}, "redirect_uri": {"https://app.example/cb"}, "scope": {"snsapi_base"}, "state": {"s"}}.Encode()
	b.ReportAllocs()
	for b.Loop() {
		res, _ := sb.Authorize(u.ID, au, true)
		req := httptest.NewRequest(http.MethodGet, "/_sandbox/sns/oauth2/access_token?"+url.Values{"appid": {cfg.OA.AppID}, "secret": {cfg.OA.Secret}, "code": {res.Code}, "grant_type": {"authorization_code"}}.Encode(), nil)
		rec := httptest.NewRecorder()
		sb.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}
