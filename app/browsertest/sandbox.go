package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"scanboard/app/wechatsandbox"
)

// Sandbox calls a node's WeChat sandbox control API (/_sandbox/api/…, described in
// app/wechatsandbox/README.md). The typed methods fail the test on any error; Do returns
// the error, for tests that expect one.
type Sandbox struct {
	base   string
	client *http.Client
}

// APIError is a control-API answer other than 2xx: 400 bad input, 404 unknown user or QR,
// 410 expired.
type APIError struct {
	Method, Path string
	Status       int
	Message      string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("sandbox %s %s: %d %s", e.Method, e.Path, e.Status, e.Message)
}

// Do sends in (nil: no body) as JSON to the control API path (e.g. "/users") and decodes
// the answer into out (nil: ignored).
func (s *Sandbox) Do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("sandbox %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("sandbox %s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(raw, &e) != nil || e.Error == "" {
			e.Error = string(raw)
		}
		return &APIError{Method: method, Path: path, Status: resp.StatusCode, Message: e.Error}
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("sandbox %s %s: decoding %q: %w", method, path, raw, err)
	}
	return nil
}

func (s *Sandbox) must(t testing.TB, method, path string, in, out any) {
	t.Helper()
	if err := s.Do(t.Context(), method, path, in, out); err != nil {
		t.Fatal(err)
	}
}

// userBody is the body of the calls that act as one sandbox user.
type userBody struct {
	User    string `json:"user"`
	Content string `json:"content,omitempty"`
	UUID    string `json:"uuid,omitempty"`
	URL     string `json:"url,omitempty"`
	Allow   *bool  `json:"allow,omitempty"`
	Kind    string `json:"kind,omitempty"`
}

// CreateUser makes a WeChat user (nickname, phone, WeCom id, snapshot…).
func (s *Sandbox) CreateUser(t testing.TB, u wechatsandbox.NewUser) wechatsandbox.User {
	t.Helper()
	var out wechatsandbox.User
	s.must(t, http.MethodPost, "/users", u, &out)
	return out
}

// Users lists the sandbox's users, newest first.
func (s *Sandbox) Users(t testing.TB) []wechatsandbox.User {
	t.Helper()
	var out struct {
		Users []wechatsandbox.User `json:"users"`
	}
	s.must(t, http.MethodGet, "/users", nil, &out)
	return out.Users
}

// User returns one user by sandbox id.
func (s *Sandbox) User(t testing.TB, id string) wechatsandbox.User {
	t.Helper()
	var out wechatsandbox.User
	s.must(t, http.MethodGet, "/users/"+url.PathEscape(id), nil, &out)
	return out
}

// UserByNickname finds a user created on the phone page, where the test does not learn
// the id; it fails the test when none has that nickname.
func (s *Sandbox) UserByNickname(t testing.TB, nickname string) wechatsandbox.User {
	t.Helper()
	for _, u := range s.Users(t) {
		if u.Nickname == nickname {
			return u
		}
	}
	t.Fatalf("sandbox: no user with nickname %q", nickname)
	return wechatsandbox.User{}
}

// Follow makes the user follow the Official Account; the result is the recorded push.
func (s *Sandbox) Follow(t testing.TB, user string) wechatsandbox.Push {
	t.Helper()
	var out wechatsandbox.Push
	s.must(t, http.MethodPost, "/follow", userBody{User: user}, &out)
	return out
}

// Unfollow makes the user unfollow the Official Account.
func (s *Sandbox) Unfollow(t testing.TB, user string) wechatsandbox.Push {
	t.Helper()
	var out wechatsandbox.Push
	s.must(t, http.MethodPost, "/unfollow", userBody{User: user}, &out)
	return out
}

// Scan scans QR content as the user: an OA ticket URL or bare ticket, a website/WeCom
// login QR, or any other URL (opened as if inside WeChat).
func (s *Sandbox) Scan(t testing.TB, user, content string) wechatsandbox.ScanResult {
	t.Helper()
	var out wechatsandbox.ScanResult
	s.must(t, http.MethodPost, "/scan", userBody{User: user, Content: content}, &out)
	return out
}

// ScanLogin scans a website or WeCom login QR by its uuid.
func (s *Sandbox) ScanLogin(t testing.TB, user, uuid string) wechatsandbox.ScanResult {
	t.Helper()
	var out wechatsandbox.ScanResult
	s.must(t, http.MethodPost, "/scan", userBody{User: user, UUID: uuid}, &out)
	return out
}

// Confirm confirms a scanned website/WeCom login on the phone.
func (s *Sandbox) Confirm(t testing.TB, user, uuid string) wechatsandbox.LoginDecision {
	t.Helper()
	var out wechatsandbox.LoginDecision
	s.must(t, http.MethodPost, "/confirm", userBody{User: user, UUID: uuid}, &out)
	return out
}

// Deny refuses a scanned website/WeCom login on the phone.
func (s *Sandbox) Deny(t testing.TB, user, uuid string) wechatsandbox.LoginDecision {
	t.Helper()
	var out wechatsandbox.LoginDecision
	s.must(t, http.MethodPost, "/deny", userBody{User: user, UUID: uuid}, &out)
	return out
}

