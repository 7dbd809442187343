package wechatsandbox

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// event is one OA event to push.
type event struct {
	kind   string // subscribe | SCAN | unsubscribe
	key    string
	ticket string
}

// Push is one event delivery to the OA's push URL with every attempt WeChat made.
type Push struct {
	ID         string        `json:"id"`
	Event      string        `json:"event"`
	EventKey   string        `json:"event_key,omitempty"`
	UserID     string        `json:"user_id"`
	OpenID     string        `json:"openid"`
	CreateTime int64         `json:"create_time"`
	Mode       PushMode      `json:"mode"`
	Plaintext  string        `json:"plaintext"`
	Duplicate  bool          `json:"duplicate,omitempty"`
	Attempts   []PushAttempt `json:"attempts"`
	// Outcome: not_configured | dropped | acknowledged | replied | service_error | failed.
	Outcome string   `json:"outcome"`
	Problem string   `json:"problem,omitempty"`
	Reply   *Message `json:"reply,omitempty"`
}

// PushAttempt is one HTTP delivery.
type PushAttempt struct {
	N         int           `json:"n"`
	At        time.Time     `json:"at"`
	URL       string        `json:"url"`
	Status    int           `json:"status"`
	Error     string        `json:"error,omitempty"`
	Latency   time.Duration `json:"latency_ns"`
	ReplyBody string        `json:"reply_body"`
}

// pushJob is a prepared delivery: the plaintext is fixed so retries carry the same CreateTime.
type pushJob struct {
	push   *Push
	person *person
	drop   bool
	dup    bool
}

// cdata wraps s in CDATA, splitting any "]]>" so it cannot end the section early.
func cdata(s string) string {
	return "<![CDATA[" + strings.ReplaceAll(s, "]]>", "]]]]><![CDATA[>") + "]]>"
}

// preparePushLocked builds the event XML and records the push. Callers hold s.mu.
func (s *Sandbox) preparePushLocked(p *person, ev event) pushJob {
	openid := s.openidLocked(p, s.cfg.OA.AppID)
	ct := s.nowLocked().Unix()
	var b strings.Builder
	b.WriteString("<xml>")
	b.WriteString("<ToUserName>" + cdata(s.cfg.OA.OriginalID) + "</ToUserName>")
	b.WriteString("<FromUserName>" + cdata(openid) + "</FromUserName>")
	b.WriteString("<CreateTime>" + strconv.FormatInt(ct, 10) + "</CreateTime>")
	b.WriteString("<MsgType>" + cdata("event") + "</MsgType>")
	b.WriteString("<Event>" + cdata(ev.kind) + "</Event>")
	b.WriteString("<EventKey>" + cdata(ev.key) + "</EventKey>")
	if ev.ticket != "" {
		b.WriteString("<Ticket>" + cdata(ev.ticket) + "</Ticket>")
	}
	b.WriteString("</xml>")
	s.seq++
	push := &Push{
		ID: "p" + strconv.FormatInt(s.seq, 10), Event: ev.kind, EventKey: ev.key, UserID: p.id,
		OpenID: openid, CreateTime: ct, Mode: s.cfg.OA.Mode, Plaintext: b.String(),
	}
	job := pushJob{push: push, person: p}
	if s.pushFault.Drop > 0 {
		s.pushFault.Drop--
		job.drop = true
	} else if s.pushFault.Duplicate > 0 {
		s.pushFault.Duplicate--
		job.dup = true
	}
	s.pushes.put(push.ID, push)
	return job
}

