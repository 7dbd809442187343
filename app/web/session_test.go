package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"scanboard/app/auth"
	"scanboard/ent/session"
)

func TestSessionRoundTripAndLogout(t *testing.T) {
	e := newEnv(t)
	u := e.user("active", "employee", "Li Lei")
	b := e.browser()
	b.login(u)
	resp := b.get("/")
	body := readBody(resp)
	if resp.StatusCode != 200 || !strings.Contains(body, "Li Lei") {
		t.Fatalf("home after login: %d\n%s", resp.StatusCode, body)
	}
	rows := e.store.Client.Session.Query().AllX(context.Background())
	if len(rows) != 1 || rows[0].Method != "test" || rows[0].RevokedAt != nil {
		t.Fatalf("session rows = %+v", rows)
	}
	if rows[0].IDHash != auth.HashID(b.cookies["mis_sid"]) {
		t.Fatal("the Session row does not mirror the cookie's session id (hashed)")
	}
	old := b.cookies["mis_sid"]
	// SESS-09: logout is a POST; replaying the old cookie afterwards is anonymous.
	resp = b.post("/logout", nil, "")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("logout: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	replay := e.browser()
	replay.cookies["mis_sid"] = old
	if resp := replay.get("/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("old cookie after logout: %d, want redirect to sign in", resp.StatusCode)
	}
	if r := e.store.Client.Session.Query().OnlyX(context.Background()); r.RevokedAt == nil || r.RevokedReason != "logout" {
		t.Fatalf("row not revoked on logout: %+v", r)
	}
}

func TestSESS05_IDRotatesAtLogin(t *testing.T) {
	e := newEnv(t)
	u := e.user("active", "employee", "Han Meimei")
	b := e.browser()
	b.csrf() // an anonymous session exists before sign-in
	pre := b.cookies["mis_sid"]
	if pre == "" {
		t.Fatal("no pre-login session")
	}
	b.login(u)
	if b.cookies["mis_sid"] == pre {
		t.Fatal("session id not rotated at login")
	}
	attacker := e.browser()
	attacker.cookies["mis_sid"] = pre
	if resp := attacker.get("/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("pre-login id still signed in: %d", resp.StatusCode)
	}
}

func TestSESS03_SESS01_CookieFlags(t *testing.T) {
	tests := []struct {
		name, base string
		want       *regexp.Regexp
	}{
		{"http", "http://127.0.0.1:8080", regexp.MustCompile(`^mis_sid=[A-Z2-7]{26}; path=/; HttpOnly; SameSite=Lax$`)},
		{"https", "https://mis.example.com", regexp.MustCompile(`^__Host-sid=[A-Z2-7]{26}; path=/; HttpOnly; secure; SameSite=Lax$`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, withBase(tt.base))
			resp := e.browser().get("/missing")
			var found bool
			for _, c := range resp.Header.Values("Set-Cookie") {
				if strings.Contains(c, "sid=") {
					found = true
					if !tt.want.MatchString(c) {
						t.Fatalf("Set-Cookie %q does not match %s", c, tt.want)
					}
					if strings.Contains(strings.ToLower(c), "domain=") {
						t.Fatal("session cookie has a Domain")
					}
				}
			}
			if !found {
				t.Fatal("no session cookie set")
			}
			if tt.name == "https" && resp.Header.Get("Strict-Transport-Security") == "" {
				t.Error("no HSTS over https")
			}
		})
	}
}

func TestSESS02_SESS04_ForeignIDsNotAdopted(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.cookies["mis_sid"] = "ATTACKERCHOSENID234567ABCD"
	b.get("/missing")
	if b.cookies["mis_sid"] == "ATTACKERCHOSENID234567ABCD" {
		t.Fatal("a client-chosen session id was adopted")
	}
	u := e.user("active", "employee", "Q")
	b2 := e.browser()
	b2.login(u)
	// An id in the query string or a header is ignored.
	q := e.browser()
	if resp := q.get("/?mis_sid=" + b2.cookies["mis_sid"]); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("session id taken from the query: %d", resp.StatusCode)
	}
	if resp := q.get("/", "mis_sid", b2.cookies["mis_sid"]); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("session id taken from a header: %d", resp.StatusCode)
	}
}

