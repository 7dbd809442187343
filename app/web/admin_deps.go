package web

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"scanboard/app/apperr"
	"scanboard/app/auth"
	"scanboard/ent/user"
	"scanboard/views/admin"
	"scanboard/views/i18n"
)

// AdminDeps is what the administration screens and "my devices" need.
type AdminDeps struct {
	Users *auth.Users
	// SessionCap limits concurrent sessions per user; the zero value means no limit.
	SessionCap auth.SessionCap
	// RecentSignIn, when set, is how recent an admin's sign-in must be for approvals and
	// role changes (SESS-15); older sessions are sent to sign in again.
	RecentSignIn time.Duration
}

// roles and statuses in the order the screens offer them.
var (
	roleNames   = []string{string(user.RoleEmployee), string(user.RoleManager), string(user.RoleAdmin)}
	statusNames = []string{string(user.StatusPending), string(user.StatusActive), string(user.StatusDisabled), string(user.StatusRejected)}
)

// actor is the signed-in admin as the audit log records them.
func actor(c *fiber.Ctx) auth.Actor {
	p := principal(c)
	return auth.Actor{UserID: p.UserID, Label: p.Name, IP: c.IP()}
}

// requireRecentSignIn refuses sensitive actions of a session older than RecentSignIn.
func (s *Server) requireRecentSignIn(c *fiber.Ctx) error {
	if s.Admin.RecentSignIn <= 0 {
		return nil
	}
	if p := principal(c); p == nil || s.Now().Sub(p.SignedIn) > s.Admin.RecentSignIn {
		return apperr.E("web.requireRecentSignIn", apperr.Forbidden, apperr.Key("admin.error.reauth"), "sign-in is not recent")
	}
	return nil
}

// pathID reads a positive integer path parameter; anything else is 404, never 500.
func pathID(c *fiber.Ctx, name string) (int, error) {
	id, err := strconv.Atoi(c.Params(name))
	if err != nil || id <= 0 {
		return 0, apperr.E("web.pathID", apperr.NotFound, "bad id "+strconv.Quote(c.Params(name)))
	}
	return id, nil
}

// pageOf reads ?page= (1-based).
func pageOf(c *fiber.Ctx) auth.Page {
	n, _ := strconv.Atoi(c.Query("page"))
	return auth.Page{Number: max(n, 1)}
}

// pagerOf builds the paging bar, keeping the other query parameters.
func pagerOf(c *fiber.Ctx, pg auth.Page, total int) admin.Pager {
	pages := max((total+pg.Limit()-1)/pg.Limit(), 1)
	n := max(pg.Number, 1)
	link := func(to int) string {
		q := url.Values{}
		c.Request().URI().QueryArgs().VisitAll(func(k, v []byte) { q.Add(string(k), string(v)) })
		q.Set("page", strconv.Itoa(to))
		return c.Path() + "?" + q.Encode()
	}
	out := admin.Pager{Page: n, Pages: pages, Total: total}
	if n > 1 {
		out.PrevHref = link(n - 1)
	}
	if n < pages {
		out.NextHref = link(n + 1)
	}
	return out
}

// done redirects after an action with a result message the next page shows (PRG).
func done(c *fiber.Ctx, to, key string) error {
	sep := "?"
	if strings.Contains(to, "?") {
		sep = "&"
	}
	return c.Redirect(to+sep+"done="+url.QueryEscape(key), fiber.StatusSeeOther)
}

// flashOf turns ?done= into a message. Only admin.done.* keys are shown, so a crafted link
// cannot put arbitrary catalogue text on the page.
func flashOf(c *fiber.Ctx) *admin.Flash {
	k := c.Query("done")
	if !strings.HasPrefix(k, "admin.done.") {
		return nil
	}
	return &admin.Flash{Kind: "success", Text: i18n.T(c.UserContext(), k)}
}

func userHref(id int) string { return "/admin/users/" + strconv.Itoa(id) }

func nameOr(name string, id int) string {
	if strings.TrimSpace(name) == "" {
		return "#" + strconv.Itoa(id)
	}
	return name
}

func (s *Server) when(c *fiber.Ctx, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return formatTime(i18n.Lang(c.UserContext()), t)
}

func (s *Server) whenPtr(c *fiber.Ctx, t *time.Time) string {
	if t == nil {
		return ""
	}
	return s.when(c, *t)
}

func (s *Server) userLine(c *fiber.Ctx, r auth.UserRow) admin.UserLine {
	return admin.UserLine{
		ID: r.ID, Href: userHref(r.ID), Name: nameOr(r.Name, r.ID), AvatarURL: r.AvatarURL,
		Phones: strings.Join(r.Phones, ", "), Status: string(r.Status), Role: string(r.Role),
		Method: r.Method, IP: r.IP, Created: s.when(c, r.Created), LastLogin: s.whenPtr(c, r.LastLogin),
		Reason: r.Reason,
	}
}

func (s *Server) sessionLine(c *fiber.Ctx, r auth.SessionInfo) admin.Session {
	cur := 0
	if p := principal(c); p != nil {
		cur = p.SessionID
	}
	return admin.Session{
		ID: r.ID, UserID: r.UserID, UserHref: userHref(r.UserID), UserName: nameOr(r.UserName, r.UserID),
		Method: r.Method, IP: r.IP, Browser: r.Browser, OS: r.OS,
		Created: s.when(c, r.Created), LastSeen: s.when(c, r.LastSeen), Current: r.ID == cur,
	}
}

func (s *Server) loginLine(c *fiber.Ctx, r auth.LoginRow) admin.Login {
	l := admin.Login{Time: s.when(c, r.Time), Method: r.Method, Outcome: r.Outcome, Reason: r.Reason,
		Subject: r.Subject, IP: r.IP, Browser: r.Browser, OS: r.OS}
	if r.UserID != 0 {
		l.UserName, l.UserHref = nameOr(r.UserName, r.UserID), userHref(r.UserID)
	}
	return l
}

// audit records a settings change made through another area's service (project SLA rules,
// baselines) on the audit chain. Without the admin services wired (tests of other areas)
// there is no chain to write to.
func (s *Server) audit(c *fiber.Ctx, action, targetType, targetID string, detail map[string]any) error {
	if s.Admin.Users == nil {
		return nil
	}
	return s.Admin.Users.Record(c.UserContext(), auth.AuditEntry{
		Actor: actor(c), Action: action, TargetType: targetType, TargetID: targetID, Detail: detail,
	})
}