// deliver sends a prepared push with WeChat's timeout and retries, then (for a duplicated
// push) sends the identical event once more. It returns a snapshot of the record.
func (s *Sandbox) deliver(ctx context.Context, job pushJob) *Push {
	// The phone or API caller leaving must not cut a delivery short: WeChat would not notice.
	ctx = context.WithoutCancel(ctx)
	s.deliverOnce(ctx, job)
	if job.dup {
		s.mu.Lock()
		s.seq++
		twin := *job.push
		twin.ID, twin.Duplicate, twin.Attempts, twin.Outcome, twin.Problem, twin.Reply =
			"p"+strconv.FormatInt(s.seq, 10), true, nil, "", "", nil
		s.pushes.put(twin.ID, &twin)
		s.mu.Unlock()
		s.deliverOnce(ctx, pushJob{push: &twin, person: job.person})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := *job.push
	cp.Attempts = append([]PushAttempt(nil), job.push.Attempts...)
	return &cp
}

func (s *Sandbox) deliverOnce(ctx context.Context, job pushJob) {
	push := job.push
	finish := func(outcome, problem string, reply *Message) {
		s.mu.Lock()
		defer s.mu.Unlock()
		push.Outcome, push.Problem, push.Reply = outcome, problem, reply
		s.log.LogAttrs(context.Background(), slog.LevelInfo, "sandbox event push",
			slog.String("push", push.ID), slog.String("event", push.Event), slog.String("outcome", outcome),
			slog.Int("attempts", len(push.Attempts)), slog.String("problem", problem))
		if reply != nil {
			s.deliverLocked(job.person, *reply)
		} else if outcome == "service_error" || outcome == "failed" {
			s.deliverLocked(job.person, Message{Kind: "system", From: s.cfg.OA.Name, PushID: push.ID,
				Text: "该公众号提供的服务出现故障，请稍后再试 (" + problem + ")"})
		}
		s.notifyLocked()
	}
	switch {
	case s.cfg.OA.PushURL == "":
		finish("not_configured", "the OA has no push URL", nil)
		return
	case job.drop:
		finish("dropped", "dropped by fault injection", nil)
		return
	}
	body, encrypt, err := s.pushBody(push)
	if err != nil {
		finish("failed", err.Error(), nil)
		return
	}
	var lastProblem string
	for n := 1; n <= s.set.PushAttempts; n++ {
		if n > 1 && s.set.PushRetryDelay > 0 {
			_ = s.sleep(ctx, s.set.PushRetryDelay)
		}
		att, reply := s.attempt(ctx, push, n, body, encrypt)
		s.mu.Lock()
		push.Attempts = append(push.Attempts, att)
		s.mu.Unlock()
		if att.Error == "" && (att.Status/100 == 2 || !*s.set.RetryOnHTTPError) {
			if att.Status/100 != 2 {
				finish("service_error", fmt.Sprintf("push URL answered HTTP %d", att.Status), nil)
				return
			}
			msg, outcome, problem := s.interpretReply(push, reply)
			finish(outcome, problem, msg)
			return
		}
		lastProblem = att.Error
		if lastProblem == "" {
			lastProblem = fmt.Sprintf("HTTP %d", att.Status)
		}
	}
	finish("failed", fmt.Sprintf("no usable answer after %d attempts (last: %s)", s.set.PushAttempts, lastProblem), nil)
}

// pushBody encodes the event per the OA's mode; encrypt is the Encrypt value ("" in plain mode).
func (s *Sandbox) pushBody(push *Push) (body, encrypt string, err error) {
	if s.cfg.OA.Mode == PushPlain {
		return push.Plaintext, "", nil
	}
	key, err := aesKey(s.cfg.OA.EncodingAESKey)
	if err != nil {
		return "", "", err
	}
	encrypt, err = encryptMsg(key, nil, push.Plaintext, s.cfg.OA.AppID)
	if err != nil {
		return "", "", err
	}
	if s.cfg.OA.Mode == PushCompatible {
		return strings.TrimSuffix(push.Plaintext, "</xml>") + "<Encrypt>" + cdata(encrypt) + "</Encrypt></xml>", encrypt, nil
	}
	return "<xml><ToUserName>" + cdata(s.cfg.OA.OriginalID) + "</ToUserName><Encrypt>" + cdata(encrypt) + "</Encrypt></xml>", encrypt, nil
}

// attempt performs one signed POST within Settings.PushTimeout.
func (s *Sandbox) attempt(ctx context.Context, push *Push, n int, body, encrypt string) (PushAttempt, []byte) {
	ts := strconv.FormatInt(s.now().Unix(), 10)
	nonce := randDigits(9)
	q := url.Values{}
	q.Set("signature", signature(s.cfg.OA.Token, ts, nonce))
	q.Set("timestamp", ts)
	q.Set("nonce", nonce)
	q.Set("openid", push.OpenID)
	if encrypt != "" {
		q.Set("encrypt_type", "aes")
		q.Set("msg_signature", signature(s.cfg.OA.Token, ts, nonce, encrypt))
	}
	target := s.cfg.OA.PushURL
	if strings.Contains(target, "?") {
		target += "&" + q.Encode()
	} else {
		target += "?" + q.Encode()
	}
	att := PushAttempt{N: n, At: s.now(), URL: target}
	actx, cancel := context.WithTimeout(ctx, s.set.PushTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, target, strings.NewReader(body))
	if err != nil {
		att.Error = err.Error()
		return att, nil
	}
	req.Header.Set("Content-Type", "text/xml")
	req.Header.Set("User-Agent", "Mozilla/4.0")
	start := time.Now()
	resp, err := s.client.Do(req)
	if err != nil {
		att.Latency = time.Since(start)
		if errors.Is(actx.Err(), context.DeadlineExceeded) {
			att.Error = fmt.Sprintf("no answer within %s", s.set.PushTimeout)
		} else {
			att.Error = err.Error()
		}
		return att, nil
	}
	defer resp.Body.Close()
	reply, err := io.ReadAll(io.LimitReader(resp.Body, s.set.MaxBody+1))
	att.Latency = time.Since(start)
	att.Status = resp.StatusCode
	if err != nil {
		if errors.Is(actx.Err(), context.DeadlineExceeded) {
			att.Error = fmt.Sprintf("reply not complete within %s", s.set.PushTimeout)
		} else {
			att.Error = "reading reply: " + err.Error()
		}
		return att, nil
	}
	att.ReplyBody = string(reply)
	return att, reply
}

// replyXML covers the passive reply types the phone can show.
type replyXML struct {
	ToUserName   string `xml:"ToUserName"`
	FromUserName string `xml:"FromUserName"`
	CreateTime   int64  `xml:"CreateTime"`
	MsgType      string `xml:"MsgType"`
	Content      string `xml:"Content"`
	Articles     []struct {
		Title       string `xml:"Title"`
		Description string `xml:"Description"`
		URL         string `xml:"Url"`
	} `xml:"Articles>item"`
	Encrypt      string `xml:"Encrypt"`
	MsgSignature string `xml:"MsgSignature"`
	TimeStamp    string `xml:"TimeStamp"`
	Nonce        string `xml:"Nonce"`
}

// interpretReply decides what the user sees: nothing ("success" or empty), the passive reply,
// or WeChat's "service failure" notice for anything else.
func (s *Sandbox) interpretReply(push *Push, body []byte) (*Message, string, string) {
	if int64(len(body)) > s.set.MaxBody {
		return nil, "service_error", "reply larger than the sandbox accepts"
	}
	text := strings.TrimSpace(string(body))
	if text == "" {
		return nil, "acknowledged", ""
	}
	if text == "success" {
		if s.cfg.OA.Mode == PushSafe && !*s.set.SafeModeAcceptsSuccess {
			return nil, "service_error", `a bare "success" is not accepted in safe mode (sandbox setting)`
		}
		return nil, "acknowledged", ""
	}
	r, err := parseReply(body)
	if err != nil {
		return nil, "service_error", "reply is neither success, empty nor valid XML: " + err.Error()
	}
	if r.Encrypt != "" {
		if s.cfg.OA.Mode == PushPlain {
			return nil, "service_error", "encrypted reply while the OA is in plain mode"
		}
		if !equalSig(signature(s.cfg.OA.Token, r.TimeStamp, r.Nonce, r.Encrypt), r.MsgSignature) {
			return nil, "service_error", "encrypted reply has a wrong MsgSignature"
		}
		key, _ := aesKey(s.cfg.OA.EncodingAESKey)
		inner, appid, err := decryptMsg(key, r.Encrypt)
		if err != nil {
			return nil, "service_error", "cannot decrypt the reply: " + err.Error()
		}
		if appid != s.cfg.OA.AppID {
			return nil, "service_error", fmt.Sprintf("encrypted reply is for appid %q", appid)
		}
		r, err = parseReply([]byte(inner))
		if err != nil {
			return nil, "service_error", "decrypted reply is not valid XML: " + err.Error()
		}
	} else if s.cfg.OA.Mode == PushSafe {
		return nil, "service_error", "plain XML reply while the OA is in safe mode"
	}
	if r.ToUserName != push.OpenID {
		return nil, "service_error", fmt.Sprintf("reply ToUserName %q is not the user's openid", r.ToUserName)
	}
	msg := &Message{Kind: "reply", From: s.cfg.OA.Name, PushID: push.ID}
	switch r.MsgType {
	case "text":
		if r.Content == "" {
			return nil, "service_error", "text reply with empty Content"
		}
		msg.Text = r.Content
	case "news":
		if len(r.Articles) == 0 {
			return nil, "service_error", "news reply without articles"
		}
		a := r.Articles[0]
		msg.Title, msg.Text, msg.URL = a.Title, a.Description, a.URL
	case "image", "voice", "video", "music":
		msg.Text = "[" + r.MsgType + "]"
	default:
		return nil, "service_error", fmt.Sprintf("unknown reply MsgType %q", r.MsgType)
	}
	return msg, "replied", ""
}

// parseReply decodes reply XML strictly; encoding/xml expands no custom or external entities.
func parseReply(body []byte) (replyXML, error) {
	var r replyXML
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = true
	if err := dec.Decode(&r); err != nil {
		return r, err
	}
	return r, nil
}

// Pushes lists recorded deliveries, newest first.
func (s *Sandbox) Pushes(limit int) []Push {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Push
	for _, p := range s.pushes.newestFirst(limit) {
		cp := *p
		cp.Attempts = append([]PushAttempt(nil), p.Attempts...)
		out = append(out, cp)
	}
	return out
}

// VerifyPushURL performs WeChat's GET verification of the push URL and reports whether the
// server echoed echostr.
func (s *Sandbox) VerifyPushURL(ctx context.Context) (PushAttempt, bool, error) {
	if s.cfg.OA.PushURL == "" {
		return PushAttempt{}, false, errors.New("the OA has no push URL")
	}
	ts := strconv.FormatInt(s.now().Unix(), 10)
	nonce, echo := randDigits(9), randDigits(19)
	q := url.Values{"signature": {signature(s.cfg.OA.Token, ts, nonce)}, "timestamp": {ts}, "nonce": {nonce}, "echostr": {echo}}
	sep := "?"
	if strings.Contains(s.cfg.OA.PushURL, "?") {
		sep = "&"
	}
	att := PushAttempt{N: 1, At: s.now(), URL: s.cfg.OA.PushURL + sep + q.Encode()}
	actx, cancel := context.WithTimeout(ctx, s.set.PushTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodGet, att.URL, nil)
	if err != nil {
		return att, false, err
	}
	start := time.Now()
	resp, err := s.client.Do(req)
	att.Latency = time.Since(start)
	if err != nil {
		att.Error = err.Error()
		return att, false, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	att.Status, att.ReplyBody = resp.StatusCode, string(b)
	return att, resp.StatusCode == http.StatusOK && strings.TrimSpace(string(b)) == echo, nil
}
