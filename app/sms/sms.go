// Package sms sends text messages: verification codes for phone binding and phone-code
// sign-in. Sender is the one interface; the development inbox of the WeChat sandbox and an
// HTTP gateway provider implement it, and the composition root picks one.
package sms

import (
	"context"
	"errors"
)

// Sender delivers one text message to an E.164 phone number.
type Sender interface {
	Send(ctx context.Context, phone, text string) error
}

// ErrRejected is returned when the provider refused the message (bad number, quota, …).
var ErrRejected = errors.New("sms: provider rejected the message")

// Inbox is the shape of the sandbox's development SMS inbox (wechatsandbox.SMSInbox), so
// this package need not import the sandbox.
type Inbox interface {
	Send(ctx context.Context, phone, text string) error
}

// InboxSender sends to the development inbox shown on the sandbox phone (/_sandbox/phone,
// "Messages"). It never leaves the process.
type InboxSender struct{ Inbox Inbox }

// Send delivers text to the inbox.
func (s InboxSender) Send(ctx context.Context, phone, text string) error {
	return s.Inbox.Send(ctx, phone, text)
}
