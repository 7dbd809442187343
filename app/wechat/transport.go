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

// decoder turns one answer (status and body) into a value or *Error. Each
// response type has one, and each is fuzzed on its own.
type decoder[T any] func(op string, status int, body []byte) (T, error)

// getJSON sends a GET with query parameters and decodes the answer.
func getJSON[T any](ctx context.Context, t *transport, op, base, path string, q url.Values, decode decoder[T]) (T, error) {
	return roundTrip(ctx, t, op, http.MethodGet, withQuery(base+path, q), nil, decode)
}

// postJSON sends in as a JSON body and decodes the answer.
func postJSON[T any](ctx context.Context, t *transport, op, base, path string, q url.Values, in any, decode decoder[T]) (T, error) {
	body, err := json.Marshal(in)
	if err != nil {
		var zero T
		return zero, &Error{Op: op, Err: err}
	}
	return roundTrip(ctx, t, op, http.MethodPost, withQuery(base+path, q), body, decode)
}

func withQuery(u string, q url.Values) string {
	if len(q) == 0 {
		return u
	}
	return u + "?" + q.Encode()
}

func roundTrip[T any](ctx context.Context, t *transport, op, method, rawURL string, body []byte, decode decoder[T]) (T, error) {
	start := time.Now()
	status, data, err := t.send(ctx, op, method, rawURL, body)
	var v T
	if err == nil {
		v, err = decode(op, status, data)
	}
	// The URL is never logged: its query carries secrets and codes.
	t.log.DebugContext(ctx, "wechat call", "op", op, "status", status,
		"errcode", ErrCodeOf(err), "duration", time.Since(start), "err", err)
	return v, err
}

// send performs one request and reads the answer, failing only for
// transport reasons (network, oversized answer).
func (t *transport) send(ctx context.Context, op, method, rawURL string, body []byte) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, rd)
	if err != nil {
		return 0, nil, &Error{Op: op, Err: scrubURLError(err)}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := t.hc.Do(req)
	if err != nil {
		return 0, nil, &Error{Op: op, Err: scrubURLError(err)}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return resp.StatusCode, nil, &Error{Op: op, HTTPStatus: resp.StatusCode, Err: scrubURLError(err)}
	}
	if len(data) > maxResponseBytes {
		return resp.StatusCode, nil, &Error{Op: op, HTTPStatus: resp.StatusCode, Err: fmt.Errorf("%w: answer larger than %d bytes", ErrMalformedResponse, maxResponseBytes)}
	}
	return resp.StatusCode, data, nil
}

// decodeInto is the decoder of answers that need no checks beyond errcode.
func decodeInto[T any](op string, status int, body []byte) (*T, error) {
	var v T
	if err := decodeResponse(op, status, body, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// decodeOK is the decoder of answers that carry nothing but errcode.
func decodeOK(op string, status int, body []byte) (struct{}, error) {
	return struct{}{}, decodeResponse(op, status, body, nil)
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
