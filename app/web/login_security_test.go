package web_test

import (
	"context"
	"crypto/rand"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"scanboard/app/auth"
	"scanboard/app/web"
	"scanboard/app/wechat"
	"scanboard/app/wechatsandbox"
	"scanboard/ent/loginlog"
)

// A pushed event as WeChat signs it, built by the test: the sandbox pushes only what a
// user does, while these tests need replays, forgeries and scenes nobody issued.

// pushOpts changes how deliver signs a push.
type pushOpts struct {
	plain     bool          // plaintext mode (no encrypt_type=aes, no Encrypt envelope)
	badSig    bool          // signature over the wrong token
	noSig     bool          // no signature parameters at all
	badMsgSig bool          // safe mode: msg_signature over the wrong token
	swapBody  string        // safe mode: encrypt this plaintext instead, keep msg_signature of the real one
	skew      time.Duration // timestamp this far from the clock
}

// eventXML is an OA event push as WeChat lays it out.
func (le *loginEnv) eventXML(openID, event, key string, createTime int64) string {
	return "<xml><ToUserName><![CDATA[" + le.sc.OA.OriginalID + "]]></ToUserName>" +
		"<FromUserName><![CDATA[" + openID + "]]></FromUserName>" +
		"<CreateTime>" + strconv.FormatInt(createTime, 10) + "</CreateTime>" +
		"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[" + event + "]]></Event>" +
		"<EventKey><![CDATA[" + key + "]]></EventKey></xml>"
}

// deliver POSTs one push to /wechat/push signed like WeChat, each call with a fresh nonce
// (as WeChat's retries have), and returns the response and its body.
func (le *loginEnv) deliver(plaintext string, o pushOpts) (*http.Response, string) {
	le.t.Helper()
	oa := le.sc.OA
	ts := strconv.FormatInt(le.clock.Now().Add(o.skew).Unix(), 10)
	n, _ := rand.Int(rand.Reader, big.NewInt(1_000_000_000))
	nonce := strconv.FormatInt(n.Int64(), 10)
	token := oa.Token
	if o.badSig {
		token = "not-the-token"
	}
	q := url.Values{}
	if !o.noSig {
		q.Set("signature", wechat.Signature(token, ts, nonce))
		q.Set("timestamp", ts)
		q.Set("nonce", nonce)
	}
	body := plaintext
	if !o.plain {
		key, err := wechat.ParseEncodingAESKey(oa.EncodingAESKey)
		if err != nil {
			le.t.Fatal(err)
		}
		enc, err := wechat.EncryptMessage(key, oa.AppID, []byte(plaintext), rand.Reader)
		if err != nil {
			le.t.Fatal(err)
		}
		msgToken := oa.Token
		if o.badMsgSig {
			msgToken = "not-the-token"
		}
		q.Set("encrypt_type", "aes")
		q.Set("msg_signature", wechat.Signature(msgToken, ts, nonce, enc))
		if o.swapBody != "" {
			if enc, err = wechat.EncryptMessage(key, oa.AppID, []byte(o.swapBody), rand.Reader); err != nil {
				le.t.Fatal(err)
			}
		}
		body = "<xml><ToUserName><![CDATA[" + oa.OriginalID + "]]></ToUserName><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>"
	}
	req := httptest.NewRequest(http.MethodPost, "/wechat/push?"+q.Encode(), strings.NewReader(body))
	req.Header.Set("Content-Type", "text/xml")
	resp, err := le.srv.App().Test(req, -1)
	if err != nil {
		le.t.Fatal(err)
	}
	return resp, readBody(resp)
}

// openID is the sandbox user's openid in the OA.
func (le *loginEnv) openID(sbUserID string) string {
	le.t.Helper()
	u, ok := le.sb.User(sbUserID)
	if !ok {
		le.t.Fatalf("sandbox user %s unknown", sbUserID)
	}
	return u.OpenIDs[le.sc.OA.AppID]
}

// attempt reads an attempt as the server keeps it (scene, scanner, status).
func (le *loginEnv) attempt(id string) *auth.Attempt {
	le.t.Helper()
	at, err := le.srv.Login.Attempts.Get(context.Background(), id)
	if err != nil {
		le.t.Fatal(err)
	}
	return at
}

