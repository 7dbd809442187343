package wechatsandbox

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// person is one simulated WeChat user. Openids are minted per (person, appid) on first use and
// never change; one unionid per person stands for the single Open Platform account.
type person struct {
	id          string
	nickname    string
	avatarColor string
	snapshot    bool
	phone       string
	weComUserID string
	weComName   string
	department  string
	created     time.Time
	unionid     string
	openids     map[string]string // appid → openid
	snapOpenids map[string]string // appid → virtual openid of snapshot-page sign-ins

	following      bool
	subscribeTime  time.Time
	subscribeScene string
	qrScene        int64
	qrSceneStr     string

	sessionKey string // Mini Program session_key, "" until the first js_code exchange
	inbox      []Message
}

type openidRef struct {
	personID string
	appid    string
	snapshot bool
}

// Message is something a simulated user received: a passive reply, a template message, or a
// note from the sandbox itself (e.g. "service failure").
type Message struct {
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"` // reply | template | system
	From   string    `json:"from"`
	Title  string    `json:"title,omitempty"`
	Text   string    `json:"text"`
	URL    string    `json:"url,omitempty"`
	PushID string    `json:"push_id,omitempty"`
}

// User is the control API's view of a simulated person.
type User struct {
	ID          string            `json:"id"`
	Nickname    string            `json:"nickname"`
	AvatarColor string            `json:"avatar_color"`
	Snapshot    bool              `json:"snapshot"`
	Phone       string            `json:"phone,omitempty"`
	WeComUserID string            `json:"wecom_userid,omitempty"`
	UnionID     string            `json:"unionid"`
	OpenIDs     map[string]string `json:"openids"`
	Following   bool              `json:"following"`
	Created     time.Time         `json:"created"`
}

// NewUser is what the control API and the phone page accept to create a person.
type NewUser struct {
	Nickname    string `json:"nickname"`
	AvatarColor string `json:"avatar_color"`
	Snapshot    bool   `json:"snapshot"`
	Phone       string `json:"phone"`
	WeComUserID string `json:"wecom_userid"`
	WeComName   string `json:"wecom_name"`
	Department  string `json:"department"`
}

// avatarColors are offered on the phone page and used when none is given.
func avatarColors() []string {
	return []string{"#07c160", "#1989fa", "#ff976a", "#ee0a24", "#7232dd", "#333333"}
}

func (n NewUser) validate() error {
	var errs []error
	if strings.TrimSpace(n.Nickname) == "" {
		errs = append(errs, errors.New("nickname is required"))
	}
	if utf8.RuneCountInString(n.Nickname) > 32 {
		errs = append(errs, errors.New("nickname is longer than 32 characters"))
	}
	if n.AvatarColor != "" && !validColor(n.AvatarColor) {
		errs = append(errs, fmt.Errorf("avatar_color %q is not a #rrggbb colour", n.AvatarColor))
	}
	if n.Phone != "" && !validPhone(n.Phone) {
		errs = append(errs, fmt.Errorf("phone %q: want 11 digits, optionally +86", n.Phone))
	}
	if len(n.WeComUserID) > 64 {
		errs = append(errs, errors.New("wecom_userid is longer than 64 characters"))
	}
	return errors.Join(errs...)
}

func validColor(c string) bool {
	if len(c) != 7 || c[0] != '#' {
		return false
	}
	for _, ch := range c[1:] {
		if !strings.ContainsRune("0123456789abcdefABCDEF", ch) {
			return false
		}
	}
	return true
}

// validPhone accepts a mainland number, optionally with +86.
func validPhone(p string) bool {
	p = strings.TrimPrefix(p, "+86")
	if len(p) != 11 || p[0] != '1' {
		return false
	}
	for _, ch := range p {
		if ch < '0' || ch > '9' {
			return false
		}
	}
	return true
}

