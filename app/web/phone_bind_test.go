package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"scanboard/app/auth"
	"scanboard/app/web"
	"scanboard/ent"
	"scanboard/ent/phonebinding"
	"scanboard/ent/user"
	"scanboard/ent/wechatidentity"
)

// Messages of the phone form the person acts on (zh-CN, the default language).
const (
	msgCodeWrong    = "验证码错误"
	msgCodeExpired  = "验证码已过期"
	msgCodeTooMany  = "错误次数过多"
	msgThrottled    = "验证码请求过于频繁"
	msgAlreadyBound = "该手机号已绑定其他账号"
)

// smsCode reads the newest code the sandbox SMS inbox received for phone.
func (le *loginEnv) smsCode(phone string) string {
	le.t.Helper()
	msgs := le.sb.SMS().List(phone)
	if len(msgs) == 0 {
		le.t.Fatalf("no SMS for %s", phone)
	}
	code := regexp.MustCompile(`\d{6}`).FindString(msgs[0].Text)
	if code == "" {
		le.t.Fatalf("no code in %q", msgs[0].Text)
	}
	return code
}

// sendCode asks for a code on the phone form and returns the response and its page.
func sendCode(b *browser, phone string, hdr ...string) (*http.Response, string) {
	form := url.Values{"phone": {phone}, "_csrf": {b.csrf()}}
	req := httptest.NewRequest(http.MethodPost, "/login/phone/code", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	r := b.do(req)
	return r, readBody(r)
}

func verifyCode(b *browser, phone, code string) (*http.Response, string) {
	r := b.post("/login/phone/verify", url.Values{"phone": {phone}, "code": {code}}, "")
	return r, readBody(r)
}

// wrongCode is a 6-digit code other than code.
func wrongCode(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}

// qrSignIn signs a new sandbox user in through the OA QR flow and returns the PC browser,
// the sandbox user and the attempt's outcome.
func (le *loginEnv) qrSignIn(b *browser, sbUserID string) attemptResp {
	le.t.Helper()
	at := le.startAttempt(b)
	if r := le.answer(le.scan(sbUserID), "confirm"); r.StatusCode != 200 {
		le.t.Fatalf("confirm: %d", r.StatusCode)
	}
	st := decode[attemptResp](le.t, b.getJSON("/login/attempts/"+at.ID+"?since=scanned"))
	done := decode[attemptResp](le.t, b.postJSON("/login/attempts/"+at.ID+"/complete"))
	done.Status = st.Status
	return done
}

func (le *loginEnv) verifiedPhone(userID int) string {
	le.t.Helper()
	b, err := le.store.Client.PhoneBinding.Query().
		Where(phonebinding.HasUserWith(user.ID(userID)), phonebinding.VerifiedAtNotNil()).Only(context.Background())
	if ent.IsNotFound(err) {
		return ""
	}
	if err != nil {
		le.t.Fatal(err)
	}
	return b.Phone
}

func TestPhoneCodes(t *testing.T) {
	const phone = "13800001234"
	setup := func(t *testing.T) (*loginEnv, *browser, *ent.User) {
		le := newLoginEnv(t)
		u := le.user("pending", "employee", "Li Lei")
		b := le.browser()
		b.login(u)
		if r, body := sendCode(b, phone); r.StatusCode != 200 {
			t.Fatalf("send code: %d %s", r.StatusCode, body)
		}
		return le, b, u
	}
	t.Run("right code binds", func(t *testing.T) {
		le, b, u := setup(t)
		if r, _ := verifyCode(b, phone, le.smsCode(phone)); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("verify: %d", r.StatusCode)
		}
		if got := le.verifiedPhone(u.ID); got != "+86"+phone {
			t.Fatalf("verified phone %q", got)
		}
	})
	t.Run("wrong code", func(t *testing.T) {
		le, b, u := setup(t)
		code := le.smsCode(phone)
		r, body := verifyCode(b, phone, wrongCode(code))
		if r.StatusCode != http.StatusBadRequest || !strings.Contains(body, msgCodeWrong) {
			t.Fatalf("wrong code: %d, want 400 with %q", r.StatusCode, msgCodeWrong)
		}
		if le.verifiedPhone(u.ID) != "" || le.logRows(auth.ReasonCodeWrong) != 1 {
			t.Fatal("wrong code bound the number or was not logged")
		}
		if r, _ := verifyCode(b, phone, code); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("right code after one wrong: %d", r.StatusCode)
		}
	})
	t.Run("expired code", func(t *testing.T) {
		le, b, u := setup(t)
		code := le.smsCode(phone)
		le.clock.Add(auth.CodeTTL + time.Second)
		r, body := verifyCode(b, phone, code)
		if r.StatusCode != http.StatusBadRequest || !strings.Contains(body, msgCodeExpired) {
			t.Fatalf("expired code: %d, want 400 with %q", r.StatusCode, msgCodeExpired)
		}
		if le.verifiedPhone(u.ID) != "" || le.logRows(auth.ReasonCodeExpired) != 1 {
			t.Fatal("expired code bound the number or was not logged")
		}
	})
	t.Run("used code", func(t *testing.T) {
		le, b, _ := setup(t)
		code := le.smsCode(phone)
		verifyCode(b, phone, code)
		if r, body := verifyCode(b, phone, code); r.StatusCode != http.StatusBadRequest || !strings.Contains(body, msgCodeExpired) {
			t.Fatalf("reused code: %d, want 400 with %q", r.StatusCode, msgCodeExpired)
		}
	})
	t.Run("too many attempts", func(t *testing.T) {
		le, b, u := setup(t)
		code := le.smsCode(phone)
		for i := range auth.CodeMaxTries {
			if r, _ := verifyCode(b, phone, wrongCode(code)); r.StatusCode != http.StatusBadRequest {
				t.Fatalf("wrong code %d: %d", i+1, r.StatusCode)
			}
		}
		r, body := verifyCode(b, phone, code)
		if r.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, msgCodeTooMany) {
			t.Fatalf("right code after %d wrong ones: %d, want 429 with %q", auth.CodeMaxTries, r.StatusCode, msgCodeTooMany)
		}
		if le.verifiedPhone(u.ID) != "" || le.logRows(auth.ReasonCodeTooMany) != 1 {
			t.Fatal("the code still bound the number after too many tries, or it was not logged")
		}
	})
}