// plainPushes makes the app accept plaintext pushes (an OA in plain mode), to test the
// plain-mode signature check.
func plainPushes(sc wechatsandbox.Config) func(*web.Login) {
	return func(l *web.Login) {
		p, err := wechat.NewPushReceiver(wechat.PushConfig{AppID: sc.OA.AppID, Token: sc.OA.Token, OriginalID: sc.OA.OriginalID})
		if err != nil {
			panic(err)
		}
		l.Push = p
	}
}

func TestWX06_ReplayedPush(t *testing.T) {
	le := newLoginEnv(t)
	pc := le.browser()
	at := le.startAttempt(pc)
	sub, err := le.kv.Subscribe(context.Background(), auth.AttemptChannel(at.ID))
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()

	// WeChat delivers the scan twice (the sandbox's duplicate fault) and a third time here.
	if err := le.sb.SetPushFaults(wechatsandbox.PushFaults{Duplicate: 1}); err != nil {
		t.Fatal(err)
	}
	link := le.scan(le.sbUser("a"))
	if link == "" {
		t.Fatal("no confirm link")
	}
	var deliveries []wechatsandbox.Push
	for _, p := range le.sb.Pushes(10) {
		if strings.HasSuffix(p.EventKey, le.attempt(at.ID).Scene) {
			deliveries = append(deliveries, p)
		}
	}
	if len(deliveries) != 2 {
		t.Fatalf("%d deliveries of the scan, want 2 (original and duplicate)", len(deliveries))
	}
	firstReply := ""
	for _, p := range deliveries {
		if len(p.Attempts) != 1 || p.Attempts[0].Status != 200 || p.Outcome != "replied" {
			t.Fatalf("delivery %s: outcome %s, attempts %+v", p.ID, p.Outcome, p.Attempts)
		}
		if firstReply == "" {
			firstReply = p.Attempts[0].ReplyBody
		} else if p.Attempts[0].ReplyBody != firstReply {
			t.Fatal("a repeated delivery got a different reply: the event was handled again")
		}
	}
	resp, body := le.deliver(deliveries[0].Plaintext, pushOpts{})
	if resp.StatusCode != 200 || body != firstReply {
		t.Fatalf("third delivery: %d, same reply %v", resp.StatusCode, body == firstReply)
	}

	if r := le.answer(link, "confirm"); r.StatusCode != 200 {
		t.Fatalf("confirm: %d", r.StatusCode)
	}
	// Every transition is announced on the attempt's channel: read up to "confirmed".
	scanned := 0
	deadline := time.After(10 * time.Second)
	for done := false; !done; {
		select {
		case m := <-sub.C():
			switch auth.AttemptStatus(m) {
			case auth.AttemptScanned:
				scanned++
			case auth.AttemptConfirmed:
				done = true
			}
		case <-deadline:
			t.Fatal("no confirmed announcement")
		}
	}
	if scanned != 1 {
		t.Fatalf("%d scanned transitions for 3 deliveries of one event, want 1", scanned)
	}
}

