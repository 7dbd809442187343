package wechatsandbox

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"
)

// SMS is one text message the app sent through the sandbox inbox.
type SMS struct {
	At    time.Time `json:"at"`
	Phone string    `json:"phone"`
	Text  string    `json:"text"`
}

// SMSInbox collects the app's text messages in development, so codes show on the sandbox phone.
// It is safe for concurrent use and keeps only the newest messages.
type SMSInbox struct {
	mu   sync.Mutex
	max  int
	now  func() time.Time
	msgs []SMS
}

func newSMSInbox(max int, now func() time.Time) *SMSInbox {
	return &SMSInbox{max: max, now: now}
}

// Deliver stores a text message for phone (11 digits, optionally +86).
func (in *SMSInbox) Deliver(phone, text string) error {
	phone = strings.TrimPrefix(strings.TrimSpace(phone), "+86")
	if !validPhone(phone) {
		return errors.New("sandbox SMS: phone must be 11 digits starting with 1, optionally +86")
	}
	if text == "" || len(text) > 1000 {
		return errors.New("sandbox SMS: text must be 1 to 1000 bytes")
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	in.msgs = append(in.msgs, SMS{At: in.now(), Phone: phone, Text: text})
	if over := len(in.msgs) - in.max; over > 0 {
		in.msgs = append([]SMS(nil), in.msgs[over:]...)
	}
	return nil
}

// Send is Deliver with the context-first signature an SMS sender interface expects.
func (in *SMSInbox) Send(ctx context.Context, phone, text string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return in.Deliver(phone, text)
}

// List returns messages for phone ("" for all), newest first.
func (in *SMSInbox) List(phone string) []SMS {
	phone = strings.TrimPrefix(phone, "+86")
	in.mu.Lock()
	defer in.mu.Unlock()
	var out []SMS
	for i := len(in.msgs) - 1; i >= 0; i-- {
		if phone == "" || in.msgs[i].Phone == phone {
			out = append(out, in.msgs[i])
		}
	}
	return out
}

// DeliverSMS stores a text message in the sandbox inbox (shorthand for SMS().Deliver).
func (s *Sandbox) DeliverSMS(phone, text string) error { return s.sms.Deliver(phone, text) }
