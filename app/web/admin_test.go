package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"scanboard/app/auth"
	"scanboard/ent"
	"scanboard/ent/phonebinding"
	"scanboard/ent/wechatidentity"
)

// adminFixture is a small organisation: an admin, an employee, a manager and a user
// waiting for approval with a WeChat identity and a phone, each signed in on a browser
// that reads English.
type adminFixture struct {
	e                         *env
	admin, emp, mgr, pend     *ent.User
	identity, phone           int
	bAdmin, bEmp, bMgr, bPend *browser
	anon                      *browser
}

func newAdminFixture(t *testing.T, opts ...option) *adminFixture {
	t.Helper()
	e := newEnv(t, opts...)
	ctx := context.Background()
	f := &adminFixture{e: e}
	f.admin = e.user("active", "admin", "Ada Admin")
	f.emp = e.user("active", "employee", "Eve Employee")
	f.mgr = e.user("active", "manager", "Max Manager")
	f.pend = e.user("pending", "employee", `<script>alert(1)</script>Pat`)
	idn, err := e.store.Client.WeChatIdentity.Create().SetUser(f.pend).SetKind(wechatidentity.KindOa).
		SetAppid("wxsandboxoa").SetOpenid("oPENDING-openid").SetUnionid("uPENDING-union").SetNickname("Pat").Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := e.store.Client.PhoneBinding.Create().SetUser(f.pend).SetPhone("+8613800138000").
		SetSource(phonebinding.SourceSms).SetVerifiedAt(time.Now()).Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f.identity, f.phone = idn.ID, pb.ID
	mk := func(u *ent.User) *browser {
		b := e.browser()
		b.cookies["mis_lang"] = "en"
		b.login(u)
		return b
	}
	f.bAdmin, f.bEmp, f.bMgr, f.bPend = mk(f.admin), mk(f.emp), mk(f.mgr), mk(f.pend)
	f.anon = e.browser()
	f.anon.cookies["mis_lang"] = "en"
	return f
}

func (f *adminFixture) as(w who) *browser {
	return map[who]*browser{admin: f.bAdmin, employee: f.bEmp, manager: f.bMgr, pending: f.bPend, anonymous: f.anon}[w]
}

// expand fills {admin} {emp} {mgr} {pend} {identity} {phone} {empSession} in a URL.
func (f *adminFixture) expand(t *testing.T, s string) string {
	t.Helper()
	r := strings.NewReplacer("{admin}", itoa(f.admin.ID), "{emp}", itoa(f.emp.ID), "{mgr}", itoa(f.mgr.ID),
		"{pend}", itoa(f.pend.ID), "{identity}", itoa(f.identity), "{phone}", itoa(f.phone),
		"{empSession}", itoa(f.sessionOf(t, f.emp.ID)), "{adminSession}", itoa(f.sessionOf(t, f.admin.ID)))
	return r.Replace(s)
}

func (f *adminFixture) sessionOf(t *testing.T, userID int) int {
	t.Helper()
	rows, err := f.e.srv.Admin.Users.MySessions(context.Background(), userID)
	if err != nil || len(rows) == 0 {
		return 0
	}
	return rows[0].ID
}

func (f *adminFixture) status(t *testing.T, id int) string {
	t.Helper()
	u, err := f.e.store.Client.User.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return string(u.Status) + "/" + string(u.Role)
}