func TestWX01_BadSignatureRefused(t *testing.T) {
	cases := []struct {
		name  string
		plain bool // the app runs its OA in plain mode
		opts  pushOpts
	}{
		{"plain/wrong signature", true, pushOpts{plain: true, badSig: true}},
		{"plain/no signature", true, pushOpts{plain: true, noSig: true}},
		{"plain/stale timestamp", true, pushOpts{plain: true, skew: -10 * time.Minute}},
		{"safe/wrong signature", false, pushOpts{badSig: true}},
		{"safe/wrong msg_signature", false, pushOpts{badMsgSig: true}},
		{"safe/Encrypt swapped", false, pushOpts{swapBody: "swap"}},
		{"safe/stale timestamp", false, pushOpts{skew: 10 * time.Minute}},
		{"safe-only app/plaintext push", false, pushOpts{plain: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var le *loginEnv
			if tc.plain {
				le = newLoginEnv(t, plainPushes(wechatsandbox.DevConfig("http://x/_sandbox", "http://x/wechat/push")))
			} else {
				le = newLoginEnv(t)
			}
			pc := le.browser()
			at := le.startAttempt(pc)
			uid := le.sbUser("a")
			now := le.clock.Now().Unix()
			ev := le.eventXML(le.openID(uid), wechat.EventScan, le.attempt(at.ID).Scene, now)
			o := tc.opts
			if o.swapBody != "" {
				// A validly encrypted event for a scene of the attacker's choosing.
				o.swapBody = le.eventXML(le.openID(uid), wechat.EventScan, auth.NewScene(), now)
			}
			resp, body := le.deliver(ev, o)
			if resp.StatusCode != http.StatusForbidden {
				t.Fatalf("forged push: %d %q, want 403", resp.StatusCode, body)
			}
			if strings.Contains(body, "confirm") {
				t.Fatal("a refused push got a reply")
			}
			if got := le.attempt(at.ID); got.Status != auth.AttemptWaiting || got.OpenID != "" {
				t.Fatalf("forged push changed the attempt: %s scanned by %q", got.Status, got.OpenID)
			}
			// The same event signed properly is accepted: the refusal was the signature's.
			good := pushOpts{plain: tc.plain}
			if resp, body := le.deliver(le.eventXML(le.openID(uid), wechat.EventScan, le.attempt(at.ID).Scene, now+1), good); resp.StatusCode != 200 || body == "success" {
				t.Fatalf("genuine push: %d %q", resp.StatusCode, body)
			}
			if got := le.attempt(at.ID); got.Status != auth.AttemptScanned {
				t.Fatalf("genuine push: attempt %s, want scanned", got.Status)
			}
		})
	}
}

func TestWX12_UnknownOrExpiredScene(t *testing.T) {
	t.Run("unknown scene", func(t *testing.T) {
		le := newLoginEnv(t)
		at := le.startAttempt(le.browser())
		uid := le.sbUser("a")
		for _, ev := range []string{wechat.EventScan, wechat.EventSubscribe} {
			key := auth.NewScene()
			if ev == wechat.EventSubscribe {
				key = wechat.SceneKeyPrefix + key
			}
			resp, body := le.deliver(le.eventXML(le.openID(uid), ev, key, le.clock.Now().Unix()), pushOpts{})
			if resp.StatusCode != 200 || body != "success" {
				t.Fatalf("%s for an unknown scene: %d %q, want 200 success", ev, resp.StatusCode, body)
			}
		}
		if got := le.attempt(at.ID); got.Status != auth.AttemptWaiting || got.OpenID != "" {
			t.Fatalf("unknown scene changed the open attempt: %s", got.Status)
		}
		if n := le.logRows(auth.ReasonUnknownScene); n != 2 {
			t.Fatalf("%d unknown_scene log rows, want 2", n)
		}
	})
	t.Run("plain follow", func(t *testing.T) {
		le := newLoginEnv(t)
		at := le.startAttempt(le.browser())
		p, err := le.sb.Follow(context.Background(), le.sbUser("a"))
		if err != nil || p.Outcome != "acknowledged" {
			t.Fatalf("follow: %v %+v", err, p)
		}
		if got := le.attempt(at.ID); got.Status != auth.AttemptWaiting {
			t.Fatalf("a follow without scene changed the attempt: %s", got.Status)
		}
	})
	t.Run("expired scene", func(t *testing.T) {
		le := newLoginEnv(t)
		pc := le.browser()
		at := le.startAttempt(pc)
		scene := le.attempt(at.ID).Scene
		le.clock.Add(auth.DefaultAttemptTTL + time.Second)
		uid := le.sbUser("late")
		resp, body := le.deliver(le.eventXML(le.openID(uid), wechat.EventScan, scene, le.clock.Now().Unix()), pushOpts{})
		if resp.StatusCode != 200 || strings.Contains(body, "/login/confirm") {
			t.Fatalf("scan of an expired scene: %d, reply with a link: %v", resp.StatusCode, strings.Contains(body, "/login/confirm"))
		}
		if got := le.attempt(at.ID); got.Status != auth.AttemptExpired || got.OpenID != "" {
			t.Fatalf("expired attempt became %s, scanner %q", got.Status, got.OpenID)
		}
		if r := pc.postJSON("/login/attempts/" + at.ID + "/complete"); r.StatusCode != 409 {
			t.Fatalf("complete of an expired attempt: %d, want 409", r.StatusCode)
		}
		if _, ok := pc.cookies[web.SessionCookieName(false)]; ok && pc.get("/pending").StatusCode == 200 {
			t.Fatal("an expired attempt gave a session")
		}
	})
}

const weChatUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN"

// startWeChatOAuth opens /login inside WeChat and returns the authorize URL it was sent to.
func (le *loginEnv) startWeChatOAuth(b *browser) string {
	le.t.Helper()
	r := b.get("/login", "User-Agent", weChatUA)
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/login/wechat" {
		le.t.Fatalf("/login inside WeChat: %d → %q, want 303 /login/wechat", r.StatusCode, r.Header.Get("Location"))
	}
	r = b.get("/login/wechat", "User-Agent", weChatUA)
	loc := r.Header.Get("Location")
	if r.StatusCode != http.StatusFound || !strings.Contains(loc, "/connect/oauth2/authorize?") {
		le.t.Fatalf("/login/wechat: %d → %q, want 302 to the OA authorize URL", r.StatusCode, loc)
	}
	return loc
}

// authorize lets a sandbox user open the authorize URL inside WeChat and returns the local
// callback path (with code and state) WeChat sends the browser to.
func (le *loginEnv) authorize(sbUserID, authorizeURL string) string {
	le.t.Helper()
	res, err := le.sb.Authorize(sbUserID, authorizeURL, true)
	if err != nil || res.Redirect == "" {
		le.t.Fatalf("authorize: %v %+v", err, res)
	}
	u, err := url.Parse(res.Redirect)
	if err != nil {
		le.t.Fatal(err)
	}
	return u.RequestURI()
}

func stateOf(t *testing.T, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("state")
}

// signedIn reports whether the browser's session belongs to a signed-in user.
func signedIn(b *browser) bool {
	r := b.get("/pending")
	return r.StatusCode == 200
}

func TestInsideWeChatSignIn(t *testing.T) {
	for _, profile := range []bool{false, true} {
		t.Run("profile="+strconv.FormatBool(profile), func(t *testing.T) {
			le := newLoginEnv(t, func(l *web.Login) { l.OAuthProfile = profile })
			ph := le.browser()
			authURL := le.startWeChatOAuth(ph)
			wantScope := "scope=snsapi_base"
			if profile {
				wantScope = "scope=snsapi_userinfo"
			}
			if !strings.Contains(authURL, wantScope) {
				t.Fatalf("authorize URL %q lacks %s", authURL, wantScope)
			}
			r := ph.get(le.authorize(le.sbUser("小红"), authURL), "User-Agent", weChatUA)
			if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/pending" {
				t.Fatalf("callback: %d → %q, want 303 /pending", r.StatusCode, r.Header.Get("Location"))
			}
			if !signedIn(ph) {
				t.Fatal("no session after inside-WeChat sign-in")
			}
			n, err := le.store.Client.LoginLog.Query().Where(loginlog.Method(auth.MethodOAOAuth), loginlog.OutcomeEQ(loginlog.OutcomeSuccess)).Count(context.Background())
			if err != nil || n != 1 {
				t.Fatalf("%d successful oa_oauth log rows (%v), want 1", n, err)
			}
			u := le.store.Client.User.Query().OnlyX(context.Background())
			if u.Status != "pending" || (u.DisplayName == "小红") != profile {
				t.Fatalf("new account %q status %s; the nickname is taken only with the profile scope", u.DisplayName, u.Status)
			}
		})
	}
}

func TestSnapshotUserRefused(t *testing.T) {
	// WeChat shows snapshot pages only where snsapi_userinfo is asked for.
	le := newLoginEnv(t, func(l *web.Login) { l.OAuthProfile = true })
	ph := le.browser()
	authURL := le.startWeChatOAuth(ph)
	snap, err := le.sb.CreateUser(wechatsandbox.NewUser{Nickname: "快照", Snapshot: true})
	if err != nil {
		t.Fatal(err)
	}
	r := ph.get(le.authorize(snap.ID, authURL), "User-Agent", weChatUA)
	body := readBody(r)
	if r.StatusCode != http.StatusForbidden || !strings.Contains(body, "使用完整服务") {
		t.Fatalf("snapshot user: %d, want 403 with the 使用完整服务 hint:\n%s", r.StatusCode, body)
	}
	if signedIn(ph) {
		t.Fatal("a snapshot user got a session")
	}
	if n := le.store.Client.User.Query().CountX(context.Background()); n != 0 {
		t.Fatalf("%d accounts created for a snapshot user", n)
	}
	if le.logRows(auth.ReasonSnapshotUser) != 1 {
		t.Fatal("snapshot refusal not logged")
	}
}

