package web

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"scanboard/app/auth"
	"scanboard/ent/user"
	"scanboard/views/admin"
)

// usersPage lists users with search, filters and paging.
func (s *Server) usersPage(c *fiber.Ctx) error {
	f := auth.UserFilter{Query: strings.TrimSpace(c.Query("q")), Page: pageOf(c)}
	if st := c.Query("status"); user.StatusValidator(user.Status(st)) == nil {
		f.Status = user.Status(st)
	}
	if r := c.Query("role"); user.RoleValidator(user.Role(r)) == nil {
		f.Role = user.Role(r)
	}
	rows, total, err := s.Admin.Users.List(c.UserContext(), f)
	if err != nil {
		return err
	}
	m := admin.UserList{Query: f.Query, Status: string(f.Status), Role: string(f.Role),
		Statuses: statusNames, Roles: roleNames, Pager: pagerOf(c, f.Page, total)}
	for _, r := range rows {
		m.Users = append(m.Users, s.userLine(c, r))
	}
	return s.render(c, admin.UsersPage(s.page(c, "admin.users.title"), m))
}

// userPage shows one user with identities, phones, sessions and recent sign-ins.
func (s *Server) userPage(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	d, err := s.Admin.Users.Detail(c.UserContext(), id)
	if err != nil {
		return err
	}
	m := admin.UserPage{Flash: flashOf(c), User: s.userLine(c, d.UserRow), Self: principal(c).UserID == id,
		Roles: roleNames, AuditHref: "/admin/audit?target=" + strconv.Itoa(id)}
	for _, i := range d.Identities {
		m.Identities = append(m.Identities, admin.Identity{ID: i.ID, Kind: i.Kind, AppID: i.AppID, OpenID: i.OpenID,
			UnionID: i.UnionID, Nickname: i.Nickname, Seen: s.whenPtr(c, i.LastSeen), Flagged: i.Flagged})
	}
	for _, p := range d.Phones {
		m.Phones = append(m.Phones, admin.Phone{ID: p.ID, Phone: p.Phone, Source: p.Source, Verified: s.whenPtr(c, p.Verified)})
	}
	for _, r := range d.Sessions {
		m.Sessions = append(m.Sessions, s.sessionLine(c, r))
	}
	for _, r := range d.Logins {
		m.Logins = append(m.Logins, s.loginLine(c, r))
	}
	return s.render(c, admin.UserDetailPage(s.page(c, "admin.user.title"), m))
}
