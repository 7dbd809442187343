package wechat

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// DefaultMaxClockSkew is how far a push's timestamp may be from our clock.
const DefaultMaxClockSkew = 5 * time.Minute

// PushConfig configures the receiver of an OA's message and event pushes.
type PushConfig struct {
	// Token is the server-configuration token (3–32 characters). Never logged.
	Token string
	// EncodingAESKey (43 characters) enables safe and compatible mode. Never logged.
	EncodingAESKey string
	// AppID is the OA's appid; safe-mode messages must end with it.
	AppID string
	// OriginalID, when set, must equal every push's ToUserName ("gh_…").
	OriginalID string
	// RequireSafeMode refuses plaintext pushes (production should set it).
	RequireSafeMode bool
	// MaxClockSkew bounds |now − timestamp|; zero means DefaultMaxClockSkew,
	// negative disables the check (for replaying recorded pushes).
	MaxClockSkew time.Duration
	// MaxBodyBytes caps the body before parsing; zero means DefaultMaxPushBytes.
	MaxBodyBytes int64
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Random supplies randomness for reply encryption and nonces; nil means crypto/rand.
	Random io.Reader
}

// String redacts the token and key.
func (c PushConfig) String() string {
	return fmt.Sprintf("wechat.PushConfig{AppID:%s OriginalID:%s Token:%s EncodingAESKey:%s RequireSafeMode:%t}",
		c.AppID, c.OriginalID, redact(c.Token), redact(c.EncodingAESKey), c.RequireSafeMode)
}

// LogValue redacts the token and key in structured logs.
func (c PushConfig) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("appid", c.AppID),
		slog.String("original_id", c.OriginalID),
		slog.String("token", redact(c.Token)),
		slog.String("encoding_aes_key", redact(c.EncodingAESKey)),
		slog.Bool("require_safe_mode", c.RequireSafeMode),
	)
}

// PushReceiver verifies and decodes pushes and builds passive replies. It
// knows nothing of HTTP frameworks: give it the query and the body.
type PushReceiver struct {
	token      string
	key        []byte
	appID      string
	originalID string
	safeOnly   bool
	skew       time.Duration
	maxBody    int64
	now        func() time.Time
	random     io.Reader
}