func TestOAUTH01_StateBoundToBrowser(t *testing.T) {
	le := newLoginEnv(t)
	a := le.browser()
	authURL := le.startWeChatOAuth(a)
	state := stateOf(t, authURL)
	if len(state) < 26 {
		t.Fatalf("state %q shorter than 128 bits of base32", state)
	}
	if other := stateOf(t, le.startWeChatOAuth(le.browser())); other == state {
		t.Fatal("two browsers got the same state")
	}
	cb := le.authorize(le.sbUser("a"), authURL)
	cbURL, _ := url.Parse(cb)
	q := cbURL.Query()
	with := func(mut func(url.Values)) string {
		v := url.Values{}
		for k, vs := range q {
			v[k] = append([]string(nil), vs...)
		}
		mut(v)
		return cbURL.Path + "?" + v.Encode()
	}
	cases := []struct {
		name string
		path string
	}{
		{"missing state", with(func(v url.Values) { v.Del("state") })},
		{"tampered state", with(func(v url.Values) { v.Set("state", state[:len(state)-1]+"A") })},
		{"unknown state", with(func(v url.Values) { v.Set("state", auth.NewSecret()) })},
		{"repeated state", with(func(v url.Values) { v.Add("state", auth.NewSecret()) })},
		{"another browser's state", cb},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			attacker := le.browser()
			le.startWeChatOAuth(attacker) // its own pre-login cookie and state
			r := attacker.get(tc.path, "User-Agent", weChatUA)
			if r.StatusCode != http.StatusBadRequest {
				t.Fatalf("callback: %d, want 400", r.StatusCode)
			}
			if signedIn(attacker) {
				t.Fatal("a bad state gave a session")
			}
			if n := le.logRows(auth.ReasonStateMismatch); n != i+1 {
				t.Fatalf("%d state_mismatch rows, want %d", n, i+1)
			}
		})
	}
	if signedIn(a) {
		t.Fatal("the rightful browser is signed in without completing")
	}
}

func TestOAUTH02_StateSingleUse(t *testing.T) {
	le := newLoginEnv(t)
	a := le.browser()
	cb := le.authorize(le.sbUser("a"), le.startWeChatOAuth(a))
	if r := a.get(cb, "User-Agent", weChatUA); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("first callback: %d", r.StatusCode)
	}
	sessions := le.store.Client.Session.Query().CountX(context.Background())
	if sessions != 1 {
		t.Fatalf("%d sessions after one sign-in", sessions)
	}
	for _, b := range []*browser{a, le.browser()} {
		if r := b.get(cb, "User-Agent", weChatUA); r.StatusCode != http.StatusBadRequest {
			t.Fatalf("replayed callback: %d, want 400", r.StatusCode)
		}
	}
	if n := le.store.Client.Session.Query().CountX(context.Background()); n != sessions {
		t.Fatalf("replayed callback made a session (%d → %d)", sessions, n)
	}
}

func TestOAUTH03_StateExpires(t *testing.T) {
	le := newLoginEnv(t)
	a := le.browser()
	authURL := le.startWeChatOAuth(a)
	cb := le.authorize(le.sbUser("a"), authURL)
	le.clock.Add(10*time.Minute + time.Second)
	if r := a.get(cb, "User-Agent", weChatUA); r.StatusCode != http.StatusBadRequest {
		t.Fatalf("callback after 10 minutes: %d, want 400", r.StatusCode)
	}
	if signedIn(a) {
		t.Fatal("an expired state gave a session")
	}
	if le.logRows(auth.ReasonStateMismatch) != 1 {
		t.Fatal("expired state not logged")
	}
}

