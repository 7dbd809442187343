package wechatsandbox

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/skip2/go-qrcode"
)

// qrTicket is an OA parameterized QR code.
type qrTicket struct {
	ticket     string
	id         string // short id in the QR's url
	actionName string
	sceneID    int64
	sceneStr   string
	permanent  bool
	created    time.Time
	expires    time.Time // zero for permanent codes
}

// scene is the scene value as it appears in EventKey.
func (t *qrTicket) scene() string {
	if t.actionName == "QR_STR_SCENE" || t.actionName == "QR_LIMIT_STR_SCENE" {
		return t.sceneStr
	}
	return itoa(t.sceneID)
}

func (t *qrTicket) liveAt(now time.Time) bool { return t.permanent || now.Before(t.expires) }

// qrCreateRequest is the JSON body of POST /cgi-bin/qrcode/create.
type qrCreateRequest struct {
	ExpireSeconds int64  `json:"expire_seconds"`
	ActionName    string `json:"action_name"`
	ActionInfo    struct {
		Scene struct {
			SceneID  int64  `json:"scene_id"`
			SceneStr string `json:"scene_str"`
		} `json:"scene"`
	} `json:"action_info"`
}

// validate returns 40052/40053 for what WeChat rejects, or 0.
func (q qrCreateRequest) validate() int {
	sc := q.ActionInfo.Scene
	switch q.ActionName {
	case "QR_SCENE":
		if sc.SceneID == 0 || sc.SceneID > 1<<32-1 || sc.SceneID < -(1<<31) {
			return 40053
		}
	case "QR_LIMIT_SCENE":
		if sc.SceneID < 1 || sc.SceneID > 100000 {
			return 40053
		}
	case "QR_STR_SCENE", "QR_LIMIT_STR_SCENE":
		if n := utf8.RuneCountInString(sc.SceneStr); n < 1 || n > 64 || len(sc.SceneStr) > 64 {
			return 40053
		}
	default:
		return 40052
	}
	return 0
}

// handleQRCreate serves POST /cgi-bin/qrcode/create.
func (s *Sandbox) handleQRCreate(w http.ResponseWriter, r *http.Request) {
	t, ok := s.tokenFromQuery(w, r, "token", "stable")
	if !ok {
		return
	}
	if t.appid != s.cfg.OA.AppID {
		fail(w, 48001)
		return
	}
	var req qrCreateRequest
	if err := readJSON(r, &req); err != nil {
		fail(w, 47001)
		return
	}
	if code := req.validate(); code != 0 {
		fail(w, code)
		return
	}
	s.mu.Lock()
	now := s.nowLocked()
	tk := &qrTicket{
		// Real tickets are base64 with '+', '/' and '=', which catches clients that forget to
		// URL-encode them for showqrcode.
		ticket:     "gQ" + base64.StdEncoding.EncodeToString(randBytes(44)),
		id:         "02" + randAlnum(22),
		actionName: req.ActionName,
		sceneID:    req.ActionInfo.Scene.SceneID,
		sceneStr:   req.ActionInfo.Scene.SceneStr,
		permanent:  strings.HasPrefix(req.ActionName, "QR_LIMIT_"),
		created:    now,
	}
	body := map[string]any{"ticket": tk.ticket, "url": s.public + "/q/" + tk.id}
	if !tk.permanent {
		exp := time.Duration(req.ExpireSeconds) * time.Second
		if exp <= 0 {
			exp = s.set.DefaultQRExpire
		}
		exp = min(exp, s.set.MaxQRExpire)
		tk.expires = now.Add(exp)
		body["expire_seconds"] = int64(exp / time.Second)
	}
	s.tickets.put(tk.ticket, tk)
	s.ticketIDs[tk.id] = tk.ticket
	s.notifyLocked()
	s.mu.Unlock()
	writeJSON(w, body)
}

// handleShowQRCode serves GET /cgi-bin/showqrcode: a PNG QR of the ticket's url, 404 for an
// unknown or expired ticket.
func (s *Sandbox) handleShowQRCode(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	tk, ok := s.tickets.get(r.URL.Query().Get("ticket"))
	live := ok && tk.liveAt(s.nowLocked())
	s.mu.Unlock()
	if !live {
		http.Error(w, "ticket not found or expired", http.StatusNotFound)
		return
	}
	s.writeQR(w, s.public+"/q/"+tk.id)
}