func TestPhoneResendThrottle(t *testing.T) {
	t.Run("per phone", func(t *testing.T) {
		le := newLoginEnv(t)
		b := le.browser()
		b.login(le.user("pending", "employee", "a"))
		if r, _ := sendCode(b, "13800001234"); r.StatusCode != 200 {
			t.Fatalf("first code: %d", r.StatusCode)
		}
		r, body := sendCode(b, "13800001234")
		if r.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, msgThrottled) || r.Header.Get("Retry-After") == "" {
			t.Fatalf("resend within a minute: %d (Retry-After %q), want 429 with %q", r.StatusCode, r.Header.Get("Retry-After"), msgThrottled)
		}
		if n := len(le.sb.SMS().List("13800001234")); n != 1 {
			t.Fatalf("%d SMS sent, want 1", n)
		}
		// Another person's number from the same browser is not held up by this one.
		if r, _ := sendCode(b, "13800005678"); r.StatusCode != 200 {
			t.Fatalf("another number: %d", r.StatusCode)
		}
	})
	t.Run("per IP", func(t *testing.T) {
		// The app sits behind a trusted proxy so each request can come from a chosen IP.
		le := newLoginEnvDeps(t, func(d *web.Deps) { d.TrustedProxies = []string{"0.0.0.0/0"} })
		b := le.browser()
		b.login(le.user("pending", "employee", "a"))
		for i := range auth.CodesPerIPHour {
			phone := "1390000" + strings.Repeat("0", 4-len(itoa(i))) + itoa(i)
			if r, body := sendCode(b, phone, "X-Real-IP", "203.0.113.7"); r.StatusCode != 200 {
				t.Fatalf("code %d: %d %s", i+1, r.StatusCode, body)
			}
		}
		r, body := sendCode(b, "13911112222", "X-Real-IP", "203.0.113.7")
		if r.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, msgThrottled) {
			t.Fatalf("code %d from one IP: %d, want 429", auth.CodesPerIPHour+1, r.StatusCode)
		}
		if r, _ := sendCode(b, "13911113333", "X-Real-IP", "203.0.113.8"); r.StatusCode != 200 {
			t.Fatalf("another IP: %d, want 200", r.StatusCode)
		}
	})
}

