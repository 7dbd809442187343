package wechatsandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// The control API is the sandbox's own, not WeChat's: it uses real HTTP statuses and
// {"error": "..."} bodies, and rejects unknown JSON fields so typos in scripts show up.

func apiJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func apiFail(w http.ResponseWriter, err error) {
	status := http.StatusBadRequest
	switch {
	case errors.Is(err, ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, ErrExpired):
		status = http.StatusGone
	}
	apiJSON(w, status, map[string]string{"error": err.Error()})
}

// decodeStrict reads a bounded JSON body into v, refusing unknown fields and trailing data.
func decodeStrict(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("request body: %w", err)
	}
	if dec.More() {
		return errors.New("request body: more than one JSON value")
	}
	return nil
}

// userRef is the body of most control calls.
type userRef struct {
	User    string `json:"user"`
	Content string `json:"content"`
	Ticket  string `json:"ticket"`
	UUID    string `json:"uuid"`
	URL     string `json:"url"`
	Allow   *bool  `json:"allow"`
	Kind    string `json:"kind"`
}

func (s *Sandbox) apiRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/users", func(w http.ResponseWriter, r *http.Request) {
		apiJSON(w, http.StatusOK, map[string]any{"users": nonNil(s.Users())})
	})
	mux.HandleFunc("POST /api/users", func(w http.ResponseWriter, r *http.Request) {
		var n NewUser
		if err := decodeStrict(r, &n); err != nil {
			apiFail(w, err)
			return
		}
		u, err := s.CreateUser(n)
		if err != nil {
			apiFail(w, err)
			return
		}
		apiJSON(w, http.StatusCreated, u)
	})
	mux.HandleFunc("GET /api/users/{id}", func(w http.ResponseWriter, r *http.Request) {
		u, ok := s.User(r.PathValue("id"))
		if !ok {
			apiFail(w, fmt.Errorf("user %q: %w", r.PathValue("id"), ErrNotFound))
			return
		}
		apiJSON(w, http.StatusOK, u)
	})
	mux.HandleFunc("GET /api/messages", func(w http.ResponseWriter, r *http.Request) {
		msgs, err := s.Messages(r.URL.Query().Get("user"))
		if err != nil {
			apiFail(w, fmt.Errorf("%w: %w", err, ErrNotFound))
			return
		}
		apiJSON(w, http.StatusOK, map[string]any{"messages": msgs})
	})
	mux.HandleFunc("GET /api/qrcodes", func(w http.ResponseWriter, r *http.Request) {
		apiJSON(w, http.StatusOK, map[string]any{"tickets": nonNil(s.LiveTickets(100)), "logins": nonNil(s.LiveLogins(100))})
	})
	mux.HandleFunc("POST /api/scan", s.userCall(func(r *http.Request, b userRef) (any, error) {
		content := b.Content
		if content == "" {
			content = b.Ticket
		}
		if content == "" && b.UUID != "" {
			content = s.public + "/connect/confirm?uuid=" + b.UUID
		}
		return s.Scan(r.Context(), b.User, content)
	}))
	mux.HandleFunc("POST /api/confirm", s.userCall(func(r *http.Request, b userRef) (any, error) {
		return s.ConfirmLogin(b.User, b.UUID)
	}))
	mux.HandleFunc("POST /api/deny", s.userCall(func(r *http.Request, b userRef) (any, error) {
		return s.DenyLogin(b.User, b.UUID)
	}))
	mux.HandleFunc("POST /api/follow", s.userCall(func(r *http.Request, b userRef) (any, error) {
		return s.Follow(r.Context(), b.User)
	}))
	mux.HandleFunc("POST /api/unfollow", s.userCall(func(r *http.Request, b userRef) (any, error) {
		return s.Unfollow(r.Context(), b.User)
	}))
	mux.HandleFunc("POST /api/authorize", s.userCall(func(r *http.Request, b userRef) (any, error) {
		allow := b.Allow == nil || *b.Allow
		return s.Authorize(b.User, b.URL, allow)
	}))
	mux.HandleFunc("POST /api/miniprogram/code", s.userCall(func(r *http.Request, b userRef) (any, error) {
		code, err := s.MiniLogin(b.User)
		return map[string]string{"code": code}, err
	}))
	mux.HandleFunc("POST /api/miniprogram/phone-code", s.userCall(func(r *http.Request, b userRef) (any, error) {
		code, err := s.MiniPhoneCode(b.User)
		return map[string]string{"code": code}, err
	}))
	mux.HandleFunc("POST /api/miniprogram/encrypted-data", s.userCall(func(r *http.Request, b userRef) (any, error) {
		return s.MiniEncryptedData(b.User, b.Kind)
	}))
	mux.HandleFunc("POST /api/miniprogram/rotate-session-key", s.userCall(func(r *http.Request, b userRef) (any, error) {
		return map[string]bool{"rotated": true}, s.RotateSessionKey(b.User)
	}))
	mux.HandleFunc("GET /api/pushes", func(w http.ResponseWriter, r *http.Request) {
		limit, err := strconv.Atoi(r.URL.Query().Get("limit"))
		if err != nil || limit <= 0 || limit > 1000 {
			limit = 50
		}
		apiJSON(w, http.StatusOK, map[string]any{"pushes": nonNil(s.Pushes(limit))})
	})
	mux.HandleFunc("POST /api/verify-url", func(w http.ResponseWriter, r *http.Request) {
		att, ok, err := s.VerifyPushURL(r.Context())
		if err != nil {
			apiFail(w, err)
			return
		}
		apiJSON(w, http.StatusOK, map[string]any{"verified": ok, "attempt": att})
	})
	mux.HandleFunc("GET /api/sms", func(w http.ResponseWriter, r *http.Request) {
		apiJSON(w, http.StatusOK, map[string]any{"sms": nonNil(s.sms.List(r.URL.Query().Get("phone")))})
	})
	mux.HandleFunc("POST /api/sms", func(w http.ResponseWriter, r *http.Request) {
		var b struct {
			Phone string `json:"phone"`
			Text  string `json:"text"`
		}
		if err := decodeStrict(r, &b); err != nil {
			apiFail(w, err)
			return
		}
		if err := s.sms.Deliver(b.Phone, b.Text); err != nil {
			apiFail(w, err)
			return
		}
		apiJSON(w, http.StatusCreated, map[string]bool{"delivered": true})
	})
	mux.HandleFunc("GET /api/faults", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		pf := s.pushFault
		s.mu.Unlock()
		apiJSON(w, http.StatusOK, map[string]any{"faults": s.Faults(), "push": pf})
	})
	mux.HandleFunc("POST /api/faults", func(w http.ResponseWriter, r *http.Request) {
		var f faultRequest
		if err := decodeStrict(r, &f); err != nil {
			apiFail(w, err)
			return
		}
		if err := s.AddFault(f.fault()); err != nil {
			apiFail(w, err)
			return
		}
		apiJSON(w, http.StatusCreated, map[string]any{"faults": s.Faults()})
	})
	mux.HandleFunc("DELETE /api/faults", func(w http.ResponseWriter, r *http.Request) {
		s.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /api/faults/push", func(w http.ResponseWriter, r *http.Request) {
		var pf PushFaults
		if err := decodeStrict(r, &pf); err != nil {
			apiFail(w, err)
			return
		}
		if err := s.SetPushFaults(pf); err != nil {
			apiFail(w, err)
			return
		}
		apiJSON(w, http.StatusOK, pf)
	})
	mux.HandleFunc("POST /api/clock/advance", func(w http.ResponseWriter, r *http.Request) {
		var b struct {
			Seconds int64 `json:"seconds"`
		}
		if err := decodeStrict(r, &b); err != nil {
			apiFail(w, err)
			return
		}
		if err := s.Advance(time.Duration(b.Seconds) * time.Second); err != nil {
			apiFail(w, err)
			return
		}
		apiJSON(w, http.StatusOK, map[string]any{"now": s.now()})
	})
	mux.HandleFunc("GET /api/config", func(w http.ResponseWriter, r *http.Request) {
		apiJSON(w, http.StatusOK, map[string]any{
			"public_url": s.public, "oa_appid": s.cfg.OA.AppID, "oa_original_id": s.cfg.OA.OriginalID,
			"oa_push_url": s.cfg.OA.PushURL, "oa_mode": s.cfg.OA.Mode, "website_appid": s.cfg.Website.AppID,
			"mini_appid": s.cfg.Mini.AppID, "wecom_corpid": s.cfg.WeCom.CorpID, "wecom_agentid": s.cfg.WeCom.AgentID,
			"now": s.now(),
		})
	})
}