// NewPushReceiver validates cfg and returns a receiver.
func NewPushReceiver(cfg PushConfig) (*PushReceiver, error) {
	if n := len(cfg.Token); n < 3 || n > 32 {
		return nil, fmt.Errorf("%w: push token must be 3–32 characters, got %d", ErrInvalidArgument, n)
	}
	p := &PushReceiver{
		token:      cfg.Token,
		appID:      cfg.AppID,
		originalID: cfg.OriginalID,
		safeOnly:   cfg.RequireSafeMode,
		skew:       cfg.MaxClockSkew,
		maxBody:    cfg.MaxBodyBytes,
		now:        cfg.Now,
		random:     cfg.Random,
	}
	if cfg.EncodingAESKey != "" {
		key, err := ParseEncodingAESKey(cfg.EncodingAESKey)
		if err != nil {
			return nil, err
		}
		if cfg.AppID == "" {
			return nil, fmt.Errorf("%w: safe mode needs the AppID to check decrypted messages", ErrInvalidArgument)
		}
		p.key = key
	} else if cfg.RequireSafeMode {
		return nil, fmt.Errorf("%w: RequireSafeMode needs an EncodingAESKey", ErrInvalidArgument)
	}
	if p.skew == 0 {
		p.skew = DefaultMaxClockSkew
	}
	if p.maxBody <= 0 {
		p.maxBody = DefaultMaxPushBytes
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.random == nil {
		p.random = rand.Reader
	}
	return p, nil
}

// VerifyURL answers WeChat's GET verification of the server URL: when the
// signature over (token, timestamp, nonce) matches, it returns echostr, to be
// sent back verbatim as text/plain. Otherwise ErrBadSignature or ErrStaleTimestamp.
func (p *PushReceiver) VerifyURL(q url.Values) (string, error) {
	if err := p.checkSignature(q); err != nil {
		return "", err
	}
	echo := q.Get("echostr")
	if echo == "" {
		return "", fmt.Errorf("%w: echostr missing", ErrInvalidArgument)
	}
	return echo, nil
}

// Parse verifies and decodes a POSTed push. The signature is checked before
// the body is read; in safe mode (encrypt_type=aes) msg_signature is checked
// over the Encrypt element, the message decrypted and its appid checked.
// Failures are ErrBadSignature, ErrStaleTimestamp, ErrPlaintextRefused,
// ErrBodyTooLarge, ErrMalformedXML, ErrDecrypt or ErrAppIDMismatch; answer
// them with 4xx and do not process the push.
func (p *PushReceiver) Parse(q url.Values, body io.Reader) (*Message, error) {
	if err := p.checkSignature(q); err != nil {
		return nil, err
	}
	safe := strings.EqualFold(q.Get("encrypt_type"), "aes")
	if !safe && p.safeOnly {
		return nil, ErrPlaintextRefused
	}
	data, err := io.ReadAll(io.LimitReader(body, p.maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("wechat push: reading body: %w", err)
	}
	if int64(len(data)) > p.maxBody {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrBodyTooLarge, p.maxBody)
	}
	var m *Message
	if safe {
		m, err = p.openSafe(q, data)
	} else {
		m, err = p.decode(data)
	}
	if err != nil {
		return nil, err
	}
	if p.originalID != "" && subtle.ConstantTimeCompare([]byte(m.ToUserName), []byte(p.originalID)) != 1 {
		return nil, fmt.Errorf("%w: ToUserName %q is not this OA (%q)", ErrAppIDMismatch, m.ToUserName, p.originalID)
	}
	m.Encrypted = safe
	m.OpenID = q.Get("openid")
	m.Timestamp = q.Get("timestamp")
	m.Nonce = q.Get("nonce")
	return m, nil
}

func (p *PushReceiver) decode(data []byte) (*Message, error) {
	fields, err := decodeXMLFields(data)
	if err != nil {
		return nil, err
	}
	return messageFromFields(fields)
}

// openSafe checks msg_signature, decrypts and decodes a safe-mode envelope.
func (p *PushReceiver) openSafe(q url.Values, data []byte) (*Message, error) {
	if p.key == nil {
		return nil, fmt.Errorf("%w: safe-mode push but no EncodingAESKey is configured", ErrDecrypt)
	}
	env, err := decodeXMLFields(data)
	if err != nil {
		return nil, err
	}
	enc := env["Encrypt"]
	if enc == "" {
		return nil, fmt.Errorf("%w: safe-mode envelope has no <Encrypt>", ErrMalformedXML)
	}
	want := Signature(p.token, q.Get("timestamp"), q.Get("nonce"), enc)
	if !signatureEqual(q.Get("msg_signature"), want) {
		return nil, fmt.Errorf("%w: msg_signature does not match the Encrypt element", ErrBadSignature)
	}
	plain, err := DecryptMessage(p.key, p.appID, enc)
	if err != nil {
		return nil, err
	}
	m, err := p.decode(plain)
	if err != nil {
		return nil, err
	}
	if to := env["ToUserName"]; to != "" && to != m.ToUserName {
		return nil, fmt.Errorf("%w: envelope ToUserName %q differs from the encrypted one", ErrMalformedXML, to)
	}
	return m, nil
}

// checkSignature verifies `signature` (token, timestamp, nonce) in constant
// time and the timestamp against the clock.
func (p *PushReceiver) checkSignature(q url.Values) error {
	sig, ts, nonce := q.Get("signature"), q.Get("timestamp"), q.Get("nonce")
	if sig == "" || ts == "" || nonce == "" {
		return fmt.Errorf("%w: signature, timestamp or nonce missing", ErrBadSignature)
	}
	if !signatureEqual(sig, Signature(p.token, ts, nonce)) {
		return fmt.Errorf("%w: signature does not match", ErrBadSignature)
	}
	if p.skew < 0 {
		return nil
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: timestamp %q is not an integer", ErrStaleTimestamp, ts)
	}
	if d := p.now().Sub(time.Unix(sec, 0)).Abs(); d > p.skew {
		return fmt.Errorf("%w: %s off, allowed %s", ErrStaleTimestamp, d.Round(time.Second), p.skew)
	}
	return nil
}

// ReplyText builds a passive text reply to m, encrypted when m came in safe
// mode. Send it as the HTTP response body within WeChat's 5 s.
func (p *PushReceiver) ReplyText(m *Message, content string) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("<xml><ToUserName>")
	writeCDATA(&b, m.FromUserName)
	b.WriteString("</ToUserName><FromUserName>")
	writeCDATA(&b, m.ToUserName)
	b.WriteString("</FromUserName><CreateTime>")
	b.WriteString(strconv.FormatInt(p.now().Unix(), 10))
	b.WriteString("</CreateTime><MsgType>")
	writeCDATA(&b, MsgTypeText)
	b.WriteString("</MsgType><Content>")
	writeCDATA(&b, content)
	b.WriteString("</Content></xml>")
	if !m.Encrypted {
		return b.Bytes(), nil
	}
	return p.EncryptReply(b.Bytes())
}

