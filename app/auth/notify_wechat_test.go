package auth_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"scanboard/app/auth"
	"scanboard/app/wechat"
	"scanboard/app/wechatsandbox"
)

// TestWeChatNotifierThroughTheSandbox sends each notice with the real WeChat client to the
// sandbox and reads what the person received; a person who does not follow the OA makes
// the send fail with WeChat's error, which the caller only logs.
func TestWeChatNotifierThroughTheSandbox(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String() + "/_sandbox"
	cfg := wechatsandbox.DevConfig(base, "")
	cfg.Templates = []string{"tpl-waiting", "tpl-approved", "tpl-rejected"}
	sb, err := wechatsandbox.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = sb
	srv.Start()
	t.Cleanup(srv.Close)
	client, err := wechat.New(wechat.Config{AppID: cfg.OA.AppID, Secret: cfg.OA.Secret, Endpoints: wechat.SingleHost(base)})
	if err != nil {
		t.Fatal(err)
	}
	n := &auth.WeChatNotifier{Client: client, BaseURL: "https://mis.example.com/", Templates: map[auth.NoticeKind]string{
		auth.NoticeWaiting: "tpl-waiting", auth.NoticeApproved: "tpl-approved", auth.NoticeRejected: "tpl-rejected",
	}}
	follower, err := sb.CreateUser(wechatsandbox.NewUser{Nickname: "关注者"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sb.Follow(ctx, follower.ID); err != nil && !strings.Contains(err.Error(), "push") {
		t.Fatal(err)
	}
	stranger, err := sb.CreateUser(wechatsandbox.NewUser{Nickname: "路人"})
	if err != nil {
		t.Fatal(err)
	}
	to := func(u wechatsandbox.User) auth.Recipient {
		return auth.Recipient{UserID: 7, AppID: cfg.OA.AppID, OpenID: u.OpenIDs[cfg.OA.AppID]}
	}
	tests := []struct {
		name    string
		to      wechatsandbox.User
		notice  auth.Notice
		wantErr bool
		title   string
		text    string
		url     string
	}{
		{"waiting, to an admin", follower, auth.Notice{Kind: auth.NoticeWaiting, UserID: 3, Name: "小明", Method: "oa_qr"}, false,
			"tpl-waiting", "小明", "https://mis.example.com/admin/approvals"},
		{"approved", follower, auth.Notice{Kind: auth.NoticeApproved, UserID: 3, Name: "小明", Role: "employee"}, false,
			"tpl-approved", "employee", "https://mis.example.com/"},
		{"rejected with the reason", follower, auth.Notice{Kind: auth.NoticeRejected, UserID: 3, Name: "小明", Reason: "not staff"}, false,
			"tpl-rejected", "not staff", "https://mis.example.com/"},
		{"not a follower", stranger, auth.Notice{Kind: auth.NoticeApproved, UserID: 4, Name: "路人"}, true, "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := n.Notify(ctx, to(tc.to), tc.notice)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			msgs, err := sb.Messages(tc.to.ID)
			if err != nil {
				t.Fatal(err)
			}
			var got *wechatsandbox.Message
			for i := range msgs {
				if msgs[i].Kind == "template" && msgs[i].Title == tc.title {
					got = &msgs[i]
				}
			}
			if got == nil || !strings.Contains(got.Text, tc.text) || got.URL != tc.url {
				t.Fatalf("received %+v, want %s with %q and URL %s", msgs, tc.title, tc.text, tc.url)
			}
		})
	}
}