func TestPhoneAlreadyBound(t *testing.T) {
	// Seed 002: "对已经绑定过的手机号进行判断" — a number verified on one account cannot be
	// bound to another; the person is told so in plain words.
	le := newLoginEnv(t)
	owner := le.user("active", "employee", "owner")
	le.store.Client.PhoneBinding.Create().SetPhone("+8613800001234").SetSource(phonebinding.SourceSms).
		SetVerifiedAt(time.Now()).SetUser(owner).ExecX(context.Background())
	b := le.browser()
	newcomer := le.user("pending", "employee", "newcomer")
	b.login(newcomer)
	r, body := sendCode(b, "138 0000 1234")
	if r.StatusCode != http.StatusConflict || !strings.Contains(body, msgAlreadyBound) {
		t.Fatalf("bind a taken number: %d, want 409 with %q:\n%s", r.StatusCode, msgAlreadyBound, body)
	}
	if n := len(le.sb.SMS().List("13800001234")); n != 0 {
		t.Fatal("an SMS went to a number bound to someone else")
	}
	if le.verifiedPhone(newcomer.ID) != "" {
		t.Fatal("the number moved")
	}
}

func TestPhonePreregisteredJoinsAccount(t *testing.T) {
	le := newLoginEnv(t)
	ctx := context.Background()
	// An admin pre-registered the employee with their number.
	pre := le.user("active", "employee", "王芳")
	le.store.Client.PhoneBinding.Create().SetPhone("+8613800009999").SetSource(phonebinding.SourcePreregistered).
		SetUser(pre).ExecX(ctx)

	pc := le.browser()
	sbID := le.sbUser("芳")
	if done := le.qrSignIn(pc, sbID); done.Redirect != "/pending" {
		t.Fatalf("first sign-in: %+v", done)
	}
	fresh := le.store.Client.User.Query().Where(user.IDNEQ(pre.ID)).OnlyX(ctx)
	if r, body := sendCode(pc, "13800009999"); r.StatusCode != 200 {
		t.Fatalf("send: %d %s", r.StatusCode, body)
	}
	r, _ := verifyCode(pc, "13800009999", le.smsCode("13800009999"))
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/" {
		t.Fatalf("verify: %d → %q, want 303 / (the active pre-registered account)", r.StatusCode, r.Header.Get("Location"))
	}
	if le.verifiedPhone(pre.ID) != "+8613800009999" {
		t.Fatal("pre-registered number not verified")
	}
	if n := le.store.Client.WeChatIdentity.Query().Where(wechatidentity.HasUserWith(user.ID(pre.ID))).CountX(ctx); n != 1 {
		t.Fatalf("%d WeChat identities on the pre-registered account, want 1", n)
	}
	if got := le.store.Client.User.GetX(ctx, fresh.ID); got.Status != user.StatusDisabled {
		t.Fatalf("the interim account is %s, want disabled (merged)", got.Status)
	}
	// Signing in again with WeChat lands on the pre-registered account.
	le.clock.Add(time.Second)
	again := le.browser()
	if done := le.qrSignIn(again, sbID); done.Redirect != "/" {
		t.Fatalf("second sign-in: %+v, want the active account", done)
	}
}

func TestNeedPhoneWhenPolicyRequiresIt(t *testing.T) {
	le := newLoginEnv(t, func(l *web.Login) { l.PhonePolicy = web.PhoneSignIn })
	pc := le.browser()
	sbID := le.sbUser("a")
	done := le.qrSignIn(pc, sbID)
	if done.Status != string(auth.AttemptNeedPhone) || done.Redirect != "/login/phone" {
		t.Fatalf("sign-in without a phone: %+v, want need_phone → /login/phone", done)
	}
	if signedIn(pc) {
		t.Fatal("a session before the phone is bound")
	}
	if r, body := sendCode(pc, "13800001234"); r.StatusCode != 200 {
		t.Fatalf("send: %d %s", r.StatusCode, body)
	}
	r, _ := verifyCode(pc, "13800001234", le.smsCode("13800001234"))
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/pending" {
		t.Fatalf("verify: %d → %q, want 303 /pending", r.StatusCode, r.Header.Get("Location"))
	}
	if !signedIn(pc) {
		t.Fatal("no session after binding the phone")
	}
	// With the number bound, the next sign-in is confirmed at once.
	le.clock.Add(time.Second)
	if again := le.qrSignIn(le.browser(), sbID); again.Status != string(auth.AttemptConfirmed) || again.Redirect != "/pending" {
		t.Fatalf("second sign-in: %+v, want confirmed", again)
	}
}