// EncryptReply wraps a plaintext reply in the safe-mode envelope with a
// fresh nonce and timestamp and its msg_signature.
func (p *PushReceiver) EncryptReply(plain []byte) ([]byte, error) {
	if p.key == nil {
		return nil, fmt.Errorf("%w: no EncodingAESKey configured", ErrInvalidArgument)
	}
	enc, err := EncryptMessage(p.key, p.appID, plain, p.random)
	if err != nil {
		return nil, err
	}
	n, err := rand.Int(p.random, big.NewInt(9_000_000_000))
	if err != nil {
		return nil, fmt.Errorf("wechat: reading random bytes: %w", err)
	}
	nonce := strconv.FormatInt(n.Int64()+1_000_000_000, 10)
	ts := strconv.FormatInt(p.now().Unix(), 10)
	return EncryptedEnvelope(enc, Signature(p.token, ts, nonce, enc), ts, nonce), nil
}

// EncryptedEnvelope lays out a safe-mode reply: Encrypt, MsgSignature,
// TimeStamp (a bare integer) and Nonce.
func EncryptedEnvelope(encrypt, msgSignature, timestamp, nonce string) []byte {
	var b bytes.Buffer
	b.WriteString("<xml><Encrypt>")
	writeCDATA(&b, encrypt)
	b.WriteString("</Encrypt><MsgSignature>")
	writeCDATA(&b, msgSignature)
	b.WriteString("</MsgSignature><TimeStamp>")
	b.WriteString(timestamp)
	b.WriteString("</TimeStamp><Nonce>")
	writeCDATA(&b, nonce)
	b.WriteString("</Nonce></xml>")
	return b.Bytes()
}

// writeCDATA writes s as CDATA, splitting any "]]>" so content cannot close
// the section and inject elements.
func writeCDATA(b *bytes.Buffer, s string) {
	b.WriteString("<![CDATA[")
	b.WriteString(strings.ReplaceAll(strings.Map(xmlChar, s), "]]>", "]]]]><![CDATA[>"))
	b.WriteString("]]>")
}

// xmlChar drops characters XML 1.0 cannot carry at all (most control
// characters, invalid UTF-8), which would make WeChat reject the whole reply.
func xmlChar(r rune) rune {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return r
	case r < 0x20, r == utf8.RuneError, r == 0xFFFE, r == 0xFFFF, r >= 0xD800 && r <= 0xDFFF:
		return -1
	}
	return r
}
