package web_test

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"scanboard/app/auth"
	"scanboard/app/kv"
	"scanboard/app/store"
	"scanboard/app/store/storetest"
	"scanboard/app/web"
	"scanboard/app/wechat"
	"scanboard/app/wechatsandbox"
	"scanboard/ent"
	"scanboard/ent/user"
	"scanboard/static"
	"scanboard/views/i18n"
)

// cluster is two app nodes sharing one database and one kv, with one WeChat sandbox whose
// pushes reach node A only (as a load balancer may route them).
type cluster struct {
	a, b *loginEnv
	spy  *subscribeSpy // node B's view of the shared kv
}

// subscribeSpy is node B's kv: the shared store, reporting when a long-poll has subscribed
// to an attempt's channel and then read the attempt, so the test scans only after that and
// the poll can learn of the scan only through pub/sub.
type subscribeSpy struct {
	kv.Store
	mu      sync.Mutex
	watch   string // attempt id
	armed   bool
	waiting chan struct{}
}

func (s *subscribeSpy) expect(attemptID string) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.watch, s.armed, s.waiting = attemptID, false, make(chan struct{})
	return s.waiting
}

func (s *subscribeSpy) Subscribe(ctx context.Context, channel string) (kv.Subscription, error) {
	sub, err := s.Store.Subscribe(ctx, channel)
	s.mu.Lock()
	if err == nil && s.watch != "" && channel == auth.AttemptChannel(s.watch) {
		s.armed = true
	}
	s.mu.Unlock()
	return sub, err
}

func (s *subscribeSpy) Get(ctx context.Context, key string) ([]byte, error) {
	v, err := s.Store.Get(ctx, key)
	s.mu.Lock()
	if s.armed && key == "login:attempt:"+s.watch {
		s.armed = false
		close(s.waiting)
	}
	s.mu.Unlock()
	return v, err
}

// sharedKV returns the kv both nodes use: one Redis (each node its own client, as two
// processes would have) when MIS_TEST_REDIS_URL is set; otherwise one kv.Memory standing
// in for Redis, shared by both nodes in this process.
func sharedKV(t *testing.T) (a, b kv.Store) {
	t.Helper()
	if u := os.Getenv("MIS_TEST_REDIS_URL"); u != "" {
		prefix := "mistest:" + rand.Text() + ":"
		open := func() kv.Store {
			r, err := kv.OpenRedis(context.Background(), u, kv.RedisOptions{Prefix: prefix})
			if err != nil {
				t.Fatalf("redis: %v", err)
			}
			t.Cleanup(func() { r.Close() })
			return r
		}
		return open(), open()
	}
	m := kv.NewMemory(nil)
	t.Cleanup(func() { m.Close() })
	return m, m
}

