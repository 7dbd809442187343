package web_test

import (
	"context"
	"strings"
	"testing"

	"scanboard/app/auth"
	"scanboard/app/wechatsandbox"
	"scanboard/ent/user"
	"scanboard/ent/wechatidentity"
)

// wecomQR opens /login/wecom in b, follows it to the sandbox's WeCom QR page and returns
// the uuid of the login it opened.
func (le *loginEnv) wecomQR(b *browser) string {
	le.t.Helper()
	r := b.get("/login/wecom")
	loc := r.Header.Get("Location")
	if r.StatusCode != 302 || !strings.Contains(loc, "/_sandbox/wwlogin/sso/login?login_type=CorpApp&appid=ww5a0d5b0c0a0e0004&agentid=1000002") {
		le.t.Fatalf("/login/wecom: %d %q", r.StatusCode, loc)
	}
	return le.openSandboxQR(b, localPath(le.t, loc))
}

func TestWeComLogin(t *testing.T) {
	tests := []struct {
		name        string
		autoApprove bool
		wantStatus  user.Status
		wantLand    string
	}{
		{"member waits for approval", false, user.StatusPending, "/pending"},
		{"member skips the queue (MIS_AUTO_APPROVE_WECOM)", true, user.StatusActive, "/pending"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			le := newChannelEnv(t)
			ctx := context.Background()
			le.srv.Admin.Users = auth.NewUsers(auth.UsersDeps{Store: le.store, KV: le.kv, Sessions: le.srv.Sessions, Now: le.clock.Now,
				AutoApprove: auth.AutoApprove{WeComMembers: tt.autoApprove}})
			member, err := le.sb.CreateUser(wechatsandbox.NewUser{Nickname: "李四", WeComUserID: "lisi"})
			if err != nil {
				t.Fatal(err)
			}
			b := le.browser()
			cb := le.confirmQR(member.ID, le.wecomQR(b))
			r := b.get(cb)
			if r.StatusCode != 303 || r.Header.Get("Location") != tt.wantLand {
				t.Fatalf("callback: %d %s %s", r.StatusCode, r.Header.Get("Location"), readBody(r))
			}
			id := le.store.Client.WeChatIdentity.Query().Where(wechatidentity.KindEQ(wechatidentity.KindWecom)).WithUser().OnlyX(ctx)
			if id.Appid != "ww5a0d5b0c0a0e0004" || id.Openid != "lisi" || id.Nickname == "" {
				t.Fatalf("identity %+v", id)
			}
			if got := le.store.Client.User.GetX(ctx, id.Edges.User.ID).Status; got != tt.wantStatus {
				t.Fatalf("status %s, want %s", got, tt.wantStatus)
			}
			if tt.autoApprove {
				if r := b.get("/devices"); r.StatusCode != 200 {
					t.Fatalf("approved member /devices: %d", r.StatusCode)
				}
			}
			if n := len(le.loginRows(auth.MethodWeCom, auth.ReasonPendingApproval)); n != 1 {
				t.Fatalf("%d login rows", n)
			}
		})
	}
}

func TestWeComFailures(t *testing.T) {
	tests := []struct {
		name   string
		run    func(le *loginEnv, b *browser) string
		status int
		reason string
	}{
		{"not a member of the corp", func(le *loginEnv, b *browser) string {
			return le.confirmQR(le.sbUser("外人"), le.wecomQR(b))
		}, 403, auth.ReasonWeComNotMember},
		{"refused", func(le *loginEnv, b *browser) string {
			le.wecomQR(b)
			r := b.get("/login/wecom")
			return localPath(le.t, "http://127.0.0.1:8080/login/wecom/callback?state="+stateFrom(le.t, r.Header.Get("Location")))
		}, 403, auth.ReasonOAuthRefused},
		{"foreign state", func(le *loginEnv, b *browser) string {
			u, _ := le.sb.CreateUser(wechatsandbox.NewUser{Nickname: "王五", WeComUserID: "wangwu"})
			return le.confirmQR(u.ID, le.wecomQR(le.browser()))
		}, 400, auth.ReasonStateMismatch},
		{"a website state at the WeCom callback", func(le *loginEnv, b *browser) string {
			u, _ := le.sb.CreateUser(wechatsandbox.NewUser{Nickname: "赵六", WeComUserID: "zhaoliu"})
			cb := le.confirmQR(u.ID, le.websiteQR(b))
			return strings.Replace(cb, "/login/website/callback", "/login/wecom/callback", 1)
		}, 400, auth.ReasonStateMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			le := newChannelEnv(t)
			b := le.browser()
			r := b.get(tt.run(le, b))
			if r.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", r.StatusCode, tt.status, readBody(r))
			}
			if n := len(le.loginRows(auth.MethodWeCom, tt.reason)); n != 1 {
				t.Fatalf("%d rows with %q", n, tt.reason)
			}
		})
	}
}

func stateFrom(t *testing.T, loc string) string {
	t.Helper()
	i := strings.Index(loc, "state=")
	if i < 0 {
		t.Fatalf("no state in %q", loc)
	}
	s := loc[i+6:]
	if j := strings.IndexByte(s, '&'); j >= 0 {
		s = s[:j]
	}
	return s
}
