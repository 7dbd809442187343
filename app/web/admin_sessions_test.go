package web_test

import (
	"context"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"scanboard/app/auth"
	"scanboard/app/web"
	"scanboard/ent"
	"scanboard/ent/wechatidentity"
	"scanboard/static"
	"scanboard/views/i18n"
)

// secondNode starts another web.Server on the same database and shared store, as a second
// node behind a load balancer would run.
func secondNode(t *testing.T, e *env) *env {
	t.Helper()
	assets, err := static.Load()
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := i18n.NewBundle()
	if err != nil {
		t.Fatal(err)
	}
	sessions := auth.NewSessions(e.store, e.clock.Now)
	d := web.Deps{
		Log: slog.New(slog.DiscardHandler), Store: e.store, KV: e.kv, Sessions: sessions, Assets: assets, I18n: bundle,
		Now: e.clock.Now, DefaultLocale: "en", SessionIdle: 30 * time.Minute, SessionAbsolute: 12 * time.Hour,
		Admin: web.AdminDeps{Users: auth.NewUsers(auth.UsersDeps{Store: e.store, KV: e.kv, Sessions: sessions, Now: e.clock.Now})},
	}
	d.BaseURL, _ = url.Parse("http://127.0.0.1:8080")
	e2 := *e
	e2.srv = web.New(d)
	return &e2
}

// on returns a browser with b's cookies that talks to another node.
func (b *browser) on(e *env) *browser {
	c := map[string]string{}
	for k, v := range b.cookies {
		c[k] = v
	}
	return &browser{e: e, cookies: c}
}