// sharedStore opens the one database twice, as two processes would: PostgreSQL when
// MIS_TEST_DATABASE_URL is set, else one SQLite file.
func sharedStore(t *testing.T) (a, b *store.Store) {
	t.Helper()
	u := storetest.URL(t)
	open := func() *store.Store {
		st, err := store.Open(context.Background(), u, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	a, b = open(), open()
	if _, err := a.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return a, b
}

func newCluster(t *testing.T) *cluster {
	t.Helper()
	ck := &clock{now: time.Now()}
	stA, stB := sharedStore(t)
	kvA, kvB := sharedKV(t)
	spy := &subscribeSpy{Store: kvB}
	var nodeA *web.Server
	sc := wechatsandbox.DevConfig("http://127.0.0.1:8080/_sandbox", "http://127.0.0.1:8080/wechat/push")
	sc.HTTPClient = &http.Client{Transport: appTransport{func() *web.Server { return nodeA }}}
	sc.Now = ck.Now
	sb, err := wechatsandbox.New(sc)
	if err != nil {
		t.Fatal(err)
	}
	assets, err := static.Load()
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := i18n.NewBundle()
	if err != nil {
		t.Fatal(err)
	}
	node := func(name string, st *store.Store, kvs kv.Store) *loginEnv {
		client, err := wechat.New(wechat.Config{AppID: sc.OA.AppID, Secret: sc.OA.Secret, Endpoints: wechat.SingleHost(sc.PublicURL),
			HTTPClient: &http.Client{Transport: sandboxTransport{sb}}, Now: ck.Now})
		if err != nil {
			t.Fatal(err)
		}
		push, err := wechat.NewPushReceiver(wechat.PushConfig{AppID: sc.OA.AppID, Token: sc.OA.Token,
			EncodingAESKey: sc.OA.EncodingAESKey, OriginalID: sc.OA.OriginalID, RequireSafeMode: true, Now: ck.Now})
		if err != nil {
			t.Fatal(err)
		}
		var logBuf strings.Builder
		d := web.Deps{
			Log:   slog.New(slog.NewTextHandler(lockedWriter{&sync.Mutex{}, &logBuf}, nil)).With("node", name),
			Store: st, KV: kvs, Sessions: auth.NewSessions(st, ck.Now), Assets: assets, I18n: bundle,
			Now: ck.Now, DefaultLocale: "zh-CN", SessionIdle: 30 * time.Minute, SessionAbsolute: 12 * time.Hour,
			Sandbox: sb,
			Login: web.Login{
				WeChat: client, Push: push,
				Attempts:    auth.NewAttempts(kvs, 0, ck.Now),
				Identities:  auth.NewIdentities(st, ck.Now),
				Log:         auth.NewLoginLog(st, ck.Now),
				PhonePolicy: web.PhonePending,
				// Longer than the attempt: only a pub/sub message ends the poll early.
				LongPoll: 10 * time.Minute,
			},
		}
		d.BaseURL, _ = url.Parse("http://127.0.0.1:8080")
		srv := web.New(d)
		return &loginEnv{env: &env{t: t, srv: srv, store: st, kv: kvs, clock: ck, log: &logBuf}, sb: sb, sc: sc}
	}
	a := node("a", stA, kvA)
	nodeA = a.srv
	return &cluster{a: a, b: node("b", stB, spy), spy: spy}
}

// on is the same browser (same cookies) talking to another node.
func on(le *loginEnv, b *browser) *browser { return &browser{e: le.env, cookies: b.cookies} }

func TestTwoNodes_PushOnAWaitOnB(t *testing.T) {
	c := newCluster(t)
	pcB := c.b.browser()
	at := c.b.startAttempt(pcB)

	// The PC's long-poll is held by node B.
	subscribed := c.spy.expect(at.ID)
	polled := make(chan attemptResp, 1)
	go func() {
		r := on(c.b, pcB).getJSON("/login/attempts/" + at.ID + "?since=waiting")
		var st attemptResp
		if r.StatusCode == 200 {
			st = decode[attemptResp](t, r)
		}
		polled <- st
	}()
	<-subscribed

	// WeChat pushes the scan to node A.
	link := c.a.scan(c.a.sbUser("小明"))
	if link == "" {
		t.Fatal("node A's reply carries no confirm link")
	}
	for _, p := range c.a.sb.Pushes(5) {
		if len(p.Attempts) > 0 && !strings.Contains(p.Attempts[0].URL, "127.0.0.1:8080/wechat/push") {
			t.Fatalf("push went to %s", p.Attempts[0].URL)
		}
	}
	// A liveness bound, not a speed claim: without the pub/sub message the poll would be
	// held for the attempt's 5 minutes.
	select {
	case st := <-polled:
		if st.Status != "scanned" {
			t.Fatalf("node B's poll answered %+v, want scanned", st)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("node B's long-poll was not woken by the push handled on node A")
	}

	// The phone confirms on node A; node B's browser completes.
	if r := c.a.answer(link, "confirm"); r.StatusCode != 200 {
		t.Fatalf("confirm on A: %d", r.StatusCode)
	}
	if st := decode[attemptResp](t, pcB.getJSON("/login/attempts/"+at.ID+"?since=scanned")); st.Status != "confirmed" {
		t.Fatalf("status on B: %q", st.Status)
	}
	if done := decode[attemptResp](t, pcB.postJSON("/login/attempts/"+at.ID+"/complete")); done.Redirect != "/pending" {
		t.Fatalf("complete on B: %+v", done)
	}
	pcA := on(c.a, pcB)
	if !signedIn(pcB) || !signedIn(pcA) {
		t.Fatal("the session made on B is not valid on both nodes")
	}

	// Revocation on node A is seen by node B on its next request.
	t.Run("logout on A", func(t *testing.T) {
		if r := pcA.post("/logout", nil, ""); r.StatusCode/100 != 3 {
			t.Fatalf("logout on A: %d", r.StatusCode)
		}
		if signedIn(on(c.b, pcA)) {
			t.Fatal("node B still accepts a session logged out on A")
		}
	})
	t.Run("admin revocation on A", func(t *testing.T) {
		pc := c.b.browser()
		c.a.clock.Add(time.Second)
		at := c.b.startAttempt(pc)
		c.a.answer(c.a.scan(c.a.sbUser("小红")), "confirm")
		decode[attemptResp](t, pc.postJSON("/login/attempts/"+at.ID+"/complete"))
		if !signedIn(pc) {
			t.Fatal("not signed in on B")
		}
		uid := c.a.store.Client.User.Query().Order(ent.Desc(user.FieldID)).FirstIDX(context.Background())
		if n, err := c.a.srv.Sessions.RevokeUser(context.Background(), uid, nil, "admin"); err != nil || n != 1 {
			t.Fatalf("revoke on A: %d %v", n, err)
		}
		if signedIn(pc) {
			t.Fatal("node B still accepts a session revoked on A")
		}
	})
}