func TestSESS07_SESS08_Timeouts(t *testing.T) {
	t.Run("idle", func(t *testing.T) {
		e := newEnv(t)
		b := e.browser()
		b.login(e.user("active", "employee", "idle"))
		e.clock.Add(29 * time.Minute)
		if resp := b.get("/"); resp.StatusCode != 200 {
			t.Fatalf("before idle timeout: %d", resp.StatusCode)
		}
		e.clock.Add(31 * time.Minute) // activity at 29 min moved the idle window
		if resp := b.get("/"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("after idle timeout: %d, want sign-in redirect", resp.StatusCode)
		}
		r := e.store.Client.Session.Query().OnlyX(context.Background())
		if r.RevokedReason != "timeout" {
			t.Fatalf("timed-out row reason %q", r.RevokedReason)
		}
	})
	t.Run("absolute", func(t *testing.T) {
		e := newEnv(t)
		b := e.browser()
		b.login(e.user("active", "employee", "busy"))
		for range 24 { // busy all day: a request every 29 minutes for 11.6 hours
			e.clock.Add(29 * time.Minute)
			if resp := b.get("/"); resp.StatusCode != 200 {
				t.Fatalf("active session refused early: %d", resp.StatusCode)
			}
		}
		e.clock.Add(29 * time.Minute) // past 12 h
		if resp := b.get("/"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("after absolute timeout: %d", resp.StatusCode)
		}
	})
}

func TestSESS06_PrivilegeChangeRotatesID(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u := e.user("active", "employee", "promoted")
	b := e.browser()
	b.login(u)
	before := b.cookies["mis_sid"]
	e.store.Client.User.UpdateOne(u).SetRole("admin").ExecX(ctx)
	if resp := b.get("/"); resp.StatusCode != 200 {
		t.Fatalf("after role change: %d", resp.StatusCode)
	}
	after := b.cookies["mis_sid"]
	if after == before || after == "" {
		t.Fatal("session id not rotated after a role change")
	}
	old := e.browser()
	old.cookies["mis_sid"] = before
	if resp := old.get("/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("old id still works after rotation: %d", resp.StatusCode)
	}
	if n := e.store.Client.Session.Query().Where(session.IDHash(auth.HashID(after)), session.RevokedAtIsNil()).CountX(ctx); n != 1 {
		t.Fatal("the Session row did not follow the rotated id")
	}
	if resp := b.get("/"); resp.StatusCode != 200 {
		t.Fatalf("rotated session unusable: %d", resp.StatusCode)
	}
}

func TestSESS10_RevokedEverywhere(t *testing.T) {
	e := newEnv(t)
	u := e.user("active", "employee", "two devices")
	pc, phone := e.browser(), e.browser()
	pc.login(u)
	phone.login(u)
	n, err := auth.NewSessions(e.store, nil).RevokeUser(context.Background(), u.ID, nil, "disabled")
	if err != nil || n != 2 {
		t.Fatalf("RevokeUser = %d, %v", n, err)
	}
	for name, b := range map[string]*browser{"pc": pc, "phone": phone} {
		if resp := b.get("/"); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("%s still signed in after revocation: %d", name, resp.StatusCode)
		}
	}
}