// CreateUser adds a simulated WeChat person.
func (s *Sandbox) CreateUser(n NewUser) (User, error) {
	if err := n.validate(); err != nil {
		return User{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	p := &person{
		id:          "u" + randAlnum(10),
		nickname:    strings.TrimSpace(n.Nickname),
		avatarColor: n.AvatarColor,
		snapshot:    n.Snapshot,
		phone:       strings.TrimPrefix(n.Phone, "+86"),
		weComUserID: n.WeComUserID,
		weComName:   n.WeComName,
		department:  n.Department,
		created:     s.nowLocked(),
		unionid:     "o" + randAlnum(27),
		openids:     map[string]string{},
		snapOpenids: map[string]string{},
	}
	if p.avatarColor == "" {
		cs := avatarColors()
		p.avatarColor = cs[int(s.seq)%len(cs)]
	}
	if p.phone == "" {
		// A distinct fake number so phone codes and SMS work without asking.
		p.phone = fmt.Sprintf("1390000%04d", s.seq%10000)
	}
	if p.weComName == "" {
		p.weComName = p.nickname
	}
	s.users.put(p.id, p)
	s.notifyLocked()
	return s.userView(p), nil
}

// forgetPerson drops the indexes of an evicted person.
func (s *Sandbox) forgetPerson(p *person) {
	for _, o := range p.openids {
		delete(s.openids, o)
	}
	for _, o := range p.snapOpenids {
		delete(s.openids, o)
	}
}

// Users lists simulated people, newest first.
func (s *Sandbox) Users() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []User
	for _, p := range s.users.newestFirst(s.users.len()) {
		out = append(out, s.userView(p))
	}
	return out
}

// User returns one simulated person.
func (s *Sandbox) User(id string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.users.get(id)
	if !ok {
		return User{}, false
	}
	return s.userView(p), true
}

func (s *Sandbox) userView(p *person) User {
	u := User{
		ID: p.id, Nickname: p.nickname, AvatarColor: p.avatarColor, Snapshot: p.snapshot,
		Phone: p.phone, WeComUserID: p.weComUserID, UnionID: p.unionid,
		Following: p.following, Created: p.created, OpenIDs: map[string]string{},
	}
	for _, app := range []string{s.cfg.OA.AppID, s.cfg.Website.AppID, s.cfg.Mini.AppID} {
		if app != "" {
			u.OpenIDs[app] = s.openidLocked(p, app)
		}
	}
	return u
}

// openidLocked returns the person's stable openid for appid, minting it on first use.
func (s *Sandbox) openidLocked(p *person, appid string) string {
	if o, ok := p.openids[appid]; ok {
		return o
	}
	o := "o" + randAlnum(27)
	p.openids[appid] = o
	s.openids[o] = openidRef{personID: p.id, appid: appid}
	return o
}

// snapshotOpenidLocked is the virtual openid a snapshot-page sign-in yields.
func (s *Sandbox) snapshotOpenidLocked(p *person, appid string) string {
	if o, ok := p.snapOpenids[appid]; ok {
		return o
	}
	o := "o" + randAlnum(27)
	p.snapOpenids[appid] = o
	s.openids[o] = openidRef{personID: p.id, appid: appid, snapshot: true}
	return o
}

// byOpenid resolves an openid issued for appid.
func (s *Sandbox) byOpenidLocked(appid, openid string) (*person, openidRef, bool) {
	ref, ok := s.openids[openid]
	if !ok || ref.appid != appid {
		return nil, ref, false
	}
	p, ok := s.users.get(ref.personID)
	return p, ref, ok
}

// byWeComUserID finds a WeCom member.
func (s *Sandbox) byWeComUserIDLocked(userid string) (*person, bool) {
	var found *person
	s.users.each(func(_ string, p *person) bool {
		if userid != "" && p.weComUserID == userid {
			found = p
			return false
		}
		return true
	})
	return found, found != nil
}

// deliverLocked puts a message in a person's inbox, keeping the newest MaxMessages.
func (s *Sandbox) deliverLocked(p *person, m Message) {
	if m.At.IsZero() {
		m.At = s.nowLocked()
	}
	p.inbox = append(p.inbox, m)
	if over := len(p.inbox) - s.set.MaxMessages; over > 0 {
		p.inbox = append([]Message(nil), p.inbox[over:]...)
	}
	s.notifyLocked()
}

// Messages returns what a person received, newest first.
func (s *Sandbox) Messages(userID string) ([]Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.users.get(userID)
	if !ok {
		return nil, fmt.Errorf("no sandbox user %q", userID)
	}
	out := make([]Message, 0, len(p.inbox))
	for i := len(p.inbox) - 1; i >= 0; i-- {
		out = append(out, p.inbox[i])
	}
	return out, nil
}
