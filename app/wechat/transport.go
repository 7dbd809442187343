package wechat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// maxResponseBytes caps what is read from WeChat; real answers are a few KiB.
const maxResponseBytes = 1 << 20

// transport sends requests to WeChat and turns answers into values or *Error.
// It is shared by Client and WorkClient.
type transport struct {
	hc  *http.Client
	ep  Endpoints
	log *slog.Logger
	now func() time.Time
}

func newTransport(hc *http.Client, ep Endpoints, log *slog.Logger, now func() time.Time) transport {
	if hc == nil {
		hc = &http.Client{Timeout: DefaultTimeout}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return transport{hc: hc, ep: ep.orDefault(), log: log, now: now}
}

// get sends a GET with query parameters and decodes the JSON answer into out.
func (t *transport) get(ctx context.Context, op, base, path string, q url.Values, out any) error {
	u := base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return t.do(ctx, op, http.MethodGet, u, nil, out)
}

// postJSON sends in as a JSON body and decodes the JSON answer into out.
func (t *transport) postJSON(ctx context.Context, op, base, path string, q url.Values, in, out any) error {
	u := base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	body, err := json.Marshal(in)
	if err != nil {
		return &Error{Op: op, Err: err}
	}
	return t.do(ctx, op, http.MethodPost, u, body, out)
}

func (t *transport) do(ctx context.Context, op, method, rawURL string, body []byte, out any) error {
	start := time.Now()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, rd)
	if err != nil {
		return &Error{Op: op, Err: scrubURLError(err)}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := t.hc.Do(req)
	if err != nil {
		t.log.DebugContext(ctx, "wechat call failed", "op", op, "err", scrubURLError(err), "duration", time.Since(start))
		return &Error{Op: op, Err: scrubURLError(err)}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return &Error{Op: op, HTTPStatus: resp.StatusCode, Err: scrubURLError(err)}
	}
	if len(data) > maxResponseBytes {
		return &Error{Op: op, HTTPStatus: resp.StatusCode, Err: fmt.Errorf("%w: answer larger than %d bytes", ErrMalformedResponse, maxResponseBytes)}
	}
	err = decodeResponse(op, resp.StatusCode, data, out)
	t.log.DebugContext(ctx, "wechat call", "op", op, "status", resp.StatusCode,
		"errcode", ErrCodeOf(err), "duration", time.Since(start))
	return err
}

// decodeResponse turns one answer into out or *Error. WeChat reports errors
// with HTTP 200 and an errcode; a missing errcode means success.
func decodeResponse(op string, status int, body []byte, out any) error {
	if status != http.StatusOK {
		return &Error{Op: op, HTTPStatus: status, ErrMsg: snippet(body)}
	}
	var head struct {
		ErrCode flexInt `json:"errcode"`
		ErrMsg  string  `json:"errmsg"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		return &Error{Op: op, HTTPStatus: status, Err: fmt.Errorf("%w: %v", ErrMalformedResponse, err)}
	}
	if head.ErrCode != 0 {
		return &Error{Op: op, ErrCode: int(head.ErrCode), ErrMsg: head.ErrMsg, HTTPStatus: status}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return &Error{Op: op, HTTPStatus: status, Err: fmt.Errorf("%w: %v", ErrMalformedResponse, err)}
	}
	return nil
}

// snippet keeps the start of an unexpected body for the error message.
func snippet(b []byte) string {
	const n = 200
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// scrubURLError drops the query string from *url.Error messages: WeChat URLs
// carry the AppSecret and authorization codes in the query.
func scrubURLError(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	shown := ue.URL
	if u, perr := url.Parse(ue.URL); perr == nil {
		u.RawQuery, u.Fragment, u.User = "", "", nil
		shown = u.String()
	} else {
		shown = "(unparsable URL)"
	}
	return &url.Error{Op: ue.Op, URL: shown, Err: ue.Err}
}

// flexInt decodes a JSON number, a numeric string or null; WeChat is not
// consistent about which one it sends (errcode, countryCode, gender).
type flexInt int64

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := string(bytes.TrimSpace(b))
	if s == "null" || s == `""` {
		*f = 0
		return nil
	}
	if len(s) >= 2 && s[0] == '"' {
		uq, err := strconv.Unquote(s)
		if err != nil {
			return err
		}
		s = uq
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("not an integer: %q", snippet(b))
	}
	*f = flexInt(n)
	return nil
}

// flexString decodes a JSON string or number as a string (countryCode is
// documented as a string, but the documentation's own example sends 86).
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	s := bytes.TrimSpace(b)
	switch {
	case string(s) == "null":
		*f = ""
	case len(s) > 0 && s[0] == '"':
		var v string
		if err := json.Unmarshal(s, &v); err != nil {
			return err
		}
		*f = flexString(v)
	default:
		var n json.Number
		if err := json.Unmarshal(s, &n); err != nil {
			return err
		}
		*f = flexString(n.String())
	}
	return nil
}
