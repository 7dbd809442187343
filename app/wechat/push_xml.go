package wechat

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Limits of the hardened push XML decoder. WeChat's messages are two levels
// deep and a few hundred bytes; these leave room for news and menu events.
const (
	// DefaultMaxPushBytes caps a push body before any parsing.
	DefaultMaxPushBytes = 64 << 10
	// maxXMLDepth counts <xml> as depth 1.
	maxXMLDepth = 6
	// maxXMLTokens bounds work on bodies made of many tiny elements.
	maxXMLTokens = 4096
)

// Message is a push from WeChat (event or user message), decoded from XML.
type Message struct {
	// ToUserName is the OA's original id ("gh_…"), not the appid.
	ToUserName string
	// FromUserName is the user's openid for this OA (never a unionid).
	FromUserName string
	// CreateTime is the push's Unix time; retries keep it, so it keys de-duplication.
	CreateTime int64
	// MsgType is "event" for events, or "text", "image", … for messages.
	MsgType string
	// Event is the event name exactly as sent: "subscribe", "unsubscribe",
	// "SCAN" (upper case), or any other, passed through unchanged.
	Event string
	// EventKey is the scene for QR events, with the "qrscene_" prefix of
	// subscribe events removed, so subscribe and SCAN carry the same value.
	EventKey string
	// RawEventKey is EventKey as sent.
	RawEventKey string
	// Ticket identifies the scanned QR code (subscribe-via-QR and SCAN).
	Ticket string
	// MsgID identifies a user message (0 for events); messages de-duplicate on it.
	MsgID int64
	// Content is a text message's text.
	Content string
	// Fields holds every element's text by name; nested ones as "Parent.Child".
	// It carries what the struct does not model.
	Fields map[string]string

	// Encrypted reports that the push came in safe mode; replies must be encrypted too.
	Encrypted bool
	// OpenID, Timestamp and Nonce come from the push's query string.
	OpenID    string
	Timestamp string
	Nonce     string
}

// The message and event types Scanboard handles; others pass through unchanged.
const (
	MsgTypeEvent     = "event"
	MsgTypeText      = "text"
	EventSubscribe   = "subscribe"
	EventUnsubscribe = "unsubscribe"
	EventScan        = "SCAN"
	// SceneKeyPrefix starts the EventKey of a subscribe caused by a QR scan.
	SceneKeyPrefix = "qrscene_"
)

// QRScan reports the scene and ticket when m is a scan of a parameterized QR
// code: a subscribe by a new follower (EventKey "qrscene_…") or a SCAN by an
// existing one. Both carry the same scene value.
func (m *Message) QRScan() (scene, ticket string, ok bool) {
	if m.MsgType != MsgTypeEvent {
		return "", "", false
	}
	switch {
	case m.Event == EventScan:
		return m.EventKey, m.Ticket, true
	case m.Event == EventSubscribe && strings.HasPrefix(m.RawEventKey, SceneKeyPrefix):
		return m.EventKey, m.Ticket, true
	}
	return "", "", false
}

// DedupKey identifies one push across WeChat's retries. Events use
// FromUserName, CreateTime, Event and EventKey (CreateTime has one-second
// resolution); messages use MsgId.
func (m *Message) DedupKey() string {
	if m.MsgID != 0 {
		return "msg:" + strconv.FormatInt(m.MsgID, 10)
	}
	return "evt:" + m.FromUserName + ":" + strconv.FormatInt(m.CreateTime, 10) + ":" + m.Event + ":" + m.RawEventKey
}

// DecodeMessage decodes a plaintext push XML with the hardened decoder. It
// refuses DOCTYPE and entity declarations, bodies over DefaultMaxPushBytes,
// nesting deeper than a WeChat message and missing required fields, all
// with ErrMalformedXML or ErrBodyTooLarge.
func DecodeMessage(data []byte) (*Message, error) {
	if len(data) > DefaultMaxPushBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrBodyTooLarge, len(data), DefaultMaxPushBytes)
	}
	fields, err := decodeXMLFields(data)
	if err != nil {
		return nil, err
	}
	return messageFromFields(fields)
}

