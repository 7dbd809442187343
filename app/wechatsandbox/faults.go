package wechatsandbox

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Fault makes the next call(s) to one WeChat endpoint misbehave.
type Fault struct {
	// Endpoint is the WeChat path, e.g. "/sns/oauth2/access_token".
	Endpoint string `json:"endpoint"`
	// Errcode, when non-zero, is answered (HTTP 200) instead of the real response.
	Errcode int    `json:"errcode,omitempty"`
	Errmsg  string `json:"errmsg,omitempty"`
	// HTTPStatus, when non-zero, answers with that status and an empty body (a broken proxy).
	HTTPStatus int `json:"http_status,omitempty"`
	// Latency delays the call before it is answered (normally or by the fault).
	Latency time.Duration `json:"latency_ns,omitempty"`
	// Times is how many calls the fault applies to; 0 means 1, -1 means until cleared.
	Times int `json:"times,omitempty"`
}

// PushFaults drops or duplicates the next event pushes.
type PushFaults struct {
	Drop      int `json:"drop"`
	Duplicate int `json:"duplicate"`
}

func (f Fault) validate() error {
	var errs []error
	if !isWeChatAPI(f.Endpoint) {
		errs = append(errs, fmt.Errorf("endpoint %q is not a WeChat API path of the sandbox", f.Endpoint))
	}
	if f.Errcode == 0 && f.HTTPStatus == 0 && f.Latency == 0 {
		errs = append(errs, errors.New("a fault needs errcode, http_status or latency"))
	}
	if f.HTTPStatus != 0 && (f.HTTPStatus < 200 || f.HTTPStatus > 599) {
		errs = append(errs, fmt.Errorf("http_status %d is not an HTTP status", f.HTTPStatus))
	}
	if f.Latency < 0 || f.Latency > 2*time.Minute {
		errs = append(errs, errors.New("latency must be between 0 and 2 minutes"))
	}
	if f.Times < -1 {
		errs = append(errs, errors.New("times must be -1 (until cleared), 0/1 or more"))
	}
	return errors.Join(errs...)
}

// weChatAPIs are the endpoints faults may target (the pages are driven through the phone).
func weChatAPIs() []string {
	return []string{
		"/sns/oauth2/access_token", "/sns/oauth2/refresh_token", "/sns/auth", "/sns/userinfo",
		"/sns/jscode2session", "/cgi-bin/token", "/cgi-bin/stable_token", "/cgi-bin/qrcode/create",
		"/cgi-bin/showqrcode", "/cgi-bin/user/info", "/cgi-bin/message/template/send",
		"/wxa/business/getuserphonenumber", "/wxa/checksession", "/cgi-bin/gettoken",
		"/cgi-bin/auth/getuserinfo", "/cgi-bin/user/get", "/cgi-bin/user/getuserinfo",
	}
}

func isWeChatAPI(p string) bool {
	for _, a := range weChatAPIs() {
		if p == a {
			return true
		}
	}
	return false
}

// AddFault queues a fault; faults for one endpoint apply in the order added.
func (s *Sandbox) AddFault(f Fault) error {
	if err := f.validate(); err != nil {
		return err
	}
	if f.Times == 0 {
		f.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults) >= 1000 {
		return errors.New("too many queued faults (1000); clear them first")
	}
	s.faults = append(s.faults, &f)
	return nil
}

// Faults lists queued faults.
func (s *Sandbox) Faults() []Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Fault, 0, len(s.faults))
	for _, f := range s.faults {
		out = append(out, *f)
	}
	return out
}

// ClearFaults removes every queued fault and push fault.
func (s *Sandbox) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults, s.pushFault = nil, PushFaults{}
}

// SetPushFaults replaces the push drop/duplicate counters.
func (s *Sandbox) SetPushFaults(pf PushFaults) error {
	if pf.Drop < 0 || pf.Duplicate < 0 || pf.Drop > 1000 || pf.Duplicate > 1000 {
		return errors.New("drop and duplicate must be between 0 and 1000")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pushFault = pf
	return nil
}

// applyFault consumes the first fault for path and applies it; true means it answered.
func (s *Sandbox) applyFault(w http.ResponseWriter, r *http.Request, path string) bool {
	s.mu.Lock()
	var f *Fault
	for i, x := range s.faults {
		if x.Endpoint == path {
			cp := *x
			f = &cp
			if x.Times > 0 {
				x.Times--
				if x.Times == 0 {
					s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
				}
			}
			break
		}
	}
	s.mu.Unlock()
	if f == nil {
		return false
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "sandbox fault injected", slog.String("endpoint", path),
		slog.Int("errcode", f.Errcode), slog.Int("http_status", f.HTTPStatus), slog.Duration("latency", f.Latency))
	if f.Latency > 0 {
		if err := s.sleep(r.Context(), f.Latency); err != nil {
			return true // the caller gave up; nobody reads an answer
		}
	}
	switch {
	case f.HTTPStatus != 0:
		w.WriteHeader(f.HTTPStatus)
		return true
	case f.Errcode != 0:
		msg := f.Errmsg
		if msg == "" {
			msg = errText(f.Errcode)
		}
		if isWeComAPI(path) {
			weComError(w, r, f.Errcode, msg)
		} else {
			apiError(w, f.Errcode, msg)
		}
		return true
	}
	return false
}

func isWeComAPI(p string) bool {
	return p == "/cgi-bin/gettoken" || strings.HasPrefix(p, "/cgi-bin/auth/") || p == "/cgi-bin/user/get" || p == "/cgi-bin/user/getuserinfo"
}
