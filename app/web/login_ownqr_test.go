package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"scanboard/app/auth"
	"scanboard/app/web"
	"scanboard/ent/loginlog"
)

// ownScan makes a sandbox user scan the attempt's own QR with WeChat: WeChat opens our URL
// in its browser (a phone browser with WeChat's user agent), OA web OAuth identifies the
// user, and the phone lands on the confirmation page. It returns the phone and the
// response to the OAuth callback.
func (le *loginEnv) ownScan(attemptID, sbUserID string) (*browser, *http.Response) {
	le.t.Helper()
	content := le.attempt(attemptID).QRContent
	res, err := le.sb.Scan(context.Background(), sbUserID, content)
	if err != nil || res.Kind != "url" || res.OpenURL != content {
		le.t.Fatalf("scan own QR %q: %v %+v", content, err, res)
	}
	u, _ := url.Parse(res.OpenURL)
	phone := le.browser()
	r := phone.get(u.RequestURI(), "User-Agent", weChatUA)
	loc := r.Header.Get("Location")
	if r.StatusCode != http.StatusFound || !strings.Contains(loc, "/connect/oauth2/authorize?") {
		le.t.Fatalf("own QR page: %d → %q, want 302 to OA OAuth", r.StatusCode, loc)
	}
	return phone, phone.get(le.authorize(sbUserID, loc), "User-Agent", weChatUA)
}

func ownQR(l *web.Login) { l.OwnQR = true }

func TestOwnQRFlowEndToEnd(t *testing.T) {
	le := newLoginEnv(t, ownQR)
	pc := le.browser()
	at := le.startAttempt(pc)
	if c := le.attempt(at.ID).QRContent; !strings.HasPrefix(c, "http://127.0.0.1:8080/login/own/") {
		t.Fatalf("own QR content %q, want our own URL", c)
	}
	phone, r := le.ownScan(at.ID, le.sbUser("小明"))
	confirm := r.Header.Get("Location")
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(confirm, "/login/confirm?t=") {
		t.Fatalf("OAuth callback: %d → %q, want 303 to the confirm page", r.StatusCode, confirm)
	}
	if st := decode[attemptResp](t, pc.getJSON("/login/attempts/"+at.ID+"?since=waiting")); st.Status != "scanned" {
		t.Fatalf("PC status %q, want scanned", st.Status)
	}
	page := readBody(phone.get(confirm))
	if !strings.Contains(page, le.attempt(at.ID).IP) {
		t.Fatalf("confirm page does not name the requesting IP:\n%s", page)
	}
	tok, _ := url.Parse(confirm)
	if r := phone.post("/login/confirm", url.Values{"t": {tok.Query().Get("t")}, "decision": {"confirm"}}, ""); r.StatusCode != 200 {
		t.Fatalf("confirm: %d", r.StatusCode)
	}
	if signedIn(phone) {
		t.Fatal("the phone got the PC's session")
	}
	if st := decode[attemptResp](t, pc.getJSON("/login/attempts/"+at.ID+"?since=scanned")); st.Status != "confirmed" {
		t.Fatalf("PC status %q, want confirmed", st.Status)
	}
	if done := decode[attemptResp](t, pc.postJSON("/login/attempts/"+at.ID+"/complete")); done.Redirect != "/pending" {
		t.Fatalf("complete: %+v", done)
	}
	if !signedIn(pc) {
		t.Fatal("PC not signed in")
	}
	n := le.store.Client.LoginLog.Query().Where(loginlog.Method(auth.MethodOwnQR), loginlog.OutcomeEQ(loginlog.OutcomeSuccess)).CountX(context.Background())
	if n != 1 {
		t.Fatalf("%d successful own_qr log rows, want 1", n)
	}
}

func TestOwnQRFailures(t *testing.T) {
	t.Run("denied on phone", func(t *testing.T) {
		le := newLoginEnv(t, ownQR)
		pc := le.browser()
		at := le.startAttempt(pc)
		phone, r := le.ownScan(at.ID, le.sbUser("a"))
		tok, _ := url.Parse(r.Header.Get("Location"))
		if r := phone.post("/login/confirm", url.Values{"t": {tok.Query().Get("t")}, "decision": {"deny"}}, ""); r.StatusCode != 200 {
			t.Fatalf("deny: %d", r.StatusCode)
		}
		if st := decode[attemptResp](t, pc.getJSON("/login/attempts/"+at.ID+"?since=scanned")); st.Status != "denied" {
			t.Fatalf("status %q, want denied", st.Status)
		}
		if r := pc.postJSON("/login/attempts/" + at.ID + "/complete"); r.StatusCode != 409 || signedIn(pc) {
			t.Fatalf("complete after deny: %d", r.StatusCode)
		}
	})
	t.Run("second scanner", func(t *testing.T) {
		le := newLoginEnv(t, ownQR)
		at := le.startAttempt(le.browser())
		le.ownScan(at.ID, le.sbUser("first"))
		_, r := le.ownScan(at.ID, le.sbUser("second"))
		if r.StatusCode != http.StatusConflict {
			t.Fatalf("second scanner: %d, want 409", r.StatusCode)
		}
		if le.logRows(auth.ReasonScannedByOther) != 1 {
			t.Fatal("second scanner not logged")
		}
	})
	t.Run("unknown scene", func(t *testing.T) {
		le := newLoginEnv(t, ownQR)
		if r := le.browser().get("/login/own/"+auth.NewScene(), "User-Agent", weChatUA); r.StatusCode != http.StatusNotFound {
			t.Fatalf("own QR of an unknown scene: %d, want 404", r.StatusCode)
		}
	})
	t.Run("expired attempt", func(t *testing.T) {
		le := newLoginEnv(t, ownQR)
		pc := le.browser()
		at := le.startAttempt(pc)
		le.clock.Add(auth.DefaultAttemptTTL + 1)
		_, r := le.ownScan(at.ID, le.sbUser("late"))
		if r.StatusCode != http.StatusConflict {
			t.Fatalf("scan of an expired own QR: %d, want 409", r.StatusCode)
		}
		if signedIn(pc) {
			t.Fatal("expired attempt gave a session")
		}
	})
}

func TestOAUTH08_ReturnToKeptServerSide(t *testing.T) {
	le := newLoginEnv(t)
	sbID := le.sbUser("a")
	u := le.user("active", "employee", "a")
	le.store.Client.WeChatIdentity.Create().SetKind("oa").SetAppid(le.sc.OA.AppID).SetOpenid(le.openID(sbID)).
		SetUser(u).ExecX(context.Background())
	ph := le.browser()
	r := ph.get("/login/wechat?next=/upload", "User-Agent", weChatUA)
	cb := le.authorize(sbID, r.Header.Get("Location"))
	// A next= added to the callback is not read: the target comes from the state record.
	r = ph.get(cb+"&next=%2F%2Fevil.example&return_to=https%3A%2F%2Fevil.example", "User-Agent", weChatUA)
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/upload" {
		t.Fatalf("callback: %d → %q, want 303 /upload", r.StatusCode, r.Header.Get("Location"))
	}
}
