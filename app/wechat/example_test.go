package wechat_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"scanboard/app/wechat"
)

func ExampleSingleHost() {
	// In development every WeChat host is the in-process sandbox.
	c, err := wechat.New(wechat.Config{AppID: "wx0123456789abcdef", Secret: "…", Endpoints: wechat.SingleHost("http://127.0.0.1:8080/_sandbox")})
	if err != nil {
		panic(err)
	}
	u, _ := c.QRConnectURL("https://mis.example.com/auth/wechat/callback", "A7KQ2Z0M4XN5")
	fmt.Println(u)
	fmt.Println(c.ShowQRCodeURL("gQH9+7z/w=="))
	// Output:
	// http://127.0.0.1:8080/_sandbox/connect/qrconnect?appid=wx0123456789abcdef&redirect_uri=https%3A%2F%2Fmis.example.com%2Fauth%2Fwechat%2Fcallback&response_type=code&scope=snsapi_login&state=A7KQ2Z0M4XN5#wechat_redirect
	// http://127.0.0.1:8080/_sandbox/cgi-bin/showqrcode?ticket=gQH9%2B7z%2Fw%3D%3D
}

func ExampleClient_ExchangeCode() {
	var c *wechat.Client // from wechat.New
	exchange := func(ctx context.Context, code string) error {
		tok, err := c.ExchangeCode(ctx, code)
		switch {
		case wechat.IsInvalidCode(err):
			return errors.New("the sign-in link was used or expired; scan again")
		case err != nil:
			return err
		}
		if err := tok.RequireRealUser(); err != nil {
			return errors.New(`tap "使用完整服务" in WeChat, then sign in again`)
		}
		slog.Info("signed in", "token", tok) // LogValue redacts the tokens
		return nil
	}
	_ = exchange
}

func ExamplePushReceiver() {
	p, err := wechat.NewPushReceiver(wechat.PushConfig{
		Token: "token123", EncodingAESKey: "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR",
		AppID: "wx49f0ab532d5d035a", OriginalID: "gh_0123456789ab", RequireSafeMode: true,
	})
	if err != nil {
		panic(err)
	}
	handler := func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			echo, err := p.VerifyURL(r.URL.Query())
			if err != nil {
				http.Error(w, "bad signature", http.StatusForbidden)
				return
			}
			w.Header().Set("Content-Type", "text/plain")
			_, _ = io.WriteString(w, echo)
			return
		}
		m, err := p.Parse(r.URL.Query(), r.Body)
		if err != nil {
			http.Error(w, "rejected", http.StatusForbidden)
			return
		}
		if scene, ticket, ok := m.QRScan(); ok {
			// Record (m.DedupKey(), scene, ticket, m.FromUserName) durably, then reply.
			_, _ = scene, ticket
			reply, err := p.ReplyText(m, "Tap to confirm the sign-in on your computer.")
			if err == nil {
				_, _ = w.Write(reply)
				return
			}
		}
		// An empty 200 acknowledges without a message (and stops WeChat's retries).
	}
	_ = handler
}
