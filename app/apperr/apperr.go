// Package apperr is Scanboard's one error type. An error carries a Kind (what sort of
// failure, which decides the HTTP status in exactly one place, the web error handler), the
// Op where it happened, an optional message Key that users may see (translated), and the
// wrapped cause, which is logged but never shown.
package apperr

import (
	"errors"
	"fmt"
	"strings"
)

// Kind classifies an error by what the caller can do about it.
type Kind uint8

// The kinds. Other means "not classified here": look further down the chain.
const (
	Other        Kind = iota
	Invalid           // the input is wrong; fixing it helps
	NotFound          // no such thing (or not visible to this caller)
	Unauthorized      // not signed in, or the session ended
	Forbidden         // signed in but not allowed
	Conflict          // the state changed or already exists
	TooMany           // rate limited
	TooLarge          // the body or file is over a limit
	Unavailable       // a dependency (database, Redis, WeChat) failed; retry later
	Internal          // a bug
)

var kindNames = [...]string{
	Other: "other", Invalid: "invalid", NotFound: "not found", Unauthorized: "unauthorized",
	Forbidden: "forbidden", Conflict: "conflict", TooMany: "too many requests",
	TooLarge: "too large", Unavailable: "unavailable", Internal: "internal",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Key names a user-facing message in the locale files (e.g. "error.qr_expired").
type Key string

// Error is the application error.
type Error struct {
	Op   string // e.g. "auth.CompleteLogin"
	Kind Kind
	Key  Key
	Err  error
}

// E builds an *Error. After op, arguments may be, in any order: a Kind, a Key, an error
// (the cause) or a string (a cause message written for the log).
func E(op string, args ...any) error {
	e := &Error{Op: op}
	for _, a := range args {
		switch v := a.(type) {
		case Kind:
			e.Kind = v
		case Key:
			e.Key = v
		case error:
			e.Err = v
		case string:
			e.Err = errors.New(v)
		default:
			e.Err = fmt.Errorf("apperr.E: unexpected argument %T %v", a, a)
		}
	}
	return e
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	if e.Kind != Other {
		b.WriteString(": ")
		b.WriteString(e.Kind.String())
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the first classified Kind in err's chain, Internal for an unclassified
// non-nil error, and Other for nil.
func KindOf(err error) Kind {
	if err == nil {
		return Other
	}
	for e := err; e != nil; e = errors.Unwrap(e) {
		var ae *Error
		if !errors.As(e, &ae) {
			break
		}
		if ae.Kind != Other {
			return ae.Kind
		}
		e = ae
	}
	return Internal
}

// KeyOf returns the first message Key in err's chain, or "".
func KeyOf(err error) Key {
	for e := err; e != nil; {
		var ae *Error
		if !errors.As(e, &ae) {
			return ""
		}
		if ae.Key != "" {
			return ae.Key
		}
		e = ae.Err
	}
	return ""
}

// Is reports whether err's chain is classified as kind.
func Is(err error, kind Kind) bool { return err != nil && KindOf(err) == kind }
