package web

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
)

// Policy says who may reach a route. Every route has one; a test walks the table.
type Policy int

// The policies, from most open to most closed.
const (
	Public   Policy = iota // anyone, signed in or not
	SignedIn               // any signed-in user, pending included
	Active                 // approved users of any role
	Manager                // managers and admins
	Admin                  // admins only
)

func (p Policy) String() string {
	return [...]string{"public", "signed-in", "active", "manager", "admin"}[p]
}

// Route is one entry of the route table.
type Route struct {
	Method  string
	Path    string
	Policy  Policy
	Handler fiber.Handler
	// NoCSRF marks routes that browsers do not post forms to: server-to-server calls
	// (WeChat pushes, the sandbox's emulated APIs, bearer-token APIs) authenticate otherwise.
	NoCSRF bool
}

// routeTable is the one list of routes. Each handler is wrapped with its policy check.
func (s *Server) routeTable() []Route {
	rs := []Route{
		{fiber.MethodGet, "/healthz", Public, s.healthz, false},
		{fiber.MethodGet, "/readyz", Public, s.readyz, false},
		{fiber.MethodGet, "/static/*", Public, s.staticFile, false},
		{fiber.MethodGet, "/favicon.ico", Public, s.favicon, false},
		{fiber.MethodGet, "/", Public, s.home, false},
		{fiber.MethodPost, "/lang", Public, s.setLang, false},
		{fiber.MethodPost, "/logout", SignedIn, s.logout, false},
		// Sign-in (issue 4): QR attempts, the phone's confirmation, OA web OAuth, the push
		// endpoint, phone binding and the pending page.
		{fiber.MethodGet, "/login", Public, s.loginPage, false},
		{fiber.MethodPost, "/login/attempts", Public, s.loginAttemptCreate, false},
		{fiber.MethodGet, "/login/attempts/:id", Public, s.loginAttemptStatus, false},
		{fiber.MethodGet, "/login/attempts/:id/qr.png", Public, s.loginAttemptQR, false},
		{fiber.MethodPost, "/login/attempts/:id/complete", Public, s.loginAttemptComplete, false},
		{fiber.MethodGet, "/login/confirm", Public, s.loginConfirmPage, false},
		{fiber.MethodPost, "/login/confirm", Public, s.loginConfirm, false},
		{fiber.MethodGet, "/login/wechat", Public, s.loginWeChat, false},
		{fiber.MethodGet, "/login/own/:scene", Public, s.loginOwnQR, false},
		{fiber.MethodGet, oauthCallbackPath, Public, s.loginOAuthCallback, false},
		{fiber.MethodGet, "/login/phone", Public, s.phonePage, false},
		{fiber.MethodPost, "/login/phone/code", Public, s.phoneSendCode, false},
		{fiber.MethodPost, "/login/phone/verify", Public, s.phoneVerify, false},
		{fiber.MethodGet, "/wechat/push", Public, s.wechatPushVerify, true},
		{fiber.MethodPost, "/wechat/push", Public, s.wechatPush, true},
		// More ways in (issue 5): password fallback, break-glass admin, Open Platform website
		// QR, the Mini Program's JSON API (its own bearer login key, hence NoCSRF), WeCom.
		// Each answers 404 while its channel is not configured.
		{fiber.MethodGet, "/login/password", Public, s.passwordPage, false},
		{fiber.MethodPost, "/login/password", Public, s.passwordSignIn, false},
		{fiber.MethodGet, "/profile/password", Active, s.setPasswordPage, false},
		{fiber.MethodPost, "/profile/password", Active, s.setPassword, false},
		{fiber.MethodGet, "/breakglass", Public, s.breakGlassPage, false},
		{fiber.MethodPost, "/breakglass", Public, s.breakGlassSignIn, false},
		{fiber.MethodGet, "/login/website", Public, s.loginWebsite, false},
		{fiber.MethodGet, websiteCallbackPath, Public, s.loginWebsiteCallback, false},
		{fiber.MethodGet, "/login/wecom", Public, s.loginWeCom, false},
		{fiber.MethodGet, wecomCallbackPath, Public, s.loginWeComCallback, false},
		{fiber.MethodPost, "/api/mp/login", Public, s.mpLogin, true},
		{fiber.MethodPost, "/api/mp/logout", Public, s.mpLogout, true},
		{fiber.MethodPost, "/api/mp/profile", Public, s.mpProfile, true},
		{fiber.MethodPost, "/api/mp/phone", Public, s.mpPhone, true},
		{fiber.MethodPost, "/api/mp/scan", Public, s.mpScan, true},
		{fiber.MethodPost, "/api/mp/confirm", Public, s.mpConfirm, true},
		{fiber.MethodGet, "/pending", SignedIn, s.pendingPage, false},
		{fiber.MethodGet, "/pending/wait", SignedIn, s.pendingWait, false},
		{fiber.MethodPost, "/pending/name", SignedIn, s.pendingName, false},
		// Administration (issue 6): approval queue, users, pre-registration, online sessions,
		// login and audit logs; and every signed-in user's own devices.
		{fiber.MethodGet, "/admin/approvals", Admin, s.approvalsPage, false},
		{fiber.MethodPost, "/admin/approvals/bulk", Admin, s.approveBulk, false},
		{fiber.MethodPost, "/admin/approvals/:id/approve", Admin, s.approve, false},
		{fiber.MethodPost, "/admin/approvals/:id/reject", Admin, s.reject, false},
		{fiber.MethodGet, "/admin/users", Admin, s.usersPage, false},
		{fiber.MethodGet, "/admin/users/:id", Admin, s.userPage, false},
		{fiber.MethodPost, "/admin/users/:id/activate", Admin, s.userActivate, false},
		{fiber.MethodPost, "/admin/users/:id/deactivate", Admin, s.userDeactivate, false},
		{fiber.MethodPost, "/admin/users/:id/role", Admin, s.userRole, false},
		{fiber.MethodPost, "/admin/users/:id/logout", Admin, s.userLogout, false},
		{fiber.MethodPost, "/admin/identities/:id/unbind", Admin, s.identityUnbind, false},
		{fiber.MethodPost, "/admin/phones/:id/unbind", Admin, s.phoneUnbind, false},
		{fiber.MethodGet, "/admin/preregister", Admin, s.preregPage, false},
		{fiber.MethodPost, "/admin/preregister", Admin, s.preregister, false},
		{fiber.MethodPost, "/admin/preregister/import", Admin, s.preregImport, false},
		{fiber.MethodGet, "/admin/sessions", Admin, s.sessionsPage, false},
		{fiber.MethodPost, "/admin/sessions/:id/logout", Admin, s.sessionLogout, false},
		{fiber.MethodGet, "/admin/logins", Admin, s.loginsPage, false},
		{fiber.MethodGet, "/admin/logins.csv", Admin, s.loginsCSV, false},
		{fiber.MethodGet, "/admin/audit", Admin, s.auditPage, false},
		{fiber.MethodGet, "/admin/audit.csv", Admin, s.auditCSV, false},
		{fiber.MethodGet, "/devices", Active, s.devicesPage, false},
		{fiber.MethodPost, "/devices/logout-others", Active, s.devicesLogoutOthers, false},
		{fiber.MethodPost, "/devices/:id/logout", Active, s.deviceLogout, false},
	}
	// Uploads, the upload API and API tokens (issue 7), mounted with the reports service.
	// The two POST …/runs routes stream their bodies (see limitBody); the API answers only
	// bearer tokens, never the session cookie, hence NoCSRF.
	if s.Reports != nil {
		rs = append(rs,
			Route{fiber.MethodGet, "/upload", Active, s.uploadPage, false},
			Route{fiber.MethodPost, "/upload/projects/:key/runs", Active, s.uploadPost, false},
			Route{fiber.MethodGet, "/upload/runs/:id/progress", Active, s.uploadProgress, false},
			Route{fiber.MethodGet, "/profile", SignedIn, s.profilePage, false},
			Route{fiber.MethodPost, "/profile/tokens", Active, s.tokenCreate, false},
			Route{fiber.MethodPost, "/profile/tokens/:id/revoke", SignedIn, s.tokenRevoke, false},
			Route{fiber.MethodPost, "/api/v1/projects/:key/runs", Public, s.apiUpload, true},
			Route{fiber.MethodGet, "/api/v1/runs/:id", Public, s.apiRunStatus, false},
		)
	}
	// Dashboards (issue 8): run reports, projects, comparisons, security and JUnit views,
	// the managers' overview and CSV exports; see reportRoutes in reports_pages.go.
	if s.Reports != nil {
		rs = append(rs, s.reportRoutes()...)
	}
	if s.Sandbox != nil {
		sb := adaptor.HTTPHandler(detach(s.Sandbox))
		for _, m := range []string{fiber.MethodGet, fiber.MethodPost, fiber.MethodDelete} {
			rs = append(rs, Route{m, SandboxPath, Public, sb, true}, Route{m, SandboxPath + "/*", Public, sb, true})
		}
	}
	for i := range rs {
		rs[i].Handler = s.breakGlassGate(rs[i], s.guard(rs[i].Policy, rs[i].Handler))
	}
	return rs
}
