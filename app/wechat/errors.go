package wechat

import (
	"context"
	"errors"
	"fmt"
	"net"
)

// Error is a failed call to WeChat: an errcode in the body (WeChat answers
// errors with HTTP 200), an unexpected HTTP status, or a network failure.
// Match on ErrCode (or errors.Is with a Code), never on ErrMsg.
type Error struct {
	// Op names the call, e.g. "sns/oauth2/access_token".
	Op string
	// ErrCode is WeChat's errcode; 0 when the failure is not a WeChat answer.
	ErrCode int
	// ErrMsg is WeChat's errmsg (English text with a request-id suffix) or a description.
	ErrMsg string
	// HTTPStatus is the response status, 0 when no response arrived.
	HTTPStatus int
	// Err is the underlying cause for network and decoding failures.
	Err error
}

// Error reports the operation, errcode and errmsg.
func (e *Error) Error() string {
	switch {
	case e.ErrCode != 0:
		return fmt.Sprintf("wechat %s: errcode %d: %s", e.Op, e.ErrCode, e.ErrMsg)
	case e.Err != nil:
		return fmt.Sprintf("wechat %s: %v", e.Op, e.Err)
	case e.HTTPStatus != 0:
		return fmt.Sprintf("wechat %s: HTTP %d: %s", e.Op, e.HTTPStatus, e.ErrMsg)
	default:
		return fmt.Sprintf("wechat %s: %s", e.Op, e.ErrMsg)
	}
}

// Unwrap returns the network or decoding cause, if any.
func (e *Error) Unwrap() error { return e.Err }

// Is lets errors.Is(err, wechat.CodeCodeUsed) match on the errcode.
func (e *Error) Is(target error) bool {
	if c, ok := target.(Code); ok {
		return e.ErrCode != 0 && e.ErrCode == int(c)
	}
	return false
}

// Retryable reports whether the same request may succeed if sent again later:
// WeChat's "system busy" (-1), the per-minute quota (45011), HTTP 5xx and
// network failures. The daily quota (45009) is not retryable: it only resets
// the next day. A cancelled or expired context is never retryable.
func (e *Error) Retryable() bool {
	switch {
	case errors.Is(e.Err, context.Canceled), errors.Is(e.Err, context.DeadlineExceeded):
		return false
	case e.ErrCode == int(CodeSystemBusy), e.ErrCode == int(CodeMinuteQuota):
		return true
	case e.ErrCode != 0:
		return false
	case e.HTTPStatus >= 500:
		return true
	}
	var ne net.Error
	return errors.As(e.Err, &ne)
}

// Code is a WeChat errcode. A Code is an error so that callers can write
// errors.Is(err, wechat.CodeInvalidCode).
type Code int

// The errcodes callers branch on.
const (
	CodeSystemBusy          Code = -1    // busy; retry later
	CodeInvalidCredential   Code = 40001 // access token invalid or not latest (or wrong secret on cgi-bin/token)
	CodeInvalidGrantType    Code = 40002
	CodeInvalidOpenID       Code = 40003
	CodeInvalidAppID        Code = 40013
	CodeInvalidAccessToken  Code = 40014
	CodeInvalidCode         Code = 40029 // unknown, wrong-app or expired code
	CodeInvalidRefreshToken Code = 40030
	CodeInvalidActionName   Code = 40052
	CodeInvalidActionInfo   Code = 40053
	CodeInvalidAppSecret    Code = 40125
	CodeCodeUsed            Code = 40163 // the code was already exchanged
	CodeIPNotWhitelisted    Code = 40164
	CodeCodeBlocked         Code = 40226 // Mini Program risk control blocked the user
	CodeAccessTokenExpired  Code = 42001
	CodeRefreshTokenExpired Code = 42002
	CodeCodeExpired         Code = 42003
	CodeTokenRevoked        Code = 42007 // the user changed password; tokens revoked
	CodeAPIUnauthorized     Code = 48001 // scope not granted (e.g. snsapi_base token on userinfo)
	CodeDailyQuota          Code = 45009
	CodeMinuteQuota         Code = 45011
	CodeUserUnauthorized    Code = 50001
	CodeInvalidSignature    Code = 87009 // checksession: wrong or rotated session key
)

// Error describes the code.
func (c Code) Error() string { return fmt.Sprintf("wechat errcode %d", int(c)) }

// IsInvalidCode reports whether err means the authorization code cannot be
// exchanged: unknown, expired, blocked or already used. The user must authorize again.
func IsInvalidCode(err error) bool {
	return errors.Is(err, CodeInvalidCode) || errors.Is(err, CodeCodeUsed) ||
		errors.Is(err, CodeCodeExpired) || errors.Is(err, CodeCodeBlocked)
}

// IsTokenInvalid reports whether err means an access token was rejected
// (40001, 40014, 42001): fetch a fresh one and retry once.
func IsTokenInvalid(err error) bool {
	return errors.Is(err, CodeInvalidCredential) || errors.Is(err, CodeInvalidAccessToken) ||
		errors.Is(err, CodeAccessTokenExpired)
}

// IsRetryable reports whether err is a *Error that may succeed later.
func IsRetryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retryable()
}

// ErrCodeOf returns the WeChat errcode carried by err, or 0.
func ErrCodeOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.ErrCode
	}
	return 0
}

// localError is a failure detected by this package without asking WeChat
// (validation, signatures, decryption). Being a string type lets the
// sentinels be constants.
type localError string

func (e localError) Error() string { return string(e) }

// Sentinels for failures detected locally; wrapped with details, match them with errors.Is.
const (
	// ErrInvalidArgument: a request was refused before sending (bad scene, state too long, …).
	ErrInvalidArgument = localError("wechat: invalid argument")
	// ErrBadSignature: a push's signature or msg_signature does not match.
	ErrBadSignature = localError("wechat: bad signature")
	// ErrStaleTimestamp: a push's timestamp is outside the allowed clock skew.
	ErrStaleTimestamp = localError("wechat: push timestamp outside the allowed window")
	// ErrPlaintextRefused: a plaintext push arrived while safe mode is required.
	ErrPlaintextRefused = localError("wechat: plaintext push refused (safe mode required)")
	// ErrMalformedXML: a push body is not well-formed, is hostile (DOCTYPE, entities, too deep) or lacks fields.
	ErrMalformedXML = localError("wechat: malformed or hostile XML")
	// ErrBodyTooLarge: a push body exceeds the size cap.
	ErrBodyTooLarge = localError("wechat: push body too large")
	// ErrDecrypt: ciphertext cannot be decrypted (bad base64, padding or layout).
	ErrDecrypt = localError("wechat: decryption failed")
	// ErrAppIDMismatch: decrypted data belongs to another appid (safe-mode trailer or Mini Program watermark).
	ErrAppIDMismatch = localError("wechat: decrypted data is for another appid")
	// ErrSessionKey: Mini Program data did not decrypt with the session key, which
	// usually means the key was rotated by a later wx.login; log in again.
	ErrSessionKey = localError("wechat: session key does not decrypt the data (wrong or rotated session key)")
	// ErrSnapshotUser: the user is a snapshot-page virtual user (is_snapshotuser=1);
	// do not create or bind an account, ask them to tap "使用完整服务".
	ErrSnapshotUser = localError("wechat: snapshot-page virtual user")
	// ErrMalformedResponse: WeChat's answer could not be decoded.
	ErrMalformedResponse = localError("wechat: malformed response")
)
