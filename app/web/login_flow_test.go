package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"scanboard/app/auth"
	"scanboard/app/web"
	"scanboard/app/wechat"
	"scanboard/app/wechatsandbox"
	"scanboard/ent/loginlog"
)

// appTransport delivers the sandbox's pushes to the app in-process, as WeChat would over
// the network.
type appTransport struct{ srv func() *web.Server }

func (t appTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return t.srv().App().Test(r, -1)
}

// loginEnv is an app with the sign-in services wired to an in-process WeChat sandbox.
type loginEnv struct {
	*env
	sb *wechatsandbox.Sandbox
	sc wechatsandbox.Config // the sandbox's credentials, for pushes a test signs itself
}

func newLoginEnv(t *testing.T, opts ...func(*web.Login)) *loginEnv {
	t.Helper()
	return newLoginEnvDeps(t, nil, opts...)
}

// newLoginEnvDeps is newLoginEnv with a change to the app's other dependencies (deps may
// be nil), applied before the sign-in services are wired.
func newLoginEnvDeps(t *testing.T, deps func(*web.Deps), opts ...func(*web.Login)) *loginEnv {
	t.Helper()
	var e *env
	sc := wechatsandbox.DevConfig("http://127.0.0.1:8080/_sandbox", "http://127.0.0.1:8080/wechat/push")
	sc.HTTPClient = &http.Client{Transport: appTransport{func() *web.Server { return e.srv }}}
	var sbNow func() time.Time
	sc.Now = func() time.Time { return sbNow() }
	sb, err := wechatsandbox.New(sc)
	if err != nil {
		t.Fatal(err)
	}
	withLogin := func(d *web.Deps) {
		if deps != nil {
			deps(d)
		}
		now := d.Now
		client, err := wechat.New(wechat.Config{AppID: sc.OA.AppID, Secret: sc.OA.Secret, Endpoints: wechat.SingleHost(sc.PublicURL),
			HTTPClient: &http.Client{Transport: sandboxTransport{sb}}, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		push, err := wechat.NewPushReceiver(wechat.PushConfig{AppID: sc.OA.AppID, Token: sc.OA.Token,
			EncodingAESKey: sc.OA.EncodingAESKey, OriginalID: sc.OA.OriginalID, RequireSafeMode: true, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		d.Sandbox = sb
		d.Login = web.Login{
			WeChat: client, Push: push,
			Attempts:    auth.NewAttempts(d.KV, 0, now),
			Identities:  auth.NewIdentities(d.Store, now),
			Log:         auth.NewLoginLog(d.Store, now),
			PhonePolicy: web.PhonePending,
			Phones:      auth.NewPhones(d.Store, d.KV, sb.SMS(), func(_, code string) string { return "code " + code }, now),
		}
		for _, o := range opts {
			o(&d.Login)
		}
	}
	e = newEnv(t, withLogin)
	sbNow = e.clock.Now
	return &loginEnv{env: e, sb: sb, sc: sc}
}

// sandboxTransport serves the WeChat client's calls from the sandbox handler directly.
type sandboxTransport struct{ sb http.Handler }

func (t sandboxTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.sb.ServeHTTP(rec, r)
	return rec.Result(), nil
}

type attemptResp struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	QR       string `json:"qr"`
	Redirect string `json:"redirect"`
	Code     string `json:"code"`
}

func decode[T any](t *testing.T, r *http.Response) T {
	t.Helper()
	var v T
	body := readBody(r)
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("decode %q: %v", body, err)
	}
	return v
}

func (b *browser) postJSON(path string) *http.Response {
	req := httptest.NewRequest(http.MethodPost, path, nil)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-CSRF-Token", b.csrf())
	return b.do(req)
}

func (b *browser) getJSON(path string) *http.Response {
	return b.get(path, "Accept", "application/json")
}

// startAttempt opens /login and asks for a QR attempt like login.js does.
func (le *loginEnv) startAttempt(b *browser) attemptResp {
	le.t.Helper()
	if r := b.get("/login"); r.StatusCode != 200 {
		le.t.Fatalf("/login: %d", r.StatusCode)
	}
	r := b.postJSON("/login/attempts")
	if r.StatusCode != 200 {
		le.t.Fatalf("create attempt: %d %s", r.StatusCode, readBody(r))
	}
	return decode[attemptResp](le.t, r)
}

// scan makes a sandbox user scan the newest live OA ticket and returns the confirm link
// from the passive reply ("" when the reply had none).
func (le *loginEnv) scan(userID string) string {
	le.t.Helper()
	tickets := le.sb.LiveTickets(100)
	if len(tickets) == 0 {
		le.t.Fatal("no live ticket")
	}
	newest := tickets[0]
	for _, tk := range tickets {
		if tk.Created.After(newest.Created) {
			newest = tk
		}
	}
	if _, err := le.sb.ScanTicket(context.Background(), userID, newest.Ticket); err != nil {
		le.t.Fatalf("scan: %v", err)
	}
	msgs, err := le.sb.Messages(userID)
	if err != nil || len(msgs) == 0 {
		le.t.Fatalf("no reply in WeChat: %v", err)
	}
	last := msgs[0]
	for _, m := range msgs {
		if !m.At.Before(last.At) {
			last = m
		}
	}
	return regexp.MustCompile(`/login/confirm\?t=[A-Z2-7]+`).FindString(last.Text)
}

func (le *loginEnv) sbUser(name string) string {
	le.t.Helper()
	u, err := le.sb.CreateUser(wechatsandbox.NewUser{Nickname: name})
	if err != nil {
		le.t.Fatal(err)
	}
	return u.ID
}

// answer opens the confirm link on the phone and posts the decision.
func (le *loginEnv) answer(link, decision string) *http.Response {
	le.t.Helper()
	phone := le.browser()
	if r := phone.get(link); r.StatusCode != 200 {
		le.t.Fatalf("confirm page: %d %s", r.StatusCode, readBody(r))
	}
	u, _ := url.Parse(link)
	return phone.post("/login/confirm", url.Values{"t": {u.Query().Get("t")}, "decision": {decision}}, "")
}

func (le *loginEnv) logRows(reason string) int {
	le.t.Helper()
	n, err := le.store.Client.LoginLog.Query().Where(loginlog.Reason(reason)).Count(context.Background())
	if err != nil {
		le.t.Fatal(err)
	}
	return n
}

func TestOAQRFlowEndToEnd(t *testing.T) {
	le := newLoginEnv(t)
	pc := le.browser()
	at := le.startAttempt(pc)
	if len(at.ID) < 26 {
		t.Fatalf("attempt id %q shorter than 128 bits", at.ID)
	}
	if r := pc.get(at.QR); r.StatusCode != 200 || r.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("qr: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}
	link := le.scan(le.sbUser("小明"))
	if link == "" {
		t.Fatal("reply carries no confirm link")
	}
	st := decode[attemptResp](t, pc.getJSON("/login/attempts/"+at.ID+"?since=waiting"))
	if st.Status != "scanned" {
		t.Fatalf("status = %q, want scanned", st.Status)
	}
	if r := le.answer(link, "confirm"); r.StatusCode != 200 {
		t.Fatalf("confirm: %d %s", r.StatusCode, readBody(r))
	}
	st = decode[attemptResp](t, pc.getJSON("/login/attempts/"+at.ID+"?since=scanned"))
	if st.Status != "confirmed" {
		t.Fatalf("status = %q, want confirmed", st.Status)
	}
	before := pc.cookies[web.SessionCookieName(false)]
	done := decode[attemptResp](t, pc.postJSON("/login/attempts/"+at.ID+"/complete"))
	if done.Redirect != "/pending" {
		t.Fatalf("complete = %+v, want redirect to /pending", done)
	}
	if after := pc.cookies[web.SessionCookieName(false)]; after == before || after == "" {
		t.Fatal("session id not rotated at sign-in (SESS-05)")
	}
	body := readBody(pc.get("/pending"))
	if !strings.Contains(body, `id="pending"`) || !strings.Contains(body, `data-status="pending"`) {
		t.Fatalf("pending page:\n%s", body)
	}
	if le.logRows(auth.ReasonPendingApproval) != 1 {
		t.Fatal("no login-log row for the pending sign-in")
	}
}

func TestWX10_FiftyConcurrentCompletions(t *testing.T) {
	le := newLoginEnv(t)
	pc := le.browser()
	at := le.startAttempt(pc)
	if r := le.answer(le.scan(le.sbUser("a")), "confirm"); r.StatusCode != 200 {
		t.Fatalf("confirm: %d", r.StatusCode)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := le.srv.Login.Attempts.Complete(context.Background(), at.ID, pc.cookies["mis_login"])
			if err == nil && a != nil {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d completions succeeded, want exactly 1", wins)
	}
}

func TestWX09_AttemptIDWithoutCookie(t *testing.T) {
	le := newLoginEnv(t)
	pc := le.browser()
	at := le.startAttempt(pc)
	if r := le.answer(le.scan(le.sbUser("a")), "confirm"); r.StatusCode != 200 {
		t.Fatalf("confirm: %d", r.StatusCode)
	}
	attacker := le.browser()
	attacker.get("/login")
	if r := attacker.getJSON("/login/attempts/" + at.ID); r.StatusCode != 404 {
		t.Fatalf("status poll without the cookie: %d, want 404", r.StatusCode)
	}
	if r := attacker.postJSON("/login/attempts/" + at.ID + "/complete"); r.StatusCode != 403 {
		t.Fatalf("completion without the cookie: %d, want 403", r.StatusCode)
	}
	if _, ok := attacker.cookies[web.SessionCookieName(false)]; ok {
		if r := attacker.get("/pending"); r.StatusCode == 200 {
			t.Fatal("attacker got a session")
		}
	}
	// The rightful browser still completes.
	if done := decode[attemptResp](t, pc.postJSON("/login/attempts/"+at.ID+"/complete")); done.Redirect == "" {
		t.Fatalf("owner could not complete: %+v", done)
	}
	if le.logRows(auth.ReasonCookieMismatch) != 1 {
		t.Fatal("cookie mismatch not logged")
	}
}

func TestLoginFailures(t *testing.T) {
	t.Run("denied on phone", func(t *testing.T) {
		le := newLoginEnv(t)
		pc := le.browser()
		at := le.startAttempt(pc)
		if r := le.answer(le.scan(le.sbUser("a")), "deny"); r.StatusCode != 200 {
			t.Fatalf("deny: %d", r.StatusCode)
		}
		if st := decode[attemptResp](t, pc.getJSON("/login/attempts/"+at.ID+"?since=scanned")); st.Status != "denied" {
			t.Fatalf("status %q, want denied", st.Status)
		}
		if r := pc.postJSON("/login/attempts/" + at.ID + "/complete"); r.StatusCode != 409 {
			t.Fatalf("complete after deny: %d, want 409", r.StatusCode)
		}
		if le.logRows(auth.ReasonUserDenied) != 1 {
			t.Fatal("denial not logged")
		}
	})
	t.Run("expired attempt", func(t *testing.T) {
		le := newLoginEnv(t)
		pc := le.browser()
		at := le.startAttempt(pc)
		le.clock.Add(auth.DefaultAttemptTTL + 1)
		if st := decode[attemptResp](t, pc.getJSON("/login/attempts/"+at.ID)); st.Status != "expired" {
			t.Fatalf("status %q, want expired", st.Status)
		}
		if link := le.scan(le.sbUser("late")); link != "" {
			t.Fatal("an expired attempt handed out a confirm link")
		}
		if le.logRows(auth.ReasonQRExpired) != 1 {
			t.Fatal("expired scan not logged")
		}
	})
	t.Run("reused confirm link", func(t *testing.T) {
		le := newLoginEnv(t)
		le.startAttempt(le.browser())
		link := le.scan(le.sbUser("a"))
		if r := le.answer(link, "confirm"); r.StatusCode != 200 {
			t.Fatalf("first confirm: %d", r.StatusCode)
		}
		phone := le.browser()
		if r := phone.get(link); r.StatusCode == 200 {
			t.Fatal("used confirm link still opens")
		}
	})
	t.Run("disabled user", func(t *testing.T) {
		le := newLoginEnv(t)
		pc := le.browser()
		at := le.startAttempt(pc)
		sbID := le.sbUser("gone")
		link := le.scan(sbID)
		// First confirmation creates the account; disable it, then sign in again.
		le.answer(link, "confirm")
		le.store.Client.User.Update().SetStatus("disabled").ExecX(context.Background())
		le.clock.Add(time.Second) // the sandbox stamps tickets and messages with this clock
		at = le.startAttempt(pc)
		if r := le.answer(le.scan(sbID), "confirm"); r.StatusCode != 403 {
			t.Fatalf("confirm for a disabled account: %d, want 403", r.StatusCode)
		}
		if st := decode[attemptResp](t, pc.getJSON("/login/attempts/"+at.ID+"?since=scanned")); st.Status != "denied" {
			t.Fatalf("status %q, want denied", st.Status)
		}
		if le.logRows(auth.ReasonDisabled) == 0 {
			t.Fatal("disabled sign-in not logged")
		}
	})
}