// faultRequest is the JSON form of a Fault, with latency in milliseconds for curl users.
type faultRequest struct {
	Endpoint   string `json:"endpoint"`
	Errcode    int    `json:"errcode"`
	Errmsg     string `json:"errmsg"`
	HTTPStatus int    `json:"http_status"`
	LatencyMS  int64  `json:"latency_ms"`
	Times      int    `json:"times"`
}

func (f faultRequest) fault() Fault {
	return Fault{Endpoint: f.Endpoint, Errcode: f.Errcode, Errmsg: f.Errmsg, HTTPStatus: f.HTTPStatus,
		Latency: time.Duration(f.LatencyMS) * time.Millisecond, Times: f.Times}
}

// userCall decodes a userRef body, runs fn and writes its result.
func (s *Sandbox) userCall(fn func(*http.Request, userRef) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var b userRef
		if err := decodeStrict(r, &b); err != nil {
			apiFail(w, err)
			return
		}
		if b.User == "" {
			apiFail(w, errors.New(`"user" (a sandbox user id) is required`))
			return
		}
		out, err := fn(r, b)
		if err != nil {
			apiFail(w, err)
			return
		}
		apiJSON(w, http.StatusOK, out)
	}
}

// Advance moves the sandbox clock forward (codes, tokens and tickets expire accordingly).
func (s *Sandbox) Advance(d time.Duration) error {
	if d < 0 || d > 400*24*time.Hour {
		return errors.New("seconds must be between 0 and 400 days")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset += d
	s.notifyLocked()
	return nil
}

// nonNil makes empty lists encode as [] rather than null.
func nonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}
