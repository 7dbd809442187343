package web

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"scanboard/app/apperr"
	"scanboard/app/auth"
	"scanboard/views/pending"
)

// pendingPage is what a signed-in account that is not active sees: waiting for approval
// (with phone binding when the policy asks for it), or a clear refusal.
func (s *Server) pendingPage(c *fiber.Ctx) error {
	p := principal(c)
	if p.Status == "active" {
		return c.Redirect("/", fiber.StatusSeeOther)
	}
	m := pending.Model{Status: string(p.Status), Name: displayName(p), Named: p.Name != "", CanName: s.Admin.Users != nil}
	if p.Status == "pending" && s.Login.Phones != nil && s.Login.PhonePolicy != PhoneOff {
		ok, err := s.Login.Phones.HasVerified(c.UserContext(), p.UserID)
		if err != nil {
			return err
		}
		m.NeedPhone = !ok
	}
	return s.render(c, pending.Page(s.page(c, "pending.title"), m))
}

// pendingName is POST /pending/name: a waiting user tells the admins who they are.
func (s *Server) pendingName(c *fiber.Ctx) error {
	if s.Admin.Users == nil {
		return fiber.ErrNotFound
	}
	if err := s.Admin.Users.SetOwnName(c.UserContext(), principal(c).UserID, c.FormValue("name")); err != nil {
		return err
	}
	return c.Redirect("/pending", fiber.StatusSeeOther)
}

// pendingWait is the pending page's long-poll: it answers when the account's status
// differs from ?since=, woken by PublishUserStatus on any node and re-checking the
// database at the end of the hold in case a message was missed.
// pendingRecheck is how often a waiting pending page re-reads the user's status.
const pendingRecheck = 3 * time.Second

func (s *Server) pendingWait(c *fiber.Ctx) error {
	p := principal(c)
	since := c.Query("since", string(p.Status))
	if since == string(p.Status) {
		ctx, cancel := context.WithTimeout(c.UserContext(), s.Login.longPoll())
		defer cancel()
		sub, err := s.KV.Subscribe(ctx, auth.UserStatusChannel(p.UserID))
		if err != nil {
			return apperr.E("web.pendingWait", apperr.Unavailable, err)
		}
		defer sub.Close()
		// Re-read after subscribing: a change just before would otherwise be missed.
		st, err := s.userStatus(ctx, p.UserID)
		if err != nil {
			return err
		}
		// Also re-read every few seconds: a change made by another process without the shared
		// Redis (`mis user grant` next to an in-memory node) publishes nowhere we listen.
		tick := time.NewTicker(pendingRecheck)
		defer tick.Stop()
		for st == since {
			select {
			case <-sub.C():
				st = ""
			case <-tick.C:
				if st, err = s.userStatus(ctx, p.UserID); err != nil {
					return err
				}
			case <-ctx.Done():
				st = ""
			}
		}
	}
	st, err := s.userStatus(context.WithoutCancel(c.UserContext()), p.UserID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"status": st})
}

func (s *Server) userStatus(ctx context.Context, id int) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	u, err := s.Store.Client.User.Get(ctx, id)
	if err != nil {
		return "", apperr.E("web.userStatus", apperr.Unavailable, err)
	}
	return string(u.Status), nil
}
