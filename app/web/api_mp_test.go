package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"scanboard/app/auth"
	"scanboard/app/wechatsandbox"
	"scanboard/ent/phonebinding"
	"scanboard/ent/session"
	"scanboard/ent/user"
	"scanboard/ent/wechatidentity"
)

// mp calls the Mini Program API like the Mini Program does: JSON body, bearer key, no
// cookies, no CSRF token.
func (le *loginEnv) mp(path, key string, body any) (int, map[string]any) {
	le.t.Helper()
	b, _ := json.Marshal(body)
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := le.srv.App().Test(req, -1)
	if err != nil {
		le.t.Fatal(err)
	}
	var out map[string]any
	raw := readBody(resp)
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		le.t.Fatalf("%s: not JSON: %s", path, raw)
	}
	return resp.StatusCode, out
}

// mpLogin runs wx.login in the sandbox and /api/mp/login here, returning the login key.
func (le *loginEnv) mpLogin(sbUser string) string {
	le.t.Helper()
	code, err := le.sb.MiniLogin(sbUser)
	if err != nil {
		le.t.Fatal(err)
	}
	st, out := le.mp("/api/mp/login", "", map[string]string{"code": code})
	if st != 200 {
		le.t.Fatalf("mp login: %d %v", st, out)
	}
	key, _ := out["key"].(string)
	if len(key) < 50 {
		le.t.Fatalf("key %q", key)
	}
	return key
}

func TestMiniProgramLogin(t *testing.T) {
	le := newChannelEnv(t)
	ctx := context.Background()
	who := le.sbUser("小程")
	code, _ := le.sb.MiniLogin(who)
	st, out := le.mp("/api/mp/login", "", map[string]string{"code": code})
	if st != 200 || out["status"] != "pending" || out["new_user"] != true || out["expires_in"].(float64) != 7*24*3600 {
		t.Fatalf("%d %v", st, out)
	}
	key := out["key"].(string)
	sbu, _ := le.sb.User(who)
	if strings.Contains(key, sbu.OpenIDs["wx5a0d5b0c0a0e0003"]) {
		t.Fatal("the key contains the openid")
	}
	id := le.store.Client.WeChatIdentity.Query().Where(wechatidentity.KindEQ(wechatidentity.KindMiniprogram)).OnlyX(ctx)
	if id.Unionid == nil || *id.Unionid != sbu.UnionID {
		t.Fatalf("identity %+v", id)
	}
	t.Run("the same code again", func(t *testing.T) {
		st, out := le.mp("/api/mp/login", "", map[string]string{"code": code})
		if st != 400 || out["code"] != "signin.error.code_used" || len(le.loginRows(auth.MethodMiniProgram, auth.ReasonCodeUsed)) != 1 {
			t.Fatalf("%d %v", st, out)
		}
	})
	t.Run("a made-up code", func(t *testing.T) {
		st, out := le.mp("/api/mp/login", "", map[string]string{"code": "nope"})
		if st != 400 || out["code"] != "signin.error.code_invalid" {
			t.Fatalf("%d %v", st, out)
		}
	})
	t.Run("no body", func(t *testing.T) {
		if st, _ := le.mp("/api/mp/login", "", map[string]string{}); st != 400 {
			t.Fatalf("%d", st)
		}
	})
	t.Run("profile from encrypted data", func(t *testing.T) {
		ed, err := le.sb.MiniEncryptedData(who, "userinfo")
		if err != nil {
			t.Fatal(err)
		}
		st, out := le.mp("/api/mp/profile", key, map[string]string{"encrypted_data": ed.EncryptedData, "iv": ed.IV})
		if st != 200 || out["nickname"] != "小程" {
			t.Fatalf("%d %v", st, out)
		}
	})
	t.Run("session key rotated since the login", func(t *testing.T) {
		if err := le.sb.RotateSessionKey(who); err != nil {
			t.Fatal(err)
		}
		ed, _ := le.sb.MiniEncryptedData(who, "userinfo")
		st, out := le.mp("/api/mp/profile", key, map[string]string{"encrypted_data": ed.EncryptedData, "iv": ed.IV})
		if st != 409 || out["code"] != "signin.mp.error.session_key" || !strings.Contains(out["error"].(string), "wx.login") {
			t.Fatalf("%d %v", st, out)
		}
	})
	t.Run("no key, a wrong key", func(t *testing.T) {
		for _, k := range []string{"", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"} {
			if st, out := le.mp("/api/mp/profile", k, map[string]string{"encrypted_data": "x", "iv": "y"}); st != 401 || out["code"] != "signin.mp.error.key" {
				t.Fatalf("key %q: %d %v", k, st, out)
			}
		}
	})
	t.Run("logout revokes the key", func(t *testing.T) {
		k2 := le.mpLogin(who)
		if st, _ := le.mp("/api/mp/logout", k2, nil); st != 200 {
			t.Fatalf("logout %d", st)
		}
		if st, _ := le.mp("/api/mp/logout", k2, nil); st != 401 {
			t.Fatalf("after logout %d", st)
		}
	})
	t.Run("a disabled account's key stops working", func(t *testing.T) {
		k3 := le.mpLogin(who)
		le.store.Client.User.UpdateOneID(id.QueryUser().OnlyIDX(ctx)).SetStatus(user.StatusDisabled).ExecX(ctx)
		if st, _ := le.mp("/api/mp/logout", k3, nil); st != 403 {
			t.Fatalf("%d", st)
		}
		code, _ := le.sb.MiniLogin(who)
		if st, _ := le.mp("/api/mp/login", "", map[string]string{"code": code}); st != 403 {
			t.Fatalf("disabled login %d", st)
		}
	})
}