func TestDeactivationReachesEveryNode(t *testing.T) {
	e := newEnv(t)
	nodeB := secondNode(t, e)
	adm := e.user("active", "admin", "admin")
	x := e.user("active", "employee", "x")
	onA := e.browser()
	onA.login(x)
	onB := onA.on(nodeB)
	for name, b := range map[string]*browser{"node A": onA, "node B": onB} {
		if resp := b.get("/devices"); resp.StatusCode != 200 {
			t.Fatalf("%s before: %d", name, resp.StatusCode)
		}
	}
	// The admin acts on node B; the user's open pages are on both nodes.
	ab := e.browser() // the test-only login route exists on node A: sign in there
	ab.login(adm)
	if resp := ab.on(nodeB).post("/admin/users/"+itoa(x.ID)+"/deactivate", url.Values{"reason": {"left"}}, ""); resp.StatusCode != 303 {
		t.Fatalf("deactivate on node B: %d %s", resp.StatusCode, readBody(resp))
	}
	for name, b := range map[string]*browser{"node A": onA, "node B": onB} {
		resp := b.get("/devices")
		if resp.StatusCode != 303 || resp.Header.Get("Location") != "/login" {
			t.Fatalf("%s after deactivation: %d %s", name, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
}

func TestRoleChangeRotatesTheUsersSession(t *testing.T) {
	e := newEnv(t)
	adm := e.user("active", "admin", "admin")
	x := e.user("active", "employee", "x")
	xb := e.browser()
	xb.login(x)
	cookie := web.SessionCookieName(false)
	before := xb.cookies[cookie]
	if resp := xb.get("/admin/users"); resp.StatusCode != 403 {
		t.Fatalf("employee reaches the users list: %d", resp.StatusCode)
	}
	ab := e.browser()
	ab.login(adm)
	if resp := ab.post("/admin/users/"+itoa(x.ID)+"/role", url.Values{"role": {"admin"}, "reason": {"new admin"}}, ""); resp.StatusCode != 303 {
		t.Fatalf("role change: %d %s", resp.StatusCode, readBody(resp))
	}
	// The very next request carries the new role (AC-05) under a new session id (SESS-06).
	if resp := xb.get("/admin/users"); resp.StatusCode != 200 {
		t.Fatalf("new admin's next request: %d", resp.StatusCode)
	}
	after := xb.cookies[cookie]
	if after == "" || after == before {
		t.Fatalf("session id did not rotate: %q → %q", before, after)
	}
	stale := &browser{e: e, cookies: map[string]string{cookie: before}}
	if resp := stale.get("/admin/users"); resp.StatusCode != 303 {
		t.Fatalf("the old session id still works: %d", resp.StatusCode)
	}
}

func TestSessionCapAtSignIn(t *testing.T) {
	for _, mode := range []auth.SessionCapMode{auth.CapEvictOldest, auth.CapRefuseNew} {
		t.Run(string(mode), func(t *testing.T) {
			e := newEnv(t, func(d *web.Deps) { d.Admin.SessionCap = auth.SessionCap{Max: 1, Mode: mode} })
			x := e.user("active", "employee", "x")
			first := e.browser()
			first.login(x)
			e.clock.Add(time.Second)
			second := e.browser()
			resp := second.post("/test/login/"+itoa(x.ID), nil, "")
			readBody(resp)
			firstOK := first.get("/devices").StatusCode == 200
			secondOK := second.get("/devices").StatusCode == 200
			switch mode {
			case auth.CapEvictOldest:
				if resp.StatusCode != 200 || firstOK || !secondOK {
					t.Fatalf("sign-in %d; first alive %v, second alive %v", resp.StatusCode, firstOK, secondOK)
				}
			case auth.CapRefuseNew:
				if resp.StatusCode != 429 || !firstOK || secondOK {
					t.Fatalf("sign-in %d; first alive %v, second alive %v", resp.StatusCode, firstOK, secondOK)
				}
			}
		})
	}
}

// recordingNotifier keeps the notices a test's services sent.
type recordingNotifier struct{ sent []string }

func (r *recordingNotifier) Notify(_ context.Context, to auth.Recipient, n auth.Notice) error {
	r.sent = append(r.sent, string(n.Kind)+"→"+to.OpenID)
	return nil
}

func TestSignInOfAWaitingUserNotifiesAdminsOnce(t *testing.T) {
	note := &recordingNotifier{}
	var e *env
	e = newEnv(t, func(d *web.Deps) {
		d.Admin.Users = auth.NewUsers(auth.UsersDeps{Store: d.Store, KV: d.KV, Sessions: d.Sessions, Notify: note, Now: d.Now})
	})
	oa := func(u *ent.User, openid string) {
		err := e.store.Client.WeChatIdentity.Create().SetUser(u).SetKind(wechatidentity.KindOa).SetAppid("wxoa").SetOpenid(openid).Exec(context.Background())
		if err != nil {
			t.Fatal(err)
		}
	}
	adm := e.user("active", "admin", "admin")
	oa(adm, "o-admin")
	p := e.user("pending", "employee", "p")
	oa(p, "o-p")
	e.browser().login(p)
	e.browser().login(p) // scans again: no second message
	if got := strings.Join(note.sent, " "); got != "waiting→o-admin" {
		t.Fatalf("sent %q", got)
	}
	ab := e.browser()
	ab.login(adm)
	if resp := ab.post("/admin/approvals/"+itoa(p.ID)+"/approve", url.Values{"role": {"employee"}}, ""); resp.StatusCode != 303 {
		t.Fatalf("approve: %d", resp.StatusCode)
	}
	if got := strings.Join(note.sent, " "); got != "waiting→o-admin approved→o-p" {
		t.Fatalf("sent %q", got)
	}
}

func TestApprovalAnnouncesOnTheUsersChannel(t *testing.T) {
	e := newEnv(t)
	adm := e.user("active", "admin", "admin")
	p := e.user("pending", "employee", "p")
	sub, err := e.kv.Subscribe(context.Background(), auth.UserStatusChannel(p.ID))
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	ab := e.browser()
	ab.login(adm)
	if resp := ab.post("/admin/approvals/"+itoa(p.ID)+"/approve", url.Values{"role": {"employee"}}, ""); resp.StatusCode != 303 {
		t.Fatalf("approve: %d", resp.StatusCode)
	}
	select {
	case msg := <-sub.C():
		if string(msg) != "active" {
			t.Fatalf("message %q", msg)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no status message after approval")
	}
}

func TestRecentSignInForApprovals(t *testing.T) {
	e := newEnv(t, func(d *web.Deps) { d.Admin.RecentSignIn = 15 * time.Minute })
	adm := e.user("active", "admin", "admin")
	p := e.user("pending", "employee", "p")
	ab := e.browser()
	ab.login(adm)
	e.clock.Add(20 * time.Minute)
	ab.get("/admin/approvals") // keeps the session from idling out
	if resp := ab.post("/admin/approvals/"+itoa(p.ID)+"/approve", url.Values{"role": {"employee"}}, ""); resp.StatusCode != 403 {
		t.Fatalf("stale sign-in approved: %d", resp.StatusCode)
	}
	ab.login(adm)
	if resp := ab.post("/admin/approvals/"+itoa(p.ID)+"/approve", url.Values{"role": {"employee"}}, ""); resp.StatusCode != 303 {
		t.Fatalf("fresh sign-in: %d", resp.StatusCode)
	}
}

func TestMyDevicesSignsOutOtherDevices(t *testing.T) {
	e := newEnv(t)
	x := e.user("active", "employee", "x")
	laptop, phone, tablet := e.browser(), e.browser(), e.browser()
	for _, b := range []*browser{laptop, phone, tablet} {
		b.login(x)
	}
	rows, err := e.srv.Admin.Users.MySessions(context.Background(), x.ID)
	if err != nil || len(rows) != 3 {
		t.Fatalf("%d sessions, %v", len(rows), err)
	}
	body := readBody(laptop.get("/devices"))
	if strings.Count(body, `class="sb-inline"`) != 2 || !strings.Contains(body, `action="/devices/logout-others"`) {
		t.Fatalf("devices page: want two other devices with sign-out buttons and sign-out-others:\n%s", body)
	}
	// Sign out one other device by its id (the phone's is the second session).
	if resp := laptop.post("/devices/"+itoa(rows[1].ID)+"/logout", nil, ""); resp.StatusCode != 303 {
		t.Fatalf("sign out one: %d", resp.StatusCode)
	}
	alive := func(b *browser) bool { return b.get("/devices").StatusCode == 200 }
	if n := btoi(alive(laptop)) + btoi(alive(phone)) + btoi(alive(tablet)); n != 2 {
		t.Fatalf("%d sessions alive after signing one out, want 2", n)
	}
	if resp := laptop.post("/devices/logout-others", nil, ""); resp.StatusCode != 303 {
		t.Fatalf("sign out others: %d", resp.StatusCode)
	}
	if !alive(laptop) || alive(phone) || alive(tablet) {
		t.Fatalf("after sign-out-others: laptop %v phone %v tablet %v", alive(laptop), alive(phone), alive(tablet))
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