// writeQR renders content as a PNG QR code.
func (s *Sandbox) writeQR(w http.ResponseWriter, content string) {
	png, err := qrcode.Encode(content, qrcode.Medium, 430)
	if err != nil {
		http.Error(w, "cannot render QR: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(png)
}

// handleUserInfo serves GET /cgi-bin/user/info for the OA's followers. Since 2021-12-27 it
// returns no nickname or avatar; non-followers get subscribe=0 and nothing else.
func (s *Sandbox) handleUserInfo(w http.ResponseWriter, r *http.Request) {
	t, ok := s.tokenFromQuery(w, r, "token", "stable")
	if !ok {
		return
	}
	if t.appid != s.cfg.OA.AppID {
		fail(w, 48001)
		return
	}
	openid := r.URL.Query().Get("openid")
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ref, ok := s.byOpenidLocked(s.cfg.OA.AppID, openid)
	if !ok || ref.snapshot {
		fail(w, 40003)
		return
	}
	if !p.following {
		writeJSON(w, map[string]any{"subscribe": 0, "openid": openid})
		return
	}
	lang := r.URL.Query().Get("lang")
	if lang == "" {
		lang = "zh_CN"
	}
	body := map[string]any{
		"subscribe": 1, "openid": openid, "language": lang,
		"subscribe_time": p.subscribeTime.Unix(), "remark": "", "groupid": 0,
		"tagid_list": []int{}, "subscribe_scene": p.subscribeScene,
		"qr_scene": p.qrScene, "qr_scene_str": p.qrSceneStr,
	}
	if s.cfg.OA.UnionID {
		body["unionid"] = p.unionid
	}
	writeJSON(w, body)
}

// templateSendRequest is the JSON body of POST /cgi-bin/message/template/send.
type templateSendRequest struct {
	ToUser      string `json:"touser"`
	TemplateID  string `json:"template_id"`
	URL         string `json:"url"`
	MiniProgram *struct {
		AppID    string `json:"appid"`
		PagePath string `json:"pagepath"`
	} `json:"miniprogram"`
	Data map[string]struct {
		Value string `json:"value"`
		Color string `json:"color"`
	} `json:"data"`
	ClientMsgID string `json:"client_msg_id"`
}

// handleTemplateSend serves POST /cgi-bin/message/template/send and puts the message in the
// follower's inbox.
func (s *Sandbox) handleTemplateSend(w http.ResponseWriter, r *http.Request) {
	t, ok := s.tokenFromQuery(w, r, "token", "stable")
	if !ok {
		return
	}
	if t.appid != s.cfg.OA.AppID {
		fail(w, 48001)
		return
	}
	var req templateSendRequest
	if err := readJSON(r, &req); err != nil {
		fail(w, 47001)
		return
	}
	if req.TemplateID == "" || (len(s.cfg.Templates) > 0 && !slices.Contains(s.cfg.Templates, req.TemplateID)) {
		fail(w, 40037)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ref, ok := s.byOpenidLocked(s.cfg.OA.AppID, req.ToUser)
	if !ok || ref.snapshot {
		fail(w, 40003)
		return
	}
	if !p.following {
		fail(w, 43004)
		return
	}
	s.seq++
	msgid := 2000000000 + s.seq
	s.deliverLocked(p, Message{Kind: "template", From: s.cfg.OA.Name, Title: req.TemplateID, Text: templateText(req), URL: req.URL})
	writeJSON(w, map[string]any{"errcode": 0, "errmsg": "ok", "msgid": msgid})
}

// templateText lays out template data the way WeChat shows it: "first" on top, "remark" last.
func templateText(req templateSendRequest) string {
	keys := make([]string, 0, len(req.Data))
	for k := range req.Data {
		keys = append(keys, k)
	}
	rank := func(k string) int {
		switch k {
		case "first":
			return 0
		case "remark":
			return 2
		}
		return 1
	}
	sort.Slice(keys, func(i, j int) bool {
		if rank(keys[i]) != rank(keys[j]) {
			return rank(keys[i]) < rank(keys[j])
		}
		return keys[i] < keys[j]
	})
	var b strings.Builder
	for _, k := range keys {
		if rank(k) == 1 {
			fmt.Fprintf(&b, "%s: %s\n", k, req.Data[k].Value)
		} else {
			b.WriteString(req.Data[k].Value + "\n")
		}
	}
	return strings.TrimSpace(b.String())
}

// ScanResult says what scanning produced.
type ScanResult struct {
	Kind    string `json:"kind"`               // oa_ticket | website_qr | wecom_qr | url
	Event   string `json:"event,omitempty"`    // subscribe | SCAN for OA tickets
	Scene   string `json:"scene,omitempty"`    // scene value of an OA ticket
	Push    *Push  `json:"push,omitempty"`     // the delivery the scan caused
	UUID    string `json:"uuid,omitempty"`     // login attempt of a website/WeCom QR
	OpenURL string `json:"open_url,omitempty"` // page the phone should open next
}

// ErrNotFound is returned for unknown users, tickets and login attempts.
var ErrNotFound = errors.New("not found")

// ErrExpired is returned for an expired QR ticket or login attempt.
var ErrExpired = errors.New("expired")

// ScanTicket simulates userID scanning an OA parameterized QR: a non-follower subscribes
// (EventKey "qrscene_"+scene), a follower produces SCAN; the push is delivered before return.
func (s *Sandbox) ScanTicket(ctx context.Context, userID, ticketOrID string) (ScanResult, error) {
	s.mu.Lock()
	p, ok := s.users.get(userID)
	if !ok {
		s.mu.Unlock()
		return ScanResult{}, fmt.Errorf("user %q: %w", userID, ErrNotFound)
	}
	if t, ok := s.ticketIDs[ticketOrID]; ok {
		ticketOrID = t
	}
	tk, ok := s.tickets.get(ticketOrID)
	if !ok {
		s.mu.Unlock()
		return ScanResult{}, fmt.Errorf("QR ticket: %w", ErrNotFound)
	}
	now := s.nowLocked()
	if !tk.liveAt(now) {
		s.mu.Unlock()
		return ScanResult{}, fmt.Errorf("QR ticket: %w", ErrExpired)
	}
	ev := event{kind: "SCAN", key: tk.scene(), ticket: tk.ticket}
	if !p.following {
		ev.kind, ev.key = "subscribe", "qrscene_"+tk.scene()
		p.following, p.subscribeTime, p.subscribeScene = true, now, "ADD_SCENE_QR_CODE"
		p.qrScene, p.qrSceneStr = 0, ""
		if tk.actionName == "QR_STR_SCENE" || tk.actionName == "QR_LIMIT_STR_SCENE" {
			p.qrSceneStr = tk.sceneStr
		} else {
			p.qrScene = tk.sceneID
		}
	}
	job := s.preparePushLocked(p, ev)
	s.notifyLocked()
	s.mu.Unlock()
	push := s.deliver(ctx, job)
	return ScanResult{Kind: "oa_ticket", Event: ev.kind, Scene: tk.scene(), Push: push}, nil
}

// Follow makes userID follow the OA without a QR (search or profile): subscribe, no EventKey.
func (s *Sandbox) Follow(ctx context.Context, userID string) (*Push, error) {
	return s.setFollow(ctx, userID, true)
}

// Unfollow makes userID unfollow the OA: unsubscribe.
func (s *Sandbox) Unfollow(ctx context.Context, userID string) (*Push, error) {
	return s.setFollow(ctx, userID, false)
}

func (s *Sandbox) setFollow(ctx context.Context, userID string, follow bool) (*Push, error) {
	s.mu.Lock()
	p, ok := s.users.get(userID)
	if !ok {
		s.mu.Unlock()
		return nil, fmt.Errorf("user %q: %w", userID, ErrNotFound)
	}
	if p.following == follow {
		s.mu.Unlock()
		if follow {
			return nil, errors.New("already following the Official Account")
		}
		return nil, errors.New("not following the Official Account")
	}
	p.following = follow
	ev := event{kind: "unsubscribe"}
	if follow {
		ev.kind = "subscribe"
		p.subscribeTime, p.subscribeScene, p.qrScene, p.qrSceneStr = s.nowLocked(), "ADD_SCENE_SEARCH", 0, ""
	}
	job := s.preparePushLocked(p, ev)
	s.notifyLocked()
	s.mu.Unlock()
	return s.deliver(ctx, job), nil
}

// LiveTicket is a QR ticket the phone can scan.
type LiveTicket struct {
	Ticket    string    `json:"ticket"`
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	Scene     string    `json:"scene"`
	Action    string    `json:"action_name"`
	Created   time.Time `json:"created"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// LiveTickets lists unexpired OA QR tickets, newest first.
func (s *Sandbox) LiveTickets(limit int) []LiveTicket {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.nowLocked()
	var out []LiveTicket
	for _, t := range s.tickets.newestFirst(s.tickets.len()) {
		if len(out) >= limit {
			break
		}
		if t.liveAt(now) {
			out = append(out, LiveTicket{Ticket: t.ticket, ID: t.id, URL: s.public + "/q/" + t.id,
				Scene: t.scene(), Action: t.actionName, Created: t.created, ExpiresAt: t.expires})
		}
	}
	return out
}