// TestMiniProgramVectors sends the published decryption vector through the API: a key
// whose session holds the vector's session key, then /api/mp/profile.
func TestMiniProgramVectors(t *testing.T) {
	// The published vectors (a copy of ../shared/testdata/wechat-vectors.json).
	raw, err := os.ReadFile("../wechat/testdata/wechat-vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		MP struct {
			AppID         string `json:"appid"`
			SessionKey    string `json:"session_key"`
			IV            string `json:"iv"`
			EncryptedData string `json:"encrypted_data"`
		} `json:"mini_program_decrypt"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	le := newChannelEnv(t)
	ctx := context.Background()
	u := le.user("active", "employee", "V")
	keys := auth.NewMiniKeys(le.kv, 24*time.Hour, nil)
	tests := []struct {
		name, appid string
		status      int
		code        string
	}{
		{"watermark matches", v.MP.AppID, 200, ""},
		{"key issued for another app", "wx0000000000000000", 400, "signin.mp.error.watermark"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := keys.Issue(ctx, auth.MiniSession{UserID: u.ID, AppID: tt.appid, OpenID: "oGZUI0egBJY1zhBYw2KhdUfwVJJE", SessionKey: v.MP.SessionKey})
			if err != nil {
				t.Fatal(err)
			}
			st, out := le.mp("/api/mp/profile", key, map[string]string{"encrypted_data": v.MP.EncryptedData, "iv": v.MP.IV})
			if st != tt.status || (tt.code != "" && out["code"] != tt.code) {
				t.Fatalf("%d %v", st, out)
			}
			if st == 200 && out["nickname"] == "" {
				t.Fatalf("no nickname: %v", out)
			}
		})
	}
}

func TestMiniProgramPhone(t *testing.T) {
	le := newChannelEnv(t)
	ctx := context.Background()
	who, err := le.sb.CreateUser(wechatsandbox.NewUser{Nickname: "手机", Phone: "13800003333"})
	if err != nil {
		t.Fatal(err)
	}
	key := le.mpLogin(who.ID)
	code, _ := le.sb.MiniPhoneCode(who.ID)
	st, out := le.mp("/api/mp/phone", key, map[string]string{"code": code})
	if st != 200 || out["phone"] != "+86****3333" {
		t.Fatalf("%d %v", st, out)
	}
	pb := le.store.Client.PhoneBinding.Query().Where(phonebinding.Phone("+8613800003333")).OnlyX(ctx)
	if pb.Source != phonebinding.SourceMiniprogram || pb.VerifiedAt == nil {
		t.Fatalf("binding %+v", pb)
	}
	t.Run("the same code twice", func(t *testing.T) {
		if st, _ := le.mp("/api/mp/phone", key, map[string]string{"code": code}); st != 400 {
			t.Fatalf("%d", st)
		}
	})
	t.Run("a number verified on another account", func(t *testing.T) {
		other, _ := le.sb.CreateUser(wechatsandbox.NewUser{Nickname: "他", Phone: "13800003333"})
		k := le.mpLogin(other.ID)
		c, _ := le.sb.MiniPhoneCode(other.ID)
		if st, out := le.mp("/api/mp/phone", k, map[string]string{"code": c}); st != 409 || out["code"] != "phone.error.already_bound" {
			t.Fatalf("%d %v", st, out)
		}
	})
}

func TestMiniProgramConfirmsPCQR(t *testing.T) {
	le := newChannelEnv(t)
	le.srv.Login.OwnQR = true
	ctx := context.Background()
	who := le.sbUser("扫码")
	key := le.mpLogin(who)
	pc := le.browser()
	at := le.startAttempt(pc)
	attempt, err := le.srv.Login.Attempts.Get(ctx, at.ID)
	if err != nil {
		t.Fatal(err)
	}
	st, out := le.mp("/api/mp/scan", key, map[string]string{"qr": attempt.QRContent})
	if st != 200 || out["token"] == nil || out["ip"] == "" {
		t.Fatalf("scan: %d %v", st, out)
	}
	token := out["token"].(string)
	intruder := le.mpLogin(le.sbUser("别人"))
	if st, _ := le.mp("/api/mp/confirm", intruder, map[string]string{"token": token, "decision": "confirm"}); st != 403 {
		t.Fatalf("another Mini Program user used the token: %d", st)
	}
	if st, _ := le.mp("/api/mp/scan", intruder, map[string]string{"qr": attempt.QRContent}); st != 409 {
		t.Fatalf("a second scanner: %d", st)
	}
	if st, out := le.mp("/api/mp/confirm", key, map[string]string{"token": token, "decision": "confirm"}); st != 200 || out["status"] != "confirmed" {
		t.Fatalf("confirm: %d %v", st, out)
	}
	if st, _ := le.mp("/api/mp/confirm", key, map[string]string{"token": token, "decision": "confirm"}); st != 404 {
		t.Fatalf("token reused: %d", st)
	}
	r := pc.postJSON("/login/attempts/" + at.ID + "/complete")
	done := decode[attemptResp](t, r)
	if r.StatusCode != 200 || done.Redirect != "/pending" {
		t.Fatalf("complete: %d %+v", r.StatusCode, done)
	}
	if n := le.store.Client.Session.Query().Where(session.Method(auth.MethodMPConfirm)).CountX(ctx); n != 1 {
		t.Fatalf("%d mp_qr sessions", n)
	}
	t.Run("not our QR", func(t *testing.T) {
		if st, _ := le.mp("/api/mp/scan", key, map[string]string{"qr": "https://evil.example/login/own/Lxyz"}); st != 400 {
			t.Fatalf("%d", st)
		}
	})
	t.Run("deny", func(t *testing.T) {
		pc2 := le.browser()
		at2 := le.startAttempt(pc2)
		a2, _ := le.srv.Login.Attempts.Get(ctx, at2.ID)
		_, out := le.mp("/api/mp/scan", key, map[string]string{"qr": a2.QRContent})
		if st, out := le.mp("/api/mp/confirm", key, map[string]string{"token": out["token"].(string), "decision": "deny"}); st != 200 || out["status"] != "denied" {
			t.Fatalf("%d %v", st, out)
		}
		if r := pc2.postJSON("/login/attempts/" + at2.ID + "/complete"); r.StatusCode != 409 {
			t.Fatalf("denied attempt completed: %d", r.StatusCode)
		}
	})
}