func (f *adminFixture) auditActions(t *testing.T) string {
	t.Helper()
	rows, _, err := f.e.srv.Admin.Users.AuditLog(context.Background(), auth.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(rows) - 1; i >= 0; i-- {
		out = append(out, rows[i].Action)
	}
	return strings.Join(out, " ")
}

// scenario is one HTTP case in the PocketBase style.
type scenario struct {
	name        string
	who         who
	method      string
	url         string
	form        url.Values
	status      int
	location    string   // for redirects: the Location must start with this
	contains    []string // in the body
	notContains []string
	check       func(t *testing.T, f *adminFixture) // state afterwards
}

func runScenarios(t *testing.T, cases []scenario) {
	t.Helper()
	for _, sc := range cases {
		t.Run(sc.name, func(t *testing.T) {
			f := newAdminFixture(t)
			b := f.as(sc.who)
			u := f.expand(t, sc.url)
			var resp *http.Response
			if sc.method == http.MethodGet {
				resp = b.get(u)
			} else {
				form := url.Values{}
				for k, vs := range sc.form {
					for _, v := range vs {
						form.Add(k, f.expand(t, v))
					}
				}
				resp = b.post(u, form, "")
			}
			body := readBody(resp)
			if resp.StatusCode != sc.status {
				t.Fatalf("%s %s as %s: status %d, want %d\n%.600s", sc.method, u, sc.who, resp.StatusCode, sc.status, body)
			}
			if sc.location != "" && !strings.HasPrefix(resp.Header.Get("Location"), f.expand(t, sc.location)) {
				t.Fatalf("Location %q, want prefix %q", resp.Header.Get("Location"), f.expand(t, sc.location))
			}
			for _, s := range sc.contains {
				if !strings.Contains(body, f.expand(t, s)) {
					t.Errorf("body lacks %q\n%.2000s", s, body)
				}
			}
			for _, s := range sc.notContains {
				if strings.Contains(body, f.expand(t, s)) {
					t.Errorf("body has %q", s)
				}
			}
			if sc.check != nil {
				sc.check(t, f)
			}
		})
	}
}

func TestAdminScenarios(t *testing.T) {
	G, P := http.MethodGet, http.MethodPost
	runScenarios(t, []scenario{
		// Approval queue.
		{name: "queue lists the waiting user, escaped", who: admin, method: G, url: "/admin/approvals", status: 200,
			contains:    []string{"Approval queue", "&lt;script&gt;alert(1)&lt;/script&gt;Pat", "+86****8000", `action="/admin/approvals/{pend}/approve"`},
			notContains: []string{"<script>alert(1)", "Eve Employee"}},
		{name: "queue is admin only: manager", who: manager, method: G, url: "/admin/approvals", status: 403},
		{name: "queue is admin only: employee", who: employee, method: G, url: "/admin/approvals", status: 403},
		{name: "queue is admin only: pending", who: pending, method: G, url: "/admin/approvals", status: 403},
		{name: "queue: anonymous is sent to sign in", who: anonymous, method: G, url: "/admin/approvals", status: 303, location: "/login"},
		{name: "approve with role", who: admin, method: P, url: "/admin/approvals/{pend}/approve",
			form: url.Values{"role": {"manager"}}, status: 303, location: "/admin/approvals?done=admin.done.approved",
			check: func(t *testing.T, f *adminFixture) {
				if got := f.status(t, f.pend.ID); got != "active/manager" {
					t.Fatalf("user is %s", got)
				}
				if got := f.auditActions(t); got != auth.ActionApprove {
					t.Fatalf("audit %q", got)
				}
			}},
		{name: "approve with an unknown role", who: admin, method: P, url: "/admin/approvals/{pend}/approve",
			form: url.Values{"role": {"root"}}, status: 400, contains: []string{"Unknown role"}},
		{name: "approve an active user", who: admin, method: P, url: "/admin/approvals/{emp}/approve",
			form: url.Values{"role": {"employee"}}, status: 409, contains: []string{"no longer waiting"}},
		{name: "approve by a manager", who: manager, method: P, url: "/admin/approvals/{pend}/approve",
			form: url.Values{"role": {"admin"}}, status: 403,
			check: func(t *testing.T, f *adminFixture) {
				if got := f.status(t, f.pend.ID); got != "pending/employee" {
					t.Fatalf("user is %s", got)
				}
			}},
		{name: "pending user approves themself", who: pending, method: P, url: "/admin/approvals/{pend}/approve",
			form: url.Values{"role": {"admin"}}, status: 403},
		{name: "reject needs a reason", who: admin, method: P, url: "/admin/approvals/{pend}/reject", status: 400,
			contains: []string{"Please give a reason"}},
		{name: "reject with a reason", who: admin, method: P, url: "/admin/approvals/{pend}/reject",
			form: url.Values{"reason": {"not an employee"}}, status: 303,
			check: func(t *testing.T, f *adminFixture) {
				if got := f.status(t, f.pend.ID); got != "rejected/employee" {
					t.Fatalf("user is %s", got)
				}
			}},
		{name: "bulk approve", who: admin, method: P, url: "/admin/approvals/bulk",
			form: url.Values{"ids": {"{pend}"}, "action": {"approve"}, "role": {"employee"}}, status: 303,
			location: "/admin/approvals?done=admin.done.bulk",
			check: func(t *testing.T, f *adminFixture) {
				if got := f.status(t, f.pend.ID); got != "active/employee" {
					t.Fatalf("user is %s", got)
				}
			}},
		{name: "bulk reject needs a reason", who: admin, method: P, url: "/admin/approvals/bulk",
			form: url.Values{"ids": {"{pend}"}, "action": {"reject"}}, status: 400},
		{name: "bulk with a decided user is partial", who: admin, method: P, url: "/admin/approvals/bulk",
			form: url.Values{"ids": {"{pend}", "{emp}"}, "action": {"reject"}, "reason": {"x"}}, status: 303,
			location: "/admin/approvals?done=admin.done.bulk_partial"},
		{name: "bulk with nothing selected", who: admin, method: P, url: "/admin/approvals/bulk",
			form: url.Values{"action": {"approve"}}, status: 400},
		// Users.
		{name: "users list", who: admin, method: G, url: "/admin/users", status: 200,
			contains: []string{"Ada Admin", "Eve Employee", "Max Manager", "Page 1 of 1"}},
		{name: "users search by phone", who: admin, method: G, url: "/admin/users?q=13800138000", status: 200,
			contains: []string{"+86****8000"}, notContains: []string{"Eve Employee"}},
		{name: "users search by unionid", who: admin, method: G, url: "/admin/users?q=uPENDING-union", status: 200,
			contains: []string{"Pat"}, notContains: []string{"Eve Employee"}},
		{name: "users filter by role", who: admin, method: G, url: "/admin/users?role=manager", status: 200,
			contains: []string{"Max Manager"}, notContains: []string{"Eve Employee"}},
		{name: "users list for a manager", who: manager, method: G, url: "/admin/users", status: 403},
		{name: "user detail", who: admin, method: G, url: "/admin/users/{pend}", status: 200,
			contains: []string{"oPENDING-openid", "uPENDING-union", "+86****8000", `action="/admin/identities/{identity}/unbind"`}},
		{name: "user detail of nobody", who: admin, method: G, url: "/admin/users/99999", status: 404},
		{name: "user detail with a bad id", who: admin, method: G, url: "/admin/users/abc", status: 404},
		{name: "deactivate needs a reason", who: admin, method: P, url: "/admin/users/{emp}/deactivate", status: 400,
			check: func(t *testing.T, f *adminFixture) {
				if f.status(t, f.emp.ID) != "active/employee" {
					t.Fatal("deactivated without a reason")
				}
			}},
		{name: "deactivate ends the sessions", who: admin, method: P, url: "/admin/users/{emp}/deactivate",
			form: url.Values{"reason": {"left the company"}}, status: 303, location: "/admin/users/{emp}?done=",
			check: func(t *testing.T, f *adminFixture) {
				if resp := f.bEmp.get("/devices"); resp.StatusCode != 303 || resp.Header.Get("Location") != "/login" {
					t.Fatalf("deactivated user's next request: %d %s", resp.StatusCode, resp.Header.Get("Location"))
				}
			}},
		{name: "extra form fields set nothing (AC-04)", who: admin, method: P, url: "/admin/users/{emp}/activate",
			form: url.Values{"reason": {"x"}, "role": {"admin"}, "status": {"active"}, "decided_by": {"{admin}"}}, status: 409,
			check: func(t *testing.T, f *adminFixture) {
				if got := f.status(t, f.emp.ID); got != "active/employee" {
					t.Fatalf("user is %s", got)
				}
			}},
		{name: "own deactivation", who: admin, method: P, url: "/admin/users/{admin}/deactivate",
			form: url.Values{"reason": {"x"}}, status: 403, contains: []string{"own account"}},
		{name: "activate a disabled user", who: admin, method: P, url: "/admin/users/{pend}/activate",
			form: url.Values{"reason": {"back"}}, status: 303},
		{name: "role change", who: admin, method: P, url: "/admin/users/{emp}/role",
			form: url.Values{"role": {"manager"}, "reason": {"promoted"}}, status: 303,
			check: func(t *testing.T, f *adminFixture) {
				if got := f.status(t, f.emp.ID); got != "active/manager" {
					t.Fatalf("user is %s", got)
				}
			}},
		{name: "own role change", who: admin, method: P, url: "/admin/users/{admin}/role",
			form: url.Values{"role": {"employee"}}, status: 403},
		{name: "role change by a manager", who: manager, method: P, url: "/admin/users/{emp}/role",
			form: url.Values{"role": {"admin"}}, status: 403},
		{name: "unbind identity needs a reason", who: admin, method: P, url: "/admin/identities/{identity}/unbind", status: 400},
		{name: "unbind identity", who: admin, method: P, url: "/admin/identities/{identity}/unbind",
			form: url.Values{"reason": {"wrong person"}}, status: 303, location: "/admin/users/{pend}?done="},
		{name: "unbind phone", who: admin, method: P, url: "/admin/phones/{phone}/unbind",
			form: url.Values{"reason": {"number changed"}}, status: 303, location: "/admin/users/{pend}?done="},
		{name: "force logout everywhere", who: admin, method: P, url: "/admin/users/{emp}/logout", status: 303,
			check: func(t *testing.T, f *adminFixture) {
				if resp := f.bEmp.get("/devices"); resp.StatusCode != 303 {
					t.Fatalf("signed-out user's next request: %d", resp.StatusCode)
				}
			}},
		// Sessions.
		{name: "online sessions", who: admin, method: G, url: "/admin/sessions", status: 200,
			contains: []string{"Eve Employee", "Max Manager", "This device", `action="/admin/sessions/{empSession}/logout"`}},
		{name: "force logout one session", who: admin, method: P, url: "/admin/sessions/{empSession}/logout",
			form: url.Values{"reason": {"shared computer"}}, status: 303,
			check: func(t *testing.T, f *adminFixture) {
				if resp := f.bEmp.get("/devices"); resp.StatusCode != 303 {
					t.Fatalf("signed-out user's next request: %d", resp.StatusCode)
				}
				if got := f.auditActions(t); got != auth.ActionForceLogout {
					t.Fatalf("audit %q", got)
				}
			}},
		{name: "sessions for a manager", who: manager, method: G, url: "/admin/sessions", status: 403},
		// Pre-registration.
		{name: "pre-registration page", who: admin, method: G, url: "/admin/preregister", status: 200,
			contains: []string{`action="/admin/preregister/import"`}},
		{name: "pre-register one", who: admin, method: P, url: "/admin/preregister",
			form: url.Values{"phone": {"13900139000"}, "name": {"Nina New"}, "role": {"employee"}}, status: 303,
			location: "/admin/users/"},
		{name: "pre-register a bound phone", who: admin, method: P, url: "/admin/preregister",
			form: url.Values{"phone": {"+8613800138000"}, "name": {"Dup"}}, status: 409, contains: []string{"already belongs"}},
		{name: "pre-register a bad phone", who: admin, method: P, url: "/admin/preregister",
			form: url.Values{"phone": {"12345"}, "name": {"X"}}, status: 400},
		// Logs.
		{name: "login log", who: admin, method: G, url: "/admin/logins?outcome=failure&from=2020-01-01", status: 200,
			contains: []string{"Login log", `href="/admin/logins.csv?outcome=failure&amp;from=2020-01-01"`}},
		{name: "login log with a bad date", who: admin, method: G, url: "/admin/logins?from=yesterday", status: 400},
		{name: "login log for a manager", who: manager, method: G, url: "/admin/logins", status: 403},
		{name: "login log export for an employee", who: employee, method: G, url: "/admin/logins.csv", status: 403},
		{name: "audit log", who: admin, method: G, url: "/admin/audit", status: 200, contains: []string{"Audit log"}},
		{name: "audit log with an unknown action", who: admin, method: G, url: "/admin/audit?action=drop", status: 400},
		{name: "audit export for a manager", who: manager, method: G, url: "/admin/audit.csv", status: 403},
		// My devices.
		{name: "my devices", who: employee, method: G, url: "/devices", status: 200,
			contains: []string{"My devices", "This device"}, notContains: []string{"Max Manager"}},
		{name: "my devices: another user's session is not found", who: employee, method: P, url: "/devices/{adminSession}/logout",
			status: 404,
			check: func(t *testing.T, f *adminFixture) {
				if resp := f.bAdmin.get("/devices"); resp.StatusCode != 200 {
					t.Fatalf("the admin was signed out by an employee: %d", resp.StatusCode)
				}
			}},
		{name: "my devices for a pending user", who: pending, method: G, url: "/devices", status: 403},
		// Navigation follows the role.
		{name: "admin navigation", who: admin, method: G, url: "/devices", status: 200,
			contains: []string{`href="/admin/approvals"`, `href="/admin/audit"`}},
		{name: "employee navigation", who: employee, method: G, url: "/devices", status: 200,
			notContains: []string{`href="/admin/approvals"`, `href="/admin/audit"`}},
	})
}

func TestPreregisterImportReport(t *testing.T) {
	f := newAdminFixture(t)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("_csrf", f.bAdmin.csrf())
	_ = mw.WriteField("reason", "onboarding")
	fw, _ := mw.CreateFormFile("file", "staff.csv")
	io.WriteString(fw, "phone,name,role\n13900139001,Wang Wu,employee\n+8613800138000,Taken,\nnot-a-phone,Bad,\n13900139002,Zhao Liu,manager\n")
	mw.Close()
	req := httptest.NewRequest(http.MethodPost, "/admin/preregister/import", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp := f.bAdmin.do(req)
	out := readBody(resp)
	if resp.StatusCode != 200 {
		t.Fatalf("import: %d\n%s", resp.StatusCode, out)
	}
	for _, s := range []string{"Import: 2 added, 2 skipped", "already belongs", "Not a valid phone number", "Wang Wu", "Zhao Liu"} {
		if !strings.Contains(out, s) {
			t.Errorf("report lacks %q", s)
		}
	}
	if got := f.auditActions(t); got != "user.preregister user.preregister" {
		t.Fatalf("audit %q", got)
	}
}

// csvRecords downloads a CSV export and parses it.
func csvRecords(t *testing.T, b *browser, path string) [][]string {
	t.Helper()
	resp := b.get(path)
	body := readBody(resp)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("%s: %d %s %s", path, resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatalf("%s is not RFC 4180 CSV: %v\n%s", path, err, body)
	}
	return recs
}

func TestCSVExportsEscapeFormulas(t *testing.T) {
	f := newAdminFixture(t)
	ctx := context.Background()
	ll := auth.NewLoginLog(f.e.store, nil)
	hostile := []string{"=HYPERLINK(\"http://evil\")", "+1+1", "-2", "@SUM(A1)", "\tTAB", "plain, \"quoted\"\nline"}
	for i, h := range hostile {
		err := ll.Record(ctx, auth.LoginEvent{Method: "oa_qr", Reason: "r", Subject: h, IP: "10.0.0." + itoa(i), UserAgent: h})
		if err != nil {
			t.Fatal(err)
		}
	}
	recs := csvRecords(t, f.bAdmin, "/admin/logins.csv?outcome=failure")
	if len(recs) != len(hostile)+1 || recs[0][0] != "time_utc" {
		t.Fatalf("%d records: %q", len(recs), recs)
	}
	seen := map[string]bool{}
	for _, r := range recs[1:] {
		subject := r[6]
		seen[subject] = true
		switch subject[0] {
		case '=', '+', '-', '@', '\t':
			t.Errorf("cell %q starts a formula", subject)
		}
	}
	for _, want := range []string{"'=HYPERLINK(\"http://evil\")", "'+1+1", "'-2", "'@SUM(A1)", "'\tTAB", "plain, \"quoted\"\nline"} {
		if !seen[want] {
			t.Errorf("missing escaped cell %q in %v", want, seen)
		}
	}
	// Filters apply to the export: nothing succeeded.
	if recs := csvRecords(t, f.bAdmin, "/admin/logins.csv?outcome=success"); len(recs) != 1 {
		t.Fatalf("success export has %d rows", len(recs)-1)
	}
}

func TestAuditExportAndPaging(t *testing.T) {
	f := newAdminFixture(t)
	ctx := context.Background()
	a := auth.Actor{UserID: f.admin.ID, IP: "192.0.2.1"}
	// More rows than one export batch, to walk the batches.
	for i := range 520 {
		_, err := f.e.srv.Admin.Users.ForceLogoutUser(ctx, a, f.mgr.ID, "=cmd "+itoa(i))
		if err != nil {
			t.Fatal(err)
		}
	}
	recs := csvRecords(t, f.bAdmin, "/admin/audit.csv?target="+itoa(f.mgr.ID))
	if len(recs) != 521 {
		t.Fatalf("%d rows, want 520", len(recs)-1)
	}
	if r := recs[1]; r[0] != "520" || r[4] != auth.ActionForceLogoutUser || r[7] != "'=cmd 519" || r[9] != "192.0.2.1" {
		t.Fatalf("newest row %q", r)
	}
	resp := f.bAdmin.get("/admin/audit?page=2")
	body := readBody(resp)
	if resp.StatusCode != 200 || !strings.Contains(body, "Page 2 of 11") || !strings.Contains(body, `rel="prev"`) {
		t.Fatalf("page 2: %d\n%.500s", resp.StatusCode, body)
	}
	if v, err := auth.VerifyAudit(ctx, f.e.store.Client); err != nil || v.Bad != nil || v.Rows != 520 {
		t.Fatalf("verify: %+v %v", v, err)
	}
}
