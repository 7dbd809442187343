package wechatsandbox

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func cookieFrom(rec interface{ Result() *http.Response }, name string) *http.Cookie {
	for _, c := range rec.Result().Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func TestPhonePages(t *testing.T) {
	sink, srv := newPushSink(t)
	e := newEnv(t, withPush(srv.URL, PushSafe))

	home := e.raw(t, http.MethodGet, "/phone", "")
	body := home.Body.String()
	if home.Code != 200 || !strings.Contains(body, "模拟手机") {
		t.Fatalf("phone home: %d", home.Code)
	}
	t.Run("strict CSP: no inline script or style, nonce on assets", func(t *testing.T) {
		csp := home.Header().Get("Content-Security-Policy")
		m := regexp.MustCompile(`'nonce-([^']+)'`).FindStringSubmatch(csp)
		if m == nil {
			t.Fatalf("no nonce in CSP %q", csp)
		}
		if !strings.Contains(body, `nonce="`+m[1]+`"`) {
			t.Error("stylesheet lacks the nonce")
		}
		if strings.Contains(body, "style=") || regexp.MustCompile(`<script>`).MatchString(body) {
			t.Error("inline style or script found")
		}
	})
	t.Run("the app's nonce is used when given", func(t *testing.T) {
		e2 := newEnv(t, func(c *Config) { c.Nonce = func(*http.Request) string { return "APPNONCE" } })
		rec := e2.raw(t, http.MethodGet, "/phone", "")
		if rec.Header().Get("Content-Security-Policy") != "" || !strings.Contains(rec.Body.String(), `nonce="APPNONCE"`) {
			t.Error("app nonce not used")
		}
	})
	t.Run("english", func(t *testing.T) {
		if rec := e.raw(t, http.MethodGet, "/phone?lang=en", ""); !strings.Contains(rec.Body.String(), "Simulated phone") {
			t.Error("no English page")
		}
	})

	create := e.raw(t, http.MethodPost, "/phone/users", url.Values{"nickname": {"<b>Eve</b>"}, "avatar_color": {"#ee0a24"}, "snapshot": {"1"}}.Encode())
	uc := cookieFrom(create, "sbx_uid")
	if create.Code != http.StatusSeeOther || uc == nil || !uc.HttpOnly {
		t.Fatalf("create user: %d %v", create.Code, create.Header())
	}
	page := e.raw(t, http.MethodGet, "/phone", "", uc).Body.String()
	if strings.Contains(page, "<b>Eve</b>") || !strings.Contains(page, "&lt;b&gt;Eve&lt;/b&gt;") {
		t.Error("nickname must be escaped")
	}
	if rec := e.raw(t, http.MethodPost, "/phone/users", "nickname=", uc); cookieFrom(rec, "sbx_flash") == nil {
		t.Error("a bad form should flash an error")
	}

	t.Run("follow from the phone is pushed", func(t *testing.T) {
		rec := e.raw(t, http.MethodPost, "/phone/follow", "", uc)
		if rec.Code != http.StatusSeeOther || len(sink.requests()) != 1 {
			t.Fatalf("follow: %d, %d pushes", rec.Code, len(sink.requests()))
		}
		flash := cookieFrom(rec, "sbx_flash")
		page := e.raw(t, http.MethodGet, "/phone", "", uc, flash).Body.String()
		if !strings.Contains(page, "subscribe → acknowledged") {
			t.Errorf("flash and push list missing")
		}
	})
	t.Run("ticket page by camera", func(t *testing.T) {
		m := e.createQR(t, `{"expire_seconds":60,"action_name":"QR_STR_SCENE","action_info":{"scene":{"scene_str":"cam"}}}`)
		path := strings.TrimPrefix(m["url"].(string), e.sb.URL(""))
		if rec := e.raw(t, http.MethodGet, path, ""); !strings.Contains(rec.Body.String(), "/phone/select") {
			t.Error("without a user the ticket page offers the picker")
		}
		if rec := e.raw(t, http.MethodGet, path, "", uc); !strings.Contains(rec.Body.String(), "cam") {
			t.Errorf("ticket page: %s", rec.Body)
		}
		if rec := e.raw(t, http.MethodPost, path, "", uc); rec.Code != http.StatusSeeOther {
			t.Errorf("scan post: %d", rec.Code)
		}
		if got := sink.requests(); len(got) != 2 {
			t.Errorf("pushes %d", len(got))
		}
		scan := e.raw(t, http.MethodGet, "/phone?tab=scan", "", uc).Body.String()
		if !strings.Contains(scan, "cam") {
			t.Error("live QR list lacks the ticket")
		}
	})
	t.Run("website login confirmed on the phone", func(t *testing.T) {
		uuid := e.openWebsiteQR(t, nil)
		pasted := e.raw(t, http.MethodPost, "/phone/scan", url.Values{"content": {e.sb.URL("/connect/confirm?uuid=" + uuid)}}.Encode(), uc)
		if loc := pasted.Header().Get("Location"); !strings.HasSuffix(loc, "/connect/confirm?uuid="+uuid) {
			t.Fatalf("paste: %v", loc)
		}
		page := e.raw(t, http.MethodGet, "/connect/confirm?uuid="+uuid, "", uc).Body.String()
		if !strings.Contains(page, `value="allow"`) {
			t.Fatalf("confirm page: %s", page)
		}
		e.raw(t, http.MethodPost, "/connect/confirm", url.Values{"uuid": {uuid}, "decision": {"allow"}}.Encode(), uc)
		poll := e.raw(t, http.MethodGet, "/connect/l/qrconnect?uuid="+uuid+"&last=404", "").Body.String()
		if !strings.Contains(poll, "wx_errcode=405") {
			t.Errorf("poll after phone confirm: %s", poll)
		}
	})
	t.Run("pasting another link opens it", func(t *testing.T) {
		rec := e.raw(t, http.MethodPost, "/phone/scan", url.Values{"content": {"https://app.example/own-qr/abc"}}.Encode(), uc)
		if rec.Header().Get("Location") != "https://app.example/own-qr/abc" {
			t.Errorf("got %v", rec.Header())
		}
	})
	t.Run("select only redirects inside the sandbox", func(t *testing.T) {
		for _, next := range []string{"https://evil.example/", "//evil.example", "/_sandbox/../x\\y"} {
			rec := e.raw(t, http.MethodPost, "/phone/select", url.Values{"user": {uc.Value}, "next": {next}}.Encode())
			if rec.Header().Get("Location") != "/_sandbox/phone" {
				t.Errorf("next %q led to %q", next, rec.Header().Get("Location"))
			}
		}
	})
	t.Run("mini panel", func(t *testing.T) {
		rec := e.raw(t, http.MethodPost, "/phone/mini", "what=code", uc)
		if !strings.Contains(rec.Body.String(), "<textarea") {
			t.Errorf("mini code: %s", rec.Body)
		}
		if rec := e.raw(t, http.MethodPost, "/phone/mini", "what=userinfo", uc); !strings.Contains(rec.Body.String(), "encryptedData") {
			t.Error("mini userinfo")
		}
	})
	t.Run("inbox shows SMS for the user's phone", func(t *testing.T) {
		u, _ := e.sb.User(uc.Value)
		_ = e.sb.DeliverSMS(u.Phone, "验证码 654321")
		if page := e.raw(t, http.MethodGet, "/phone?tab=inbox", "", uc).Body.String(); !strings.Contains(page, "654321") {
			t.Error("sms not shown")
		}
	})
	t.Run("avatar and static", func(t *testing.T) {
		if rec := e.raw(t, http.MethodGet, "/avatar/"+uc.Value+"/132", ""); !strings.Contains(rec.Body.String(), "&lt;") {
			t.Errorf("avatar: %s", rec.Body)
		}
		for _, p := range []string{"/static/sandbox.css", "/static/qrconnect.js"} {
			if rec := e.raw(t, http.MethodGet, p, ""); rec.Code != 200 {
				t.Errorf("%s: %d", p, rec.Code)
			}
		}
	})
	t.Run("outside the base path", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, "/phone", nil)
		rec := newRecorder()
		e.sb.ServeHTTP(rec, req)
		if rec.Code != http.StatusNotFound {
			t.Errorf("status %d", rec.Code)
		}
	})
}

func TestBoundedMemory(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Settings.MaxUsers = 3; c.Settings.MaxCodes = 2; c.Settings.MaxMessages = 2 })
	var ids []string
	for range 5 {
		ids = append(ids, e.user(t, NewUser{}).ID)
	}
	if n := len(e.sb.Users()); n != 3 {
		t.Errorf("users = %d, want 3", n)
	}
	if _, ok := e.sb.User(ids[0]); ok {
		t.Error("the oldest user should be gone")
	}
	e.sb.mu.Lock()
	nOpen := len(e.sb.openids)
	e.sb.mu.Unlock()
	if nOpen > 3*3 {
		t.Errorf("openid index keeps evicted users: %d", nOpen)
	}
	for range 4 {
		_, _ = e.sb.MiniLogin(ids[4])
	}
	if e.sb.codes.len() != 2 {
		t.Errorf("codes = %d", e.sb.codes.len())
	}
	for range 5 {
		_ = e.sb.DeliverSMS("13900000000", "x")
	}
	if n := len(e.sb.SMS().List("")); n != 2 {
		t.Errorf("sms = %d", n)
	}
}