// Authorize opens an OA web-OAuth URL as the user inside WeChat; allow=false refuses the
// consent page.
func (s *Sandbox) Authorize(t testing.TB, user, oauthURL string, allow bool) wechatsandbox.AuthorizeResult {
	t.Helper()
	var out wechatsandbox.AuthorizeResult
	s.must(t, http.MethodPost, "/authorize", userBody{User: user, URL: oauthURL, Allow: &allow}, &out)
	return out
}

// QRCodes lists the live OA tickets and website/WeCom login QRs, newest first.
func (s *Sandbox) QRCodes(t testing.TB) ([]wechatsandbox.LiveTicket, []wechatsandbox.LoginAttempt) {
	t.Helper()
	var out struct {
		Tickets []wechatsandbox.LiveTicket   `json:"tickets"`
		Logins  []wechatsandbox.LoginAttempt `json:"logins"`
	}
	s.must(t, http.MethodGet, "/qrcodes", nil, &out)
	return out.Tickets, out.Logins
}

// Messages is what the user received: passive replies, template messages, system notes.
func (s *Sandbox) Messages(t testing.TB, user string) []wechatsandbox.Message {
	t.Helper()
	var out struct {
		Messages []wechatsandbox.Message `json:"messages"`
	}
	s.must(t, http.MethodGet, "/messages?user="+url.QueryEscape(user), nil, &out)
	return out.Messages
}

// SMS lists the text messages the app sent to phone ("" for all).
func (s *Sandbox) SMS(t testing.TB, phone string) []wechatsandbox.SMS {
	t.Helper()
	var out struct {
		SMS []wechatsandbox.SMS `json:"sms"`
	}
	s.must(t, http.MethodGet, "/sms?phone="+url.QueryEscape(phone), nil, &out)
	return out.SMS
}

// Pushes lists the newest event pushes with every delivery attempt.
func (s *Sandbox) Pushes(t testing.TB, limit int) []wechatsandbox.Push {
	t.Helper()
	var out struct {
		Pushes []wechatsandbox.Push `json:"pushes"`
	}
	s.must(t, http.MethodGet, "/pushes?limit="+strconv.Itoa(limit), nil, &out)
	return out.Pushes
}

// MiniCode makes a Mini Program wx.login code for the user.
func (s *Sandbox) MiniCode(t testing.TB, user string) string {
	t.Helper()
	var out struct {
		Code string `json:"code"`
	}
	s.must(t, http.MethodPost, "/miniprogram/code", userBody{User: user}, &out)
	return out.Code
}

// MiniPhoneCode makes a code for the Mini Program phone-number API.
func (s *Sandbox) MiniPhoneCode(t testing.TB, user string) string {
	t.Helper()
	var out struct {
		Code string `json:"code"`
	}
	s.must(t, http.MethodPost, "/miniprogram/phone-code", userBody{User: user}, &out)
	return out.Code
}

// MiniEncryptedData encrypts the user's profile (kind "userinfo") or phone ("phone") with
// the current session key.
func (s *Sandbox) MiniEncryptedData(t testing.TB, user, kind string) wechatsandbox.EncryptedData {
	t.Helper()
	var out wechatsandbox.EncryptedData
	s.must(t, http.MethodPost, "/miniprogram/encrypted-data", userBody{User: user, Kind: kind}, &out)
	return out
}

// Fault makes the next call(s) to a WeChat endpoint fail or come late.
type Fault struct {
	Endpoint   string        // WeChat path, e.g. "/sns/oauth2/access_token"
	Errcode    int           // answered with HTTP 200, as WeChat does
	Errmsg     string        // optional
	HTTPStatus int           // answered with this status and an empty body
	Latency    time.Duration // delay before answering
	Times      int           // 0: once; -1: until ClearFaults
}

// AddFault injects a fault.
func (s *Sandbox) AddFault(t testing.TB, f Fault) {
	t.Helper()
	body := map[string]any{"endpoint": f.Endpoint, "errcode": f.Errcode, "errmsg": f.Errmsg,
		"http_status": f.HTTPStatus, "latency_ms": f.Latency.Milliseconds(), "times": f.Times}
	s.must(t, http.MethodPost, "/faults", body, nil)
}

// ClearFaults removes every injected fault.
func (s *Sandbox) ClearFaults(t testing.TB) {
	t.Helper()
	s.must(t, http.MethodDelete, "/faults", nil, nil)
}

// SetPushFaults drops or duplicates the next event pushes.
func (s *Sandbox) SetPushFaults(t testing.TB, pf wechatsandbox.PushFaults) {
	t.Helper()
	s.must(t, http.MethodPost, "/faults/push", pf, nil)
}

// Advance moves the sandbox clock forward (codes, tokens and tickets expire); the app's own
// clock is not moved.
func (s *Sandbox) Advance(t testing.TB, d time.Duration) {
	t.Helper()
	s.must(t, http.MethodPost, "/clock/advance", map[string]int64{"seconds": int64(d / time.Second)}, nil)
}

// Config returns the sandbox's public settings: appids, push URL, mode, clock.
func (s *Sandbox) Config(t testing.TB) map[string]any {
	t.Helper()
	var out map[string]any
	s.must(t, http.MethodGet, "/config", nil, &out)
	return out
}
