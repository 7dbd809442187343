package web

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"scanboard/app/apperr"
	"scanboard/app/auth"
	"scanboard/views/admin"
	"scanboard/views/i18n"
)

// dateOf reads a yyyy-mm-dd filter as the start of that day in the server's zone; with
// next, the start of the following day (an inclusive "to").
func dateOf(v string, next bool) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation(time.DateOnly, v, time.Local)
	if err != nil {
		return time.Time{}, apperr.E("web.dateOf", apperr.Invalid, apperr.Key("admin.error.bad_date"), err)
	}
	if next {
		t = t.AddDate(0, 0, 1)
	}
	return t, nil
}

func optionalID(v string) (int, error) {
	if strings.TrimSpace(v) == "" {
		return 0, nil
	}
	id, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || id <= 0 {
		return 0, apperr.E("web.optionalID", apperr.Invalid, apperr.Key("admin.error.bad_id"), "not a user id")
	}
	return id, nil
}

func loginFilterOf(c *fiber.Ctx) (auth.LoginFilter, error) {
	f := auth.LoginFilter{Method: strings.TrimSpace(c.Query("method")), Outcome: c.Query("outcome"),
		Reason: strings.TrimSpace(c.Query("reason")), IP: strings.TrimSpace(c.Query("ip")), Page: pageOf(c)}
	var err error
	if f.UserID, err = optionalID(c.Query("user")); err != nil {
		return f, err
	}
	if f.Outcome != "" && f.Outcome != "success" && f.Outcome != "failure" {
		return f, apperr.E("web.loginFilterOf", apperr.Invalid, "unknown outcome")
	}
	if f.From, err = dateOf(c.Query("from"), false); err != nil {
		return f, err
	}
	f.To, err = dateOf(c.Query("to"), true)
	return f, err
}

// loginsPage is the login log with filters.
func (s *Server) loginsPage(c *fiber.Ctx) error {
	f, err := loginFilterOf(c)
	if err != nil {
		return err
	}
	rows, total, err := s.Admin.Users.LoginLog(c.UserContext(), f)
	if err != nil {
		return err
	}
	m := admin.LoginLog{User: c.Query("user"), Method: f.Method, Outcome: f.Outcome, Reason: f.Reason, IP: f.IP,
		From: c.Query("from"), To: c.Query("to"), Pager: pagerOf(c, f.Page, total),
		ExportHref: "/admin/logins.csv?" + string(c.Request().URI().QueryString())}
	for _, r := range rows {
		m.Logins = append(m.Logins, s.loginLine(c, r))
	}
	return s.render(c, admin.LoginLogPage(s.page(c, "admin.logins.title"), m))
}

// loginsCSV exports the filtered login log, streamed.
func (s *Server) loginsCSV(c *fiber.Ctx) error {
	f, err := loginFilterOf(c)
	if err != nil {
		return err
	}
	users := s.Admin.Users
	header := []string{"time_utc", "user_id", "user", "method", "outcome", "reason", "subject", "ip", "browser", "os", "user_agent"}
	return s.streamCSV(c, "login-log.csv", header, func(ctx context.Context, write func([]string) error) error {
		return users.EachLogin(ctx, f, func(r auth.LoginRow) error {
			uid := ""
			if r.UserID != 0 {
				uid = strconv.Itoa(r.UserID)
			}
			return write([]string{r.Time.UTC().Format(time.RFC3339), uid, r.UserName, r.Method, r.Outcome, r.Reason,
				r.Subject, r.IP, r.Browser, r.OS, r.UserAgent})
		})
	})
}

// auditActions are the actions the audit filter offers.
var auditActions = []string{
	auth.ActionApprove, auth.ActionReject, auth.ActionAutoApprove, auth.ActionActivate, auth.ActionDeactivate,
	auth.ActionRoleChange, auth.ActionUnbindIdentity, auth.ActionUnbindPhone, auth.ActionForceLogout,
	auth.ActionForceLogoutUser, auth.ActionPreregister, auth.ActionGrant,
}

func auditFilterOf(c *fiber.Ctx) (auth.AuditFilter, error) {
	f := auth.AuditFilter{Page: pageOf(c)}
	if a := c.Query("action"); a != "" {
		for _, known := range auditActions {
			if a == known {
				f.Action = a
			}
		}
		if f.Action == "" {
			return f, apperr.E("web.auditFilterOf", apperr.Invalid, "unknown action")
		}
	}
	var err error
	if f.ActorID, err = optionalID(c.Query("actor")); err != nil {
		return f, err
	}
	target, err := optionalID(c.Query("target"))
	if err != nil {
		return f, err
	}
	if target != 0 {
		f.TargetID = strconv.Itoa(target)
	}
	if f.From, err = dateOf(c.Query("from"), false); err != nil {
		return f, err
	}
	f.To, err = dateOf(c.Query("to"), true)
	return f, err
}

// auditPage is the audit log with filters.
func (s *Server) auditPage(c *fiber.Ctx) error {
	f, err := auditFilterOf(c)
	if err != nil {
		return err
	}
	rows, total, err := s.Admin.Users.AuditLog(c.UserContext(), f)
	if err != nil {
		return err
	}
	m := admin.AuditLog{Actor: c.Query("actor"), Action: f.Action, Target: f.TargetID, From: c.Query("from"),
		To: c.Query("to"), Actions: auditActions, Pager: pagerOf(c, f.Page, total),
		ExportHref: "/admin/audit.csv?" + string(c.Request().URI().QueryString())}
	for _, r := range rows {
		l := admin.AuditLine{Seq: r.Seq, Time: s.when(c, r.Time), Actor: r.ActorLabel, Action: r.Action,
			ActionKey: "admin.action." + r.Action, Target: r.TargetType + " " + r.TargetID, Reason: r.Reason,
			Detail: r.Detail, IP: r.IP}
		if r.ActorID != 0 {
			l.ActorHref = userHref(r.ActorID)
		}
		if l.Actor == "" {
			l.Actor = i18n.T(c.UserContext(), "admin.actor.system")
		}
		if r.TargetType == "user" {
			if id, err := strconv.Atoi(r.TargetID); err == nil {
				l.TargetHref = userHref(id)
			}
		}
		m.Lines = append(m.Lines, l)
	}
	return s.render(c, admin.AuditLogPage(s.page(c, "admin.audit.title"), m))
}

// auditCSV exports the filtered audit log, streamed, with the chain columns so an export
// can be checked on its own.
func (s *Server) auditCSV(c *fiber.Ctx) error {
	f, err := auditFilterOf(c)
	if err != nil {
		return err
	}
	users := s.Admin.Users
	header := []string{"seq", "time_utc", "actor_id", "actor", "action", "target_type", "target_id", "reason", "detail", "ip"}
	return s.streamCSV(c, "audit-log.csv", header, func(ctx context.Context, write func([]string) error) error {
		return users.EachAudit(ctx, f, func(r auth.AuditRow) error {
			aid := ""
			if r.ActorID != 0 {
				aid = strconv.Itoa(r.ActorID)
			}
			return write([]string{strconv.FormatInt(r.Seq, 10), r.Time.UTC().Format(time.RFC3339Nano), aid, r.ActorLabel,
				r.Action, r.TargetType, r.TargetID, r.Reason, r.Detail, r.IP})
		})
	})
}