func messageFromFields(f map[string]string) (*Message, error) {
	m := &Message{
		ToUserName:   f["ToUserName"],
		FromUserName: f["FromUserName"],
		MsgType:      f["MsgType"],
		Event:        f["Event"],
		RawEventKey:  f["EventKey"],
		Ticket:       f["Ticket"],
		Content:      f["Content"],
		Fields:       f,
	}
	for _, req := range []string{"ToUserName", "FromUserName", "MsgType", "CreateTime"} {
		if f[req] == "" {
			return nil, fmt.Errorf("%w: required element <%s> missing or empty", ErrMalformedXML, req)
		}
	}
	ct, err := strconv.ParseInt(strings.TrimSpace(f["CreateTime"]), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("%w: <CreateTime> %q is not an integer", ErrMalformedXML, f["CreateTime"])
	}
	m.CreateTime = ct
	if id := strings.TrimSpace(f["MsgId"]); id != "" {
		if m.MsgID, err = strconv.ParseInt(id, 10, 64); err != nil {
			return nil, fmt.Errorf("%w: <MsgId> %q is not an integer", ErrMalformedXML, id)
		}
	}
	m.EventKey = m.RawEventKey
	if m.Event == EventSubscribe {
		m.EventKey = strings.TrimPrefix(m.RawEventKey, SceneKeyPrefix)
	}
	return m, nil
}

// decodeXMLFields walks the tokens of a WeChat XML document and returns the
// text of every element under the root, keyed by name ("Parent.Child" below
// the first level). It stops at the first sign of hostility: a DOCTYPE or
// other directive (so entity tricks never start), excess depth or tokens, a
// root other than <xml>, duplicated top-level elements or trailing content.
func decodeXMLFields(data []byte) (map[string]string, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	// No CharsetReader: a non-UTF-8 encoding declaration is an error.
	fields := make(map[string]string)
	var (
		path     []string
		text     strings.Builder
		tokens   int
		rootDone bool
	)
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformedXML, err)
		}
		if tokens++; tokens > maxXMLTokens {
			return nil, fmt.Errorf("%w: more than %d XML tokens", ErrMalformedXML, maxXMLTokens)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return nil, fmt.Errorf("%w: DOCTYPE and other <!…> declarations are not allowed", ErrMalformedXML)
		case xml.ProcInst:
			if t.Target != "xml" || tokens != 1 {
				return nil, fmt.Errorf("%w: unexpected processing instruction <?%s?>", ErrMalformedXML, t.Target)
			}
		case xml.StartElement:
			if rootDone {
				return nil, fmt.Errorf("%w: content after the root element", ErrMalformedXML)
			}
			if len(path) == 0 && t.Name.Local != "xml" {
				return nil, fmt.Errorf("%w: root element is <%s>, expected <xml>", ErrMalformedXML, t.Name.Local)
			}
			if len(path) >= maxXMLDepth {
				return nil, fmt.Errorf("%w: elements nested deeper than %d levels", ErrMalformedXML, maxXMLDepth)
			}
			path = append(path, t.Name.Local)
			text.Reset()
		case xml.CharData:
			if len(path) == 0 {
				if len(bytes.TrimSpace(t)) > 0 {
					return nil, fmt.Errorf("%w: text outside the root element", ErrMalformedXML)
				}
				continue
			}
			text.Write(t)
		case xml.EndElement:
			if len(path) >= 2 {
				key := strings.Join(path[1:], ".")
				_, dup := fields[key]
				switch {
				case dup && len(path) == 2:
					return nil, fmt.Errorf("%w: element <%s> appears twice", ErrMalformedXML, key)
				case !dup:
					fields[key] = text.String()
				}
			}
			text.Reset()
			path = path[:len(path)-1]
			if len(path) == 0 {
				rootDone = true
			}
		}
	}
	if !rootDone {
		return nil, fmt.Errorf("%w: no <xml> root element", ErrMalformedXML)
	}
	return fields, nil
}
