package web

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"scanboard/app/apperr"
	"scanboard/app/auth"
	"scanboard/views/admin"
)

// approvalsPage is the queue of users waiting for approval, oldest first.
func (s *Server) approvalsPage(c *fiber.Ctx) error {
	pg := pageOf(c)
	rows, total, err := s.Admin.Users.Pending(c.UserContext(), pg)
	if err != nil {
		return err
	}
	m := admin.Queue{Flash: flashOf(c), Pager: pagerOf(c, pg, total), Roles: roleNames}
	for _, r := range rows {
		m.Users = append(m.Users, s.userLine(c, r))
	}
	return s.render(c, admin.QueuePage(s.page(c, "admin.approvals.title"), m))
}

// approve activates one pending user with the chosen role.
func (s *Server) approve(c *fiber.Ctx) error {
	if err := s.requireRecentSignIn(c); err != nil {
		return err
	}
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	role, err := auth.ParseRole(c.FormValue("role"))
	if err != nil {
		return err
	}
	if err := s.Admin.Users.Approve(c.UserContext(), actor(c), id, role, c.FormValue("reason")); err != nil {
		return err
	}
	return done(c, "/admin/approvals", "admin.done.approved")
}

// reject turns one pending user away; the reason is required.
func (s *Server) reject(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Admin.Users.Reject(c.UserContext(), actor(c), id, c.FormValue("reason")); err != nil {
		return err
	}
	return done(c, "/admin/approvals", "admin.done.rejected")
}

// maxBulk bounds one bulk decision.
const maxBulk = 200

// approveBulk approves or rejects every checked user. Each decision stands alone; the
// result says how many went through.
func (s *Server) approveBulk(c *fiber.Ctx) error {
	const op = "web.approveBulk"
	args := c.Request().PostArgs().PeekMulti("ids")
	if len(args) == 0 {
		return apperr.E(op, apperr.Invalid, apperr.Key("admin.error.none_selected"), "no users selected")
	}
	if len(args) > maxBulk {
		return apperr.E(op, apperr.TooLarge, "too many users in one bulk decision")
	}
	ids := make([]int, 0, len(args))
	for _, a := range args {
		id, err := strconv.Atoi(string(a))
		if err != nil || id <= 0 {
			return apperr.E(op, apperr.Invalid, "bad user id")
		}
		ids = append(ids, id)
	}
	var results []auth.BulkResult
	switch c.FormValue("action") {
	case "approve":
		if err := s.requireRecentSignIn(c); err != nil {
			return err
		}
		role, err := auth.ParseRole(c.FormValue("role"))
		if err != nil {
			return err
		}
		results = s.Admin.Users.BulkApprove(c.UserContext(), actor(c), ids, role, c.FormValue("reason"))
	case "reject":
		var err error
		if results, err = s.Admin.Users.BulkReject(c.UserContext(), actor(c), ids, c.FormValue("reason")); err != nil {
			return err
		}
	default:
		return apperr.E(op, apperr.Invalid, "unknown bulk action")
	}
	for _, r := range results {
		if r.Err != nil {
			if apperr.KindOf(r.Err) == apperr.Unavailable {
				return r.Err
			}
			s.Log.Info("bulk decision skipped a user", "user_id", r.UserID, "err", r.Err.Error())
			return done(c, "/admin/approvals", "admin.done.bulk_partial")
		}
	}
	return done(c, "/admin/approvals", "admin.done.bulk")
}
