package web_test

import (
	"context"
	"testing"

	"scanboard/app/wechatsandbox"
	"scanboard/ent/wechatidentity"
)

// TestOnePersonThreeApps: one WeChat user signs in through the OA QR, the website QR and
// the Mini Program. Three (appid, openid) identities, one unionid, one account. Another
// WeChat user with the same nickname signs in too and gets an account of their own.
func TestOnePersonThreeApps(t *testing.T) {
	le := newChannelEnv(t)
	ctx := context.Background()
	me, err := le.sb.CreateUser(wechatsandbox.NewUser{Nickname: "同名"})
	if err != nil {
		t.Fatal(err)
	}
	twin, err := le.sb.CreateUser(wechatsandbox.NewUser{Nickname: "同名"})
	if err != nil {
		t.Fatal(err)
	}

	oaQR := func(who string) {
		pc := le.browser()
		at := le.startAttempt(pc)
		if r := le.answer(le.scan(who), "confirm"); r.StatusCode != 200 {
			t.Fatalf("confirm: %d", r.StatusCode)
		}
		if r := pc.postJSON("/login/attempts/" + at.ID + "/complete"); r.StatusCode != 200 {
			t.Fatalf("complete: %d %s", r.StatusCode, readBody(r))
		}
	}
	websiteQR := func(who string) {
		b := le.browser()
		if r := b.get(le.confirmQR(who, le.websiteQR(b))); r.StatusCode != 303 {
			t.Fatalf("website callback: %d %s", r.StatusCode, readBody(r))
		}
	}
	miniProgram := func(who string) {
		key := le.mpLogin(who)
		ed, err := le.sb.MiniEncryptedData(who, "userinfo")
		if err != nil {
			t.Fatal(err)
		}
		if st, out := le.mp("/api/mp/profile", key, map[string]string{"encrypted_data": ed.EncryptedData, "iv": ed.IV}); st != 200 {
			t.Fatalf("profile: %d %v", st, out)
		}
	}
	// Different orders for the two people: whichever app comes first creates the account.
	oaQR(me.ID)
	websiteQR(me.ID)
	miniProgram(me.ID)
	miniProgram(twin.ID)
	websiteQR(twin.ID)
	oaQR(twin.ID)

	ids := le.store.Client.WeChatIdentity.Query().WithUser().AllX(ctx)
	if len(ids) != 6 {
		t.Fatalf("%d identities, want 6", len(ids))
	}
	owner := map[string]int{} // unionid → user
	kinds := map[int]map[wechatidentity.Kind]bool{}
	for _, id := range ids {
		if id.Unionid == nil {
			t.Fatalf("identity without unionid: %+v", id)
		}
		uid := id.Edges.User.ID
		if prev, ok := owner[*id.Unionid]; ok && prev != uid {
			t.Fatalf("unionid %s split over users %d and %d", *id.Unionid, prev, uid)
		}
		owner[*id.Unionid] = uid
		if kinds[uid] == nil {
			kinds[uid] = map[wechatidentity.Kind]bool{}
		}
		kinds[uid][id.Kind] = true
	}
	if len(owner) != 2 || owner[me.UnionID] == owner[twin.UnionID] {
		t.Fatalf("accounts by unionid %v: the twins must not share one", owner)
	}
	for uid, k := range kinds {
		if !k[wechatidentity.KindOa] || !k[wechatidentity.KindWebsite] || !k[wechatidentity.KindMiniprogram] {
			t.Fatalf("user %d has kinds %v, want oa, website and miniprogram", uid, k)
		}
	}
	if n := le.store.Client.User.Query().CountX(ctx); n != 2 {
		t.Fatalf("%d users, want 2", n)
	}
}
