package wechatsandbox

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Scan simulates userID scanning a QR code whose content is given: an OA ticket URL (or the
// bare ticket), a website/WeCom login QR, or any other web address (which WeChat would open
// in its browser; OpenURL says where to go).
func (s *Sandbox) Scan(ctx context.Context, userID, content string) (ScanResult, error) {
	content = strings.TrimSpace(content)
	if content == "" {
		return ScanResult{}, errors.New("nothing to scan: the QR content is empty")
	}
	if id, ok := s.ticketIDFromURL(content); ok {
		return s.ScanTicket(ctx, userID, id)
	}
	s.mu.Lock()
	_, isTicket := s.tickets.get(content)
	s.mu.Unlock()
	if isTicket {
		return s.ScanTicket(ctx, userID, content)
	}
	if uuid, ok := s.loginUUIDFromURL(content); ok {
		if err := s.ScanLogin(userID, uuid); err != nil {
			return ScanResult{}, err
		}
		s.mu.Lock()
		a, _ := s.attempts.get(uuid)
		kind := "website_qr"
		if a != nil && a.wecom {
			kind = "wecom_qr"
		}
		s.mu.Unlock()
		return ScanResult{Kind: kind, UUID: uuid, OpenURL: s.public + "/connect/confirm?uuid=" + uuid}, nil
	}
	u, err := url.Parse(content)
	if err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		if _, ok := s.User(userID); !ok {
			return ScanResult{}, fmt.Errorf("user %q: %w", userID, ErrNotFound)
		}
		return ScanResult{Kind: "url", OpenURL: content}, nil
	}
	return ScanResult{}, fmt.Errorf("unrecognised QR content %q: not a sandbox QR ticket, login QR or web address", truncate(content, 80))
}

// ticketIDFromURL recognises the sandbox's OA QR url ".../q/<id>" for a known ticket.
func (s *Sandbox) ticketIDFromURL(content string) (string, bool) {
	u, err := url.Parse(content)
	if err != nil {
		return "", false
	}
	i := strings.LastIndex(u.Path, "/q/")
	if i < 0 {
		return "", false
	}
	id := u.Path[i+3:]
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.ticketIDs[id]
	return id, ok
}

// loginUUIDFromURL recognises ".../connect/confirm?uuid=<uuid>" for a known login page.
func (s *Sandbox) loginUUIDFromURL(content string) (string, bool) {
	u, err := url.Parse(content)
	if err != nil || !strings.HasSuffix(u.Path, "/connect/confirm") {
		return "", false
	}
	uuid := u.Query().Get("uuid")
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.attempts.get(uuid)
	return uuid, ok
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