func TestSESS05_IDRotatesAtLoginThroughSignInFlows(t *testing.T) {
	check := func(t *testing.T, b *browser, before string, finish func()) {
		t.Helper()
		if before == "" {
			t.Fatal("no pre-login session to rotate")
		}
		finish()
		after := b.cookies[web.SessionCookieName(false)]
		if after == "" || after == before {
			t.Fatal("session id not rotated at sign-in")
		}
		if !signedIn(b) {
			t.Fatal("not signed in with the new id")
		}
		old := b.e.browser()
		old.cookies[web.SessionCookieName(false)] = before
		if signedIn(old) {
			t.Fatal("the pre-login id carries the signed-in session")
		}
	}
	t.Run("OA QR", func(t *testing.T) {
		le := newLoginEnv(t)
		pc := le.browser()
		at := le.startAttempt(pc)
		before := pc.cookies[web.SessionCookieName(false)]
		check(t, pc, before, func() {
			le.answer(le.scan(le.sbUser("a")), "confirm")
			if done := decode[attemptResp](t, pc.postJSON("/login/attempts/"+at.ID+"/complete")); done.Redirect == "" {
				t.Fatalf("complete: %+v", done)
			}
		})
	})
	t.Run("inside WeChat", func(t *testing.T) {
		le := newLoginEnv(t)
		ph := le.browser()
		ph.csrf() // an anonymous session exists before sign-in
		before := ph.cookies[web.SessionCookieName(false)]
		check(t, ph, before, func() {
			ph.get(le.authorize(le.sbUser("a"), le.startWeChatOAuth(ph)), "User-Agent", weChatUA)
		})
	})
}

func TestLOG01_SpoofedForwardedForIgnored(t *testing.T) {
	const spoofed = "6.6.6.6"
	spoof := func(b *browser, method, path string) *http.Response {
		req := httptest.NewRequest(method, path, nil)
		req.Header.Set("Accept", "application/json")
		req.Header.Set("X-Forwarded-For", spoofed)
		req.Header.Set("X-Real-IP", spoofed)
		if method == http.MethodPost {
			req.Header.Set("X-CSRF-Token", b.csrf())
		}
		return b.do(req)
	}
	cases := []struct {
		name    string
		trusted []string
	}{
		{"no trusted proxies", nil},
		{"peer not a trusted proxy", []string{"10.0.0.0/8"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			le := newLoginEnvDeps(t, func(d *web.Deps) { d.TrustedProxies = tc.trusted })
			pc := le.browser()
			pc.get("/login")
			r := spoof(pc, http.MethodPost, "/login/attempts")
			at := decode[attemptResp](t, r)
			uid := le.sbUser("a")
			link := le.scan(uid)
			msgs, _ := le.sb.Messages(uid)
			for _, m := range msgs {
				if strings.Contains(m.Text, spoofed) {
					t.Fatalf("the phone was shown the spoofed IP: %q", m.Text)
				}
			}
			le.answer(link, "confirm")
			if r := spoof(pc, http.MethodPost, "/login/attempts/"+at.ID+"/complete"); r.StatusCode != 200 {
				t.Fatalf("complete: %d", r.StatusCode)
			}
			rows := le.store.Client.LoginLog.Query().AllX(context.Background())
			if len(rows) == 0 {
				t.Fatal("no login-log rows")
			}
			for _, row := range rows {
				if row.IP == spoofed || row.IP == "" {
					t.Fatalf("login log IP %q for %s/%s, want the TCP peer", row.IP, row.Method, row.Reason)
				}
			}
			for _, s := range le.store.Client.Session.Query().AllX(context.Background()) {
				if s.IP == spoofed {
					t.Fatal("session row carries the spoofed IP")
				}
			}
		})
	}
	// Positive control: from a trusted proxy the header is believed, so the checks above
	// would see a spoofed value if the app took it from an untrusted peer.
	t.Run("trusted proxy", func(t *testing.T) {
		le := newLoginEnvDeps(t, func(d *web.Deps) { d.TrustedProxies = []string{"0.0.0.0/0"} })
		pc := le.browser()
		pc.get("/login")
		at := decode[attemptResp](t, spoof(pc, http.MethodPost, "/login/attempts"))
		if ip := le.attempt(at.ID).IP; ip != spoofed {
			t.Fatalf("attempt IP %q behind a trusted proxy, want %s", ip, spoofed)
		}
	})
}