func TestPendingUserIsNotLetIntoHome(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.login(e.user("pending", "employee", "new"))
	if resp := b.get("/"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/pending" {
		t.Fatalf("pending user at home: %d → %q, want the pending page", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestSESS06_BackgroundRequestsDoNotRotate(t *testing.T) {
	e := newEnv(t)
	u := e.user("pending", "employee", "waiting")
	b := e.browser()
	b.login(u)
	before := b.cookies["mis_sid"]
	e.store.Client.User.UpdateOne(u).SetStatus("active").ExecX(context.Background())
	// A chart's fetch or a long-poll made by the old page keeps working with the old id…
	if resp := b.get("/", "Sec-Fetch-Mode", "cors"); resp.StatusCode != 200 || b.cookies["mis_sid"] != before {
		t.Fatalf("background request: %d, rotated %v", resp.StatusCode, b.cookies["mis_sid"] != before)
	}
	// …and the next page load rotates it.
	if resp := b.get("/", "Sec-Fetch-Mode", "navigate"); resp.StatusCode != 200 || b.cookies["mis_sid"] == before {
		t.Fatalf("navigation: %d, rotated %v", resp.StatusCode, b.cookies["mis_sid"] != before)
	}
}

func TestBackgroundRequestsNeverSetTheSessionCookie(t *testing.T) {
	e := newEnv(t)
	u := e.user("pending", "employee", "waiting")
	b := e.browser()
	b.login(u)
	old := b.cookies["mis_sid"]
	e.store.Client.User.UpdateOne(u).SetStatus("active").ExecX(context.Background())
	// The pending page's long-poll, sent with the old id before the page navigates on.
	poll := e.browser()
	poll.cookies["mis_sid"] = old
	if resp := poll.get("/pending/wait?since=active", "Sec-Fetch-Mode", "cors"); len(resp.Header.Values("Set-Cookie")) != 0 {
		t.Fatalf("a background request set cookies: %v", resp.Header.Values("Set-Cookie"))
	}
	if resp := b.get("/", "Sec-Fetch-Mode", "navigate"); resp.StatusCode != 200 || b.cookies["mis_sid"] == old {
		t.Fatalf("navigation after approval: %d, rotated %v", resp.StatusCode, b.cookies["mis_sid"] != old)
	}
	// A late answer on the old id must not hand the browser its retired id back.
	if resp := poll.get("/pending/wait?since=active", "Sec-Fetch-Mode", "cors"); len(resp.Header.Values("Set-Cookie")) != 0 {
		t.Fatalf("a late background request set cookies: %v", resp.Header.Values("Set-Cookie"))
	}
	if resp := b.get("/", "Sec-Fetch-Mode", "navigate"); resp.StatusCode != 200 {
		t.Fatalf("the rotated session was lost: %d", resp.StatusCode)
	}
}

// TestSessionStoredAsTypedState: the session storage holds the typed state as JSON (no
// gob), and state the server cannot read (a session written by an older release, or
// anything else in its place) leaves the visitor without a session: not signed in, not a
// 503, and a fresh anonymous id.
func TestSessionStoredAsTypedState(t *testing.T) {
	e := newEnv(t)
	u := e.user("active", "employee", "typed")
	b := e.browser()
	b.login(u)
	sid := b.cookies["mis_sid"]
	raw, err := e.kv.Fiber().Get(sid)
	if err != nil || raw == nil {
		t.Fatalf("no stored state for the session: %v", err)
	}
	var st map[string]any
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatalf("state is not JSON: %q", raw)
	}
	if st["uid"] != float64(u.ID) || st["priv"] != "employee/active" || st["created"] == nil || st["seen"] == nil {
		t.Fatalf("state %v", st)
	}
	if resp := b.get("/"); resp.StatusCode != http.StatusOK {
		t.Fatalf("signed-in home: %d", resp.StatusCode)
	}
	if err := e.kv.Fiber().Set(sid, []byte("\x0e\xff\x81\x04\x01\x02gob"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if resp := b.get("/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("unreadable state: %d, want the sign-in redirect", resp.StatusCode)
	}
	if resp := b.get("/missing"); resp.StatusCode != http.StatusNotFound || b.cookies["mis_sid"] == sid {
		t.Fatalf("after unreadable state: %d, cookie kept %v", resp.StatusCode, b.cookies["mis_sid"] == sid)
	}
}
